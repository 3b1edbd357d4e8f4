import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/paths.js';
import { DB_KINDS } from '../support/databases.js';
import { writeDataset } from '../support/fixtures.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { colourModelDir, microF1, multimodalDataset, outsideFile, parseSubmission, register, train } from './fixtures.js';

const PREDICT = `query($model: String!, $inputs: [PredictionInput!]!) { predict(model: $model, inputs: $inputs) {
  model { reference name version versionId alias runId head }
  predictions { labels probabilities { classId probability threshold } } } }`;
const PREDICT_DATASET = `mutation($model: String!, $datasetId: ID!, $split: Split) { predictDataset(model: $model, datasetId: $datasetId, split: $split) {
  id split classIds count submissionUrl job { id } model { name version alias } } }`;
const SET = `query($id: ID!) { predictionSet(id: $id) { id count metrics submissionUrl finishedAt dataset { id }
  model { reference name version versionId alias }
  predictions(first: 500) { imageId labels probabilities } } }`;

const logit = (p: number) => Math.log(p / (1 - p));

describe.each(DB_KINDS)('prediction on %s', (kind) => {
  let server: TestServer;
  let fx: Awaited<ReturnType<typeof multimodalDataset>>;
  let datasetId: string;
  let textRun: { id: string; summary: any };
  let visionRun: { id: string; summary: any };
  let textOnlyDatasetId: string;
  const onnx = { id: 'onnx', path: colourModelDir() };

  beforeAll(async () => {
    // The ONNX encoders these tests make live in the run's temporary folder: the server's model root.
    // The data folder is a dot-folder, as the default ./.tagfusion is (downloads through it once answered 404).
    const dataDir = join(mkdtempSync(join(tmpdir(), 'home-')), '.tagfusion');
    server = await startTestServer(kind, { env: { TAGFUSION_MODEL_ROOTS: tmpdir(), TAGFUSION_DATA_DIR: dataDir } });
    fx = await multimodalDataset(80);
    datasetId = (await importThroughApi(server, { name: 'tagged', csvPath: fx.csvPath, imagesDir: fx.imagesDir, valFraction: 0.25 })).result.datasetId;
    const common = { datasetId, epochs: 6, learningRate: 0.05, batchSize: 16, seed: 3 };
    textRun = await train(server, { ...common, head: 'TEXT' });
    visionRun = await train(server, { ...common, head: 'VISION', visionEncoder: onnx });
    const fused = await train(server, { datasetId, head: 'FM1', componentRunIds: [visionRun.id, textRun.id] });
    const prisma = server.app.db.prisma;
    await register(prisma, 'text', textRun.id, 'champion');
    await register(prisma, 'vision', visionRun.id, 'champion');
    await register(prisma, 'fused', fused.id, 'champion');
    const captions = await writeDataset('ImageID,Caption\n900.jpg,"a man on a bike"\n901.jpg,"a dog in a car"\n902.jpg,"two puppies"\n');
    textOnlyDatasetId = (await importThroughApi(server, { name: 'unlabelled-captions', csvPath: captions.csvPath })).result.datasetId;
  }, 240_000);
  afterAll(async () => server?.close());

  it('refuses bad references, inputs and paths with errors that name them, before predicting', async () => {
    const image = join(fx.imagesDir, '5.jpg');
    const outside = outsideFile();
    symlinkSync(outside, join(fx.imagesDir, 'escape.jpg'));
    writeFileSync(join(fx.imagesDir, 'broken.jpg'), 'this is not a JPEG');
    const cases: [string, unknown[], string, RegExp][] = [
      ['text', [{ caption: 'a dog' }], 'BAD_INPUT', /model "text" is not a model reference: write name@alias/],
      ['ghost@champion', [{ caption: 'a dog' }], 'MODEL_NOT_FOUND', /Model ghost is not registered/],
      ['text@gold', [{ caption: 'a dog' }], 'ALIAS_NOT_FOUND', /Model text has no alias gold/],
      ['text/9', [{ caption: 'a dog' }], 'VERSION_NOT_FOUND', /Model text has no version 9/],
      ['text@champion', [], 'BAD_INPUT', /inputs: give at least one input/],
      ['text@champion', [{ image: { path: image } }], 'BAD_INPUT', /inputs\.0: model text\/1 \(head text\) reads a caption; this input has no caption/],
      ['vision@champion', [{ caption: 'a dog' }], 'BAD_INPUT', /model vision\/1 \(head vision\) reads an image; this input has no image/],
      ['fused@champion', [{ caption: 'a dog', image: { path: image } }, { image: { path: image } }], 'BAD_INPUT', /inputs\.1: model fused\/1 \(head fm1\) reads a caption and an image; this input has no caption/],
      ['vision@champion', [{ image: { path: '/etc/hostname' } }], 'PATH_NOT_ALLOWED', /Image \/etc\/hostname is outside the folders this server may read/],
      ['vision@champion', [{ image: { path: `${fx.imagesDir}/../../../../etc/hostname` } }], 'PATH_NOT_ALLOWED', /is outside the folders/],
      ['vision@champion', [{ image: { path: join(fx.imagesDir, 'escape.jpg') } }], 'PATH_NOT_ALLOWED', /escape\.jpg is outside the folders/],
      ['vision@champion', [{ image: { path: join(fx.imagesDir, 'missing.jpg') } }], 'PATH_NOT_FOUND', /missing\.jpg does not exist/],
      ['vision@champion', [{ image: { path: join(fx.imagesDir, 'broken.jpg') } }], 'BAD_INPUT', /inputs\.0\.image\.path: not an image that can be read/],
      ['vision@champion', [{ image: { base64: 'not base64!' } }], 'BAD_INPUT', /inputs\.0\.image\.base64: not base64/],
      ['vision@champion', [{ image: { base64: 'A'.repeat(1_500_000) } }], 'BAD_INPUT', /the image has 1125000 bytes; at most 1048576/],
      ['vision@champion', [{ image: { path: image, base64: 'AAAA' } }], 'BAD_INPUT', /image takes exactly one of path and base64/],
    ];
    for (const [model, inputs, code, message] of cases) {
      const r = await server.gql(PREDICT, { model, inputs });
      expect(r.errors?.[0].extensions?.code, `${model} ${JSON.stringify(inputs).slice(0, 100)}: ${r.errors?.[0].message}`).toBe(code);
      expect(r.errors?.[0].message).toMatch(message);
    }

    const predictDataset = (model: string, id: string, split?: string) => server.gql(PREDICT_DATASET, { model, datasetId: id, split });
    expect((await predictDataset('vision@champion', textOnlyDatasetId)).errors?.[0].message).toMatch(/model vision\/1 \(head vision\) reads images, and dataset unlabelled-captions v1 is text only/);
    expect((await predictDataset('text@champion', 'nope')).errors?.[0].extensions?.code).toBe('DATASET_NOT_FOUND');
    expect((await predictDataset('text@champion', textOnlyDatasetId, 'VAL')).errors?.[0].message).toMatch(/has no VAL samples/);
    await expect(server.app.services.predictions.predictDataset({ model: 'text@champion', datasetId }, { name: 'guest', role: 'viewer' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await server.app.db.prisma.predictionSet.count()).toBe(0);

    const download = await fetch(new URL('/predictions/nope/submission.csv', server.http.url));
    expect(download.status).toBe(404);
    expect(await download.json()).toMatchObject({ code: 'PREDICTION_SET_NOT_FOUND' });
    const version = await server.app.db.prisma.modelVersion.findFirstOrThrow();
    const pending = await server.app.db.prisma.predictionSet.create({ data: { modelVersionId: version.id, reference: 'text/1', datasetId, classIds: [1, 2, 3, 4] } });
    const early = await fetch(new URL(`/predictions/${pending.id}/submission.csv`, server.http.url));
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ code: 'SUBMISSION_NOT_READY' });
    await server.app.db.prisma.predictionSet.delete({ where: { id: pending.id } });
  });

  it('writes a submission file for the validation split through GraphQL, which scores as the run did', async () => {
    const { predictDataset } = await server.data(PREDICT_DATASET, { model: 'text@champion', datasetId, split: 'VAL' });
    expect(predictDataset).toMatchObject({ split: 'VAL', classIds: [1, 2, 3, 4], count: 0, submissionUrl: null, model: { name: 'text', version: 1, alias: 'champion' } });
    const job = await waitForJob(server, predictDataset.job.id);
    expect(job.status, job.error).toBe('SUCCEEDED');

    const { predictionSet } = await server.data(SET, { id: predictDataset.id });
    expect(predictionSet).toMatchObject({ count: 20, submissionUrl: `/predictions/${predictDataset.id}/submission.csv`, dataset: { id: datasetId } });
    const res = await fetch(new URL(predictionSet.submissionUrl, server.http.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const csv = await res.text();
    const submission = parseSubmission(csv);
    expect(submission.header).toBe('ImageID,Labels');

    // Score the file against the known labels of the validation split.
    const samples = await server.app.db.prisma.sample.findMany({ where: { datasetId, split: 'VAL' } });
    expect([...submission.rows.keys()].sort()).toEqual(samples.map((s) => s.imageId).sort());
    for (const labels of submission.rows.values()) expect(labels.length).toBeGreaterThan(0); // the recipe's top-label fallback
    const f1 = microF1(submission.rows, new Map(samples.map((s) => [s.imageId, s.labels])));
    expect(f1).toBeGreaterThan(0.8);
    expect(f1).toBeCloseTo(textRun.summary.val.microF1, 10);
    expect(predictionSet.metrics.microF1).toBeCloseTo(f1, 10);
    expect(predictionSet.predictions).toHaveLength(20);
    for (const p of predictionSet.predictions) expect(p.labels).toEqual(submission.rows.get(p.imageId));
    const { predictionSets } = await server.data(`query($d: ID!) { predictionSets(datasetId: $d) { id count job { status dataset { id } } } }`, { d: datasetId });
    expect(predictionSets).toEqual([{ id: predictDataset.id, count: 20, job: { status: 'SUCCEEDED', dataset: { id: datasetId } } }]);
  });

  it('answers text-only with the version that answered, as the batch path does', async () => {
    const set = (await server.app.db.prisma.predictionSet.findFirstOrThrow({ include: { predictions: { orderBy: { imageId: 'asc' }, take: 3 } } })).predictions;
    const samples = await server.app.db.prisma.sample.findMany({ where: { datasetId, imageId: { in: set.map((p) => p.imageId) } }, orderBy: { imageId: 'asc' } });
    const { predict } = await server.data(PREDICT, { model: 'text@champion', inputs: samples.map((s) => ({ caption: s.caption, image: { path: '/ignored/for/a/text/model.jpg' } })) });
    const version = await server.app.db.prisma.modelVersion.findFirstOrThrow({ where: { runId: textRun.id } });
    expect(predict.model).toEqual({ reference: 'text@champion', name: 'text', version: 1, versionId: version.id, alias: 'champion', runId: textRun.id, head: 'text' });
    predict.predictions.forEach((p: any, i: number) => {
      expect(p.labels).toEqual(set[i].labels);
      expect(p.probabilities.map((c: any) => c.classId)).toEqual([1, 2, 3, 4]);
      p.probabilities.forEach((c: any, j: number) => expect(c.probability).toBeCloseTo(set[i].probabilities[j], 6));
    });
  });

  it('answers image-only from a path or base64 with training preprocessing, and fuses text and image', async () => {
    const { predictDataset } = await server.data(PREDICT_DATASET, { model: 'vision@champion', datasetId });
    expect((await waitForJob(server, predictDataset.job.id)).status).toBe('SUCCEEDED');
    const stored = (await server.data(SET, { id: predictDataset.id })).predictionSet.predictions.find((p: any) => p.imageId === '7.jpg');
    const path = join(fx.imagesDir, '7.jpg');
    const base64 = `data:image/jpeg;base64,${readFileSync(path).toString('base64')}`;
    const { predict } = await server.data(PREDICT, { model: 'vision@champion', inputs: [{ image: { path } }, { image: { base64 } }] });
    const [byPath, byBytes] = predict.predictions;
    // Features cached by the training's extraction (batches of 16) and this single image agree.
    byPath.probabilities.forEach((c: any, j: number) => expect(c.probability).toBeCloseTo(stored.probabilities[j], 5));
    expect(byBytes).toEqual(byPath);
    expect(byPath.labels).toEqual(stored.labels);

    const caption = (await server.app.db.prisma.sample.findFirstOrThrow({ where: { datasetId, imageId: '7.jpg' } })).caption;
    const text = (await server.data(PREDICT, { model: 'text@champion', inputs: [{ caption }] })).predict.predictions[0];
    const fused = (await server.data(PREDICT, { model: 'fused@champion', inputs: [{ caption, image: { path } }] })).predict;
    expect(fused.model).toMatchObject({ name: 'fused', head: 'fm1' });
    // FM1 is the mean of its components' logits.
    fused.predictions[0].probabilities.forEach((c: any, j: number) =>
      expect(logit(c.probability)).toBeCloseTo((logit(byPath.probabilities[j].probability) + logit(text.probabilities[j].probability)) / 2, 4),
    );
  });

  it('follows an alias to its new version at once; a version reference stays put', async () => {
    const before = (await server.data(PREDICT, { model: 'text@champion', inputs: [{ caption: 'a man with a dog' }] })).predict;
    const retrained = await train(server, { datasetId, head: 'TEXT', epochs: 2, learningRate: 0.01, batchSize: 16, seed: 9 });
    const v2 = await register(server.app.db.prisma, 'text', retrained.id, 'champion');
    const after = (await server.data(PREDICT, { model: 'text@champion', inputs: [{ caption: 'a man with a dog' }] })).predict;
    expect(after.model).toMatchObject({ version: 2, versionId: v2.id, runId: retrained.id });
    expect(after.predictions[0].probabilities).not.toEqual(before.predictions[0].probabilities);
    const pinned = (await server.data(PREDICT, { model: 'text/1', inputs: [{ caption: 'a man with a dog' }] })).predict;
    expect(pinned.model).toMatchObject({ version: 1, alias: null, reference: 'text/1' });
    expect(pinned.predictions).toEqual(before.predictions);
  });

  it('predicts a dataset without cached features, fitting the encoder on the model’s training captions', async () => {
    const { predictDataset } = await server.data(PREDICT_DATASET, { model: 'text/1', datasetId: textOnlyDatasetId });
    const job = await waitForJob(server, predictDataset.job.id);
    expect(job.status, job.error).toBe('SUCCEEDED');
    const { predictionSet } = await server.data(SET, { id: predictDataset.id });
    expect(predictionSet).toMatchObject({ count: 3, metrics: null });
    const text = await server.app.db.prisma.featureSet.findFirstOrThrow({ where: { datasetId, encoderId: 'tfidf' } });
    const made = await server.app.db.prisma.featureSet.findFirstOrThrow({ where: { datasetId: textOnlyDatasetId } });
    expect(made).toMatchObject({ encoderId: 'tfidf', encoderVersion: text.encoderVersion, count: 3 });
    const csv = await (await fetch(new URL(predictionSet.submissionUrl, server.http.url))).text();
    expect([...parseSubmission(csv).rows.keys()]).toEqual(['900.jpg', '901.jpg', '902.jpg']);
  });

  it('tagfusion predict writes the same submission file from the command line', async () => {
    const first = await server.app.db.prisma.predictionSet.findFirstOrThrow({ where: { datasetId, split: 'VAL', reference: 'text@champion' } });
    const expected = readFileSync(join(server.app.config.dataDir, first.csvPath!), 'utf8');
    // The embedded database belongs to one process: the CLI opens it once the server is closed.
    await server.http.close();
    await server.app.close();
    const out = join(fx.dir, 'cli-submission.csv');
    const { stdout } = await promisify(execFile)(process.execPath, [join(projectRoot, 'bin', 'tagfusion.js'), 'predict', '--model', 'text/1', '--dataset', datasetId, '--split', 'val', '--out', out, '--json'], {
      env: { ...process.env, ...server.db.env },
    });
    expect(JSON.parse(stdout)).toMatchObject({ model: 'text/1', count: 20, out, metrics: { microF1: textRun.summary.val.microF1 } });
    expect(readFileSync(out, 'utf8')).toBe(expected);
    server = { ...server, close: () => server.db.drop() } as TestServer;
  });
});
