import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeatureSet, readMeta } from '../../src/features/store.js';
import { featureStoreRoot } from '../../src/features/paths.js';
import { colourEncoder, importDataset, modelsRoot, multimodalDataset, waitFor } from '../experiments/support.js';
import { DB_KINDS } from '../support/databases.js';
import { waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const EXTRACT = `mutation($input: ExtractFeaturesInput!) { extractFeatures(input: $input) { id } }`;
const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`;
const RUN = `query($id: ID!) { run(id: $id) { status error summary } }`;
const BAD = 6; // sample 6.jpg: CSV line 8 (the header is line 1)

/**
 * One image of an imported dataset is damaged after the import (a truncated JPEG: sharp cannot
 * decode it), so the onnx encoder throws on that sample only.
 */
describe.each(DB_KINDS)('an encoder that throws on one image (%s)', (kind) => {
  let server: TestServer;
  let datasetId: string;
  let encoderPath: string;
  let badPath: string;
  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_MODEL_ROOTS: modelsRoot() } });
    const fx = await multimodalDataset(20);
    datasetId = await importDataset(server, `enc-${kind}`, fx);
    const dataset = await server.app.db.prisma.dataset.findUniqueOrThrow({ where: { id: datasetId } });
    const sample = await server.app.db.prisma.sample.findFirstOrThrow({ where: { datasetId, imageId: `${BAD}.jpg` } });
    expect(sample.line).toBe(BAD + 2);
    badPath = join(dataset.imagesDir!, sample.imagePath!);
    writeFileSync(badPath, readFileSync(badPath).subarray(0, 40));
    encoderPath = colourEncoder();
  });
  afterAll(async () => server?.close());

  it('FAIL (the default): the extraction fails naming the sample, its line and the encoder error; nothing is recorded', async () => {
    const { extractFeatures } = await server.data(EXTRACT, { input: { datasetId, encoder: { id: 'onnx', path: encoderPath } } });
    const job = await waitForJob(server, extractFeatures.id);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(new RegExp(`Encoder onnx failed on sample ${BAD}\\.jpg \\(.*${BAD}\\.jpg, line ${BAD + 2}\\)`));
    expect(job.error).toMatch(/cannot read image/);
    expect(job.error).toMatch(/onEncoderError: SKIP/);
    expect(job.error, 'no server path in the error').not.toContain(dirname(badPath));
    expect(job.attempts).toBe(1); // a catalogue error: not retried
    expect(await server.app.db.prisma.featureSet.count({ where: { datasetId } })).toBe(0);
  });

  it('SKIP: zero features for the sample, listed in the job result, the meta and the feature set', async () => {
    const { extractFeatures } = await server.data(EXTRACT, { input: { datasetId, encoder: { id: 'onnx', path: encoderPath }, onEncoderError: 'SKIP' } });
    const job = await waitForJob(server, extractFeatures.id);
    expect(job.status, job.error).toBe('SUCCEEDED');
    const [set] = job.result.featureSets;
    expect(set.count).toBe(20);
    expect(set.skipped).toHaveLength(1);
    expect(set.skipped[0]).toMatchObject({ row: BAD, imageId: `${BAD}.jpg`, line: BAD + 2, item: `${BAD}.jpg` });
    expect(set.skipped[0].error).toMatch(/cannot read image/);
    const row = await server.app.db.prisma.featureSet.findFirstOrThrow({ where: { datasetId } });
    expect((row.encoder as any).skipped).toEqual([expect.objectContaining({ row: BAD, imageId: `${BAD}.jpg`, line: BAD + 2 })]);
    const dir = join(featureStoreRoot(server.app.config), row.path);
    expect((await readMeta(dir))?.skipped).toEqual([expect.objectContaining({ row: BAD, item: `${BAD}.jpg` })]);
    const features = await readFeatureSet(dir, row.count, row.dim);
    for (let i = 0; i < row.count; i++) {
      const v = features.subarray(i * row.dim, (i + 1) * row.dim);
      if (i === BAD) expect([...v].every((x) => x === 0)).toBe(true);
      else expect(v.some((x) => x !== 0), `sample ${i}`).toBe(true);
    }
  });

  it('training with SKIP leaves the sample out and reports it; with FAIL (cached features) the run fails naming it', async () => {
    const base = { datasetId, head: 'VISION', visionEncoder: { id: 'onnx', path: encoderPath }, epochs: 2, batchSize: 4 };
    const skipped = (await server.data(START, { input: { ...base, onEncoderError: 'SKIP' } })).startTraining.id;
    const ok = await waitFor(async () => {
      const { run } = await server.data(RUN, { id: skipped });
      return ['SUCCEEDED', 'FAILED'].includes(run.status) && run;
    }, 120_000);
    expect(ok.status, ok.error).toBe('SUCCEEDED');
    expect(ok.summary.skippedSamples).toEqual([expect.objectContaining({ datasetId, row: BAD, imageId: `${BAD}.jpg`, line: BAD + 2, encoder: 'onnx', variant: 'original' })]);
    const okJob = await server.app.db.prisma.job.findFirstOrThrow({ where: { runId: skipped } });
    expect((okJob.result as any).skippedSamples).toHaveLength(1);
    const samples = await server.app.db.prisma.sample.findMany({ where: { datasetId }, orderBy: { id: 'asc' } });
    expect(ok.summary.trainSamples).toBe(samples.filter((s, i) => s.split === 'TRAIN' && i !== BAD).length);

    const failed = (await server.data(START, { input: base })).startTraining.id;
    const bad = await waitFor(async () => {
      const { run } = await server.data(RUN, { id: failed });
      return ['SUCCEEDED', 'FAILED'].includes(run.status) && run;
    }, 120_000);
    expect(bad.status).toBe('FAILED');
    expect(bad.error).toMatch(new RegExp(`failed on sample ${BAD}\\.jpg .*line ${BAD + 2}`));
    expect(await server.app.db.prisma.job.findFirstOrThrow({ where: { runId: failed } })).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(await server.app.db.prisma.artifact.count({ where: { runId: failed } })).toBe(0);
  });
});
