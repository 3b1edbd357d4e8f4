import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { ensureFeatureSet, loadDatasetForExtraction } from '../../src/features/extract.js';
import { featureStoreRoot } from '../../src/features/paths.js';
import { WorkerPool } from '../../src/jobs/pool.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { labelledDataset } from '../support/fixtures.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

// A 25-minute extraction must not look hung: progress moves per model batch, not per part of 256.
describe('image extraction progress', () => {
  let db: TestDatabase;
  let app: App;
  let pool: WorkerPool;
  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    app = await startApp(db.config, { workJobs: true });
    pool = new WorkerPool(1);
  });
  afterAll(async () => {
    await pool?.close();
    await app?.close();
    await db?.drop();
  });

  it('reports the images encoded within a part, in model batches, up to all of them', async () => {
    const fx = await labelledDataset(40);
    const job = await app.services.datasets.importDataset({ name: 'steps', csvPath: fx.csvPath, imagesDir: fx.imagesDir });
    const datasetId = ((await app.services.jobs.waitFor(job.id)).result as { datasetId: string }).datasetId;
    const dataset = await loadDatasetForExtraction(app.db.prisma, datasetId);
    const reports: { fraction: number; done: number; total: number; unit: string }[] = [];
    const ctx = { prisma: app.db.prisma, pool, storeRoot: featureStoreRoot(app.config), device: 'cpu' as const, onProgress: (fraction: number, s: { done: number; total: number; unit: string }) => reports.push({ fraction, ...s }) };
    await ensureFeatureSet(ctx, dataset, { id: 'centernet-coco', options: { inputSize: 128 } }, 'original');
    const done = reports.map((r) => r.done);
    expect(reports.every((r) => r.total === 40 && r.unit === 'images' && r.fraction === r.done / 40)).toBe(true);
    expect([...done].sort((a, b) => a - b)).toEqual(done); // never goes back
    expect(done[0]).toBe(0);
    expect(done.at(-1)).toBe(40);
    // centernet encodes 4 images a batch: each batch is a step of its own
    expect(done.filter((d) => d > 0 && d < 40)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 36]);
  });
});
