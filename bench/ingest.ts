/**
 * Ingest benchmark on the shared COMP5329 sample: CSV parsing (records/s), image verification
 * in the worker pool (images/s: read, sha256, full decode), and the end-to-end import job
 * (records/s, including the database write), on the embedded database and, when
 * BENCH_DATABASE_URL is set, on PostgreSQL. Prints a table and writes bench/results/ingest.json.
 *
 *   npm run bench:ingest [-- --data ../shared/datasets/comp5329-sample]
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { parseCaptionCsv } from '../src/datasets/csv.js';
import { WorkerPool } from '../src/jobs/pool.js';
import { projectRoot } from '../src/paths.js';
import type { ImageCheckResult } from '../src/workers/image-check.js';

const { values } = parseArgs({ options: { data: { type: 'string', default: join(projectRoot, '..', 'shared', 'datasets', 'comp5329-sample') } } });
const data = resolve(values.data!);
const rows: Record<string, string | number>[] = [];
const table = (r: Record<string, string | number>) => {
  rows.push(r);
  console.log(Object.entries(r).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(1) : v}`).join('  '));
};

// 1. Parsing alone.
for (const file of ['train.csv', 'captions.csv']) {
  const text = readFileSync(join(data, file), 'utf8');
  const t0 = performance.now();
  const parsed = parseCaptionCsv(text);
  const s = (performance.now() - t0) / 1000;
  table({ stage: 'parse', file, records: parsed.records.length, rejected: parsed.problems.length, seconds: s, perSecond: parsed.records.length / s });
}

// 2. Image verification in the pool, by thread count.
const images = readdirSync(join(data, 'images')).map((f) => ({ imageId: f, path: join(data, 'images', f) }));
for (const threads of [...new Set([1, Math.max(1, availableParallelism() - 1), availableParallelism()])]) {
  const pool = new WorkerPool(threads);
  const t0 = performance.now();
  const chunks = [];
  for (let i = 0; i < images.length; i += 250) chunks.push(images.slice(i, i + 250));
  const results = (await Promise.all(chunks.map((c) => pool.run<unknown, ImageCheckResult[]>('imageCheck', { images: c })))).flat();
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  table({ stage: 'verify images', threads, images: results.length, failed: results.filter((r) => r.error).length, seconds: s, perSecond: results.length / s });
}

// 3. The whole import job (parse, verify, split, write) per database.
const targets: [string, string | undefined][] = [['pglite', undefined]];
if (process.env.BENCH_DATABASE_URL) targets.push(['postgres', process.env.BENCH_DATABASE_URL]);
for (const [kind, url] of targets) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-bench-'));
  const app = await startApp(loadConfig({ TAGFUSION_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(url ? { DATABASE_URL: url } : {}) }), { workJobs: true });
  for (const [file, imagesDir] of [['train.csv', join(data, 'images')], ['captions.csv', undefined]] as const) {
    const name = `bench-${file.replace('.csv', '')}-${Date.now()}`;
    const t0 = performance.now();
    const job = await app.services.datasets.importDataset({ name, csvPath: join(data, file), imagesDir });
    const done = await app.services.jobs.waitFor(job.id);
    const s = (performance.now() - t0) / 1000;
    const result = done.result as { sampleCount: number; rejectedCount: number };
    table({ stage: 'import job', database: kind, file, samples: result.sampleCount, rejected: result.rejectedCount, seconds: s, perSecond: result.sampleCount / s });
  }
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
const out = join(projectRoot, 'bench', 'results', 'ingest.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), data, rows }, null, 2));
console.log(`\nwrote ${out}`);
process.exit(0);
