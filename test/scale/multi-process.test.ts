import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { captionDataset } from '../support/fixtures.js';
import { freePort } from '../support/process.js';
import { subscribe } from '../support/ws.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

/**
 * Scale-out on one machine: 2 API servers (`serve --no-work`) and 2 workers (`worker`) as separate
 * processes on one PostgreSQL database. PostgreSQL only: the embedded database has one process.
 */

const DRAIN_SECONDS = 3;
/** what a draining worker may take beyond its grace period: handing back, closing queue, pool, database */
const DRAIN_MARGIN_MS = 20_000;

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProcess(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [join(projectRoot, 'dist', 'cli', 'index.js'), ...args], {
    env: { ...process.env, ...env, HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { name, child, output: () => output, exited };
}

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs: number, what: string, proc?: Proc[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) {
      const logs = (proc ?? []).map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`).join('\n');
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 1000)}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function client(url: string) {
  return async <T = any>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data as T;
  };
}

async function startServer(name: string, env: Record<string, string>) {
  const port = await freePort();
  const proc = startProcess(name, ['serve', '--no-work'], { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = client(url);
  await until(
    () => gql('{ health { status } }').then(() => true, () => proc.child.exitCode !== null && Promise.reject(new Error(`${name} exited:\n${proc.output()}`))),
    Boolean,
    30_000,
    `${name} to answer`,
    [proc],
  );
  return { proc, url, gql };
}

async function startWorker(name: string, env: Record<string, string>) {
  const proc = startProcess(name, ['worker'], env);
  await until(() => proc.output(), (o) => o.includes('tagfusion worker started') || proc.child.exitCode !== null, 30_000, `${name} to start`, [proc]);
  if (proc.child.exitCode !== null) throw new Error(`${name} exited:\n${proc.output()}`);
  return proc;
}


const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id status } }`;
const TRAIN_JOBS = `{ jobs(kind: ["train"], first: 100) { id status attempts workerId message run { id status } } }`;
const RUN_EVENTS = `subscription($id: ID!) { runEvents(runId: $id) { type status epoch } }`;
const JOB_EVENTS = `subscription { jobEvents { type jobId status message } }`;

describe.skipIf(!DB_KINDS.includes('postgres'))('2 API servers and 2 workers on one PostgreSQL', () => {
  let db: TestDatabase;
  let a: Awaited<ReturnType<typeof startServer>>;
  let b: Awaited<ReturnType<typeof startServer>>;
  let workers: Proc[] = [];
  const all = () => [a?.proc, b?.proc, ...workers].filter(Boolean) as Proc[];
  let datasetId: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres', {
      TAGFUSION_WORKER_THREADS: '1',
      TAGFUSION_JOB_CONCURRENCY: '1',
      TAGFUSION_DRAIN_SECONDS: String(DRAIN_SECONDS),
    });
    // A migrates the fresh database; the others then start side by side.
    a = await startServer('api-a', db.env);
    [b, ...workers] = await Promise.all([startServer('api-b', db.env), startWorker('worker-1', db.env), startWorker('worker-2', db.env)]);
    const fx = await captionDataset(400);
    const { importDataset } = await a.gql(`mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`, {
      input: { name: 'captions', csvPath: fx.csvPath, valFraction: 0.25 },
    });
    const job = `query($id: ID!) { job(id: $id) { status error result } }`;
    const done = await until(() => a.gql(job, { id: importDataset.id }), (d: any) => ['SUCCEEDED', 'FAILED'].includes(d.job.status), 60_000, 'the import', all());
    expect(done.job.status, done.job.error).toBe('SUCCEEDED');
    datasetId = done.job.result.datasetId;
  }, 120_000);

  afterAll(async () => {
    for (const p of all()) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
    await db?.drop();
  });

  /** the worker process whose id a Job row names (worker ids are host:pid:random) */
  const workerOf = (workerId: string | null) => workers.find((w) => workerId?.split(':')[1] === String(w.child.pid));

  it('works runs on both workers and streams every run to the subscribers of the other server', async () => {
    // Pause both workers while the runs are queued and server B subscribes, so no event comes
    // before its subscription; they resume together and each claims jobs.
    for (const w of workers) w.child.kill('SIGSTOP');
    const epochs = 4;
    let runIds: string[];
    const jobEvents = subscribe(b.url, JOB_EVENTS);
    let runSubs: ReturnType<typeof subscribe>[] = [];
    try {
      await jobEvents.ready;
      runIds = [];
      for (let i = 0; i < 4; i++) {
        const { startTraining } = await a.gql(START, { input: { datasetId, head: 'TEXT', epochs, learningRate: 0.05, batchSize: 16, seed: i + 1 } });
        runIds.push(startTraining.id);
      }
      runSubs = runIds.map((id) => subscribe(b.url, RUN_EVENTS, { id }));
      await Promise.all(runSubs.map((s) => s.ready));
    } finally {
      for (const w of workers) w.child.kill('SIGCONT');
    }

    const final = (s: ReturnType<typeof subscribe>) => s.events.some((e) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.runEvents.status) && e.runEvents.type === 'STATUS');
    await until(() => runSubs.every(final), Boolean, 120_000, 'every run to end on server B', all());
    for (const s of runSubs) await s.close();

    const { jobs } = await a.gql(TRAIN_JOBS);
    const mine = jobs.filter((j: any) => runIds.includes(j.run.id));
    expect(mine).toHaveLength(4);
    for (const j of mine) expect(j.run.status, JSON.stringify(j)).toBe('SUCCEEDED');
    // both worker processes took part, and every job names one of them
    const by = new Set(mine.map((j: any) => workerOf(j.workerId)?.name));
    expect([...by].sort()).toEqual(['worker-1', 'worker-2']);

    runSubs.forEach((s, i) => {
      const evs = s.events.map((e) => e.runEvents);
      expect(evs.filter((e) => e.type === 'EPOCH').map((e) => e.epoch), `run ${runIds[i]}`).toEqual([...Array(epochs).keys()].map((k) => k + 1)); // epochs count from 1
      expect(evs.filter((e) => e.type === 'STATUS').at(-1)?.status).toBe('SUCCEEDED');
    });
    // job progress from both workers reached server B too
    await jobEvents.until((evs) => mine.every((j: any) => evs.some((e) => e.jobEvents.jobId === j.id && e.jobEvents.type === 'SUCCEEDED')), 10_000);
    for (const j of mine) {
      const types = jobEvents.events.filter((e) => e.jobEvents.jobId === j.id).map((e) => e.jobEvents.type);
      expect(types).toContain('STARTED');
      expect(types.at(-1)).toBe('SUCCEEDED');
    }
    await jobEvents.close();
  }, 180_000);

  it('drains a worker on SIGTERM: it stops within the grace period and the run still succeeds', async () => {
    const jobEvents = subscribe(b.url, JOB_EVENTS);
    await jobEvents.ready;
    // long enough to outlast the grace period on a busy machine, so it is handed back
    const epochs = 400;
    const { startTraining } = await a.gql(START, { input: { datasetId, head: 'TEXT', epochs, learningRate: 0.01, batchSize: 8, seed: 9 } });
    const runId = startTraining.id;
    const runEvents = subscribe(b.url, RUN_EVENTS, { id: runId });
    await runEvents.ready;
    const jobOf = async () => ((await a.gql(TRAIN_JOBS)).jobs as any[]).find((j) => j.run.id === runId);
    const running = await until(jobOf, (j) => j?.status === 'RUNNING' && !!workerOf(j.workerId), 60_000, 'the long run to start', all());
    await runEvents.until((evs) => evs.some((e) => e.runEvents.type === 'EPOCH'), 60_000);
    const victim = workerOf(running.workerId)!;
    const other = workers.find((w) => w !== victim)!;

    const t0 = Date.now();
    victim.child.kill('SIGTERM');
    const exit = await victim.exited;
    const took = Date.now() - t0;
    expect(exit.code, victim.output().slice(-3000)).toBe(0);
    expect(took).toBeLessThan(DRAIN_SECONDS * 1000 + DRAIN_MARGIN_MS);
    const log = victim.output();
    expect(log).toContain('drain: stopped claiming jobs');
    expect(log).toContain('shutdown: closed');

    await runEvents.until((evs) => evs.some((e) => e.runEvents.type === 'STATUS' && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.runEvents.status)), 150_000);
    const job = await until(jobOf, (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status), 10_000, 'the job to end', all());
    expect(job.run.status, JSON.stringify(job)).toBe('SUCCEEDED');
    if (log.includes('job handed back to the queue')) {
      // handed back: the other worker finished it, and the interrupted attempt was not counted
      expect(workerOf(job.workerId)).toBe(other);
      expect(job.attempts).toBe(1);
      const requeued = jobEvents.events.filter((e) => e.jobEvents.jobId === job.id && e.jobEvents.status === 'QUEUED').map((e) => e.jobEvents.message);
      expect(requeued).toContainEqual(expect.stringMatching(/^handed back by worker .*:\d+:.* at shutdown$/));
      // the retry trains from the start again: its last epoch reached server B
      expect(runEvents.events.filter((e) => e.runEvents.type === 'EPOCH').at(-1)?.runEvents.epoch).toBe(epochs - 1);
    } else {
      // finished by the draining worker within its grace period
      expect(log).toContain('drain: no job running');
      expect(workerOf(job.workerId)).toBe(victim);
    }
    await runEvents.close();
    await jobEvents.close();
  }, 240_000);
});
