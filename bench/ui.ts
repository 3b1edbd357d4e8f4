/**
 * Dashboards time to first render with 10,000 runs in PostgreSQL: the runs table (first rows
 * on screen) and a 20-run comparison (heatmap cells and curves drawn), in headless Chromium.
 * Creates the database `tagfusion_bench_ui` (dropped at the end unless --keep), migrates it
 * with the app, seeds it with set-based SQL (20 epochs × 6 metrics and 18 classes of val
 * metrics per run), serves the built dashboards and API in-process, and prints the median and
 * max over the iterations (each in a fresh browser context: no cache), writing
 * bench/results/ui.json. Target: ≤ 1.5 s each.
 *
 *   npm run build && npm run build --prefix dashboards
 *   BENCH_DATABASE_URL=postgresql://user:pass@host:5432/db npx tsx bench/ui.ts [--runs 10000 --iterations 5 --keep --reuse]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { startHttpServer } from '../src/server/http.js';
import { benchAdminUrl, benchDatabaseUrl, timed, withClient } from './support/postgres.js';

// playwright-core belongs to the dashboards package, not to the server's dependencies.
const { chromium } = createRequire(join(projectRoot, 'dashboards', 'package.json'))('playwright-core') as typeof import('playwright-core');

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const ITERATIONS = Number(opts.iterations);
const EPOCHS = 20;
const CLASSES = 18;
const TARGET_MS = 1500;
const DB_NAME = 'tagfusion_bench_ui';
const adminUrl = benchAdminUrl;
const benchUrl = benchDatabaseUrl(DB_NAME);


const SKILL = `((r.seed::bigint * 2654435761) % 1000)::float8 / 1000`;
const VAL_F1 = `((0.55 + 0.3 * ${SKILL}) * (1 - exp(-(e + 1) / 4.0::float8)))`;

async function seed(c: pg.Client) {
  await c.query(`SET synchronous_commit = off; SELECT setseed(0.42)`);
  await timed('datasets, runs, params', async () => {
    await c.query(`INSERT INTO "Dataset" ("id", "name", "version", "checksum", "labelled", "hasImages", "csvPath", "sampleCount", "splitSeed", "valFraction")
      VALUES ('bench-ds', 'bench', 1, md5('bench'), true, true, 'train.csv', 5000, 1, 0.1)`);
    await c.query(`INSERT INTO "Run" ("id", "name", "kind", "status", "datasetId", "seed", "backend", "createdAt", "startedAt", "finishedAt")
      SELECT gen_random_uuid()::text, 'run-' || lpad(i::text, 5, '0'), 'train', 'SUCCEEDED', 'bench-ds', i, 'bench', ts, ts, ts + interval '3 minutes'
      FROM generate_series(1, ${RUNS}) i, LATERAL (SELECT now() - (${RUNS} - i) * interval '5 minutes' AS ts) t`);
    await c.query(`INSERT INTO "RunParam" ("runId", "key", "valueText", "valueNum") SELECT r."id", p.* FROM "Run" r, LATERAL (VALUES
      ('learningRate', ((ARRAY[0.0001, 0.0003, 0.001, 0.003])[1 + r.seed % 4])::text, (ARRAY[0.0001, 0.0003, 0.001, 0.003])[1 + r.seed % 4]::float8),
      ('batchSize', ((ARRAY[16, 32, 64])[1 + r.seed / 4 % 3])::text, (ARRAY[16, 32, 64])[1 + r.seed / 4 % 3]::float8),
      ('head', (ARRAY['vision', 'text', 'fcnn', 'fm2'])[1 + r.seed / 12 % 4], NULL::float8),
      ('epochs', '${EPOCHS}', ${EPOCHS}::float8)) p`);
    await c.query(`UPDATE "Run" r SET "config" = (SELECT jsonb_object_agg(p."key", coalesce(to_jsonb(p."valueNum"), to_jsonb(p."valueText"))) FROM "RunParam" p WHERE p."runId" = r."id")`);
  });
  await timed('epoch metrics', () =>
    c.query(`INSERT INTO "EpochMetric" ("runId", "epoch", "split", "name", "value", "timestamp")
      SELECT r."id", e, m.split, m.name, m.value, 1796000000000 + e * 60000 FROM "Run" r CROSS JOIN generate_series(0, ${EPOCHS - 1}) e
      CROSS JOIN LATERAL (SELECT ${VAL_F1} + (random() - 0.5) * 0.01 AS f1) v
      CROSS JOIN LATERAL (VALUES ('val', 'loss', 0.3 - 0.2 * v.f1), ('val', 'microF1', v.f1), ('val', 'macroF1', v.f1 - 0.12),
        ('train', 'loss', 0.28 - 0.2 * v.f1), ('train', 'microF1', least(0.99, v.f1 + 0.05)), ('train', 'macroF1', v.f1 - 0.08)) m(split, name, value)`),
  );
  await timed('class metrics', () =>
    c.query(`INSERT INTO "ClassMetric" ("runId", "split", "epoch", "classId", "precision", "recall", "f1", "accuracy", "support")
      SELECT r."id", 'val', e, k, least(1, f.f1 + 0.02), greatest(0, f.f1 - 0.02), f.f1, 0.9 + f.f1 / 10, 50 + (k * 37) % 400
      FROM "Run" r CROSS JOIN generate_series(0, ${EPOCHS - 1}) e CROSS JOIN generate_series(1, ${CLASSES}) k
      CROSS JOIN LATERAL (SELECT greatest(0, least(1, ${VAL_F1} + 0.25 - 0.03 * k + (random() - 0.5) * 0.04)) AS f1) f`),
  );
  await timed('metric summaries', () =>
    c.query(`INSERT INTO "MetricSummary" ("runId", "name", "split", "lastValue", "lastEpoch", "minValue", "minEpoch", "maxValue", "maxEpoch")
      SELECT "runId", "name", "split", (array_agg("value" ORDER BY "epoch" DESC))[1], max("epoch"),
             min("value"), (array_agg("epoch" ORDER BY "value", "epoch"))[1], max("value"), (array_agg("epoch" ORDER BY "value" DESC, "epoch"))[1]
      FROM "EpochMetric" GROUP BY "runId", "name", "split"`),
  );
  await timed('vacuum analyze', () => c.query('VACUUM ANALYZE'));
}

const reuse = opts.reuse && (await withClient(adminUrl, async (c) => (await c.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [DB_NAME])).rowCount === 1));
if (!reuse) {
  await withClient(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DB_NAME}`);
  });
}
const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-bench-ui-'));
const app = await startApp(loadConfig({ TAGFUSION_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: benchUrl, TAGFUSION_AUTH: 'open' /* a loopback benchmark */ }), { workJobs: false });
if (!reuse) {
  console.log(`seeding ${RUNS.toLocaleString('en')} runs`);
  await withClient(benchUrl, seed);
}
const http = await startHttpServer(app, 0, '127.0.0.1');
const origin = http.url.replace(/\/graphql$/, '');
const ids = await withClient(benchUrl, async (c) => (await c.query<{ id: string }>(`SELECT "id" FROM "Run" ORDER BY "seed" DESC LIMIT 20`)).rows.map((r) => r.id));

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });

/** Milliseconds from navigation to `ready` resolving, in a fresh context (cold cache). */
async function measure(hash: string, ready: (page: import('playwright-core').Page) => Promise<unknown>): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const t0 = performance.now();
  await page.goto(`${origin}/${hash}`, { waitUntil: 'commit' });
  await ready(page);
  const ms = performance.now() - t0;
  await context.close();
  return ms;
}

const cases = [
  {
    name: `runs table (${RUNS.toLocaleString('en')} runs, first rows on screen)`,
    hash: '#/runs',
    ready: (p: import('playwright-core').Page) => p.locator('[data-testid=run-row]').first().waitFor({ timeout: 30_000 }),
  },
  {
    name: 'compare 20 runs (heatmap and curves drawn)',
    hash: `#/compare?ids=${ids.join(',')}`,
    ready: async (p: import('playwright-core').Page) => {
      await p.locator('[data-testid=heatmap] td.cell').nth(20 * CLASSES - 1).waitFor({ timeout: 30_000 });
      await p.locator('[data-testid=compare-chart] canvas').first().waitFor({ timeout: 30_000 });
    },
  },
];

await measure('#/runs', cases[0].ready); // warm the server (query plans, connection pool), not the browser
const results = [];
for (const c of cases) {
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) times.push(await measure(c.hash, c.ready));
  const sorted = [...times].sort((a, b) => a - b);
  results.push({ name: c.name, medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]), maxMs: Math.round(sorted[sorted.length - 1]), samplesMs: times.map(Math.round), targetMs: TARGET_MS, pass: sorted[sorted.length - 1] <= TARGET_MS });
}
await browser.close();
await http.close();
await app.close();
rmSync(dataDir, { recursive: true, force: true });
if (!opts.keep) await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`));

console.log('\n| view | median | max | target |\n|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.medianMs} ms | ${r.maxMs} ms | ≤ ${TARGET_MS} ms ${r.pass ? '✓' : '✗'} |`);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(projectRoot, 'bench', 'results', 'ui.json'),
  JSON.stringify({ runs: RUNS, epochs: EPOCHS, classes: CLASSES, iterations: ITERATIONS, browser: 'chromium (headless, /usr/bin/chromium)', cpus: cpus().length, cpu: cpus()[0]?.model, at: new Date().toISOString(), results }, null, 2) + '\n',
);
