import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLFLOW_ROUTES } from '../../src/mlflow/index.js';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Every MLflow REST route with a concrete URL (route parameters filled with a placeholder). */
const ROUTES = MLFLOW_ROUTES.flatMap(({ prefix, routes }) =>
  routes.map((r) => ({ ...r, url: `/api/2.0/${prefix}${r.path.replace(/\*\w+/g, '0/x/artifacts/y').replace(/:\w+/g, 'x')}` })),
);

describe('the MLflow route table', () => {
  it('gives reads (GET, and searches and get-latest-versions sent as POST) to viewers and every write to editors or admins', () => {
    expect(ROUTES.length).toBeGreaterThan(40);
    for (const r of ROUTES) {
      const read = r.method === 'GET' || (r.method === 'POST' && (r.url.endsWith('/search') || r.url.endsWith('/get-latest-versions')));
      if (read) expect(r.role, `${r.method} ${r.url}`).toBe('viewer');
      else expect(['editor', 'admin'], `${r.method} ${r.url}`).toContain(r.role);
    }
  });
});

describe.each(DB_KINDS)('roles on every MLflow REST route on %s', (kind) => {
  let server: TestServer;
  let viewer: string;
  const call = (method: string, url: string, token?: string, body?: string) =>
    fetch(server.http.url.replace('/graphql', url), {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: method === 'GET' || method === 'HEAD' ? undefined : (body ?? '{}'),
    });
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    viewer = (await server.app.services.auth.create(cliActor(), { name: 'watcher', role: 'viewer' })).secret;
  });
  afterAll(async () => server?.close());

  it('refuses every route without a token (401 UNAUTHENTICATED) and every write to a viewer (403 PERMISSION_DENIED)', async () => {
    for (const r of ROUTES) {
      const anonymous = await call(r.method, r.url);
      expect(anonymous.status, `${r.method} ${r.url}`).toBe(401);
      expect(((await anonymous.json()) as { error_code: string }).error_code).toBe('UNAUTHENTICATED');
      if (r.role === 'viewer') continue;
      const refused = await call(r.method, r.url, viewer);
      expect(refused.status, `${r.method} ${r.url}`).toBe(403);
      expect(((await refused.json()) as { error_code: string }).error_code).toBe('PERMISSION_DENIED');
    }
  });

  it('answers a malformed body and an unknown endpoint in MLflow’s shape, never as an internal error', async () => {
    const admin = (await server.app.services.auth.create(cliActor(), { name: 'root', role: 'admin' })).secret;
    const malformed = await call('POST', '/api/2.0/mlflow/experiments/create', admin, '{"name": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error_code: 'MALFORMED_REQUEST' });
    const unknown = await call('POST', '/api/2.0/mlflow/experiments/frobnicate', admin);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
  });
});
