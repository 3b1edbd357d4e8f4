import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startApp } from '../src/app.js';
import { projectRoot } from '../src/paths.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from './support/databases.js';
import { labelledDataset, slowDataset } from './support/fixtures.js';
import { freePort, startServerProcess, type ServerProcess } from './support/process.js';

// Each test starts CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

const run = promisify(execFile);
const bin = join(projectRoot, 'bin', 'tagfusion.js');
const cli = (args: string[], env: Record<string, string>) => run(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });

/** Queues an import in a process that works no job, as an interrupted command leaves one behind. */
async function leaveQueued(db: TestDatabase, name: string): Promise<string> {
  const app = await startApp(db.config, { workJobs: false });
  try {
    const fx = await labelledDataset(3);
    return (await app.services.datasets.importDataset({ name, csvPath: fx.csvPath })).id;
  } finally {
    await app.close();
  }
}

describe('tagfusion train --help', () => {
  it('lists every head the README lists', async () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const heads = /^Heads: (.+?) \(/m.exec(readme)![1].match(/`([a-z0-9-]+)`/g)!.map((h) => h.slice(1, -1));
    expect(heads).toContain('text-finetune');
    const { stdout } = await cli(['train', '--help'], {});
    const help = stdout.replace(/\s+/g, ' ');
    for (const head of heads) expect(help).toMatch(new RegExp(`[ ,]${head}[ ,]`));
  });
});

describe('tagfusion serve on a port in use', () => {
  let db: TestDatabase;
  afterAll(async () => db?.drop());

  it('prints one clean line and exits non-zero', async () => {
    db = await createTestDatabase('pglite');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const err = await cli(['serve'], { ...db.env, PORT: String(port), HOST: '127.0.0.1' }).catch((e) => e);
      expect(err.code).toBe(2);
      expect(err.stderr).toBe(`tagfusion: port ${port} on 127.0.0.1 is in use (set PORT or stop the other server)\n`);
      expect(err.stdout + err.stderr).not.toMatch(/EADDRINUSE|check your implementation|\n\s+at /);
    } finally {
      taken.close();
    }
  });
});

describe.each(DB_KINDS)('tagfusion jobs on %s', (kind) => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('a command works only the job it queued; jobs lists, cancels and works the one left behind', async () => {
    const db = await createTestDatabase(kind);
    dbs.push(db);
    const old = await leaveQueued(db, 'left-behind');
    const fx = await labelledDataset(3);
    const imported = JSON.parse((await cli(['import', fx.csvPath, '--name', 'mine', '--json'], db.env)).stdout);
    expect(imported.sampleCount).toBe(3);

    const queued = JSON.parse((await cli(['jobs', '--status', 'queued', '--json'], db.env)).stdout);
    expect(queued).toEqual([expect.objectContaining({ id: old, kind: 'dataset-import', subject: 'import left-behind', status: 'QUEUED', attempts: 0, startedAt: null })]);
    const all = JSON.parse((await cli(['jobs', '--json', '--limit', '5'], db.env)).stdout);
    expect(all.map((j: any) => [j.subject, j.status])).toEqual([
      ['mine@1', 'SUCCEEDED'],
      ['import left-behind', 'QUEUED'],
    ]);
    const table = (await cli(['jobs'], db.env)).stdout;
    expect(table.split('\n')[0]).toMatch(/^ID\s+KIND\s+SUBJECT\s+STATUS\s+PROGRESS\s+CREATED\s+STARTED$/);

    const cancelled = await cli(['jobs', 'cancel', old], db.env);
    expect(cancelled.stdout).toBe(`job ${old} cancelled (cancelled before it started)\n`);
    const again = await cli(['jobs', 'cancel', old], db.env).catch((e) => e);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toBe(`tagfusion: Job ${old} has already finished (CANCELLED) and cannot be cancelled.\n`);

    const waiting = await leaveQueued(db, 'for-the-worker');
    const worked = await cli(['jobs', 'work', '--json'], db.env);
    expect(JSON.parse(worked.stdout)).toEqual([expect.objectContaining({ id: waiting, kind: 'dataset-import', status: 'SUCCEEDED' })]);
    expect(worked.stderr).toContain(`job ${waiting} dataset-import: started (attempt 1)`);
    const none = JSON.parse((await cli(['jobs', 'work', '--json'], db.env)).stdout);
    expect(none).toEqual([]);
  });

  it('Ctrl-C cancels the job the command queued, says so and exits 130', async () => {
    const db = await createTestDatabase(kind, { TAGFUSION_WORKER_THREADS: '1' });
    dbs.push(db);
    await interruptImport(db);
  });
});

/** Starts a slow import, presses Ctrl-C once it runs, and checks what the CLI says and the job's end. */
async function interruptImport(db: TestDatabase) {
  const fx = await slowDataset(1500); // its image check takes far longer than the CLI needs to cancel it
  const child = spawn(process.execPath, [bin, 'import', fx.csvPath, '--images', fx.imagesDir, '--name', 'interrupted'], { env: { ...process.env, ...db.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // the first progress line: the job runs (off a terminal, the next one comes seconds later)
  for (let i = 0; i < 1200 && !/^\d+% /m.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
  expect(stderr).toMatch(/^\d+% /m);
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  const id = /interrupted: job (\S+) cancelled\n$/.exec(stderr)?.[1];
  expect(id, stderr).toBeDefined();
  const jobs = JSON.parse((await cli(['jobs', '--json'], db.env)).stdout);
  expect(jobs).toEqual([expect.objectContaining({ id, status: 'CANCELLED' })]);
}

describe('tagfusion jobs beside a running server', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.kill('SIGTERM');
    await db?.drop();
  });

  it('Ctrl-C cancels the job on the server, and jobs lists through it', async () => {
    db = await createTestDatabase('pglite', { TAGFUSION_WORKER_THREADS: '1' });
    server = await startServerProcess(db.env, await freePort(), 120_000);
    await interruptImport(db);
  });
});
