/**
 * MLflow's REST API on a PostgreSQL server, the server in a process of its own (`tagfusion serve
 * --no-work` on a fresh database), driven over loopback:
 *
 * 1. log-batch: `--clients` concurrent clients, each into its own run, send log-batch requests
 *    of `--batch` metric values (10 keys × batch/10 steps, new steps each time) back to back for
 *    `--seconds` after `--warmup` seconds: metric values stored per second (target ≥ 20,000).
 * 2. runs/search: the experiment is filled up to `--runs` runs with set-based SQL (each run: 3
 *    metrics × 20 steps, their summaries, 2 params, a tag, as the API would store them), then
 *    `--iterations` searches with a metric filter, sorted by that metric, one after another:
 *    p50/p95 (target p95 ≤ 100 ms), for a page of 100 runs (MLflow's UI) and of 1,000 (the client's default).
 *
 * Prints a table and writes bench/results/mlflow.json.
 *
 *   BENCH_DATABASE_URL=postgresql://… npm run bench:mlflow -- [--clients 10 --seconds 10 --runs 10000 --iterations 100 --keep]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { projectRoot } from '../src/paths.js';
import { freePort } from '../test/support/process.js';
import { benchAdminUrl, benchDatabaseUrl, timed, withClient } from './support/postgres.js';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '100' },
    /** keep the database afterwards, to look at its plans */
    keep: { type: 'boolean', default: false },
  },
});
const [CLIENTS, SECONDS, WARMUP, BATCH, RUNS, ITERATIONS] = [opts.clients, opts.seconds, opts.warmup, opts.batch, opts.runs, opts.iterations].map(Number);
const DB_NAME = 'tagfusion_bench_mlflow';
const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-mlflow-'));

await withClient(benchAdminUrl, async (c) => {
  await c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${DB_NAME}`);
});
const port = await freePort();
const server = spawn(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'serve', '--no-work'], {
  env: { ...process.env, DATABASE_URL: benchDatabaseUrl(DB_NAME), TAGFUSION_AUTH: 'open', TAGFUSION_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${port}/api/2.0/mlflow`;

async function call(path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

for (let i = 0; ; i++) {
  try {
    await call('/experiments/get?experiment_id=0');
    break;
  } catch {
    if (i > 120) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 500));
  }
}
const { experiment_id: experimentId } = await call('/experiments/create', { name: 'bench' });
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// --- 1. log-batch from concurrent clients -------------------------------------------------------
const KEYS = ['train/loss', 'train/acc', 'val/loss', 'val/acc', 'val/f1', 'lr', 'grad_norm', 'train/f1', 'val/precision', 'val/recall'];
const stepsPerBatch = Math.max(1, Math.floor(BATCH / KEYS.length));
const batchMs: number[] = [];
let stored = 0;
let failures = 0;
const measureFrom = performance.now() + WARMUP * 1000;
const deadline = measureFrom + SECONDS * 1000;
const load = loadavg()[0];
await Promise.all(
  Array.from({ length: CLIENTS }, async (_, c) => {
    const runId = (await call('/runs/create', { experiment_id: experimentId, run_name: `writer ${c}`, start_time: Date.now() })).run.info.run_id;
    for (let b = 0; performance.now() < deadline; b++) {
      const now = Date.now();
      const metrics = KEYS.flatMap((key, k) => Array.from({ length: stepsPerBatch }, (_, s) => ({ key, value: Math.sin(b + s + k), timestamp: now, step: b * stepsPerBatch + s })));
      const t0 = performance.now();
      try {
        await call('/runs/log-batch', { run_id: runId, metrics });
      } catch {
        failures++;
        continue;
      }
      if (t0 < measureFrom) continue;
      batchMs.push(performance.now() - t0);
      stored += metrics.length;
    }
  }),
);
const valuesPerSecond = stored / SECONDS;

// --- 2. runs/search with a metric filter over RUNS runs ----------------------------------------
const db = new pg.Client({ connectionString: benchDatabaseUrl(DB_NAME) });
await db.connect();
const seedRuns = Math.max(0, RUNS - CLIENTS);
await timed(`seed ${seedRuns} runs`, async () => {
  await db.query(`CREATE TEMP TABLE seed AS SELECT gen_random_uuid()::text AS id, i FROM generate_series(1, $1::int) i`, [seedRuns]);
  await db.query(
    `INSERT INTO "Run" ("id", "name", "kind", "status", "projectId", "createdBy", "startedAt", "finishedAt", "createdAt")
     SELECT id, 'run ' || i, 'mlflow', 'SUCCEEDED', $1::int, 'bench', now() - i * interval '1 minute', now() - i * interval '1 minute' + interval '30 seconds', now() FROM seed`,
    [Number(experimentId)],
  );
  await db.query(`INSERT INTO "RunParam" ("runId", "key", "valueText", "valueNum") SELECT id, 'lr', (0.001 * (1 + i % 10))::text, 0.001 * (1 + i % 10) FROM seed`);
  await db.query(`INSERT INTO "RunParam" ("runId", "key", "valueText") SELECT id, 'optimizer', (ARRAY['adam', 'sgd'])[1 + i % 2] FROM seed`);
  await db.query(`INSERT INTO "RunTag" ("runId", "key", "value") SELECT id, 'team', (ARRAY['vision', 'text', 'fusion'])[1 + i % 3] FROM seed`);
  // a run's val/acc rises towards a ceiling hashed from its number; loss falls
  await db.query(
    `INSERT INTO "EpochMetric" ("runId", "name", "split", "epoch", "timestamp", "value")
     SELECT s.id, m.name, m.split, e, 1700000000000 + e * 1000,
       CASE m.name WHEN 'acc' THEN (0.5 + 0.45 * ((s.i * 2654435761::bigint) % 1000) / 1000.0) * (1 - exp(-(e + 1) / 5.0)) ELSE 1.0 / (e + 1) END
     FROM seed s, (VALUES ('acc', 'val'), ('loss', 'val'), ('loss', 'train')) AS m(name, split), generate_series(0, 19) e`,
  );
  await db.query(
    `INSERT INTO "MetricSummary" ("runId", "name", "split", "lastValue", "lastEpoch", "minValue", "minEpoch", "maxValue", "maxEpoch")
     SELECT "runId", "name", "split", (array_agg("value" ORDER BY "epoch" DESC))[1], max("epoch"),
       min("value"), (array_agg("epoch" ORDER BY "value"))[1], max("value"), (array_agg("epoch" ORDER BY "value" DESC))[1]
     FROM "EpochMetric" WHERE "runId" IN (SELECT id FROM seed) GROUP BY "runId", "name", "split"`,
  );
  await db.query('ANALYZE');
});
await db.end();

const searches: Record<string, number[]> = {};
for (const maxResults of [100, 1_000]) {
  const body = { experiment_ids: [experimentId], filter: "metrics.`val/acc` > 0.8 AND params.optimizer = 'adam'", order_by: ['metrics.`val/acc` DESC'], max_results: maxResults };
  const first = await call('/runs/search', body);
  if (!first.runs?.length) throw new Error('the search found no runs');
  for (let i = 0; i < 10; i++) await call('/runs/search', body); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await call('/runs/search', body);
    ms.push(performance.now() - t0);
  }
  searches[`runs/search, metric filter, ${maxResults} a page (${first.runs.length} runs)`] = ms;
}

server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
if (!opts.keep) await withClient(benchAdminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`));
rmSync(dataDir, { recursive: true, force: true });

const rows: [string, string, string][] = [
  [`log-batch, ${CLIENTS} clients × ${stepsPerBatch * KEYS.length} values`, `${Math.round(valuesPerSecond).toLocaleString('en')} values/s`, '≥ 20,000 values/s'],
  ['log-batch latency p50 / p95', `${percentile(batchMs, 50).toFixed(0)} / ${percentile(batchMs, 95).toFixed(0)} ms`, ''],
  ...Object.entries(searches).map(([what, ms]): [string, string, string] => [`${what} p50 / p95`, `${percentile(ms, 50).toFixed(1)} / ${percentile(ms, 95).toFixed(1)} ms`, 'p95 ≤ 100 ms']),
];
console.log(`\nMLflow REST API on PostgreSQL (${availableParallelism()} cores, load ${load.toFixed(2)} at start, ${failures} failed requests)`);
for (const [what, value, target] of rows) console.log(`  ${what.padEnd(58)} ${value.padStart(20)}   ${target}`);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(projectRoot, 'bench', 'results', 'mlflow.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      cores: availableParallelism(),
      loadAtStart: load,
      logBatch: { clients: CLIENTS, valuesPerBatch: stepsPerBatch * KEYS.length, seconds: SECONDS, valuesPerSecond, p50Ms: percentile(batchMs, 50), p95Ms: percentile(batchMs, 95), failures },
      search: Object.fromEntries(Object.entries(searches).map(([k, ms]) => [k, { runs: RUNS, p50Ms: percentile(ms, 50), p95Ms: percentile(ms, 95), maxMs: Math.max(...ms) }])),
    },
    null,
    2,
  ),
);
