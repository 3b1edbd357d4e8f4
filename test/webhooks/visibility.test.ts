import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const URL_WITH_TOKEN = 'http://127.0.0.1:9/services/T000/B000/XXXXSECRET?token=tok-s3cret';
const READ = `query($id: ID!) { webhooks { id url } webhook(id: $id) { url } }`;

/** Webhook URLs carry tokens in their path or query: only admins read them whole. */
describe.each(DB_KINDS)('webhook URLs by role on %s', (kind) => {
  let server: TestServer;
  const secrets = { admin: '', editor: '', viewer: '' };
  let id = '';

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required', TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '1' } });
    for (const role of ['admin', 'editor', 'viewer'] as const) secrets[role] = (await server.app.services.auth.create(cliActor(), { name: `${role}-bot`, role })).secret;
    const created = await server.withToken(secrets.admin).data(`mutation($url: String!) { createWebhook(input: { url: $url }) { webhook { id url } } }`, { url: URL_WITH_TOKEN });
    expect(created.createWebhook.webhook.url).toBe(URL_WITH_TOKEN);
    id = created.createWebhook.webhook.id;
  });
  afterAll(async () => server?.close());

  it('shows viewers and editors the scheme, host and port only', async () => {
    for (const role of ['viewer', 'editor'] as const) {
      const r = await server.withToken(secrets[role]).gql(READ, { id });
      expect(r.errors, role).toBeUndefined();
      expect(r.data, role).toEqual({ webhooks: [{ id, url: 'http://127.0.0.1:9/…' }], webhook: { url: 'http://127.0.0.1:9/…' } });
      expect(JSON.stringify(r), role).not.toMatch(/SECRET|tok-s3cret|services/);
    }
  });

  it('shows admins the whole URL', async () => {
    expect(await server.withToken(secrets.admin).data(READ, { id })).toEqual({ webhooks: [{ id, url: URL_WITH_TOKEN }], webhook: { url: URL_WITH_TOKEN } });
  });

  it('leaves creating webhooks to admins', async () => {
    const r = await server.withToken(secrets.viewer).gql(`mutation { createWebhook(input: { url: "https://hooks.example.com/x" }) { secret } }`);
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
