import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { ConfigError, isLoopbackHost, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startHttpServer } from '../../src/server/http.js';
import { createTestDatabase } from '../support/databases.js';

describe('authentication mode', () => {
  it('runs open by default only with the embedded database on a loopback address', () => {
    expect(loadConfig({}).authMode).toBe('open');
    expect(loadConfig({ HOST: '::1' }).authMode).toBe('open');
    expect(loadConfig({ HOST: '0.0.0.0' }).authMode).toBe('required');
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db/tf' }).authMode).toBe('required');
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@db/tf', TAGFUSION_AUTH: 'open' }).authMode).toBe('open');
    expect(loadConfig({ HOST: '127.0.0.1', TAGFUSION_AUTH: 'required' }).authMode).toBe('required');
  });

  it('refuses open mode on a non-loopback HOST, and unknown modes', () => {
    for (const HOST of ['0.0.0.0', '192.168.1.10', '::', 'example.org']) {
      expect(() => loadConfig({ HOST, TAGFUSION_AUTH: 'open' }), HOST).toThrow(ConfigError);
      expect(() => loadConfig({ HOST, TAGFUSION_AUTH: 'open' })).toThrow(new RegExp(`TAGFUSION_AUTH: open mode .* loopback address .*HOST is ${HOST.replace('.', '\\.')}`));
    }
    expect(() => loadConfig({ TAGFUSION_AUTH: 'none' })).toThrow(/TAGFUSION_AUTH must be required or open/);
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', '128.0.0.1', 'localhost.evil.org'].some(isLoopbackHost)).toBe(false);
  });

  it('says at start that it runs open, and will not serve open mode on another interface', async () => {
    const db = await createTestDatabase('pglite', { TAGFUSION_AUTH: 'open', LOG_LEVEL: 'info' });
    let logged = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((logged += chunk), done()) });
    const app = await startApp(db.config, { workJobs: false, logger: createLogger('info', sink) });
    try {
      await expect(startHttpServer(app, 0, '0.0.0.0')).rejects.toThrow(ConfigError);
      const http = await startHttpServer(app, 0, '127.0.0.1');
      try {
        const warning = logged.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.auth === 'open');
        expect(warning).toMatchObject({ level: 40, msg: expect.stringMatching(/authentication is off .*local admin.*loopback only/) });
        const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { name role } }' }) });
        expect(await res.json()).toEqual({ data: { me: { name: 'local', role: 'ADMIN' } } });
      } finally {
        await http.close();
      }
    } finally {
      await app.close();
      await db.drop();
    }
  });

  it('keeps Authorization headers and token secrets out of the logs', () => {
    let logged = '';
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => ((logged += chunk), done()) }));
    const secret = 'tf_' + 'x'.repeat(43);
    log.info({ req: { headers: { authorization: `Bearer ${secret}` } } }, 'request');
    log.info({ headers: { authorization: `Bearer ${secret}` } }, 'request');
    log.info({ token: { secret }, secret }, 'created');
    log.info({ connectionParams: { authorization: `Bearer ${secret}` } }, 'ws');
    expect(logged.split('\n').filter(Boolean)).toHaveLength(4);
    expect(logged).not.toContain(secret);
  });
});
