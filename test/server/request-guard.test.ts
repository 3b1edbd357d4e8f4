import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cliActor } from '../../src/registry/actor.js';
import { refusal } from '../../src/server/request-guard.js';
import { DB_KINDS } from '../support/databases.js';
import { labelledDataset } from '../support/fixtures.js';
import { importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';

/** An HTTP request with headers fetch will not send (Host); answers status and body. */
function rawRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Opens a raw WebSocket to /graphql; resolves 'open', or the refused upgrade's status. */
function upgrade(url: string, options: WebSocket.ClientOptions): Promise<{ opened: boolean; status?: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', options);
    ws.on('open', () => resolve({ opened: true, ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('error', () => resolve({ opened: false }));
  });
}

const closeOf = (ws: WebSocket) => new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
const MUTATION = JSON.stringify({ query: 'mutation { createWebhook(input: { url: "https://example.com/hook" }) { secret } }' });

describe('request guard rules', () => {
  const open = { loopbackHostsOnly: true, allowedOrigins: ['https://dash.example.com'] };
  const at = (host: string, origin?: string) => ({ headers: { host, ...(origin ? { origin } : {}) } });
  it('answers only loopback Host names in open mode, with or without a port', () => {
    for (const host of ['127.0.0.1:4000', 'localhost:4000', 'LOCALHOST', '[::1]:4000', '127.0.0.2']) expect(refusal(at(host), open, true), host).toBeUndefined();
    for (const host of ['evil.example:4000', '127.0.0.1.evil.example', 'localhost.evil.example:4000', '', '0.0.0.0:4000', '[::ffff:7f00:1]x']) {
      expect(refusal(at(host), open, true)?.code, host).toBe('HOST_NOT_ALLOWED');
    }
    expect(refusal(at('tagfusion.example.com'), { ...open, loopbackHostsOnly: false }, true)).toBeUndefined();
  });
  it('accepts the same origin and configured ones, refuses every other, "null" included', () => {
    expect(refusal(at('localhost:4000', 'http://localhost:4000'), open, true)).toBeUndefined();
    expect(refusal(at('localhost:4000', 'https://dash.example.com'), open, true)).toBeUndefined();
    for (const origin of ['http://localhost:5000', 'https://evil.example', 'null', 'http://127.0.0.1:4000', 'not a url']) {
      expect(refusal(at('localhost:4000', origin), open, true)?.code, origin).toBe('ORIGIN_NOT_ALLOWED');
    }
    expect(refusal(at('localhost:4000', 'https://evil.example'), open, false)).toBeUndefined();
  });
});

describe.each(DB_KINDS)('a web page cannot drive an open-mode server on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
  });
  afterAll(async () => server?.close());

  it('refuses HTTP requests whose Host is not a loopback name (DNS rebinding)', async () => {
    const headers = { 'content-type': 'application/json', host: 'rebind.attacker.example:4000' };
    const post = await rawRequest(server.http.url, { method: 'POST', headers, body: MUTATION });
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body).error.code).toBe('HOST_NOT_ALLOWED');
    expect((await rawRequest(server.http.url.replace('/graphql', '/'), { headers: { host: 'rebind.attacker.example' } })).status).toBe(403);
    const webhooks = await server.data('{ webhooks { id } }');
    expect(webhooks.webhooks).toEqual([]);
    // The same request under the loopback name it was made for goes through.
    const ok = await rawRequest(server.http.url, { method: 'POST', headers: { ...headers, host: new URL(server.http.url).host }, body: JSON.stringify({ query: '{ health { status } }' }) });
    expect(ok.status).toBe(200);
  });

  it('refuses WebSocket upgrades from another origin or under a foreign Host, and writes from another origin', async () => {
    const foreign = await upgrade(server.http.url, { origin: 'https://evil.example' });
    expect(foreign).toMatchObject({ opened: false, status: 403 });
    const rebound = await upgrade(server.http.url, { headers: { host: 'rebind.attacker.example:4000' } });
    expect(rebound).toMatchObject({ opened: false, status: 403 });
    const post = await rawRequest(server.http.url, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: MUTATION });
    expect(post.status).toBe(403);
    expect((await server.data('{ webhooks { id } }')).webhooks).toEqual([]);
    // The dashboards' own origin, and clients that send no Origin, still connect.
    const same = await upgrade(server.http.url, { origin: new URL(server.http.url).origin });
    expect(same.opened).toBe(true);
    same.ws!.close();
    const sub = subscribe(server.http.url, 'subscription { jobEvents { __typename } }');
    await sub.ready;
    await sub.close();
  });

  it('closes a connection that sends a message over the limit (24 MB after init, 100 KB before)', async () => {
    const big = await upgrade(server.http.url, {});
    const bigClosed = closeOf(big.ws!);
    big.ws!.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((r) => setTimeout(r, 200));
    big.ws!.send('x'.repeat(24 * 1024 * 1024));
    expect(await bigClosed).toBe(1009);
    const early = await upgrade(server.http.url, {});
    const earlyClosed = closeOf(early.ws!);
    early.ws!.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(100 * 1024) } }));
    expect(await earlyClosed).toBe(1009);
    expect((await fetch(server.http.url.replace('/graphql', '/healthz'))).status).toBe(200);
  });

  it('refuses a query of too many tokens before parsing it all, and a body over the limit, without internals', async () => {
    const query = `{ ${'health { status } '.repeat(80_000)}}`; // 1.5 MB, 320,000 tokens
    const started = performance.now();
    const r = await server.gql(query);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(r.errors?.[0].message).toMatch(/more th.. 5000 tokens/);
    const tooBig = await fetch(server.http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ health { status } }', pad: 'x'.repeat(3 * 1024 * 1024) }) });
    expect(tooBig.status).toBe(413);
    const body = await tooBig.text();
    expect(JSON.parse(body).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body).not.toMatch(/node_modules|at .*\(/);
    const bad = await fetch(server.http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toMatch(/node_modules|SyntaxError/);
  });
});

describe.each(DB_KINDS)('tokens on transports and the image route with tokens required on %s', (kind) => {
  let server: TestServer;
  let admin: string;
  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_AUTH: 'required', TAGFUSION_DATA_ROOTS: tmpdir() } });
    admin = (await server.app.services.auth.create(cliActor(), { name: 'root', role: 'admin' })).secret;
  });
  afterAll(async () => server?.close());

  it('ends a revoked token’s open subscriptions within 5 s', async () => {
    const { createApiToken } = await server.withToken(admin).data(`mutation { createApiToken(name: "watcher", role: VIEWER) { secret token { id } } }`);
    const sub = subscribe(server.http.url, 'subscription { jobEvents { __typename } }', {}, { authorization: `Bearer ${createApiToken.secret}` });
    await sub.ready;
    await new Promise((r) => setTimeout(r, 200));
    await server.withToken(admin).data(`mutation($id: ID!) { revokeApiToken(id: $id) { id } }`, { id: createApiToken.token.id });
    const revokedAt = performance.now();
    const closed = await sub.closed;
    expect(sub.errors).toEqual([]);
    expect(closed.code).toBe(4403);
    expect(performance.now() - revokedAt).toBeLessThan(5_000);
  });

  it('refuses a presented unknown token at once, before reading the body', async () => {
    const r = await fetch(server.http.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tf_unknown' }, body: 'not even json' });
    expect(r.status).toBe(401);
    expect(((await r.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const rejected = await upgrade(server.http.url, { headers: { authorization: 'Bearer tf_unknown' } });
    expect(rejected).toMatchObject({ opened: false, status: 401 });
    // Without a token the body limit is small: only open fields can be asked for.
    const anonymous = await fetch(server.http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ health { status } }', pad: 'x'.repeat(100 * 1024) }) });
    expect(anonymous.status).toBe(413);
  });

  it('serves only the images of the dataset’s samples, privately, and no special file', async () => {
    const fixture = await labelledDataset(4);
    writeFileSync(join(fixture.imagesDir, 'notes.txt'), 'SECRET=1');
    const job = await importThroughApi(server.withToken(admin) as TestServer, { name: 'pics', csvPath: fixture.csvPath, imagesDir: fixture.imagesDir });
    expect(job.status).toBe('SUCCEEDED');
    const base = server.http.url.replace('/graphql', `/datasets/${job.dataset.id}/images/`);
    const get = (name: string) => fetch(base + encodeURIComponent(name), { headers: { authorization: `Bearer ${admin}` } });
    const ok = await get('0.jpg');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    expect(ok.headers.get('cache-control')).toMatch(/^private/);
    for (const name of ['notes.txt', 'sub/notes.txt', '../data.csv', 'missing.jpg']) expect((await get(name)).status, name).toBe(404);
    expect((await fetch(base + '0.jpg')).status).toBe(401);
    // A sample's file replaced by a named pipe or by a link out of the folder after the import.
    rmSync(join(fixture.imagesDir, '1.jpg'));
    execFileSync('mkfifo', [join(fixture.imagesDir, '1.jpg')]);
    rmSync(join(fixture.imagesDir, '2.jpg'));
    symlinkSync(fixture.csvPath, join(fixture.imagesDir, '2.jpg'));
    expect((await get('1.jpg')).status).toBe(404);
    expect((await get('2.jpg')).status).toBe(404);
    expect((await get('0.jpg')).status).toBe(200);
  });
});
