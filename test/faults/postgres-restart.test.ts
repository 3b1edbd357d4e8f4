import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { DB_KINDS, fixturesRoot } from '../support/databases.js';
import { slowDataset } from '../support/fixtures.js';
import { pgBinDir, startPgCluster, type PgCluster } from '../support/pg-cluster.js';
import { freePort, poll, startServerProcess, type ServerProcess } from '../support/process.js';
import { subscribe } from '../support/ws.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

/**
 * PostgreSQL restarts under a running `serve` (API + worker) and a separate `worker`: both survive
 * the outage, then answer queries, work new jobs and deliver events again, to old subscriptions
 * too. The restart is of a throwaway cluster of this file's own, never the shared one. With
 * PostgreSQL testing on, a missing initdb/pg_ctl fails the file in CI (TAGFUSION_REQUIRE_POSTGRES).
 */
const enabled = DB_KINDS.includes('postgres') && (!!pgBinDir() || !!process.env.TAGFUSION_REQUIRE_POSTGRES);

const JOB = `query($id: ID!) { job(id: $id) { status error attempts workerId } }`;
const IMPORT = `mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`;
const LOG = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`;
const RUN_EVENTS = `subscription($id: ID!) { runEvents(runId: $id) { type epoch } }`;
const JOB_EVENTS = `subscription { jobEvents { type jobId } }`;

function startWorker(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'worker'], {
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

describe.skipIf(!enabled)('a PostgreSQL restart', () => {
  let cluster: PgCluster;
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let worker: ReturnType<typeof startWorker> | undefined;

  beforeAll(async () => {
    cluster = await startPgCluster();
    dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-test-'));
    // One job at a time per process: two slow imports must go to two processes.
    env = { DATABASE_URL: cluster.url, TAGFUSION_DATA_DIR: dataDir, TAGFUSION_DATA_ROOTS: fixturesRoot(), TAGFUSION_AUTH: 'open', TAGFUSION_WORKER_THREADS: '1', TAGFUSION_JOB_CONCURRENCY: '1' };
  });

  afterAll(async () => {
    await server?.kill('SIGKILL');
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      const exited = new Promise((r) => worker!.child.once('exit', r));
      worker.child.kill('SIGKILL');
      await exited;
    }
    await cluster?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('the server and the worker reconnect: queries, new jobs and events work again', async () => {
    server = await startServerProcess(env, await freePort());
    const s = server;
    worker = startWorker(env);
    const w = worker;
    await poll(async () => w.output(), (o) => o.includes('tagfusion worker started') || w.child.exitCode !== null, 30_000, 'the worker to start');
    expect(w.child.exitCode, w.output()).toBeNull();
    const logs = () => `--- server\n${s.output().slice(-3000)}\n--- worker\n${w.output().slice(-3000)}`;

    const { createRun } = await s.gql(`mutation { createRun(input: { kind: "external", name: "restart" }) { id } }`);
    const runId = createRun.id;
    const oldRun = subscribe(s.url, RUN_EVENTS, { id: runId });
    const oldJobs = subscribe(s.url, JOB_EVENTS);
    await Promise.all([oldRun.ready, oldJobs.ready]);
    let epoch = 0;
    const logEpoch = () => s.gql(LOG, { input: { runId, epoch: epoch++, metrics: [{ name: 'loss', split: 'val', value: 1 / epoch }] } });
    await logEpoch();
    await oldRun.until((evs) => evs.some((e) => e.runEvents.type === 'EPOCH'), 10_000);

    // Down for a few seconds: the processes stay up, and a request fails with an error.
    await cluster.stop();
    const res = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ runs(first: 1) { totalCount } }' }) }).catch((err) => {
      throw new Error(`the server did not answer while the database was down (${err.message}):\n${logs()}`);
    });
    expect(((await res.json()) as { errors?: unknown[] }).errors?.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3000));
    expect(s.child.exitCode, logs()).toBeNull();
    expect(w.child.exitCode, logs()).toBeNull();
    await cluster.start();

    // Reads and writes work again.
    await poll(() => s.gql('{ runs(first: 1) { totalCount } }').catch(() => null), (d) => d?.runs.totalCount === 1, 30_000, 'a query to succeed');
    await logEpoch();

    // Events reach a subscription opened after the restart once the server listens again...
    const newRun = subscribe(s.url, RUN_EVENTS, { id: runId });
    await newRun.ready;
    await poll(logEpoch, () => newRun.events.length > 0, 30_000, 'an event after the restart (is the server LISTENing again?)', 500);
    // ...and the subscription opened before it, each event once (one LISTEN connection).
    const last = epoch;
    await logEpoch();
    const epochs = (sub: typeof newRun) => sub.events.filter((e) => e.runEvents.type === 'EPOCH' && e.runEvents.epoch === last);
    await newRun.until((evs) => evs.some((e) => e.runEvents.epoch === last), 10_000);
    await oldRun.until((evs) => evs.some((e) => e.runEvents.epoch === last), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(epochs(newRun)).toHaveLength(1);
    expect(epochs(oldRun)).toHaveLength(1);

    // Two slow imports at once: each process works one at a time, so both pg-boss workers take one.
    const fx = await slowDataset(300);
    const ids: string[] = [];
    for (const name of ['after-a', 'after-b']) ids.push((await s.gql(IMPORT, { input: { name, csvPath: fx.csvPath, imagesDir: fx.imagesDir } })).importDataset.id);
    const done = await Promise.all(
      ids.map((id) => poll(() => s.gql(JOB, { id }), (d) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(d.job.status), 90_000, `import ${id}`, 250)),
    );
    for (const d of done) expect(d.job, logs()).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const pids = done.map((d) => Number(d.job.workerId.split(':')[1])).sort();
    expect(pids).toEqual([s.child.pid, w.child.pid].sort());
    // The workers' job events came through the server's LISTEN to the old subscription.
    await oldJobs.until((evs) => ids.every((id) => evs.some((e) => e.jobEvents.jobId === id && e.jobEvents.type === 'SUCCEEDED')), 10_000);

    expect(s.child.exitCode, logs()).toBeNull();
    expect(w.child.exitCode, logs()).toBeNull();
    for (const sub of [oldRun, oldJobs, newRun]) await sub.close();
  });
});
