import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';
import { captionDataset, finishedRun } from '../registry/fixtures.js';

const CREATE = `mutation($name: String!, $role: ApiRole!) { createApiToken(name: $name, role: $role) { secret token { id name role prefix createdBy revokedAt } } }`;
const IMPORT = `mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id status } }`;
const MOVE = `mutation($input: MoveAliasInput!) { moveAlias(input: $input) { changed alias { alias version protected } } }`;

describe.each(DB_KINDS)('API tokens and roles over HTTP and WebSocket on %s', (kind) => {
  let server: TestServer;
  const secrets: Record<'admin' | 'editor' | 'viewer', string> = { admin: '', editor: '', viewer: '' };

  /** POSTs with an optional Authorization value and returns the status and body. */
  async function post(authorization: string | undefined, query: string, variables?: Record<string, unknown>) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
    const res = await fetch(server.http.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  }
  const as = (role: keyof typeof secrets) => server.withToken(secrets[role]);

  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_AUTH: 'required' } });
    // The first admin token is made as the CLI makes it: directly, as the owner of the database.
    secrets.admin = (await server.app.services.auth.create(cliActor(), { name: 'root', role: 'admin' })).secret;
  });
  afterAll(async () => server?.close());

  it('refuses requests without a token, with a malformed header or an unknown token (401, UNAUTHENTICATED)', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer tf_unknownunknownunknownunknownunknownunknown', 'Bearer not-a-token']) {
      for (const query of ['{ datasets { id } }', '{ me { name } }', 'mutation { cancelJob(id: "x") { id } }', '{ health { status } datasets { id } }']) {
        const r = await post(authorization, query);
        expect(r.status, `${authorization} ${query}`).toBe(401);
        expect(r.body.data).toBeUndefined();
        expect(r.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      }
    }
    expect((await post(undefined, '{ datasets { id } }')).body.errors?.[0].message).toMatch(/^This request carries no API token\. .*Authorization: Bearer <token>/);
    expect((await post('Bearer tf_nope', '{ datasets { id } }')).body.errors?.[0].message).toMatch(/^The API token is unknown or revoked\./);
    // The health check stays open, over GraphQL and GET /healthz.
    expect(await post(undefined, '{ health { status } }')).toEqual({ status: 200, body: { data: { health: { status: 'ok' } } } });
    expect((await fetch(server.http.url.replace('/graphql', '/healthz'))).status).toBe(200);
    // So do nothing else: the submission download and the Prometheus metrics need a token too.
    expect((await fetch(server.http.url.replace('/graphql', '/predictions/x/submission.csv'))).status).toBe(401);
    expect((await fetch(server.http.url.replace('/graphql', '/metrics'))).status).toBe(401);
    const scraped = await fetch(server.http.url.replace('/graphql', '/metrics'), { headers: { authorization: `Bearer ${secrets.admin}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^# HELP tagfusion_/m);
  });

  it('lets only admins create tokens, returns the secret once and stores only its hash', async () => {
    expect((await as('admin').data('{ me { name role } }')).me).toEqual({ name: 'root', role: 'ADMIN' });
    const bad = await as('admin').gql(CREATE, { name: '  ', role: 'VIEWER' });
    expect(bad.errors?.[0]).toMatchObject({ message: 'name: must not be empty', extensions: { code: 'BAD_INPUT' } });

    for (const role of ['viewer', 'editor'] as const) {
      const { createApiToken } = await as('admin').data(CREATE, { name: `${role}-bot`, role: role.toUpperCase() });
      expect(createApiToken.secret).toMatch(/^tf_[A-Za-z0-9_-]{43}$/);
      expect(createApiToken.token).toMatchObject({ name: `${role}-bot`, role: role.toUpperCase(), prefix: createApiToken.secret.slice(0, 10), createdBy: 'root', revokedAt: null });
      secrets[role] = createApiToken.secret;
    }
    const listed = (await as('admin').data('{ apiTokens { name role prefix lastUsedAt } }')).apiTokens;
    expect(listed.map((t: { name: string }) => t.name)).toEqual(['editor-bot', 'viewer-bot', 'root']);
    expect(JSON.stringify(listed)).not.toContain(secrets.editor);
    // The schema has no field that could return a hash or a secret after creation.
    const fields = (await as('admin').data('{ __type(name: "ApiToken") { fields { name } } }')).__type.fields.map((f: { name: string }) => f.name);
    expect(fields).not.toContain('tokenHash');
    expect(fields).not.toContain('secret');

    const rows = await server.app.db.prisma.$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "ApiToken"');
    expect(rows).toHaveLength(3);
    const dump = JSON.stringify(rows);
    for (const secret of Object.values(secrets)) {
      expect(dump).not.toContain(secret);
      expect(rows.some((r) => r.tokenHash === createHash('sha256').update(secret).digest('hex'))).toBe(true);
    }
  });

  it('lets viewers query but not mutate, naming the role needed', async () => {
    expect((await as('viewer').data('{ me { name role } datasets { id } }')).me).toEqual({ name: 'viewer-bot', role: 'VIEWER' });
    const cases: [string, Record<string, unknown>, string][] = [
      [IMPORT, { input: { name: 'x', csvPath: '/nope.csv' } }, 'The importDataset mutation needs the editor role; you act as viewer.'],
      ['mutation { cancelJob(id: "x") { id } }', {}, 'The cancelJob mutation needs the editor role; you act as viewer.'],
      [CREATE, { name: 'sneaky', role: 'ADMIN' }, 'The createApiToken mutation needs the admin role; you act as viewer.'],
    ];
    for (const [query, variables, message] of cases) {
      const r = await as('viewer').gql(query, variables);
      expect(r.errors?.[0]).toMatchObject({ message, extensions: { code: 'FORBIDDEN', needed: expect.any(String), role: 'viewer' } });
    }
    expect((await as('viewer').gql('{ apiTokens { id } }')).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await as('admin').data('{ apiTokens { name } }')).apiTokens).toHaveLength(3);
  });

  it('lets editors import and start training, but not create tokens or move a protected alias; admins can', async () => {
    const fx = await captionDataset(40);
    const job = (await as('editor').data(IMPORT, { input: { name: 'auth-captions', csvPath: fx.csvPath } })).importDataset;
    let datasetId: string | undefined;
    for (let i = 0; i < 150 && !datasetId; i++) {
      const { job: j } = await as('viewer').data('query($id: ID!) { job(id: $id) { status error dataset { id } } }', { id: job.id });
      if (j.status === 'FAILED') throw new Error(j.error);
      datasetId = j.dataset?.id;
      if (!datasetId) await new Promise((r) => setTimeout(r, 200));
    }
    const started = await as('editor').data('mutation($input: TrainingInput!) { startTraining(input: $input) { id status } }', { input: { datasetId, head: 'TEXT', epochs: 1 } });
    expect(started.startTraining.status).toBe('QUEUED');
    // Stop it: the test is about who may start it, and cancelling is an editor's right too.
    const { jobs } = await as('viewer').data('{ jobs(kind: ["train"]) { id status } }');
    const cancel = await as('editor').gql('mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: jobs[0].id });
    expect(cancel.errors?.[0]?.extensions?.code ?? 'ok').toMatch(/^(ok|JOB_FINISHED)$/);

    expect((await as('editor').gql(CREATE, { name: 'x', role: 'VIEWER' })).errors?.[0]).toMatchObject({
      message: 'The createApiToken mutation needs the admin role; you act as editor.',
      extensions: { code: 'FORBIDDEN', needed: 'admin' },
    });

    for (const macroF1 of [0.5, 0.6]) {
      const r = await finishedRun(server.app, { macroF1 });
      await as('editor').data(`mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created } }`, { input: { runId: r.runId, model: 'guarded' } });
    }
    expect((await as('editor').data(MOVE, { input: { model: 'guarded', alias: 'champion', version: 1 } })).moveAlias.changed).toBe(true);
    const protect = `mutation { setAliasProtected(model: "guarded", alias: "champion", protected: true) { protected } }`;
    expect((await as('editor').gql(protect)).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', needed: 'admin', role: 'editor' });
    expect((await as('admin').data(protect)).setAliasProtected.protected).toBe(true);
    const refused = await as('editor').gql(MOVE, { input: { model: 'guarded', alias: 'champion', version: 2 } });
    expect(refused.errors?.[0].extensions?.code).toBe('ALIAS_PROTECTED');
    expect((await as('admin').data(MOVE, { input: { model: 'guarded', alias: 'champion', version: 2 } })).moveAlias).toMatchObject({ changed: true, alias: { version: 2, protected: true } });
    // The audit log names the token that acted.
    const audit = (await as('viewer').data('{ auditLog(model: "guarded", first: 1) { nodes { actor actorRole action } } }')).auditLog.nodes;
    expect(audit[0]).toMatchObject({ actor: 'root', actorRole: 'admin' });
  });

  it('authenticates subscriptions: no token closes with 4401, a bad one with 4403, a valid one subscribes', async () => {
    const query = 'subscription { jobEvents { type jobId } }';
    const none = subscribe(server.http.url, query);
    expect(await none.closed).toMatchObject({ code: 4401 });
    await none.close();
    const bad = subscribe(server.http.url, query, {}, { authorization: 'Bearer tf_not-a-real-token' });
    expect(await bad.closed).toMatchObject({ code: 4403 });
    await bad.close();

    const ok = subscribe(server.http.url, query, {}, { authorization: `Bearer ${secrets.viewer}` });
    await ok.ready;
    const fx = await captionDataset(5);
    const { importDataset } = await as('editor').data(IMPORT, { input: { name: 'ws-captions', csvPath: fx.csvPath } });
    await ok.until((events) => events.some((e) => e.jobEvents.jobId === importDataset.id));
    expect(ok.errors).toEqual([]);
    await ok.close();
  });

  it('refuses a revoked token at once, over HTTP and WebSocket', async () => {
    const { createApiToken } = await as('admin').data(CREATE, { name: 'short-lived', role: 'EDITOR' });
    const mine = server.withToken(createApiToken.secret);
    expect((await mine.data('{ me { name } }')).me.name).toBe('short-lived');
    const live = subscribe(server.http.url, 'subscription { jobEvents { type } }', {}, { authorization: `Bearer ${createApiToken.secret}` });
    await live.ready;

    expect((await as('editor').gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: createApiToken.token.id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const revoked = (await as('admin').data('mutation($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }', { id: createApiToken.token.id })).revokeApiToken;
    expect(revoked.revokedAt).toEqual(expect.any(String));
    const again = (await as('admin').data('mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: createApiToken.token.id })).revokeApiToken;
    expect(again.revokedAt).toBe(revoked.revokedAt);
    expect((await as('admin').gql('mutation { revokeApiToken(id: "nope") { id } }')).errors?.[0].extensions?.code).toBe('TOKEN_NOT_FOUND');

    const r = await post(`Bearer ${createApiToken.secret}`, '{ me { name } }');
    expect(r.status).toBe(401);
    expect(r.body.errors?.[0].message).toMatch(/unknown or revoked/);
    const reconnect = subscribe(server.http.url, 'subscription { jobEvents { type } }', {}, { authorization: `Bearer ${createApiToken.secret}` });
    expect(await reconnect.closed).toMatchObject({ code: 4403 });
    await reconnect.close();
    await live.close();
  });
});
