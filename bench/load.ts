/**
 * Bounded load from a second process on loopback, k6-style: the server runs as its own process
 * (`tagfusion serve` on a fresh PostgreSQL database); this process drives it with `--clients`
 * concurrent GraphQL clients while `--subscriptions` graphql-ws subscriptions follow the runs
 * being written (a sweep's 50 trials, as outside trainers log them). A share of the clients
 * (`--writes`) are trainers: each logs one epoch of `--points` values every `--write-every` ms.
 * The others are dashboard users: a filtered, sorted runs page or one run's page every
 * `--read-every` ms. Requests follow a fixed schedule (an arrival rate, not "send when the last
 * answer came"), and latency counts from the scheduled time, so a slow server cannot hide its
 * queueing (coordinated omission). `--write-every 0 --read-every 0` sends back to back instead:
 * the saturation point of the machine. Meanwhile a real sweep (`--sweep-trials`, 0 for none)
 * trains in a `tagfusion worker` process of its own (`--sweep-in server`: in the API server, as
 * `npm start` does on one machine), its job threads at `--sweep-priority` (TAGFUSION_JOB_CPU_PRIORITY).
 * Checks: no errors, every subscription received every epoch of its run; reports read latency
 * (p50/p95), metric ingestion (points/s). Prints a table and writes bench/results/load.json.
 *
 *   BENCH_DATABASE_URL=postgresql://… npm run bench:load -- [--clients 50 --subscriptions 200 --seconds 20]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { projectRoot } from '../src/paths.js';
import { fixturesRoot } from '../test/support/databases.js';
import { captionDataset } from '../test/support/fixtures.js';
import { freePort } from '../test/support/process.js';
import { benchAdminUrl, benchDatabaseUrl, withClient } from './support/postgres.js';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    subscriptions: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    /** seconds of the same load before measuring (a fresh database has no statistics yet, a fresh server no optimised code) */
    warmup: { type: 'string', default: '10' },
    /** metric values per logMetrics call */
    points: { type: 'string', default: '1000' },
    /** share of the clients that write metrics */
    writes: { type: 'string', default: '0.5' },
    /** each writer's interval between logMetrics calls, ms (0: back to back) */
    'write-every': { type: 'string', default: '1000' },
    /** each reader's interval between reads, ms (0: back to back) */
    'read-every': { type: 'string', default: '500' },
    /** trials of a sweep trained meanwhile by a worker process of its own (0: none) */
    'sweep-trials': { type: 'string', default: '8' },
    /** epochs of each of its trials */
    'sweep-epochs': { type: 'string', default: '150' },
    /** captions in its dataset (20000: as many as the competition's training file, slower epochs) */
    'sweep-samples': { type: 'string', default: '2000' },
    /** CPU priority of its job threads: normal, low (nice 19) or idle (SCHED_IDLE) */
    'sweep-priority': { type: 'string', default: 'idle' },
    /** who trains it: a worker process of its own, or the API server itself */
    'sweep-in': { type: 'string', default: 'worker' },
  },
});
const CLIENTS = Number(opts.clients);
const SUBSCRIPTIONS = Number(opts.subscriptions);
const SECONDS = Number(opts.seconds);
const WARMUP = Number(opts.warmup);
const POINTS = Number(opts.points);
const WRITERS = Math.round(CLIENTS * Number(opts.writes));
const WRITE_EVERY = Number(opts['write-every']);
const READ_EVERY = Number(opts['read-every']);
const SWEEP_TRIALS = Number(opts['sweep-trials']);
const SWEEP_EPOCHS = Number(opts['sweep-epochs']);
const SWEEP_PRIORITY = opts['sweep-priority'];
const SWEEP_IN = opts['sweep-in'];
if (!['normal', 'low', 'idle'].includes(SWEEP_PRIORITY)) throw new Error('--sweep-priority must be normal, low or idle');
if (!['worker', 'server'].includes(SWEEP_IN)) throw new Error('--sweep-in must be worker or server');
const sweepInServer = SWEEP_TRIALS > 0 && SWEEP_IN === 'server';
const SWEEP_SAMPLES = Number(opts['sweep-samples']);
const RUNS = 50; // runs being written; subscriptions spread over them
const DB_NAME = 'tagfusion_bench_load';

await withClient(benchAdminUrl, async (c) => {
  await c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${DB_NAME}`);
});
const port = await freePort();
// BENCH_SERVER_NODE_ARGS passes node flags to the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
// The caption file is written under fixturesRoot(), which the servers may import from.
const env = {
  ...process.env,
  DATABASE_URL: benchDatabaseUrl(DB_NAME),
  TAGFUSION_AUTH: 'open',
  TAGFUSION_DATA_DIR: mkdtempSync(join(tmpdir(), 'tagfusion-load-')),
  TAGFUSION_DATA_ROOTS: fixturesRoot(),
  LOG_LEVEL: 'warn',
};
// whoever trains the sweep: one job thread at the chosen priority, no grace period at the end
const trainerEnv = { TAGFUSION_WORKER_THREADS: '1', TAGFUSION_JOB_CPU_PRIORITY: SWEEP_PRIORITY, TAGFUSION_DRAIN_SECONDS: '0' };
const server = spawn(process.execPath, [...nodeArgs, join(projectRoot, 'bin', 'tagfusion.js'), 'serve', ...(sweepInServer ? [] : ['--no-work'])], {
  env: { ...env, PORT: String(port), HOST: '127.0.0.1', ...(sweepInServer ? trainerEnv : {}) },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const url = `http://127.0.0.1:${port}/graphql`;

async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

for (let i = 0; ; i++) {
  try {
    await gql('{ health { status } }');
    break;
  } catch {
    if (i > 120) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 500));
  }
}

// A sweep trained while the load runs, by a worker process of its own or by the server. On a
// deployment workers have their own machines; here training shares the 2 cores, its threads at
// SCHED_IDLE by default (CPU time the server and PostgreSQL leave), so that what is measured is
// the server beside a sweep's events and epoch writes. `--sweep-priority normal` or `low` shows
// what training at those priorities takes from the API.
let worker: ChildProcess | undefined;
let sweepId: string | undefined;
let sweepFixtureDir: string | undefined;
const JOB = `query($id: ID!) { job(id: $id) { status error dataset { id } } }`;
if (SWEEP_TRIALS > 0) {
  if (!sweepInServer) {
    worker = spawn(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'worker'], { env: { ...env, ...trainerEnv }, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const fx = await captionDataset(SWEEP_SAMPLES);
  sweepFixtureDir = fx.dir;
  const { importDataset } = await gql(`mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`, { input: { name: 'load', csvPath: fx.csvPath } });
  let job;
  for (;;) {
    ({ job } = await gql(JOB, { id: importDataset.id }));
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (job.status !== 'SUCCEEDED') throw new Error(`the sweep's dataset did not import: ${job.error}`);
  const learningRates = [0.003, 0.01, 0.03, 0.1];
  const { startSweep } = await gql(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
    input: {
      datasetId: job.dataset.id,
      name: 'sweep during load',
      base: { head: 'TEXT', epochs: SWEEP_EPOCHS, batchSize: 32, earlyStopping: { patience: SWEEP_EPOCHS } },
      space: [
        { name: 'learningRate', values: learningRates.slice(0, Math.max(1, Math.ceil(SWEEP_TRIALS / 2))) },
        { name: 'optimizer', values: SWEEP_TRIALS > 1 ? ['ADAM', 'ADAMW'] : ['ADAM'] },
      ],
      parallelism: 2,
    },
  });
  sweepId = startSweep.id as string;
}

// Runs to write to: a sweep's children, as an outside trainer would log them.
const parent = (await gql(`mutation { createRun(input: { kind: "sweep", name: "load" }) { id } }`)).createRun.id as string;
const runs: string[] = [];
for (let i = 0; i < RUNS; i++) {
  const { createRun } = await gql(`mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`, {
    input: { kind: 'train', name: `load ${i}`, parentId: parent, params: { lr: 0.001 * (1 + (i % 5)), batchSize: 32 << i % 3 } },
  });
  runs.push(createRun.id);
}

// Subscriptions, spread over the runs; each counts the epochs it receives.
const received = new Map<number, Set<number>>(); // subscription → epochs
const subscriptionOf: number[] = [];
const ws = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
const subErrors: unknown[] = [];
await Promise.all(
  Array.from({ length: SUBSCRIPTIONS }, (_, s) => {
    const run = s % RUNS;
    subscriptionOf[s] = run;
    received.set(s, new Set());
    return new Promise<void>((ready) => {
      let started = false;
      ws.subscribe(
        { query: `subscription($id: ID!) { runEvents(runId: $id) { type epoch } }`, variables: { id: runs[run] } },
        {
          next: (m) => {
            const e = (m.data as { runEvents: { type: string; epoch: number | null } }).runEvents;
            if (e.type === 'EPOCH' && e.epoch != null) received.get(s)!.add(e.epoch);
          },
          error: (err) => subErrors.push(err),
          complete: () => undefined,
        },
      );
      // graphql-ws gives no per-subscription ack; a short pause lets the server register them all.
      setTimeout(() => (started ? undefined : ((started = true), ready())), 50);
    });
  }),
);
await new Promise((r) => setTimeout(r, 2000));

const READ_RUNS = `query($f: RunFilter, $o: RunOrder) { runs(filter: $f, orderBy: $o, first: 50) { totalCount nodes { id name status params { key value } summaries(split: "val", names: ["m0", "m1"]) { name last max } } } }`;
// A run's page: ten metrics' summaries and one curve.
const READ_RUN = `query($id: ID!, $names: [String!]) { run(id: $id) { id status summaries(split: "val", names: $names) { name last min max } epochMetrics(name: "m0", split: "val") { epoch value } } }`;
const RUN_PAGE_METRICS = Array.from({ length: 10 }, (_, i) => `m${i}`);
const LOG = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`;

const nextEpoch = new Array<number>(RUNS).fill(0);
const written = new Map<number, number>(); // run → epochs written
const readMs: number[] = [];
let points = 0;
let errors = 0;
const errorSamples: string[] = [];
const warmupEnd = performance.now() + WARMUP * 1000;
const measuredFrom = Date.now() + WARMUP * 1000;
const started = warmupEnd; // measurements count from here
const deadline = warmupEnd + SECONDS * 1000;
const writeMs: number[] = [];
/** [second of the run, read latency]: where the slow reads fall */
const readAt: [number, number][] = [];

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

/** One client: a writer (trainer) or a reader (dashboard), on its own fixed schedule. */
async function client(c: number) {
  const writer = c < WRITERS;
  const every = writer ? WRITE_EVERY : READ_EVERY;
  // Spread the clients' schedules over one interval so they do not all fire together.
  let scheduled = performance.now() + (every * c) / CLIENTS;
  for (let k = 0; scheduled < deadline; k++, scheduled = every ? scheduled + every : performance.now()) {
    await sleepUntil(scheduled);
    try {
      if (writer) {
        const run = (c + k * WRITERS) % RUNS;
        const epoch = nextEpoch[run]++;
        const metrics = Array.from({ length: POINTS }, (_, i) => ({ name: `m${i}`, split: 'val', value: Math.sin(epoch + i) }));
        await gql(LOG, { input: { runId: runs[run], epoch, metrics } });
        written.set(run, Math.max(written.get(run) ?? 0, epoch + 1));
        if (scheduled < warmupEnd) continue;
        points += POINTS;
        writeMs.push(performance.now() - scheduled);
      } else if (k % 2) {
        await gql(READ_RUNS, { f: { parentId: parent, metrics: [{ name: 'm0', gte: -2 }] }, o: { field: 'METRIC', metric: { name: 'm1' }, direction: 'DESC' } });
        if (scheduled < warmupEnd) continue;
        readMs.push(performance.now() - scheduled);
        readAt.push([Math.floor((scheduled - started) / 1000), performance.now() - scheduled]);
      } else {
        await gql(READ_RUN, { id: runs[(c * 7 + k) % RUNS], names: RUN_PAGE_METRICS });
        if (scheduled < warmupEnd) continue;
        readMs.push(performance.now() - scheduled);
        readAt.push([Math.floor((scheduled - started) / 1000), performance.now() - scheduled]);
      }
    } catch (err) {
      errors++; // during the warm-up too
      if (errorSamples.length < 5) errorSamples.push((err as Error).message);
    }
  }
}

const load = loadavg()[0];
await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
const elapsed = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 3000)); // the last events' NOTIFY round trip

// Every write that succeeded must have reached every subscription of its run.
let missing = 0;
for (const [s, epochs] of received) {
  const expected = written.get(subscriptionOf[s]) ?? 0;
  for (let e = 0; e < expected; e++) if (!epochs.has(e)) missing++;
}
const expectedEvents = [...received.keys()].reduce((n, s) => n + (written.get(subscriptionOf[s]) ?? 0), 0);
const quantile = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
};
const q = quantile(readMs);
const qw = quantile(writeMs);
const offered = (every: number, clients: number, per = 1) => (every ? ((clients * 1000) / every) * per : NaN);
// What the sweep did meanwhile: its trials, and the epochs they recorded.
const sweep = sweepId
  ? ((await gql(`query($id: ID!) { run(id: $id) { status finishedAt children { status epochMetrics(name: "loss", split: "val") { epoch } } } }`, { id: sweepId })).run as {
      status: string;
      finishedAt: string | null;
      children: { status: string; epochMetrics: unknown[] }[];
    })
  : undefined;
const sweepSummary = sweep && {
  status: sweep.status,
  trials: sweep.children.length,
  succeeded: sweep.children.filter((c) => c.status === 'SUCCEEDED').length,
  epochs: sweep.children.reduce((n, c) => n + c.epochMetrics.length, 0),
  /** seconds into the measured window when it finished (negative: during the warm-up) */
  finishedAtSecond: sweep.finishedAt ? (new Date(sweep.finishedAt).getTime() - measuredFrom) / 1000 : null,
};
const stored = (await withClient(benchDatabaseUrl(DB_NAME), (c) => c.query(`SELECT count(*)::int AS n FROM "EpochMetric"`))).rows[0].n as number;

const rows: [string, string, string][] = [
  ['clients (writers + readers) / subscriptions / seconds measured (after warm-up)', `${CLIENTS} (${WRITERS} + ${CLIENTS - WRITERS}) / ${SUBSCRIPTIONS} / ${elapsed.toFixed(1)} (${WARMUP})`, ''],
  ['schedule: writes, reads every (ms); values per write', `${WRITE_EVERY || 'back to back'}, ${READ_EVERY || 'back to back'}; ${POINTS}`, ''],
  ['offered: points/s, reads/s', `${offered(WRITE_EVERY, WRITERS, POINTS).toFixed(0)}, ${offered(READ_EVERY, CLIENTS - WRITERS).toFixed(0)}`, ''],
  ['requests with errors', String(errors), '0'],
  ['reads: count, p50 / p95 (ms)', `${readMs.length}, ${q(0.5).toFixed(1)} / ${q(0.95).toFixed(1)}`, 'p95 ≤ 150'],
  ['writes: count, p50 / p95 (ms)', `${writeMs.length}, ${qw(0.5).toFixed(1)} / ${qw(0.95).toFixed(1)}`, ''],
  ['metric points written measured (rows in EpochMetric, warm-up included)', `${points} (${stored})`, ''],
  ['ingestion (points/s over the run)', (points / elapsed).toFixed(0), '≥ 20,000'],
  ['subscription events expected / missing', `${expectedEvents} / ${missing}`, 'none missing'],
  ['subscription errors', String(subErrors.length), '0'],
  [`sweep trained meanwhile (by the ${SWEEP_IN}, job threads ${SWEEP_PRIORITY}): status, trials succeeded / started, epochs recorded`, sweepSummary ? `${sweepSummary.status}, ${sweepSummary.succeeded} / ${sweepSummary.trials}, ${sweepSummary.epochs}${sweepSummary.finishedAtSecond == null ? ', still running at the end' : `, finished at second ${sweepSummary.finishedAtSecond.toFixed(1)} of the measured window`}` : 'none', ''],
];
console.log(`\nload average before: ${load.toFixed(2)}`);
console.log('| measure | value | target |\n| --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (errorSamples.length) console.log('errors, for example:', errorSamples);
const perSecond = Array.from({ length: Math.ceil(SECONDS) }, (_, sec) => {
  const xs = readAt.filter(([t]) => t === sec).map(([, ms]) => ms);
  return { second: sec, reads: xs.length, p95: quantile(xs)(0.95) };
});
console.log('read p95 per second (ms):', perSecond.map((p) => p.p95.toFixed(0)).join(' '));
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(projectRoot, 'bench', 'results', 'load.json'),
  JSON.stringify({ measuredFrom: new Date(measuredFrom).toISOString(), warmupSeconds: WARMUP, clients: CLIENTS, writers: WRITERS, subscriptions: SUBSCRIPTIONS, seconds: elapsed, pointsPerCall: POINTS, writeEveryMs: WRITE_EVERY, readEveryMs: READ_EVERY, errors, reads: readMs.length, readP50: q(0.5), readP95: q(0.95), writes: writeMs.length, writeP50: qw(0.5), writeP95: qw(0.95), points, pointsPerSecond: points / elapsed, expectedEvents, missing, loadBefore: load, errorSamples, perSecond, sweep: sweepSummary ? { ...sweepSummary, trainedBy: SWEEP_IN, cpuPriority: SWEEP_PRIORITY, samples: SWEEP_SAMPLES, epochsPerTrial: SWEEP_EPOCHS } : null }, null, 2),
);
await ws.dispose();
for (const p of [server, worker]) {
  if (!p) continue;
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
}
await withClient(benchAdminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`));
// the server's data folder and the sweep's caption file: nothing of a run is left in /tmp
for (const dir of [env.TAGFUSION_DATA_DIR, sweepFixtureDir]) if (dir) rmSync(dir, { recursive: true, force: true });
