import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../src/server/limits.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A selection `depth` levels deep through run parents (single objects, so cost stays low). */
function nested(depth: number): string {
  let inner = 'id';
  for (let i = 0; i < depth - 2; i++) inner = `parent { ${inner} }`;
  return `{ run(id: "x") { ${inner} } }`;
}

describe('GraphQL API basics (embedded database)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { workJobs: false });
  });
  afterAll(async () => server?.close());

  it('answers health', async () => {
    const { health } = await server.data('{ health { status version database queuedJobs runningJobs worksJobs } }');
    expect(health).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), database: 'pglite', queuedJobs: 0, runningJobs: 0, worksJobs: false });
  });

  it('refuses queries deeper than the limit, saying so', async () => {
    expect((await server.gql(nested(QUERY_LIMITS.maxDepth))).errors).toBeUndefined();
    const r = await server.gql(nested(QUERY_LIMITS.maxDepth + 1));
    expect(r.data).toBeUndefined();
    expect(r.errors?.[0].message).toMatch(/depth limit of 10/i);
    expect(r.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses too many aliases, saying so', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: health { status }`).join(' ');
    expect((await server.gql(`{ ${fields(QUERY_LIMITS.maxAliases)} }`)).errors).toBeUndefined();
    const r = await server.gql(`{ ${fields(QUERY_LIMITS.maxAliases + 1)} }`);
    expect(r.errors?.[0].message).toMatch(/aliases limit of 15/i);
  });

  it('refuses queries whose cost is over the limit, saying so', async () => {
    const wide = 'id name kind status config seed backend error createdAt startedAt finishedAt durationMs params { key value number } summaries { name split last min max } epochMetrics { epoch split name value } classMetrics { split epoch classId f1 }';
    const r = await server.gql(`{ runs { nodes { ${wide} children { ${wide} children { ${wide} children { ${wide} } } } } } }`);
    expect(r.errors?.[0].message).toMatch(/cost limit of 75000 exceeded/i);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxCost: QUERY_LIMITS.maxCost });
    // The page size counts, whether written in the query or passed as a variable.
    const page = `query($n: Int) { runs(first: $n) { nodes { ${wide} } } }`;
    expect((await server.gql(page, { n: 50 })).errors).toBeUndefined();
    expect((await server.gql(page, { n: 500 })).errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('reports catalogue errors with their code and masks nothing useful', async () => {
    const r = await server.gql('mutation { cancelJob(id: "00000000-0000-0000-0000-000000000000") { id } }');
    expect(r.errors?.[0]).toMatchObject({ message: 'Job 00000000-0000-0000-0000-000000000000 does not exist.', extensions: { code: 'JOB_NOT_FOUND' } });
  });

  it('reports malformed requests as request errors', async () => {
    const syntax = await server.gql('{ health { status }');
    expect(syntax.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknown = await server.gql('{ nope }');
    expect(unknown.errors?.[0].message).toMatch(/Cannot query field "nope"/);
    const badVar = await server.gql('query($n: Int) { runs(first: $n) { totalCount } }', { n: 'ten' });
    expect(badVar.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('serves a page at / and a plain health check', async () => {
    const base = server.http.url.replace(/\/graphql$/, '');
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
    expect((await fetch(`${base}/`)).status).toBe(200);
  });
});
