import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureStoreRoot, artifactRoot } from '../../src/features/paths.js';
import { initBackend } from '../../src/ml/backend.js';
import { readFeatureSet } from '../../src/features/store.js';
import { multiLabelMetrics } from '../../src/ml/metrics.js';
import { weightedBce } from '../../src/ml/predict.js';
import { loadArtifact } from '../../src/training/artifact.js';
import { loadModel } from '../../src/training/model.js';
import { captionDataset } from '../support/fixtures.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';


const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id status kind params { key value } } }`;
const RUN = `query($id: ID!) { run(id: $id) { status error backend summary
  epochMetrics(split: "val") { epoch name value }
  classMetrics(split: "val", epoch: 1) { classId f1 support }
  artifacts { name kind uri sizeBytes checksum } } }`;

describe('training through the API (embedded database)', () => {
  let server: TestServer;
  let datasetId: string;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    const fx = await captionDataset(240);
    datasetId = (await importThroughApi(server, { name: 'captions', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
  });
  afterAll(async () => server?.close());

  it('rejects bad training input with the field named, before queueing', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ datasetId, head: 'VISION' }, 'BAD_INPUT', /head vision needs images/],
      [{ datasetId: 'nope', head: 'TEXT' }, 'DATASET_NOT_FOUND', /nope/],
      [{ datasetId, head: 'TEXT', learningRate: -1 }, 'BAD_INPUT', /learningRate must be positive/],
      [{ datasetId, head: 'TEXT', textEncoder: { id: 'word2vec' } }, 'BAD_INPUT', /unknown text encoder "word2vec"; known: .*tfidf/],
    ];
    for (const [input, code, message] of cases) {
      const r = await server.gql(START, { input });
      expect(r.errors?.[0].extensions?.code, JSON.stringify(input)).toBe(code);
      expect(r.errors?.[0].message).toMatch(message);
    }
    expect((await server.data(`{ runs(filter: { kind: ["train"] }) { totalCount } }`)).runs.totalCount).toBe(0);
  });

  it('trains a text head, streams its epochs, records metrics and an artifact that reproduces them', async () => {
    const { startTraining } = await server.data(START, { input: { datasetId, head: 'TEXT', epochs: 5, learningRate: 0.05, batchSize: 32, thresholds: 'TUNED', seed: 3 } });
    expect(startTraining).toMatchObject({ status: 'QUEUED', kind: 'train' });
    expect(startTraining.params).toEqual(expect.arrayContaining([{ key: 'head', value: 'text' }, { key: 'textEncoder', value: 'tfidf' }, { key: 'learningRate', value: '0.05' }]));
    const sub = subscribe(server.http.url, `subscription($id: ID!) { runEvents(runId: $id) { type status epoch metrics { name split value } } }`, { id: startTraining.id });
    await sub.ready;
    await sub.until((events) => events.some((e) => e.runEvents.status === 'SUCCEEDED' || e.runEvents.status === 'FAILED'), 60_000);
    await sub.close();
    const epochs = sub.events.filter((e) => e.runEvents.type === 'EPOCH').map((e) => e.runEvents.epoch);
    expect(epochs).toEqual([1, 2, 3, 4, 5]); // numbered from 1, as the CLI's progress says

    const { run } = await server.data(RUN, { id: startTraining.id });
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.backend).toMatch(/^tfjs-/);
    const f1 = run.epochMetrics.filter((m: any) => m.name === 'microF1').map((m: any) => m.value);
    expect(f1).toHaveLength(5);
    expect(f1[4]).toBeGreaterThan(0.9); // the captions name their labels
    expect(run.classMetrics.map((c: any) => c.classId)).toEqual([1, 2, 3, 4]);
    expect(run.summary).toMatchObject({ parameters: expect.any(Number), artifactBytes: expect.any(Number), bestEpoch: expect.any(Number), val: { microF1: expect.any(Number) } });
    expect(run.artifacts).toEqual([expect.objectContaining({ name: 'model', kind: 'tagfusion-model', uri: `${startTraining.id}/model.json` })]);

    // The artifact alone (with the cached features) gives back the run's final validation metrics.
    const artifact = await loadArtifact(join(artifactRoot(server.app.config), run.artifacts[0].uri));
    const { featureSets } = (await server.data(`query($id: ID!) { dataset(id: $id) { featureSets { encoderId variant dim count } } }`, { id: datasetId })).dataset;
    expect(featureSets).toEqual([expect.objectContaining({ encoderId: 'tfidf', variant: 'original', count: 240 })]);
    await initBackend('auto');
    const samples = await server.app.db.prisma.sample.findMany({ where: { datasetId }, orderBy: { id: 'asc' } });
    const dim = artifact.model.shape.textDim;
    const info = artifact.encoders.text!.info;
    const store = join(featureStoreRoot(server.app.config), 'tfidf', info.version);
    const all = await readFeatureSet(join(store, (await server.app.db.prisma.dataset.findUniqueOrThrow({ where: { id: datasetId } })).checksum, 'original'), samples.length, dim);
    const valRows = samples.flatMap((s, i) => (s.split === 'VAL' ? [i] : []));
    const valText = new Float32Array(valRows.length * dim);
    valRows.forEach((r, i) => valText.set(all.subarray(r * dim, (r + 1) * dim), i * dim));
    const model = loadModel(artifact);
    const logits = model.logits({ text: valText }, valRows.length);
    const c = artifact.classIds.length;
    const truth = new Uint8Array(valRows.length * c);
    valRows.forEach((r, i) => samples[r].labels.forEach((l) => (truth[i * c + artifact.classIds.indexOf(l)] = 1)));
    const { loss, probs } = weightedBce(logits, truth, valRows.length, c, artifact.model.classWeights);
    const metrics = multiLabelMetrics(model.labels(probs, valRows.length), truth, valRows.length, c);
    // The same artifact loaded again while the first is alive (two callers in one thread).
    const twin = loadModel(artifact);
    expect(twin.logits({ text: valText }, valRows.length)).toEqual(logits);
    twin.dispose();
    model.dispose();
    expect(metrics.microF1).toBe(run.summary.val.microF1);
    expect(metrics.macroF1).toBe(run.summary.val.macroF1);
    expect(loss).toBeCloseTo(run.summary.val.loss, 10);
  });

  it('reuses cached features: a second run extracts nothing', async () => {
    const before = await server.app.db.prisma.featureSet.findMany({ where: { datasetId } });
    const { startTraining } = await server.data(START, { input: { datasetId, head: 'TEXT', epochs: 1 } });
    const { jobs } = await server.data(`{ jobs(kind: ["train"], first: 1) { id } }`);
    const job = await waitForJob(server, jobs[0].id);
    expect(job.status).toBe('SUCCEEDED');
    const sets = await server.app.db.prisma.featureSet.findMany({ where: { datasetId } });
    expect(sets).toEqual(before); // same set, same extraction time: nothing was recomputed
    expect((await server.data(RUN, { id: startTraining.id })).run.status).toBe('SUCCEEDED');
  });

  it('fine-tunes BERT end to end (text-finetune) and saves it with its classifier', async () => {
    const { startTraining } = await server.data(START, { input: { datasetId, head: 'TEXT_FINETUNE', epochs: 2, learningRate: 0.003, batchSize: 32, maxLength: 24 } });
    const { jobs } = await server.data(`{ jobs(kind: ["train"], first: 1) { id } }`);
    expect((await waitForJob(server, jobs[0].id, 120_000)).status).toBe('SUCCEEDED');
    const { run } = await server.data(RUN, { id: startTraining.id });
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.epochMetrics.filter((m: any) => m.name === 'microF1')).toHaveLength(2);
    expect(run.summary).toMatchObject({ encoders: { text: { id: 'bert', source: 'random:42' } }, parameters: expect.any(Number) });
    expect(run.summary.val.microF1).toBeGreaterThan(0.3);
    const dir = join(artifactRoot(server.app.config), startTraining.id, 'bert');
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it('passes encoder options through: tfidf maxTerms sets the feature size; bad options are refused by name', async () => {
    const { startTraining } = await server.data(START, { input: { datasetId, head: 'TEXT', epochs: 1, textEncoder: { id: 'tfidf', options: { maxTerms: 12 } } } });
    const { jobs } = await server.data(`{ jobs(kind: ["train"], first: 1) { id } }`);
    expect((await waitForJob(server, jobs[0].id)).status).toBe('SUCCEEDED');
    const { run } = await server.data(RUN, { id: startTraining.id });
    const sets = await server.app.db.prisma.featureSet.findMany({ where: { datasetId, encoderId: 'tfidf' } });
    expect(sets.map((f) => f.dim)).toContain(12);
    expect(run.summary.encoders.text.version).toBe(sets.find((f) => f.dim === 12)!.encoderVersion);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id: 'tfidf', options: { maxTerms: 5 } }, /encoder "tfidf" options\.maxTerms: .*10/],
      [{ id: 'tfidf', options: { colour: 'red' } }, /encoder "tfidf" options: Unrecognized key.*colour/],
      [{ id: 'glove-100d', options: { maxTerms: 50 } }, /encoder "glove-100d" options: Unrecognized key/],
    ];
    for (const [textEncoder, message] of cases) {
      const r = await server.gql(START, { input: { datasetId, head: 'TEXT', textEncoder } });
      expect(r.errors?.[0].extensions?.code, JSON.stringify(textEncoder)).toBe('BAD_INPUT');
      expect(r.errors?.[0].message).toMatch(message);
    }
    const extract = await server.gql(`mutation($input: ExtractFeaturesInput!) { extractFeatures(input: $input) { id } }`, { input: { datasetId, encoder: { id: 'centernet-coco', options: { inputSize: 300 } } } });
    expect(extract.errors?.[0].message).toMatch(/options\.inputSize: inputSize must be a multiple of 32/);
  });

  it('refuses to fuse runs that do not make up the fusion', async () => {
    const { runs } = await server.data(`{ runs(filter: { kind: ["train"], status: [SUCCEEDED] }, first: 1) { nodes { id } } }`);
    const r = await server.gql(START, { input: { datasetId, head: 'FM1', componentRunIds: [runs.nodes[0].id] } });
    expect(r.errors?.[0].message).toMatch(/fm1 fuses one run of each of vision, text; got text/);
    const wrongHead = await server.gql(START, { input: { datasetId, head: 'TEXT', componentRunIds: [runs.nodes[0].id] } });
    expect(wrongHead.errors?.[0].message).toMatch(/componentRunIds applies to fm1, fm2, fm3, stack and ensemble, not text/);
  });
});
