import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/server/limits.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';

/**
 * The query limits on the WebSocket transport (test/graphql/api.test.ts covers HTTP): a
 * subscription document is refused before it is run, with the same messages.
 */
describe('GraphQL limits over graphql-ws (embedded database)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { workJobs: false });
  });
  afterAll(async () => server?.close());

  async function firstError(query: string): Promise<string> {
    const sub = subscribe(server.http.url, query);
    try {
      await sub.until(() => false, 10_000).catch(() => undefined);
      return JSON.stringify(sub.errors);
    } finally {
      await sub.close();
    }
  }

  it('refuses a subscription deeper than the limit', async () => {
    // subscription → jobEvents → job → run → parent … → id
    let inner = 'id';
    for (let i = 0; i < QUERY_LIMITS.maxDepth - 3; i++) inner = `parent { ${inner} }`;
    expect(await firstError(`subscription { jobEvents { job { run { ${inner} } } } }`)).toMatch(/depth limit of 10/i);
  });

  it('refuses a subscription with too many aliases', async () => {
    const fields = Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: jobId`).join(' ');
    expect(await firstError(`subscription { jobEvents { ${fields} } }`)).toMatch(/aliases limit of 15/i);
  });

  it('refuses a subscription over the cost limit', async () => {
    const wide = 'id name kind status params { key value number } summaries { name split last min max } epochMetrics { epoch split name value } classMetrics { split epoch classId f1 }';
    expect(await firstError(`subscription { jobEvents { job { run { children { ${wide} children { ${wide} children { ${wide} children { ${wide} } } } } } } } }`)).toMatch(/cost limit of 75000 exceeded/i);
  });
});
