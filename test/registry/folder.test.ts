import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import type { Actor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { addFiles, card, datasetWithLabels, hex, runWithFiles, servableFolder } from './folder-fixtures.js';
import { finishedRun } from './fixtures.js';
import { INT64, interfaceOnnx, linearOnnx } from './onnx-writer.js';

const editor: Actor = { name: 'eddie', role: 'editor' };
const viewer: Actor = { name: 'vera', role: 'viewer' };

describe.each(DB_KINDS)('model versions from a run’s artifact folder on %s', (kind) => {
  let server: TestServer;
  const create = (input: Record<string, unknown>, actor = editor) => server.app.services.registry.lifecycle.createVersion(actor, { model: 'ext', ...input });

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
    await server.app.services.registry.lifecycle.createModel(editor, { name: 'ext' });
  });
  afterAll(async () => server?.close());

  it('refuses viewers, bad sources, unknown models and runs, and deleted runs, creating nothing', async () => {
    const runId = await runWithFiles(server.app, servableFolder());
    const other = await runWithFiles(server.app);
    await server.app.services.tracking.delete(other);
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ model: 'nope', source: `runs:/${hex(runId)}/model` }, 'MODEL_NOT_FOUND', /^Model nope is not registered\.$/],
      [{ source: '' }, 'BAD_INPUT', /^source: must not be empty/],
      [{ source: `runs:/${hex(runId)}/model/../../other` }, 'BAD_INPUT', /^source: must be an absolute location without \.\. segments/],
      [{ source: `mlflow-artifacts:/0/${hex(runId)}/artifacts/%2e%2e/x` }, 'BAD_INPUT', /without \.\. segments/],
      [{ source: 'mlflow-artifacts:/nothing-here' }, 'BAD_INPUT', /^source: write runs:\/<run_id>\/<path> or mlflow-artifacts:/],
      [{ source: `runs:/${'0'.repeat(32)}/model` }, 'RUN_NOT_FOUND', /^Run 00000000-0000-0000-0000-000000000000 does not exist\.$/],
      [{ source: `runs:/${hex(runId)}/model`, runId: hex(other) }, 'BAD_INPUT', /^source: names another run than run_id/],
      [{ source: `mlflow-artifacts:/7/${hex(runId)}/artifacts/model` }, 'BAD_INPUT', /belongs to experiment 0, not 7/],
      [{ source: `runs:/${hex(other)}/model` }, 'RUN_DELETED', /is deleted; restore it first/],
    ];
    for (const [input, code, message] of cases) {
      const err = await create(input).catch((e) => e);
      expect(err?.code, JSON.stringify(input)).toBe(code);
      expect(err.message).toMatch(message);
    }
    await expect(create({ source: `runs:/${hex(runId)}/model` }, viewer)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await server.app.services.registry.versions([(await server.app.services.registry.getModel('ext')).id])).toEqual([]);
  });

  it('registers a servable ONNX folder with its signature, its files pinned by sha256, and the run’s last metrics', async () => {
    const files = servableFolder('model', { labelPolicy: { threshold: 0.4 } });
    const runId = await runWithFiles(server.app, { ...files, 'model/notes.txt': 'x', 'other/model.onnx': 'not this one' });
    await server.app.services.tracking.logPoints(runId, [
      { name: 'macroF1', split: 'val', step: 0, timestamp: 1, value: 0.5 },
      { name: 'macroF1', split: 'val', step: 1, timestamp: 2, value: 0.7 },
      { name: 'loss', split: '', step: 1, timestamp: 2, value: 0.2 },
    ]);
    const v = await create({ source: `mlflow-artifacts:/0/${hex(runId)}/artifacts/model`, runId: hex(runId), description: 'first', tags: [{ key: 'k', value: 'v' }] });
    const sha = createHash('sha256').update(files['model/model.onnx'] as Buffer).digest('hex');
    expect(v).toMatchObject({ version: 1, runId, format: 'onnx', unservableReason: null, artifactChecksum: sha, datasetId: null, description: 'first', tags: { k: 'v' }, createdBy: 'eddie' });
    expect(v.source).toBe(`mlflow-artifacts:/0/${hex(runId)}/artifacts/model`);
    expect(v.encoders).toEqual([{ modality: 'text', id: 'glove-100d', version: null }]);
    expect(v.metrics).toEqual({ val: { macroF1: 0.7 }, '': { loss: 0.2 } });
    expect(v.signature).toEqual({
      inputs: [{ name: 'features', kind: 'features', modality: 'text', encoder: 'glove-100d', shape: [null, 100] }],
      labels: [3, 1, 2],
      folder: 'model',
      model: 'model.onnx',
      output: { name: 'logits', kind: 'logits', shape: [null, 3] },
      labelPolicy: { threshold: 0.4, atLeastOne: true },
    });
    const artifact = await server.app.db.prisma.artifact.findUnique({ where: { id: v.artifactId! } });
    expect(artifact?.name).toBe('model/model.onnx');
    // MLflow numbers every registration anew, even of the same folder.
    expect((await create({ source: `runs:/${hex(runId)}/model/` })).version).toBe(2);
  });

  it('reads an MLflow model folder whose MLmodel has the onnx flavour', async () => {
    const mlmodel = (metadata: string) => `artifact_path: model\nflavors:\n  onnx:\n    code: null\n    data: net.onnx\n    onnx_version: 1.14.1\n  python_function:\n    loader_module: mlflow.onnx\n${metadata}`;
    const inline = `metadata:\n  tagfusion:\n    inputs:\n      - {name: features, kind: features, encoder: glove-100d}\n    output: {name: logits, kind: logits, labels: [5, 6, 7]}\n`;
    const net = linearOnnx({ features: 100, labels: 3 });
    const a = await runWithFiles(server.app, { 'm/MLmodel': mlmodel(inline), 'm/net.onnx': net });
    const b = await runWithFiles(server.app, { 'm/MLmodel': mlmodel(''), 'm/net.onnx': net, 'm/model-card.json': card({ model: undefined, format: undefined }) });
    for (const runId of [a, b]) {
      const v = await create({ source: `runs:/${hex(runId)}/m` });
      expect([v.format, v.unservableReason, (v.signature as { model: string }).model]).toEqual(['onnx', null, 'net.onnx']);
    }
  });

  it('checks images, tokens, fitted encoders and the dataset’s labels', async () => {
    const tfidfRun = (await finishedRun(server.app, { macroF1: 0.5 })).runId;
    const datasetId = await datasetWithLabels(server.app, [1, 2, 3, 9]);
    const net = interfaceOnnx(
      [
        { name: 'pixels', dims: ['n', 3, 32, 48] },
        { name: 'ids', type: INT64, dims: ['n', 16] },
        { name: 'tfidf', dims: ['n', 'd'] },
      ],
      [{ name: 'logits', dims: ['n', 3] }],
    );
    const inputs = [
      { name: 'pixels', kind: 'image', size: [32, 48], layout: 'NCHW', mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] },
      { name: 'ids', kind: 'tokens', tokenizer: 'tok', maxLength: 16 },
      { name: 'tfidf', kind: 'features', encoder: 'tfidf', encoderRunId: hex(tfidfRun) },
    ];
    const folder = (o: Record<string, unknown>) => ({ 'model/model.onnx': net, 'model/tok/tokenizer.json': '{}', 'model/model-card.json': card({ inputs, datasetId, ...o }) });
    const v = await create({ source: `runs:/${hex(await runWithFiles(server.app, folder({})))}/model` });
    expect([v.format, v.unservableReason, v.datasetId]).toEqual(['onnx', null, datasetId]);
    expect((v.signature as { inputs: unknown }).inputs).toEqual([
      { name: 'pixels', kind: 'image', modality: 'image', size: [32, 48], layout: 'NCHW', scale: 255, mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], shape: [null, 3, 32, 48] },
      { name: 'ids', kind: 'tokens', modality: 'text', tokenizer: 'tok', maxLength: 16, shape: [null, 16] },
      { name: 'tfidf', kind: 'features', modality: 'text', encoder: 'tfidf', encoderRunId: tfidfRun, shape: [null, null] },
    ]);
    const refused: [Record<string, unknown>, string][] = [
      [{ inputs: [{ ...inputs[0], layout: 'NHWC' }, inputs[1], inputs[2]] }, 'inputs[0] (image) is not NHWC with 3 channels of 32x48'],
      [{ inputs: [inputs[0], { ...inputs[1], maxLength: 8 }, inputs[2]] }, 'inputs[1] (tokens) has 16 positions, but maxLength is 8'],
      [{ inputs: [inputs[0], { ...inputs[1], tokenizer: 'elsewhere' }, inputs[2]] }, 'inputs[1].tokenizer holds no tokenizer.json in the folder'],
      [{ inputs: [inputs[0], inputs[1], { ...inputs[2], encoder: 'glove-100d' }] }, 'inputs[2]: the run in encoderRunId did not use encoder glove-100d'],
      [{ inputs: [inputs[0], inputs[1]] }, 'the model has 1 input the card does not describe'],
      [{ output: { name: 'logits', kind: 'logits', labels: [1, 2, 4] } }, 'output.labels holds ids that are not labels of the dataset'],
    ];
    for (const [o, reason] of refused) expect((await create({ source: `runs:/${hex(await runWithFiles(server.app, folder(o)))}/model` })).unservableReason).toBe(reason);
  });

  it('registers folders it cannot serve, with the reason, never quoting the files', async () => {
    const net = linearOnnx({ features: 100, labels: 3 });
    const image = { name: 'features', kind: 'image', size: [32, 32], layout: 'NCHW' };
    const cases: [Record<string, Buffer | string | object>, RegExp][] = [
      [{}, /^the folder holds no files$/],
      [{ 'model/model.onnx': net }, /^no model-card.json and no MLmodel with an onnx flavour$/],
      [{ 'model/MLmodel': 'flavors:\n  sklearn:\n    pickled_model: model.pkl\n', 'model/model.pkl': 'x' }, /^no model-card.json and no MLmodel with an onnx flavour$/],
      [{ 'model/MLmodel': 'flavors:\n  onnx:\n    data: model.onnx\n', 'model/model.onnx': net }, /^the MLmodel has the onnx flavour, but neither its metadata.tagfusion nor a model-card.json/],
      [{ 'model/MLmodel': '- secret\n- list\n' }, /^MLmodel is not a YAML mapping$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': '{"secret": ' }, /^model-card.json is not valid JSON$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ format: 'pytorch' }) }, /^model-card.json: format: expected "onnx"$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ model: undefined }) }, /^model-card.json: model must name the ONNX file$/],
      [{ 'model/model-card.json': card() }, /^the ONNX file the card names is not in the folder$/],
      [{ 'model/model.onnx': 'secret text, not a model', 'model/model-card.json': card() }, /^the ONNX file is not an ONNX model$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ inputs: [{ name: 'secret-x', kind: 'features', encoder: 'glove-100d' }] }) }, /^inputs\[0\].name is not an input of the model$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ output: { name: 'logits', kind: 'logits', labels: [1, 2] } }) }, /^the model's output has 3 columns, but output.labels lists 2 label ids$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ inputs: [{ name: 'features', kind: 'features', encoder: 'secret-enc' }] }) }, /^inputs\[0\].encoder is not an encoder tagfusion knows \(centernet-coco,/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ inputs: [{ name: 'features', kind: 'features', encoder: 'tfidf' }] }) }, /encoder tfidf is fitted on a run's training data; name that run in encoderRunId$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ inputs: [{ name: 'features', kind: 'features', encoder: 'tfidf', encoderRunId: 'secret-run' }] }) }, /^inputs\[0\].encoderRunId names no run of this server$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ inputs: [image] }) }, /^inputs\[0\] \(image\) must have 4 axes, it has 2$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ inputs: [{ name: 'features', kind: 'tokens', tokenizer: 'tok', maxLength: 100 }] }) }, /^inputs\[0\] \(tokens\) must be an int64 or int32 tensor$/],
      [{ 'model/model.onnx': net, 'model/model-card.json': card({ datasetId: 'secret-dataset' }) }, /^datasetId names no dataset of this server$/],
    ];
    for (const [files, reason] of cases) {
      const runId = await runWithFiles(server.app, files);
      const v = await create({ source: `runs:/${hex(runId)}/model` });
      expect([v.format, v.signature, v.artifactId], JSON.stringify(Object.keys(files))).toEqual([null, null, null]);
      expect(v.unservableReason).toMatch(reason);
      expect(v.unservableReason).not.toMatch(/secret/);
    }
  });

  it('does not serve a file changed after its upload, and keeps sources elsewhere as given', async () => {
    const runId = await runWithFiles(server.app, servableFolder());
    writeFileSync(join(artifactRoot(server.app.config), runId, 'model/model.onnx'), linearOnnx({ features: 100, labels: 4 }));
    const changed = await create({ source: `runs:/${hex(runId)}/model` });
    expect(changed.unservableReason).toBe('the ONNX file could not be read intact (missing, or not the size and sha256 recorded)');
    await addFiles(server.app, runId, { 'model/model.onnx': linearOnnx({ features: 100, labels: 3 }) });
    expect((await create({ source: `runs:/${hex(runId)}/model` })).format).toBe('onnx');
    const s3 = await create({ source: 's3://bucket/models/net' });
    expect(s3).toMatchObject({ runId: null, source: 's3://bucket/models/net', format: null, unservableReason: 'the source is not an artifact folder of this server (runs:/… or mlflow-artifacts:/…)' });
  });
});
