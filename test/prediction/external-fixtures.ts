import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { artifactRoot } from '../../src/features/paths.js';
import { projectRoot } from '../../src/paths.js';
import type { Actor } from '../../src/registry/actor.js';
import { onnxModel } from '../ml/support/onnx-builder.js';
import { hex, runWithFiles } from '../registry/folder-fixtures.js';
import { writeDataset } from '../support/fixtures.js';
import type { TestServer } from '../support/server.js';

const FIXTURES = join(projectRoot, 'test', 'fixtures', 'onnx');

interface Expected {
  logits: number[];
  probabilities: number[];
  labels: number[];
}
interface FixtureModel {
  file: string;
  input: string;
  output: string;
  labels: number[];
  labelPolicy: { threshold: number; atLeastOne: boolean };
  expected: Expected[];
}

/** What test/fixtures/onnx/make.py wrote: the fixed images and PyTorch's outputs for each model. */
export const fixture = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  size: number;
  images: { id: string; rgb: string; caption: string }[];
  linear: FixtureModel & { features: number[][] };
  cnn: FixtureModel & { preprocessing: { size: [number, number]; layout: 'NCHW'; scale: number; mean: number[]; std: number[] } };
  bag: FixtureModel & { tokenizer: string; maxLength: number };
};

export const onnxFile = (name: string) => readFileSync(join(FIXTURES, name));

/** The bag-of-words model with its tokenizer folder, as files of a version folder. */
export const bagFiles = () => ({
  'model.onnx': onnxFile('bag.onnx'),
  'tokenizer/tokenizer.json': onnxFile('tokenizer/tokenizer.json'),
  'tokenizer/tokenizer_config.json': onnxFile('tokenizer/tokenizer_config.json'),
});

/** A fixture image as a lossless PNG, so that sharp decodes exactly the pixels PyTorch saw. */
export const png = (rgb: string) => sharp(Buffer.from(rgb, 'base64'), { raw: { width: fixture.size, height: fixture.size, channels: 3 } }).png().toBuffer();

/** The fixture images and captions as a labelled dataset (labels cycle 1–4; only the encoder run's training reads them). */
export async function imageDataset() {
  const rows = ['ImageID,Labels,Caption'];
  const images: Record<string, Buffer> = {};
  for (const [i, image] of fixture.images.entries()) {
    rows.push(`${image.id},${1 + (i % 4)},"${image.caption}"`);
    images[image.id] = await png(image.rgb);
  }
  return writeDataset(rows.join('\n') + '\n', images);
}

/**
 * The `onnx` image encoder the linear model's features come from: 32×32 pixels / 255, a 1×1
 * convolution to (R, G, B, R+G+B) and a ReLU (the identity here, as every value is >= 0),
 * averaged over space by the encoder; make.py computes the same features in NumPy. It lies in
 * the data folder's models/, the default model root.
 */
export function meansEncoderDir(server: TestServer): string {
  const dir = join(server.app.config.dataDir, 'models', 'channel-means');
  mkdirSync(dir, { recursive: true });
  const size = fixture.size;
  writeFileSync(
    join(dir, 'model.onnx'),
    onnxModel({
      inputs: [{ name: 'pixel_values', shape: ['batch', 3, size, size] }],
      outputs: [{ name: 'features', shape: ['batch', 4, size, size] }],
      initializers: [
        { name: 'W', dims: [4, 3, 1, 1], data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]) },
        { name: 'B', dims: [4], data: new Float32Array(4) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['pixel_values', 'W', 'B'], outputs: ['c'] },
        { op: 'Relu', inputs: ['c'], outputs: ['features'] },
      ],
    }),
  );
  const config = { do_resize: true, size: { height: size, width: size }, do_rescale: true, rescale_factor: 1 / 255, do_normalize: false };
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(config));
  return dir;
}

/** The model cards of the two fixture models; `encoderRunId` is the run whose encoder made the linear model's features. */
export const linearCard = (encoderRunId: string) => ({
  format: 'onnx',
  model: 'model.onnx',
  inputs: [{ name: fixture.linear.input, kind: 'features', encoder: 'onnx', encoderRunId }],
  output: { name: fixture.linear.output, kind: 'logits', labels: fixture.linear.labels },
  labelPolicy: fixture.linear.labelPolicy,
});
export const cnnCard = () => ({
  format: 'onnx',
  model: 'model.onnx',
  inputs: [{ name: fixture.cnn.input, kind: 'image', ...fixture.cnn.preprocessing }],
  output: { name: fixture.cnn.output, kind: 'logits', labels: fixture.cnn.labels },
  labelPolicy: fixture.cnn.labelPolicy,
});

export const bagCard = () => ({
  format: 'onnx',
  model: 'model.onnx',
  inputs: [{ name: fixture.bag.input, kind: 'tokens', tokenizer: fixture.bag.tokenizer, maxLength: fixture.bag.maxLength }],
  output: { name: fixture.bag.output, kind: 'logits', labels: fixture.bag.labels },
  labelPolicy: fixture.bag.labelPolicy,
});

/** The CNN's card inside an MLflow `MLmodel` with the onnx flavour (the flavour names the file), as `mlflow.onnx.log_model(..., metadata=)` writes it. */
export const cnnMlmodel = () => {
  const { format: _format, model: _model, ...card } = cnnCard();
  return [
    'artifact_path: model',
    'flavors:',
    '  onnx:',
    '    code: null',
    '    data: model.onnx',
    '    onnx_version: 1.12.0',
    '    providers:',
    '    - CPUExecutionProvider',
    '  python_function:',
    '    data: model.onnx',
    '    loader_module: mlflow.onnx',
    '    python_version: 3.11.2',
    'metadata:',
    `  tagfusion: ${JSON.stringify(card)}`,
    'mlflow_version: 2.19.0',
    '',
  ].join('\n');
};

const editor: Actor = { name: 'eddie', role: 'editor' };
const folderPath = (server: TestServer, runId: string) => (file: string) => join(artifactRoot(server.app.config), runId, 'model', file);

/**
 * Registers the files as the `model/` folder of a new run through the registry, as an MLflow
 * script's create-model-version does (it decides whether the folder is servable and records
 * the signature), and points `alias` at the version when given.
 */
export async function registerFolder(server: TestServer, name: string, files: Record<string, Buffer | string | object>, alias?: string) {
  const registry = server.app.services.registry;
  const runId = await runWithFiles(server.app, Object.fromEntries(Object.entries(files).map(([f, content]) => [`model/${f}`, content])));
  if (!(await server.app.db.prisma.registeredModel.findUnique({ where: { name } }))) await registry.lifecycle.createModel(editor, { name });
  const version = await registry.lifecycle.createVersion(editor, { model: name, source: `runs:/${hex(runId)}/model` });
  if (alias) await registry.moveAlias(editor, { model: name, alias, version: version.version });
  return { version, runId, path: folderPath(server, runId) };
}

type Card = ReturnType<typeof cnnCard> | ReturnType<typeof linearCard> | Record<string, any>;

/** The signature the registry records for a servable folder (src/registry/folder.ts): the card, normalised, with the folder and the model file. */
const signatureOf = (card: Card) => ({
  inputs: card.inputs.map((i: any) => ({ ...i, modality: i.kind === 'tokens' ? 'text' : 'image', shape: null })),
  labels: card.output.labels,
  folder: 'model',
  model: card.model,
  output: { name: card.output.name, kind: 'logits', shape: null },
  labelPolicy: card.labelPolicy,
});

/**
 * A servable-looking version whose rows are written by hand, as the registry would write them
 * for this card (format onnx, the card as its signature, the ONNX file as its artifact) but
 * without its checks: what serving must still refuse when a recorded card disagrees with its
 * file (rows from older registrations or written by hand), or a signature is unreadable.
 */
export async function forgeVersion(server: TestServer, name: string, files: Record<string, Buffer>, card: Card, signature: object = signatureOf(card)) {
  const prisma = server.app.db.prisma;
  const runId = await runWithFiles(server.app, Object.fromEntries(Object.entries(files).map(([f, content]) => [`model/${f}`, content])));
  const onnx = await prisma.artifact.findUniqueOrThrow({ where: { runId_name: { runId, name: `model/${card.model}` } } });
  const model = await prisma.registeredModel.create({ data: { name } });
  const version = await prisma.modelVersion.create({
    data: { modelId: model.id, version: 1, runId, source: `runs:/${hex(runId)}/model`, format: 'onnx', signature, artifactId: onnx.id, artifactChecksum: onnx.checksum },
  });
  return { version, runId, path: folderPath(server, runId) };
}
