import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFeatureSet, loadDatasetForExtraction } from '../../src/features/extract.js';
import { featureStoreRoot } from '../../src/features/paths.js';
import { PART_SIZE, readFeatureSet } from '../../src/features/store.js';
import { WorkerPool } from '../../src/jobs/pool.js';
import { writeDataset } from '../support/fixtures.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('feature cache', () => {
  let server: TestServer;
  let datasetId: string;
  let pool: WorkerPool;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    pool = new WorkerPool(2);
    const rows = ['ImageID,Labels,Caption', ...Array.from({ length: PART_SIZE * 2 + 10 }, (_, i) => `${i}.jpg,${(i % 3) + 1},"a ${['dog', 'cat', 'bus'][i % 3]} number ${i % 7}"`)];
    const fx = await writeDataset(rows.join('\n'));
    datasetId = (await importThroughApi(server, { name: 'cache', csvPath: fx.csvPath })).result.datasetId;
  });
  afterAll(async () => {
    await pool?.close();
    await server?.close();
  });

  it('extracts through the API and lists the set on the dataset', async () => {
    const { extractFeatures } = await server.data(`mutation($input: ExtractFeaturesInput!) { extractFeatures(input: $input) { id } }`, {
      input: { datasetId, encoder: { id: 'tfidf' }, synonymRounds: 1 },
    });
    const job = await waitForJob(server, extractFeatures.id);
    expect(job.status, job.error).toBe('SUCCEEDED');
    // The jobs view names what an extraction works on: its dataset (from the payload) and encoder.
    const { job: subject } = await server.data(`query($id: ID!) { job(id: $id) { dataset { id name version } payload } }`, { id: extractFeatures.id });
    expect(subject.dataset).toEqual({ id: datasetId, name: 'cache', version: 1 });
    expect(subject.payload.encoder.id).toBe('tfidf');
    const { dataset } = await server.data(`query($id: ID!) { dataset(id: $id) { featureSets { encoderId variant count dim } } }`, { id: datasetId });
    expect(dataset.featureSets.map((s: any) => [s.encoderId, s.variant, s.count])).toEqual([
      ['tfidf', 'original', PART_SIZE * 2 + 10],
      ['tfidf', 'syn1', PART_SIZE * 2 + 10],
    ]);
    const bad = await server.gql(`mutation { extractFeatures(input: { datasetId: "${datasetId}", encoder: { id: "centernet-coco" } }) { id } }`);
    expect(bad.errors?.[0].message).toMatch(/text only; centernet-coco encodes images/);
  });

  it('resumes: only missing parts are computed again, and the result is the same', async () => {
    const dataset = await loadDatasetForExtraction(server.app.db.prisma, datasetId);
    const ctx = { prisma: server.app.db.prisma, pool, storeRoot: featureStoreRoot(server.app.config), device: 'auto' as const };
    const first = await ensureFeatureSet(ctx, dataset, { id: 'tfidf' }, 'original');
    expect(first.cached).toBe(true); // extracted by the previous test
    const before = await readFeatureSet(first.dir, first.count, first.dim);
    const parts = readdirSync(first.dir).filter((f) => f.endsWith('.f32')).sort();
    expect(parts).toHaveLength(3);
    const mtimes = parts.map((p) => statSync(join(first.dir, p)).mtimeMs);
    rmSync(join(first.dir, parts[1])); // as if interrupted before this part was written
    const progress: { fraction: number; done: number; total: number; unit: string }[] = [];
    const again = await ensureFeatureSet({ ...ctx, onProgress: (fraction, s) => progress.push({ fraction, ...s }) }, dataset, { id: 'tfidf' }, 'original');
    expect(again.cached).toBe(false);
    // two of three parts (256 + 10 samples) were already there; progress counts samples
    expect(progress[0]).toEqual({ fraction: (PART_SIZE + 10) / (PART_SIZE * 2 + 10), done: PART_SIZE + 10, total: PART_SIZE * 2 + 10, unit: 'captions' });
    expect(progress.at(-1)).toMatchObject({ fraction: 1, done: PART_SIZE * 2 + 10 });
    expect(statSync(join(first.dir, parts[0])).mtimeMs).toBe(mtimes[0]);
    expect(statSync(join(first.dir, parts[2])).mtimeMs).toBe(mtimes[2]);
    expect(await readFeatureSet(again.dir, again.count, again.dim)).toEqual(before);
  });
});
