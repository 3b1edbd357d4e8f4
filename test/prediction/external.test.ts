import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bagCard, bagFiles, cnnCard, cnnMlmodel, fixture, forgeVersion, imageDataset, linearCard, meansEncoderDir, onnxFile, png, registerFolder } from './external-fixtures.js';
import { parseSubmission, train } from './fixtures.js';

const PREDICT = `query($model: String!, $inputs: [PredictionInput!]!) { predict(model: $model, inputs: $inputs) {
  model { reference name version alias head }
  predictions { labels probabilities { classId probability threshold } } } }`;
const PREDICT_DATASET = `mutation($model: String!, $datasetId: ID!) { predictDataset(model: $model, datasetId: $datasetId) { id classIds job { id } } }`;
const SET = `query($id: ID!) { predictionSet(id: $id) { count submissionUrl predictions(first: 100) { imageId labels probabilities } } }`;

type Model = Pick<typeof fixture.linear, 'labels' | 'expected'>;

/** Each prediction equals PyTorch's for the same image: probabilities to 1e-4, in the card's label order, and the card's label policy. */
function expectPyTorch(model: Model, got: { labels: number[]; probabilities: number[] }[]): void {
  expect(got).toHaveLength(model.expected.length);
  got.forEach((p, i) => {
    const want = model.expected[i];
    p.probabilities.forEach((q, j) => expect(Math.abs(q - want.probabilities[j]), `image ${i} label ${model.labels[j]}`).toBeLessThan(1e-4));
    expect(p.labels).toEqual(want.labels);
  });
}

describe.each(DB_KINDS)('external ONNX versions on %s', (kind) => {
  let server: TestServer;
  let fx: Awaited<ReturnType<typeof imageDataset>>;
  let datasetId: string;
  let encoderRunId: string;
  const paths = () => fixture.images.map((im) => join(fx.imagesDir, im.id));

  beforeAll(async () => {
    server = await startTestServer(kind);
    fx = await imageDataset();
    datasetId = (await importThroughApi(server, { name: 'fixture-images', csvPath: fx.csvPath, imagesDir: fx.imagesDir, valFraction: 0.25 })).result.datasetId;
    // A tagfusion run whose encoder made the features the linear model was trained on.
    encoderRunId = (await train(server, { datasetId, head: 'VISION', epochs: 1, batchSize: 8, seed: 1, visionEncoder: { id: 'onnx', path: meansEncoderDir(server) } })).id;
    // Through the registry, as an MLflow script registers them; the CNN's card sits in an MLmodel.
    // MLflow's spelling of the encoder run's id (32 hex digits), which the registry records as the UUID.
    await registerFolder(server, 'linear', { 'model.onnx': onnxFile('linear.onnx'), 'model-card.json': linearCard(encoderRunId.replace(/-/g, '')) }, 'champion');
    await registerFolder(server, 'cnn', { 'model.onnx': onnxFile('cnn.onnx'), MLmodel: cnnMlmodel() }, 'champion');
    // A text model takes attention_mask from the tokenizer too, which its card need not list.
    await registerFolder(server, 'bag', { ...bagFiles(), 'model-card.json': bagCard() }, 'champion');
  }, 180_000);
  afterAll(async () => server?.close());

  it('refuses versions it cannot serve with MODEL_UNAVAILABLE and the reason, naming no server path', async () => {
    const cnn = { 'model.onnx': onnxFile('cnn.onnx') };
    const linear = { 'model.onnx': onnxFile('linear.onnx') };
    const feats = { ...linearCard(encoderRunId), inputs: [{ name: 'feats', kind: 'features', encoder: 'onnx', encoderRunId }] };
    const glove = { ...linearCard(encoderRunId), inputs: [{ name: 'features', kind: 'features', encoder: 'glove-100d' }] };
    const wrongSize = { ...cnnCard(), inputs: [{ ...cnnCard().inputs[0], size: [64, 64] }] };
    const wrongLabels = { ...cnnCard(), output: { name: 'logits', kind: 'logits', labels: [1, 2] } };
    const unfitted = { ...linearCard(encoderRunId), inputs: [{ name: 'features', kind: 'features', encoder: 'tfidf' }] };
    // Registered through the registry: it records why it cannot serve them, or (glove-100d) cannot know the encoder's width.
    await registerFolder(server, 'no-card', cnn);
    await registerFolder(server, 'misnamed', { ...linear, 'model-card.json': feats });
    await registerFolder(server, 'glove', { ...linear, 'model-card.json': glove });
    // Recorded cards that disagree with their files, which the registry would have refused: serving checks again.
    await forgeVersion(server, 'forged-name', linear, feats);
    await forgeVersion(server, 'forged-size', cnn, wrongSize);
    await forgeVersion(server, 'forged-labels', cnn, wrongLabels);
    await forgeVersion(server, 'forged-unfitted', linear, unfitted);
    await forgeVersion(server, 'forged-bytes', { 'model.onnx': Buffer.from('PK not a graph') }, cnnCard());
    await forgeVersion(server, 'unreadable', cnn, cnnCard(), { inputs: 'image' });
    const cases: [string, RegExp][] = [
      ['no-card', /^Model no-card\/1 cannot be loaded: no model-card\.json and no MLmodel with an onnx flavour\.$/],
      ['misnamed', /^Model misnamed\/1 cannot be loaded: inputs\[0\]\.name is not an input of the model\.$/],
      ['glove', /its input "features" takes 4 features, and encoder glove-100d gives 100/],
      ['forged-name', /its card names input "feats", and the ONNX model's inputs are "features"/],
      ['forged-size', /its input "image" is float32 \[batch, 3, 32, 32\], and its card makes float32 \[batch, 3, 64, 64\] \(NCHW\)/],
      ['forged-labels', /its output "logits" has shape \[batch, 3\], and its card lists 2 labels/],
      ['forged-unfitted', /its input "features": encoder tfidf is fitted or needs weights, so the card must name encoderRunId/],
      ['forged-bytes', /ONNX Runtime [\d.]+ cannot load its model\.onnx/],
      ['unreadable', /version 1 has no signature this server can read; register it again/],
    ];
    const image = { base64: (await png(fixture.images[0].rgb)).toString('base64') };
    for (const [name, reason] of cases) {
      const r = await server.gql(PREDICT, { model: `${name}/1`, inputs: [{ caption: 'a dog on a bike', image }] });
      expect(r.errors?.[0].extensions?.code, `${name}: ${r.errors?.[0].message}`).toBe('MODEL_UNAVAILABLE');
      expect(r.errors?.[0].message).toMatch(reason);
      expect(r.errors?.[0].message).not.toContain(server.app.config.dataDir);
    }
    // Checked as the dataset is queued, not after: no set is left behind.
    const queued = await server.gql(PREDICT_DATASET, { model: 'no-card/1', datasetId });
    expect(queued.errors?.[0].extensions?.code).toBe('MODEL_UNAVAILABLE');
    expect(await server.app.db.prisma.predictionSet.count()).toBe(0);
  });

  it('refuses an ONNX file changed or lost after upload, before loading it', async () => {
    const tampered = await registerFolder(server, 'tampered', { 'model.onnx': onnxFile('cnn.onnx'), 'model-card.json': cnnCard() });
    writeFileSync(tampered.path('model.onnx'), onnxFile('linear.onnx'));
    const lost = await registerFolder(server, 'lost', { 'model.onnx': onnxFile('cnn.onnx'), 'model-card.json': cnnCard() });
    rmSync(lost.path('model.onnx'));
    for (const [model, reason] of [['tampered/1', /its model\.onnx has changed since it was uploaded \(checksum differs\)/], ['lost/1', /its model\.onnx is missing from the artifact store/]] as const) {
      const r = await server.gql(PREDICT, { model, inputs: [{ image: { path: paths()[0] } }] });
      expect(r.errors?.[0].extensions?.code).toBe('MODEL_UNAVAILABLE');
      expect(r.errors?.[0].message).toMatch(reason);
    }
  });

  it('serves no soft-deleted version', async () => {
    await registerFolder(server, 'deleted', { 'model.onnx': onnxFile('cnn.onnx'), 'model-card.json': cnnCard() });
    const r = () => server.gql(PREDICT, { model: 'deleted/1', inputs: [{ image: { path: paths()[0] } }] });
    expect((await r()).errors).toBeUndefined();
    await server.app.services.registry.lifecycle.deleteVersion({ name: 'eddie', role: 'editor' }, 'deleted', 1);
    const gone = await r();
    expect(gone.errors?.[0].extensions?.code).toBe('VERSION_NOT_FOUND');
    expect(gone.errors?.[0].message).toMatch(/Model deleted has no version 1/);
  });

  it('predicts samples with a head over encoder features, as PyTorch does', async () => {
    const { predict } = await server.data(PREDICT, { model: 'linear@champion', inputs: paths().map((path) => ({ image: { path } })) });
    expect(predict.model).toEqual({ reference: 'linear@champion', name: 'linear', version: 1, alias: 'champion', head: 'onnx' });
    for (const p of predict.predictions) {
      expect(p.probabilities.map((c: any) => c.classId)).toEqual(fixture.linear.labels);
      expect(p.probabilities.every((c: any) => c.threshold === fixture.linear.labelPolicy.threshold)).toBe(true);
    }
    expectPyTorch(fixture.linear, predict.predictions.map((p: any) => ({ labels: p.labels, probabilities: p.probabilities.map((c: any) => c.probability) })));
  });

  it('predicts base64 images with a CNN over the normalised pixels, as PyTorch does', async () => {
    const inputs = await Promise.all(fixture.images.map(async (im) => ({ image: { base64: (await png(im.rgb)).toString('base64') } })));
    const { predict } = await server.data(PREDICT, { model: 'cnn@champion', inputs });
    expect(predict.model.head).toBe('onnx');
    expectPyTorch(fixture.cnn, predict.predictions.map((p: any) => ({ labels: p.labels, probabilities: p.probabilities.map((c: any) => c.probability) })));
    // atLeastOne: false in the card leaves an image with no probability above 0.6 without labels.
    expect(predict.predictions.some((p: any) => p.labels.length === 0)).toBe(true);
  });

  it('predicts captions with a model over token ids from its own tokenizer, as PyTorch does', async () => {
    const { predict } = await server.data(PREDICT, { model: 'bag@champion', inputs: fixture.images.map((im) => ({ caption: im.caption })) });
    expectPyTorch(fixture.bag, predict.predictions.map((p: any) => ({ labels: p.labels, probabilities: p.probabilities.map((c: any) => c.probability) })));
    const missing = await server.gql(PREDICT, { model: 'bag@champion', inputs: [{ image: { path: paths()[0] } }] });
    expect(missing.errors?.[0].message).toMatch(/inputs\.0: model bag\/1 \(head onnx\) reads a caption; this input has no caption/);
  });

  it.each(['linear', 'cnn', 'bag'] as const)('predicts the dataset with %s and writes the submission file PyTorch would', async (name) => {
    const model = fixture[name];
    const { predictDataset } = await server.data(PREDICT_DATASET, { model: `${name}@champion`, datasetId });
    expect(predictDataset.classIds).toEqual(model.labels);
    const job = await waitForJob(server, predictDataset.job.id);
    expect(job.status, job.error).toBe('SUCCEEDED');
    const { predictionSet } = await server.data(SET, { id: predictDataset.id });
    expect(predictionSet.count).toBe(fixture.images.length);
    const byId = new Map(predictionSet.predictions.map((p: any) => [p.imageId, p]));
    expectPyTorch(model, fixture.images.map((im) => byId.get(im.id) as any));
    const csv = await (await fetch(new URL(predictionSet.submissionUrl, server.http.url))).text();
    const submission = parseSubmission(csv);
    expect(submission.header).toBe('ImageID,Labels');
    fixture.images.forEach((im, i) => expect(submission.rows.get(im.id)).toEqual(model.expected[i].labels));
  });
});
