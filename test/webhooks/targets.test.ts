import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { LOCAL_ADMIN } from '../../src/registry/actor.js';
import { startHttpServer, type HttpServer } from '../../src/server/http.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { capturingLogger, finishedDelivery, receiver, storedRows } from './receiver.js';

const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`;
const HINT = 'webhooks may not target it unless an operator sets TAGFUSION_WEBHOOK_ALLOW_PRIVATE=1';

/**
 * Webhooks may not make the server call its own network: targets on private, loopback,
 * link-local and metadata addresses are refused when registered and again when delivered.
 */
describe.each(DB_KINDS)('webhook targets on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let http: HttpServer;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let deliveryId = '';
  const { lines, logger } = capturingLogger();
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
  };

  beforeAll(async () => {
    hook = await receiver();
    db = await createTestDatabase(kind, { TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '1' });
    // A webhook registered while private targets were allowed, its PING queued but not yet sent…
    const allowing = await startApp(db.config, { workJobs: false });
    try {
      const { webhook } = await allowing.services.webhooks.create(LOCAL_ADMIN, { url: `${hook.origin}/private/path?token=tok-s3cret` });
      deliveryId = (await allowing.services.webhooks.test(LOCAL_ADMIN, webhook.id)).id;
    } finally {
      await allowing.close();
    }
    // …then the operator turns the setting off: this server must not send it.
    app = await startApp(loadConfig({ ...db.env, TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '' }), { workJobs: true, logger });
    http = await startHttpServer(app, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await http?.close();
    await app?.close();
    await db?.drop();
    await hook?.close();
  });

  it('refuses private, loopback, link-local and metadata targets at creation, naming the url field', async () => {
    const cases: [string, string][] = [
      ['http://169.254.169.254/latest/meta-data/iam/', 'url: 169.254.169.254 is the cloud metadata address; webhooks may not target it'],
      ['http://[fd00:ec2::254]/latest/', 'url: fd00:ec2::254 is the cloud metadata address; webhooks may not target it'],
      ['http://169.254.10.20/hook', `url: 169.254.10.20 is a link-local address; ${HINT}`],
      ['http://127.0.0.1:9/hook', `url: 127.0.0.1 is a loopback address; ${HINT}`],
      ['http://[::1]:9/hook', `url: ::1 is a loopback address; ${HINT}`],
      ['http://[::ffff:127.0.0.1]:9/hook', `url: ::ffff:7f00:1 is a loopback address; ${HINT}`],
      ['https://10.0.0.7/hook', `url: 10.0.0.7 is a private address; ${HINT}`],
      ['https://192.168.1.1:8443/hook', `url: 192.168.1.1 is a private address; ${HINT}`],
      ['https://172.20.0.1/hook', `url: 172.20.0.1 is a private address; ${HINT}`],
      ['http://0.0.0.0:9/hook', `url: 0.0.0.0 is an unspecified address; ${HINT}`],
      ['http://100.64.0.1/hook', `url: 100.64.0.1 is a shared (CGNAT) address; ${HINT}`],
      // a name is resolved, and every address it resolves to is checked
      [`http://localhost:9/hook`, `url: the host localhost resolves to a loopback address; ${HINT}`],
    ];
    for (const [url, message] of cases) {
      const r = await gql(CREATE, { input: { url } });
      expect(r.errors?.[0], url).toMatchObject({ message, extensions: { code: 'BAD_INPUT', field: 'url' } });
    }
    expect(await app.db.prisma.webhook.count()).toBe(1); // only the one made while allowed
  });

  it('checks the target again at delivery, fails it without retrying, and never shows the URL', async () => {
    const done = await finishedDelivery(app, deliveryId);
    const reason = `127.0.0.1 is a loopback address; ${HINT}`;
    expect(done).toMatchObject({ status: 'FAILED', attempts: 1, statusCode: null, error: `refused: ${reason}` });
    expect(done.attemptLog.map((a) => a.error)).toEqual([`refused: ${reason}`]);
    const job = await app.db.prisma.job.findFirstOrThrow({ where: { kind: 'webhook-delivery' } });
    expect(job).toMatchObject({ status: 'FAILED', error: `Webhook ${done.webhookId} was not sent: ${reason}.` });
    expect(hook.received).toEqual([]);
    const everything = `${await storedRows(app)}\n${lines.join('\n')}`;
    expect(lines.join('\n')).toContain('job failed'); // (the refusal was logged)
    for (const part of ['tok-s3cret', '/private/path']) expect(everything).not.toContain(part);
  });
});
