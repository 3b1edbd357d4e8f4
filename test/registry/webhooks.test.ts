import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import type { Actor } from '../../src/registry/actor.js';
import { startHttpServer, type HttpServer } from '../../src/server/http.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { freePort } from '../support/process.js';
import { finishedRun } from './fixtures.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** whether the signature checked out (computed here, independently of src/webhooks) */
  signed: boolean;
  status: number;
}

/** A real HTTP receiver that checks signatures and answers `statusFor(n)` to its n-th valid request. */
async function receiver(secret: () => string, statusFor: (n: number) => number) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const ts = String(req.headers['x-tagfusion-timestamp']);
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret()).update(`${ts}.${body}`).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-tagfusion-signature']));
      const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 60;
      const signed = fresh && expected.length === given.length && timingSafeEqual(expected, given);
      const status = signed ? statusFor(received.filter((r) => r.signed).length + 1) : 401;
      received.push({ headers: req.headers, body, signed, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url modelName events active createdBy } } }`;
const DELIVERIES = `query($id: ID!) { webhook(id: $id) { deliveries(first: 50) { nodes { id event status attempts statusCode error payload attemptLog { attempt statusCode error } } } } }`;
const editor: Actor = { name: 'eddie', role: 'editor' };

describe.each(DB_KINDS)('webhooks on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let http: HttpServer;
  const logs: string[] = [];
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as { data?: any; errors?: any[] };
  };
  const data = async (query: string, variables?: Record<string, unknown>) => {
    const r = await gql(query, variables);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const registerRun = async (model: string, macroF1: number) => {
    const r = await finishedRun(app, { macroF1 });
    return (await data(`mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { version { version } } }`, { i: { runId: r.runId, model } })).registerModelVersion.version.version;
  };
  const deliveries = async (id: string) => (await data(DELIVERIES, { id })).webhook.deliveries.nodes;

  beforeAll(async () => {
    // The receivers listen on 127.0.0.1, which webhooks may target only when allowed (test/webhooks covers the refusals).
    db = await createTestDatabase(kind, { TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '1' });
    // Every log line, at every level, is kept to prove that no secret is ever written.
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
    app = await startApp(db.config, { workJobs: true, logger });
    http = await startHttpServer(app, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await http?.close();
    await app?.close();
    await db?.drop();
  });

  it('refuses bad input, unknown models and non-admins', async () => {
    await registerRun('hooked', 0.5);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ url: 'ftp://example.com/x' }, 'BAD_INPUT', /^url: must be an http:\/\/ or https:\/\/ URL$/],
      [{ url: 'not a url' }, 'BAD_INPUT', /^url: must be an http/],
      [{ url: 'https://bot:hunter2@127.0.0.1:1/x' }, 'BAD_INPUT', /^url: must not hold a user name or password \(user:pass@\)$/],
      [{ url: 'http://127.0.0.1:1/x', model: 'nope' }, 'MODEL_NOT_FOUND', /Model nope is not registered/],
    ];
    for (const [input, code, message] of cases) {
      const r = await gql(CREATE, { input });
      expect(r.errors?.[0].extensions?.code, JSON.stringify(input)).toBe(code);
      expect(r.errors?.[0].message).toMatch(message);
    }
    await expect(app.services.webhooks.create(editor, { url: 'http://127.0.0.1:1/x' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Registering a webhook needs the admin role; you act as editor.' });
    expect((await gql(`mutation { testWebhook(id: "nope") { id } }`)).errors?.[0].extensions?.code).toBe('WEBHOOK_NOT_FOUND');
    expect((await data(`{ webhooks { id } }`)).webhooks).toEqual([]);
  });

  it('signs deliveries, retries a failed one with the same body, and logs every attempt', async () => {
    let modelSecret = '';
    let globalSecret = '';
    const modelHook = await receiver(() => modelSecret, (n) => (n === 1 ? 500 : 200));
    const globalHook = await receiver(() => globalSecret, () => 204);
    try {
      const m = (await data(CREATE, { input: { url: modelHook.url, model: 'hooked', events: ['VERSION_CREATED', 'ALIAS_MOVED'] } })).createWebhook;
      const g = (await data(CREATE, { input: { url: globalHook.url } })).createWebhook;
      [modelSecret, globalSecret] = [m.secret, g.secret];
      expect(modelSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
      expect(m.webhook).toMatchObject({ url: modelHook.url, modelName: 'hooked', events: ['VERSION_CREATED', 'ALIAS_MOVED'], active: true, createdBy: 'local' });
      expect(g.webhook).toMatchObject({ modelName: null, events: [] });
      // The secret is not part of the schema: it cannot be read back.
      expect((await gql(`{ webhooks { id secret } }`)).errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

      expect(await registerRun('hooked', 0.6)).toBe(2);
      await until('the retried delivery', async () => modelHook.received.length >= 2);
      const [first, second] = modelHook.received;
      expect([first.signed, first.status, second.signed, second.status]).toEqual([true, 500, true, 200]);
      expect(second.body).toBe(first.body);
      expect(second.headers['x-tagfusion-delivery']).toBe(first.headers['x-tagfusion-delivery']);
      expect(first.headers['x-tagfusion-event']).toBe('VERSION_CREATED');
      expect(first.headers['content-type']).toBe('application/json');
      const payload = JSON.parse(first.body);
      expect(payload).toMatchObject({ id: first.headers['x-tagfusion-delivery'], event: 'VERSION_CREATED', actor: 'local', model: { name: 'hooked' }, version: 2, alias: null, from: null });
      expect(payload.to).toMatchObject({ runId: expect.any(String), artifactChecksum: expect.stringMatching(/^[0-9a-f]{64}$/) });

      const [logged] = await until('the delivery log to say SUCCEEDED', async () => {
        const d = await deliveries(m.webhook.id);
        return d[0]?.status === 'SUCCEEDED' && d;
      });
      expect(logged).toMatchObject({ id: payload.id, event: 'VERSION_CREATED', attempts: 2, statusCode: 200, error: null, payload });
      expect(logged.attemptLog).toEqual([
        { attempt: 1, statusCode: 500, error: 'answered HTTP 500' },
        { attempt: 2, statusCode: 200, error: null },
      ]);
      // The global webhook had it at the first attempt.
      await until('the global delivery', async () => globalHook.received.length >= 1);
      expect(globalHook.received[0]).toMatchObject({ signed: true, status: 204 });
      expect(JSON.parse(globalHook.received[0].body)).toMatchObject({ event: 'VERSION_CREATED', version: 2 });

      // Events and models it did not ask for never reach the model's webhook.
      await data(`mutation { setTags(input: { model: "hooked", set: [{ key: "a", value: "b" }] }) { name } }`);
      await registerRun('unhooked', 0.5);
      await data(`mutation { moveAlias(input: { model: "hooked", alias: "champion", version: 2 }) { changed } }`);
      await until('the alias move', async () => modelHook.received.length >= 3);
      await until('everything at the global webhook', async () => globalHook.received.length >= 5);
      await new Promise((r) => setTimeout(r, 500));
      expect(modelHook.received.map((r) => r.headers['x-tagfusion-event'])).toEqual(['VERSION_CREATED', 'VERSION_CREATED', 'ALIAS_MOVED']);
      // (Deliveries are separate jobs, worked two at a time: their order of arrival may vary.)
      expect(globalHook.received.map((r) => JSON.parse(r.body)).map((p) => `${p.event} ${p.model.name}`).sort()).toEqual([
        'ALIAS_MOVED hooked',
        'MODEL_CREATED unhooked',
        'TAGS_CHANGED hooked',
        'VERSION_CREATED hooked',
        'VERSION_CREATED unhooked',
      ]);
      expect(JSON.parse(modelHook.received[2].body)).toMatchObject({ alias: 'champion', version: 2, from: null, to: { version: 2 } });

      // testWebhook sends a signed PING.
      const ping = (await data(`mutation($id: ID!) { testWebhook(id: $id) { id event status } }`, { id: m.webhook.id })).testWebhook;
      expect(ping).toMatchObject({ event: 'PING', status: 'PENDING' });
      const got = await until('the ping', async () => modelHook.received.find((r) => r.headers['x-tagfusion-delivery'] === ping.id));
      expect(got).toMatchObject({ signed: true, status: 200 });
      expect(JSON.parse(got.body)).toMatchObject({ id: ping.id, event: 'PING', webhookId: m.webhook.id });

      // The secrets were returned once and are nowhere else: not in logs, jobs, deliveries or the audit log.
      const stored = JSON.stringify([
        await app.db.prisma.job.findMany(),
        await app.db.prisma.webhookDelivery.findMany(),
        await app.db.prisma.webhookAttempt.findMany(),
        (await app.db.prisma.auditLog.findMany()).map((a) => ({ ...a, id: String(a.id) })),
      ]);
      expect(stored).toContain('VERSION_CREATED'); // (the dump is not empty)
      expect(logs.join('\n')).toContain('job attempt failed'); // (the failed attempt was logged)
      for (const secret of [modelSecret, globalSecret]) {
        expect(stored).not.toContain(secret);
        expect(logs.join('\n')).not.toContain(secret);
        expect(logs.join('\n')).not.toContain(secret.slice(6));
      }
      await data(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: g.webhook.id });
    } finally {
      await modelHook.close();
      await globalHook.close();
    }
  });

  it('records an unreachable receiver and stops once its webhook is deleted', async () => {
    const port = await freePort(); // nothing listens there
    const hook = (await data(CREATE, { input: { url: `http://127.0.0.1:${port}/gone` } })).createWebhook.webhook;
    const ping = (await data(`mutation($id: ID!) { testWebhook(id: $id) { id } }`, { id: hook.id })).testWebhook;
    const [d] = await until('the first attempt', async () => {
      const list = await deliveries(hook.id);
      return list[0]?.attempts >= 1 && list;
    });
    expect(d).toMatchObject({ id: ping.id, status: 'RETRYING', statusCode: null, error: 'could not be reached: ECONNREFUSED' });
    expect(await data(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: hook.id })).toEqual({ deleteWebhook: true });
    expect((await data(`{ webhook(id: "${hook.id}") { id } }`)).webhook).toBeNull();
    expect(await app.db.prisma.webhookDelivery.count({ where: { webhookId: hook.id } })).toBe(0);
    const audit = await app.db.prisma.auditLog.findMany({ where: { action: { in: ['WEBHOOK_CREATED', 'WEBHOOK_DELETED'] } }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['WEBHOOK_CREATED', 'WEBHOOK_CREATED', 'WEBHOOK_DELETED', 'WEBHOOK_CREATED', 'WEBHOOK_DELETED']);
    expect(audit[3].after).toEqual({ webhookId: hook.id, host: `127.0.0.1:${port}`, events: [] });
  });
});
