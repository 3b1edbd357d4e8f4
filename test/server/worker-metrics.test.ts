import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { projectRoot } from '../../src/paths.js';
import { cliActor } from '../../src/registry/actor.js';
import { startMetricsServer, type MetricsServer } from '../../src/server/metrics-server.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { writeDataset } from '../support/fixtures.js';
import { freePort } from '../support/process.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe.each(DB_KINDS)('a worker’s monitoring port on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let monitoring: MetricsServer;
  let token: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind, { TAGFUSION_AUTH: 'required' });
    app = await startApp(db.config, { workJobs: true });
    monitoring = await startMetricsServer(app, 0, '127.0.0.1');
    token = (await app.services.auth.create(cliActor(), { name: 'prometheus', role: 'viewer' })).secret;
  });
  afterAll(async () => {
    await monitoring?.close();
    await app?.close();
    await db?.drop();
  });

  const scrape = async () => (await fetch(monitoring.url, { headers: { authorization: `Bearer ${token}` } })).text();
  /** the process's count of finished imports (a histogram of the process: both databases' runs add to it) */
  const importsTimed = (text: string) => Number(/^tagfusion_job_duration_seconds_count\{kind="dataset-import",status="SUCCEEDED"\} (\d+)$/m.exec(text)?.[1] ?? 0);

  it('serves the durations of the jobs this process worked, to a token holder only', async () => {
    const before = importsTimed(await scrape());
    const fx = await writeDataset('ImageID,Labels,Caption\n1.jpg,1,"a"\n2.jpg,2,"b"\n');
    const job = await app.services.datasets.importDataset({ name: 'worked-here', csvPath: fx.csvPath });
    await expect.poll(async () => (await app.services.jobs.get(job.id)).status, { timeout: 60_000, interval: 100 }).toBe('SUCCEEDED');

    expect((await fetch(monitoring.url)).status).toBe(401);
    expect((await fetch(monitoring.url, { headers: { authorization: 'Bearer tf_unknown' } })).status).toBe(401);
    const res = await fetch(monitoring.url, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(importsTimed(text)).toBe(before + 1);
    expect(text).toMatch(/^tagfusion_jobs\{kind="dataset-import",status="SUCCEEDED"\} 1$/m);
    expect((await fetch(monitoring.url.replace('/metrics', '/healthz'))).status).toBe(200);
  });
});

describe('tagfusion worker with TAGFUSION_METRICS_PORT', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('pglite');
  });
  afterAll(async () => db?.drop());

  it('listens on it, says where at start, and closes it on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'worker'], {
      env: { ...process.env, ...db.env, TAGFUSION_METRICS_PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain('tagfusion worker started');
      expect(output).toContain(`"metrics":"http://127.0.0.1:${port}/metrics"`);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`); // open mode on loopback: no token needed
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE tagfusion_job_duration_seconds histogram');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
