import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const QUERY = '{ health { status } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const apq = (sha256Hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });

describe.each(DB_KINDS)('automatic persisted queries on %s', (kind) => {
  let server: TestServer;
  /** what the server logged at error level while a test ran */
  const logged: unknown[][] = [];

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
    // The error formatter logs through this very object: record its error calls.
    const log = server.app.log as unknown as { error: (...args: unknown[]) => void };
    const original = log.error.bind(log);
    log.error = (...args: unknown[]) => (logged.push(args), original(...args));
  });
  afterAll(async () => server?.close());

  async function post(body: Record<string, unknown>) {
    const res = await fetch(server.http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  }

  it('answers a hash that does not match its query, or a malformed extension, as a bad request and logs no internal error', async () => {
    const refused = [
      [{ query: QUERY, extensions: apq('bad') }, 'provided sha does not match query'],
      [{ query: QUERY, extensions: apq(sha256('{ me { name } }')) }, 'provided sha does not match query'],
      [{ query: QUERY, extensions: apq(5) }, 'provided sha does not match query'],
      [{ query: QUERY, extensions: apq(sha256(QUERY), 2) }, 'Unsupported persisted query version'],
      [{ query: QUERY, extensions: { persistedQuery: 'x' } }, 'Unsupported persisted query version'],
    ] as const;
    for (const [body, message] of refused) {
      const r = await post(body);
      expect(r, JSON.stringify(body)).toEqual({ status: 400, body: { errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] } });
    }
    const params = new URLSearchParams({ query: QUERY, extensions: JSON.stringify(apq('bad')) });
    const get = await fetch(`${server.http.url}?${params}`, { headers: { 'apollo-require-preflight': '1' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(logged).toEqual([]);
  });

  it('still registers and serves a persisted query whose hash matches', async () => {
    const hash = sha256(QUERY);
    expect((await post({ extensions: apq(hash) })).body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await post({ query: QUERY, extensions: apq(hash) })).toEqual({ status: 200, body: { data: { health: { status: 'ok' } } } });
    expect(await post({ extensions: apq(hash) })).toEqual({ status: 200, body: { data: { health: { status: 'ok' } } } });
    expect(logged).toEqual([]);
  });
});
