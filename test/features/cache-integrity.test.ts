import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFeatureSet, loadDatasetForExtraction } from '../../src/features/extract.js';
import { featureStoreRoot } from '../../src/features/paths.js';
import { PART_SIZE, readFeatureSet } from '../../src/features/store.js';
import { WorkerPool } from '../../src/jobs/pool.js';
import { DB_KINDS } from '../support/databases.js';
import { captionDataset } from '../support/fixtures.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const EXTRACT = `mutation($input: ExtractFeaturesInput!) { extractFeatures(input: $input) { id } }`;
const N = PART_SIZE * 2 + 40; // three parts

describe.each(DB_KINDS)('feature cache integrity (%s)', (kind) => {
  let server: TestServer;
  let datasetId: string;
  let dir: string;
  let original: Float32Array;
  let dim: number;
  const part = (i: number) => join(dir, `part-0000${i}.f32`);

  const extract = async (input: Record<string, unknown> = {}) => {
    const { extractFeatures } = await server.data(EXTRACT, { input: { datasetId, encoder: { id: 'tfidf' }, ...input } });
    return waitForJob(server, extractFeatures.id);
  };

  beforeAll(async () => {
    server = await startTestServer(kind);
    const fx = await captionDataset(N);
    datasetId = (await importThroughApi(server, { name: 'integrity', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
    const job = await extract();
    expect(job.status, job.error).toBe('SUCCEEDED');
    const set = await server.app.db.prisma.featureSet.findFirstOrThrow({ where: { datasetId, encoderId: 'tfidf', variant: 'original' } });
    dir = join(featureStoreRoot(server.app.config), set.path);
    dim = set.dim;
    original = await readFeatureSet(dir, N, dim);
  });
  afterAll(async () => server?.close());

  it('extracts a truncated part again, so the next training run succeeds', async () => {
    const intact = readFileSync(part(1));
    truncateSync(part(1), intact.byteLength >> 1); // as a full disk or a crash of the copy would leave it
    const { startTraining } = await server.data(`mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`, {
      input: { datasetId, head: 'TEXT', epochs: 2, learningRate: 0.05 },
    });
    let run: { status: string; error: string | null };
    for (;;) {
      run = (await server.data(`query($id: ID!) { run(id: $id) { status error } }`, { id: startTraining.id })).run;
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(run.status, run.error ?? '').toBe('SUCCEEDED');
    expect(readFileSync(part(1))).toEqual(intact);
  });

  it('refuses a part whose values no longer match its checksum, naming the set and never the folder, and extracts it again', async () => {
    const bytes = readFileSync(part(0));
    bytes[bytes.byteLength - 3] ^= 0xff; // same size, one value changed
    writeFileSync(part(0), bytes);
    const failure = await readFeatureSet(dir, N, dim).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure?.message).toMatch(/part 0 of the tfidf features \(encoder version \w+, variant original\) of dataset content \w+ is damaged: its values do not match its checksum/);
    expect(failure?.message).not.toContain(server.app.config.dataDir);
    const job = await extract();
    expect(job.status, job.error).toBe('SUCCEEDED');
    expect(job.result.featureSets[0].cached).toBe(false);
    expect(await readFeatureSet(dir, N, dim)).toEqual(original);
  });

  it('says which dataset and encoder an extraction that cannot write failed on, without the server’s paths', async () => {
    const pool = new WorkerPool(1);
    try {
      const blocked = join(dirname(dir), 'syn1');
      rmSync(blocked, { recursive: true, force: true });
      mkdirSync(dirname(blocked), { recursive: true });
      writeFileSync(blocked, 'not a folder'); // the set's folder cannot be made
      const dataset = await loadDatasetForExtraction(server.app.db.prisma, datasetId);
      const ctx = { prisma: server.app.db.prisma, pool, storeRoot: featureStoreRoot(server.app.config), device: 'auto' as const };
      const failure = await ensureFeatureSet(ctx, dataset, { id: 'tfidf' }, 'syn1').then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure?.message).toMatch(new RegExp(`extracting the tfidf features \\(syn1\\) of dataset ${datasetId} failed: writing part \\d of the tfidf features .* failed \\(E[A-Z]+\\)`));
      expect(failure?.message).not.toContain(server.app.config.dataDir);
      expect(failure?.message).not.toContain(tmpdir());
      rmSync(blocked);
    } finally {
      await pool.close();
    }
  });
});
