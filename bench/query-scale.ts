/**
 * Query latency at scale, through GraphQL over HTTP on a PostgreSQL server: a filtered, sorted
 * `runs` page, `compareRuns` over 50 runs (with curves and per-class F1) and `leaderboard`, over
 * 10,000 runs × 30 epochs × 13 metrics, with 18 classes × 2 splits × 30 epochs of class metrics
 * (about 3.9 million epoch rows and 10.8 million class rows). Creates the database
 * `tagfusion_bench_query` (dropped at the end unless --keep), migrates it with the app, seeds it
 * with set-based SQL, then prints p50/p95/max per query and writes bench/results/query-scale.json.
 *
 *   BENCH_DATABASE_URL=postgresql://user:pass@host:5432/db npm run bench:query-scale [-- --runs 10000 --iterations 50 --keep --reuse]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { startHttpServer } from '../src/server/http.js';
import { benchAdminUrl, benchDatabaseUrl, timed, withClient } from './support/postgres.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '50' },
    /** keep the seeded database afterwards */
    keep: { type: 'boolean', default: false },
    /** use the database as it is when it already holds the runs (after --keep) */
    reuse: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const ITERATIONS = Number(opts.iterations);
const EPOCHS = 30;
const CLASSES = 18;
const DATASETS = 4;
const DB_NAME = 'tagfusion_bench_query';
const adminUrl = benchAdminUrl;
const benchUrl = benchDatabaseUrl(DB_NAME);


// --- Seeding -------------------------------------------------------------------------------

// Params derive from the run's seed, so every statement below can recompute them without joins.
const PARAMS: [key: string, text: string, num: string | null][] = [
  ['lr', `((ARRAY[0.0001, 0.0002, 0.0005, 0.001])[1 + r.seed % 4])::text`, `(ARRAY[0.0001, 0.0002, 0.0005, 0.001])[1 + r.seed % 4]`],
  ['batchSize', `((ARRAY[32, 48, 60])[1 + r.seed / 4 % 3])::text`, `(ARRAY[32, 48, 60])[1 + r.seed / 4 % 3]`],
  ['optimizer', `(ARRAY['adam', 'adamw'])[1 + r.seed / 12 % 2]`, null],
  ['head', `(ARRAY['vision', 'text', 'fcnn', 'cross-attention', 'fm1', 'fm2', 'fm3'])[1 + r.seed / 24 % 7]`, null],
  ['encoder', `(ARRAY['centernet-coco', 'tfidf', 'bert'])[1 + r.seed / 168 % 3]`, null],
  ['epochs', `'${EPOCHS}'`, `${EPOCHS}`],
  ['seed', `r.seed::text`, `r.seed`],
];

// A run's skill (0–1) and the epoch after which it overfits, hashed from its seed; its val
// micro-F1 at epoch e rises towards 0.55 + 0.3 × skill, then slowly falls.
const SKILL = `((r.seed::bigint * 2654435761) % 1000)::float8 / 1000`;
const PEAK = `(5 + (r.seed * 7919) % 20)`;
const VAL_F1 = `((0.55 + 0.3 * ${SKILL}) * (1 - exp(-(e + 1) / 4.0::float8)) - 0.003 * greatest(0, e - ${PEAK}))`;

/** Run ids sorted, cut into chunks: inserting child rows run by run appends to their (runId, …) indexes. */
async function idChunks(c: pg.Client, size: number): Promise<[string, string][]> {
  const ids = (await c.query<{ id: string }>(`SELECT "id" FROM "Run" ORDER BY "id"`)).rows.map((r) => r.id);
  const chunks: [string, string][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push([ids[i], ids[Math.min(i + size, ids.length) - 1]]);
  return chunks;
}

async function seed(c: pg.Client) {
  await c.query(`SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SELECT setseed(0.42)`);
  await timed('datasets, runs, params', async () => {
    await c.query(`INSERT INTO "Dataset" ("id", "name", "version", "checksum", "labelled", "hasImages", "csvPath", "sampleCount", "splitSeed", "valFraction")
      SELECT 'bench-ds-' || d, 'bench-' || d, 1, md5(d::text), true, true, 'train.csv', 5000, 1, 0.1 FROM generate_series(1, ${DATASETS}) d`);
    await c.query(`INSERT INTO "Run" ("id", "name", "kind", "status", "datasetId", "seed", "backend", "createdAt", "startedAt", "finishedAt")
      SELECT gen_random_uuid()::text, 'run-' || lpad(i::text, 5, '0'), 'train', 'SUCCEEDED', 'bench-ds-' || (1 + i % ${DATASETS}), i, 'bench',
             ts, ts, ts + interval '3 minutes'
      FROM generate_series(1, ${RUNS}) i, LATERAL (SELECT now() - (${RUNS} - i) * interval '5 minutes' AS ts) t`);
    const values = PARAMS.map(([key, text, num]) => `('${key}', ${text}, ${num ?? 'NULL'}::float8)`).join(', ');
    await c.query(`INSERT INTO "RunParam" ("runId", "key", "valueText", "valueNum") SELECT r."id", p.* FROM "Run" r, LATERAL (VALUES ${values}) p`);
    await c.query(`UPDATE "Run" r SET "config" = (SELECT jsonb_object_agg(p."key", coalesce(to_jsonb(p."valueNum"), to_jsonb(p."valueText"))) FROM "RunParam" p WHERE p."runId" = r."id")`);
  });
  const chunks = await idChunks(c, 500);
  await timed(`epoch metrics (${(RUNS * EPOCHS * 13).toLocaleString('en')} rows)`, async () => {
    for (const [lo, hi] of chunks) {
      await c.query(
        `INSERT INTO "EpochMetric" ("runId", "epoch", "split", "name", "value", "timestamp")
         SELECT r."id", e, m.split, m.name, m.value, 1796000000000 + e * 60000
         FROM (SELECT "id", "seed" FROM "Run" WHERE "id" BETWEEN $1 AND $2 ORDER BY "id") r
         CROSS JOIN generate_series(0, ${EPOCHS - 1}) e
         CROSS JOIN LATERAL (SELECT ${VAL_F1} + (random() - 0.5) * 0.01 AS f1, least(0.99, ${VAL_F1} + 0.004 * e) AS tf1) v
         CROSS JOIN LATERAL (VALUES
           ('val', 'loss', 0.3 - 0.2 * v.f1 + 0.004 * greatest(0, e - ${PEAK})), ('val', 'microF1', v.f1), ('val', 'macroF1', v.f1 - 0.12),
           ('val', 'samplesF1', v.f1 + 0.03), ('val', 'meanAccuracy', 0.9 + v.f1 / 10), ('val', 'subsetAccuracy', v.f1 - 0.3),
           ('train', 'loss', 0.3 - 0.22 * v.tf1), ('train', 'microF1', v.tf1), ('train', 'macroF1', v.tf1 - 0.1),
           ('train', 'samplesF1', v.tf1 + 0.03), ('train', 'meanAccuracy', 0.9 + v.tf1 / 10), ('train', 'subsetAccuracy', v.tf1 - 0.28),
           ('train', 'epochSeconds', 2 + random())) m(split, name, value)`,
        [lo, hi],
      );
    }
  });
  await timed(`class metrics (${(RUNS * EPOCHS * CLASSES * 2).toLocaleString('en')} rows)`, async () => {
    for (const [lo, hi] of chunks) {
      // Generated in primary-key order (run, split, epoch, class).
      await c.query(
        `INSERT INTO "ClassMetric" ("runId", "split", "epoch", "classId", "precision", "recall", "f1", "accuracy", "support")
         SELECT r."id", s.split, e, k, least(1, f.f1 + 0.02), greatest(0, f.f1 - 0.02), f.f1, 0.9 + f.f1 / 10, 50 + (k * 37) % 400
         FROM (SELECT "id", "seed" FROM "Run" WHERE "id" BETWEEN $1 AND $2 ORDER BY "id") r
         CROSS JOIN (VALUES ('train', 0.05), ('val', 0.0)) s(split, bonus)
         CROSS JOIN generate_series(0, ${EPOCHS - 1}) e
         CROSS JOIN generate_series(1, ${CLASSES}) k
         CROSS JOIN LATERAL (SELECT greatest(0, least(1, ${VAL_F1} + s.bonus + 0.25 - 0.03 * k + (random() - 0.5) * 0.04)) AS f1) f`,
        [lo, hi],
      );
    }
  });
  await timed('metric summaries', () =>
    c.query(`INSERT INTO "MetricSummary" ("runId", "name", "split", "lastValue", "lastEpoch", "minValue", "minEpoch", "maxValue", "maxEpoch")
      SELECT "runId", "name", "split", (array_agg("value" ORDER BY "epoch" DESC))[1], max("epoch"),
             min("value"), (array_agg("epoch" ORDER BY "value", "epoch"))[1], max("value"), (array_agg("epoch" ORDER BY "value" DESC, "epoch"))[1]
      FROM "EpochMetric" GROUP BY "runId", "name", "split"`),
  );
  await timed('vacuum analyze', () => c.query('VACUUM ANALYZE'));
}

// --- Queries -------------------------------------------------------------------------------

const RUNS_PAGE = `query($filter: RunFilter, $orderBy: RunOrder) {
  runs(filter: $filter, orderBy: $orderBy, first: 50) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name status createdAt params { key value number } summaries(split: "val", names: ["microF1", "macroF1", "loss"]) { name split last lastEpoch min minEpoch max maxEpoch } }
  }
}`;
const COMPARE = `query($ids: [ID!]!) {
  compareRuns(ids: $ids) {
    runs { id name } selectedBy { name split aggregate } epochs
    params { key values differs } metrics { name split values }
    classIds classF1 curves { runId name split epochs values }
  }
}`;
const COMPARE_NO_CURVES = COMPARE.replace('curves { runId name split epochs values }', '');
const LEADERBOARD = `query($datasetId: ID!, $metric: MetricRef!, $filter: RunFilter) {
  leaderboard(datasetId: $datasetId, metric: $metric, filter: $filter, first: 20) { rank value epoch run { id name createdAt params { key value } } }
}`;

const dataset = (i: number) => `bench-ds-${1 + (i % DATASETS)}`;
const byMaxF1 = { field: 'METRIC', direction: 'DESC', metric: { name: 'microF1', split: 'val', aggregate: 'MAX' } };

interface Case {
  name: string;
  /** target p95 in ms, where the issue sets one */
  target?: number;
  query: string;
  variables: (i: number) => Record<string, unknown>;
}

function cases(sampleIds: string[]): Case[] {
  const fifty = (i: number) => Array.from({ length: 50 }, (_, k) => sampleIds[(i * 50 + k) % sampleIds.length]);
  return [
    {
      name: 'runs: dataset + param + metric ≥, by max val microF1, first 50',
      target: 100,
      query: RUNS_PAGE,
      variables: (i) => ({
        filter: { datasetId: dataset(i), params: [{ key: 'optimizer', equals: 'adamw' }], metrics: [{ name: 'microF1', aggregate: 'MAX', gte: 0.6 }] },
        orderBy: byMaxF1,
      }),
    },
    {
      name: 'runs: dataset + lr ≥ 2e-4 + loss ≤, by min val loss, first 50',
      target: 100,
      query: RUNS_PAGE,
      variables: (i) => ({
        filter: { datasetId: dataset(i), params: [{ key: 'lr', gte: 0.0002 }], metrics: [{ name: 'loss', aggregate: 'MIN', lte: 0.2 }] },
        orderBy: { field: 'METRIC', direction: 'ASC', metric: { name: 'loss', aggregate: 'MIN' } },
      }),
    },
    {
      name: 'runs: all 10k, param + metric ≥, by max val microF1, first 50',
      query: RUNS_PAGE,
      variables: () => ({ filter: { params: [{ key: 'head', equals: 'fm2' }], metrics: [{ name: 'microF1', aggregate: 'MAX', gte: 0.6 }] }, orderBy: byMaxF1 }),
    },
    { name: 'compareRuns: 50 runs, with curves (all 13 metrics) and classF1', target: 200, query: COMPARE, variables: (i) => ({ ids: fifty(i) }) },
    { name: 'compareRuns: 50 runs, without curves', query: COMPARE_NO_CURVES, variables: (i) => ({ ids: fifty(i) }) },
    { name: 'leaderboard: val microF1, first 20', target: 100, query: LEADERBOARD, variables: (i) => ({ datasetId: dataset(i), metric: { name: 'microF1' } }) },
    {
      name: 'leaderboard: val loss, filtered by optimizer, first 20',
      target: 100,
      query: LEADERBOARD,
      variables: (i) => ({ datasetId: dataset(i), metric: { name: 'loss' }, filter: { params: [{ key: 'optimizer', equals: 'adam' }] } }),
    },
  ];
}

async function post(url: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { errors?: unknown[] };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

// --- Main ------------------------------------------------------------------------------------

const existing = await withClient(adminUrl, async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB_NAME])).rowCount);
const seededRuns = existing && opts.reuse ? await withClient(benchUrl, async (c) => Number((await c.query(`SELECT count(*) AS n FROM "Run"`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n)) : 0;
const reuse = seededRuns === RUNS;
if (!reuse) {
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DB_NAME}`);
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-bench-'));
const app = await startApp(loadConfig({ TAGFUSION_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: benchUrl, TAGFUSION_AUTH: 'open' /* a loopback benchmark */ }), { workJobs: false });
let seedSeconds: number | null = null;
if (!reuse) {
  console.log(`seeding ${RUNS.toLocaleString('en')} runs into ${DB_NAME}`);
  const t0 = performance.now();
  await withClient(benchUrl, seed);
  seedSeconds = (performance.now() - t0) / 1000;
} else console.log(`reusing ${DB_NAME} (${RUNS.toLocaleString('en')} runs)`);

const http = await startHttpServer(app, 0, '127.0.0.1');
// This machine is shared: the 1-minute load average before and after says how quiet it was.
const loadBefore = loadavg()[0];
const sampleIds = await withClient(benchUrl, async (c) => (await c.query<{ id: string }>(`SELECT "id" FROM "Run" ORDER BY md5("id") LIMIT 1000`)).rows.map((r) => r.id));
const rows: { query: string; targetP95Ms: number | null; p50Ms: number; p95Ms: number; maxMs: number; iterations: number }[] = [];
for (const c of cases(sampleIds)) {
  for (let i = 0; i < 5; i++) await post(http.url, c.query, c.variables(i)); // warm-up
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await post(http.url, c.query, c.variables(i));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const row = { query: c.name, targetP95Ms: c.target ?? null, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), maxMs: times.at(-1)!, iterations: ITERATIONS };
  rows.push(row);
  console.log(`${row.query}: p50 ${row.p50Ms.toFixed(1)} ms, p95 ${row.p95Ms.toFixed(1)} ms, max ${row.maxMs.toFixed(1)} ms${c.target ? ` (target p95 ≤ ${c.target})` : ''}`);
}

const loadAfter = loadavg()[0];
console.log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${availableParallelism()} cores`);
const sizes = await withClient(benchUrl, async (c) =>
  (await c.query<{ table: string; rows: string; size: string }>(
    `SELECT relname AS "table", reltuples::bigint::text AS rows, pg_size_pretty(pg_total_relation_size(oid)) AS size
     FROM pg_class WHERE relname IN ('Run', 'RunParam', 'EpochMetric', 'MetricSummary', 'ClassMetric') ORDER BY relname`,
  )).rows,
);
await http.close();
await app.close();
rmSync(dataDir, { recursive: true, force: true });
if (!opts.keep) await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`));

console.log('\n| query | p50 (ms) | p95 (ms) | max (ms) | target p95 |\n| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.query} | ${r.p50Ms.toFixed(1)} | ${r.p95Ms.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.targetP95Ms ? `≤ ${r.targetP95Ms}` : '–'} |`);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
const out = join(projectRoot, 'bench', 'results', 'query-scale.json');
const pgVersion = await withClient(adminUrl, async (c) => (await c.query<{ v: string }>('SHOW server_version')).rows[0].v);
writeFileSync(
  out,
  JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), postgres: pgVersion, loadAverage: { before: loadBefore, after: loadAfter }, runs: RUNS, epochs: EPOCHS, classes: CLASSES, seedSeconds, sizes, rows }, null, 2),
);
console.log(`\nwrote ${out}`);
process.exit(0);
