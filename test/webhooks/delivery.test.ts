import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { LOCAL_ADMIN } from '../../src/registry/actor.js';
import { postPinned } from '../../src/webhooks/send.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { freePort } from '../support/process.js';
import { capturingLogger, deliveryWhen, finishedDelivery, receiver, storedRows } from './receiver.js';

describe('a delivery connection', () => {
  it('goes to the checked address and never asks DNS again (no rebinding between check and connect)', async () => {
    const hook = await receiver({ status: 202 });
    try {
      // The name does not exist: only the pinned address can have been used.
      const url = new URL(`http://rebound.invalid:${new URL(hook.origin).port}/p?q=1`);
      const status = await postPinned(url, [{ address: '127.0.0.1', family: 4 }], AbortSignal.timeout(5000), '{}', { 'content-type': 'application/json' });
      expect(status).toBe(202);
      expect(hook.received).toMatchObject([{ url: '/p?q=1', host: url.host, body: '{}' }]);
    } finally {
      await hook.close();
    }
  });
});

/** What a failed delivery leaves behind (rows, job errors, logs) holds no path, query or credentials. */
describe.each(DB_KINDS)('webhook deliveries on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  const { lines, logger } = capturingLogger();
  const everything = async () => `${await storedRows(app)}\n${lines.join('\n')}`;
  const ping = async (webhookId: string) => (await app.services.webhooks.test(LOCAL_ADMIN, webhookId)).id;
  const create = async (url: string) => (await app.services.webhooks.create(LOCAL_ADMIN, { url })).webhook.id;

  beforeAll(async () => {
    db = await createTestDatabase(kind, { TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '1' });
    app = await startApp(db.config, { workJobs: true, logger });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('refuses a stored URL with credentials, and neither stores nor logs them', async () => {
    const hook = await receiver();
    try {
      // createWebhook refuses credentials; a row from before that rule still exists in old databases.
      const row = await app.db.prisma.webhook.create({ data: { url: `http://bot:hunter2@127.0.0.1:${new URL(hook.origin).port}/old`, secret: 'whsec_x', createdBy: 'local', events: [] } });
      const done = await finishedDelivery(app, await ping(row.id));
      expect(done).toMatchObject({ status: 'FAILED', attempts: 1, error: 'refused: its URL holds a user name or password' });
      expect(hook.received).toEqual([]);
      const all = await everything();
      expect(all).toContain('was not sent'); // (the job's error is in the dump)
      for (const part of ['hunter2', 'bot:', '/old']) expect(all).not.toContain(part);
    } finally {
      await hook.close();
    }
  });

  it('records an unreachable receiver by its error code only', async () => {
    const port = await freePort(); // nothing listens there
    const id = await create(`http://127.0.0.1:${port}/deep/s3cret-path?token=s3cret-query`);
    const d = await deliveryWhen(app, await ping(id), (row) => row.attempts >= 1, 'to be tried');
    expect(d).toMatchObject({ status: 'RETRYING', error: 'could not be reached: ECONNREFUSED' });
    const all = await everything();
    expect(all).toContain('ECONNREFUSED');
    for (const part of ['s3cret-path', 's3cret-query']) expect(all).not.toContain(part);
    await app.services.webhooks.delete(LOCAL_ADMIN, id);
  });

  it('does not follow redirects, and reaches a name that resolves to an allowed address', async () => {
    const elsewhere = await receiver();
    const mover = await receiver({ status: 302, headers: { location: `${elsewhere.origin}/moved` } });
    const named = await receiver();
    try {
      const moverId = await create(`${mover.origin}/hook`);
      const moved = await deliveryWhen(app, await ping(moverId), (row) => row.attempts >= 1, 'to be tried');
      expect(moved).toMatchObject({ status: 'RETRYING', statusCode: 302, error: 'answered HTTP 302' });
      expect(mover.received.length).toBeGreaterThanOrEqual(1);
      expect(elsewhere.received).toEqual([]);
      await app.services.webhooks.delete(LOCAL_ADMIN, moverId);
      // localhost may resolve to ::1 first; the receiver listens on 127.0.0.1 only, which Node tries next.
      const sent = await finishedDelivery(app, await ping(await create(`http://localhost:${new URL(named.origin).port}/named?x=1`)));
      expect(sent).toMatchObject({ status: 'SUCCEEDED', statusCode: 204 });
      expect(named.received).toMatchObject([{ url: '/named?x=1', host: `localhost:${new URL(named.origin).port}` }]);
    } finally {
      await Promise.all([elsewhere.close(), mover.close(), named.close()]);
    }
  });
});
