import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../../src/app.js';
import { hashToken } from '../../src/auth/secrets.js';
import { projectRoot } from '../../src/paths.js';
import { startHttpServer } from '../../src/server/http.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const run = promisify(execFile);

describe.each(DB_KINDS)('tagfusion token create, list and revoke on %s', (kind) => {
  let db: TestDatabase;
  const cli = (args: string[]) => run(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'token', ...args], { env: { ...process.env, ...db.env } });

  beforeAll(async () => {
    db = await createTestDatabase(kind, { TAGFUSION_AUTH: 'required', LOG_LEVEL: 'info' });
  });
  afterAll(async () => db?.drop());

  it('refuses a bad role, creates the first admin token that a required-mode server accepts, lists and revokes it', async () => {
    const bad = await cli(['create', '--name', 'x', '--role', 'root']).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/(^|\n)tagfusion: role: must be viewer, editor or admin\n$/);

    // A fresh database: the start applies migrations and logs it, on stderr, so stdout is pure JSON.
    const created = JSON.parse((await cli(['create', '--name', 'first-admin', '--role', 'admin', '--json'])).stdout);
    expect(created).toMatchObject({ name: 'first-admin', role: 'admin', createdBy: expect.stringMatching(/^local/), revokedAt: null, secret: expect.stringMatching(/^tf_[A-Za-z0-9_-]{43}$/) });
    expect(created.prefix).toBe(created.secret.slice(0, 10));
    expect(created).not.toHaveProperty('tokenHash');
    const text = (await cli(['create', '--name', 'reader', '--role', 'viewer'])).stdout;
    expect(text).toMatch(/^created viewer token \S+ "reader"\ntf_[A-Za-z0-9_-]{43}\nThis secret is shown once: store it now\./);

    const listed = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(listed.map((t: { name: string }) => t.name)).toEqual(['reader', 'first-admin']);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(JSON.stringify(listed)).not.toContain(hashToken(created.secret));
    expect((await cli(['list'])).stdout).toMatch(new RegExp(`^\\S+  tf_\\S{7}…  viewer  reader  created .*\\n${created.id}  ${created.prefix}…  admin   first-admin  created .* last used never\\n$`));

    // The token works on a server of that database (the embedded one is free again once the CLI exits).
    const app = await startApp(db.config, { workJobs: false });
    try {
      const http = await startHttpServer(app, 0, '127.0.0.1');
      const me = (authorization: string) =>
        fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query: '{ me { name role } }' }) });
      try {
        expect(await (await me(`Bearer ${created.secret}`)).json()).toEqual({ data: { me: { name: 'first-admin', role: 'ADMIN' } } });
      } finally {
        await http.close();
      }
    } finally {
      await app.close();
    }

    expect((await cli(['revoke', created.id])).stdout).toBe(`revoked token ${created.id} "first-admin" (admin)\n`);
    const missing = await cli(['revoke', '00000000-0000-0000-0000-000000000000']).catch((e) => e);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/(^|\n)tagfusion: API token 00000000-0000-0000-0000-000000000000 does not exist\.\n$/);
    const after = JSON.parse((await cli(['list', '--json'])).stdout);
    expect(after.find((t: { id: string }) => t.id === created.id).revokedAt).toEqual(expect.any(String));
    expect(after.find((t: { id: string }) => t.id === created.id).lastUsedAt).toEqual(expect.any(String));
  });
});
