import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import type { Stacker } from '../../src/ml/stacker.js';
import { DB_KINDS } from '../support/databases.js';
import { importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { colourModelDir, multimodalDataset, register, train } from '../prediction/fixtures.js';

const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`;
const PREDICT = `query($model: String!, $inputs: [PredictionInput!]!) { predict(model: $model, inputs: $inputs) {
  predictions { probabilities { classId probability } } } }`;

const logit = (p: number) => Math.log(p / (1 - p));

describe.each(DB_KINDS)('stack and seed-ensemble fusions of finished runs on %s', (kind) => {
  let server: TestServer;
  let datasetId: string;
  let imagesDir: string;
  const runs: Record<string, { id: string; summary: any }> = {};
  const onnx = { id: 'onnx', path: colourModelDir() };

  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_MODEL_ROOTS: tmpdir() } });
    const fx = await multimodalDataset(80);
    imagesDir = fx.imagesDir;
    datasetId = (await importThroughApi(server, { name: 'tagged', csvPath: fx.csvPath, imagesDir: fx.imagesDir, valFraction: 0.25 })).result.datasetId;
    const common = { datasetId, epochs: 6, learningRate: 0.05, batchSize: 16 };
    runs.text = await train(server, { ...common, head: 'TEXT', seed: 3 });
    runs.text4 = await train(server, { ...common, head: 'TEXT', seed: 4 });
    runs.vision = await train(server, { ...common, head: 'VISION', visionEncoder: onnx, seed: 3 });
    runs.fm1 = await train(server, { datasetId, head: 'FM1', componentRunIds: [runs.vision.id, runs.text.id] });
  }, 300_000);
  afterAll(async () => server?.close());

  const refusal = async (input: Record<string, unknown>) => (await server.gql(START, { input: { datasetId, ...input } })).errors?.[0].message;

  it('refuses fusions of runs that cannot be stacked or ensembled, naming why', async () => {
    expect(await refusal({ head: 'STACK' })).toMatch(/stack fuses finished runs: give their ids in componentRunIds/);
    expect(await refusal({ head: 'STACK', componentRunIds: [runs.text.id] })).toMatch(/stack fuses at least two runs; got 1/);
    expect(await refusal({ head: 'STACK', componentRunIds: [runs.text.id, runs.fm1.id] })).toMatch(new RegExp(`run ${runs.fm1.id} \\(fm1\\) is not a head on features`));
    expect(await refusal({ head: 'ENSEMBLE', componentRunIds: [runs.text.id, runs.vision.id] })).toMatch(new RegExp(`run ${runs.vision.id} differs from run ${runs.text.id} in more than its seed`));
    expect(await refusal({ head: 'ENSEMBLE', componentRunIds: [runs.text.id, runs.text.id] })).toMatch(/names a run more than once/);
  });

  it('stacks: a per-class stacker fitted on out-of-fold logits, recorded as a run whose artifact predicts with it', async () => {
    const stack = await train(server, { datasetId, head: 'STACK', componentRunIds: [runs.vision.id, runs.text.id], name: 'stack' });
    expect(stack.summary).toMatchObject({ bestEpoch: 1, epochsRun: 1, stackFolds: 5, components: [runs.vision.id, runs.text.id] });
    expect(stack.summary.val.microF1).toBeGreaterThan(0.5);
    const run = await server.app.db.prisma.run.findUniqueOrThrow({ where: { id: stack.id } });
    expect(run.backend).toBe('logits-stack');
    expect(await server.app.db.prisma.classMetric.count({ where: { runId: stack.id, split: 'val' } })).toBe(4);
    const doc = JSON.parse(readFileSync(join(artifactRoot(server.app.config), stack.id, 'model.json'), 'utf8')) as { head: string; stacker: Stacker };
    expect(doc.head).toBe('stack');
    expect(doc.stacker.weights).toHaveLength(4);
    for (const w of doc.stacker.weights) expect(w).toHaveLength(2);
    // learned, not the mean: some class leans on one branch more than the other
    expect(doc.stacker.weights.some(([v, t]) => Math.abs(v - t) > 0.05)).toBe(true);

    // Predicting with the registered stack gives the stacker's sum of its components' logits.
    const prisma = server.app.db.prisma;
    await register(prisma, 'stack', stack.id, 'champion');
    await register(prisma, 'vision', runs.vision.id, 'champion');
    await register(prisma, 'text', runs.text.id, 'champion');
    const input = { caption: 'A photo of a dog and a man near the park', image: { path: join(imagesDir, '3.jpg') } };
    const probs = async (model: string) => (await server.data(PREDICT, { model, inputs: [input] })).predict.predictions[0].probabilities.map((p: { probability: number }) => p.probability) as number[];
    const [stacked, vision, text] = [await probs('stack@champion'), await probs('vision@champion'), await probs('text@champion')];
    stacked.forEach((p, j) => {
      const z = doc.stacker.bias[j] + doc.stacker.weights[j][0] * logit(vision[j]) + doc.stacker.weights[j][1] * logit(text[j]);
      expect(logit(p)).toBeCloseTo(z, 3);
    });
  });

  it('ensembles runs of one configuration with different seeds: their logits averaged', async () => {
    const ensemble = await train(server, { datasetId, head: 'ENSEMBLE', componentRunIds: [runs.text.id, runs.text4.id] });
    const run = await server.app.db.prisma.run.findUniqueOrThrow({ where: { id: ensemble.id } });
    expect(run.backend).toBe('logits-average');
    expect(ensemble.summary).toMatchObject({ components: [runs.text.id, runs.text4.id] });
    const prisma = server.app.db.prisma;
    await register(prisma, 'ensemble', ensemble.id, 'champion');
    await register(prisma, 'text4', runs.text4.id, 'champion');
    await register(prisma, 'text3', runs.text.id, 'champion');
    const inputs = [{ caption: 'a man with a bike' }];
    const probs = async (model: string) => (await server.data(PREDICT, { model, inputs })).predict.predictions[0].probabilities.map((p: { probability: number }) => p.probability) as number[];
    const [mean, a, b] = [await probs('ensemble@champion'), await probs('text3@champion'), await probs('text4@champion')];
    mean.forEach((p, j) => expect(logit(p)).toBeCloseTo((logit(a[j]) + logit(b[j])) / 2, 3));
  });
});
