import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { artifactRoot } from '../../src/features/paths.js';
import { projectRoot } from '../../src/paths.js';
import { onnxModel } from '../ml/support/onnx-builder.js';
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

let runs = 0;

type Card = ReturnType<typeof cnnCard> | ReturnType<typeof linearCard> | Record<string, any>;

/** The signature the registry records for a servable folder (src/registry/folder.ts): the card, normalised, with the folder and the model file. */
const signatureOf = (card: Card, folder: string) => ({
  inputs: card.inputs.map((i: any) => ({ ...i, modality: i.kind === 'tokens' ? 'text' : 'image', shape: null })),
  labels: card.output.labels,
  folder,
  model: card.model,
  output: { name: card.output.name, kind: 'logits', shape: null },
  labelPolicy: card.labelPolicy,
});

/**
 * Registers an external version as the registry records one made from a run's artifact folder
 * (src/registry/folder.ts; rows written directly, so that these tests judge serving alone): a
 * run holding the files under `<data>/artifacts/<run>/<folder>/`, Artifact rows with their
 * sha256, and a ModelVersion with MLflow's `runs:/<run hex>/<folder>` source, format `onnx`, the
 * card as its signature and the ONNX file as its artifact. `unservableReason` registers it as
 * the registry does a folder it cannot serve.
 */
export async function registerExternal(server: TestServer, name: string, files: Record<string, Buffer>, card: Card | null, options: { unservableReason?: string; alias?: string; signature?: object } = {}) {
  const prisma = server.app.db.prisma;
  const root = artifactRoot(server.app.config);
  const run = await prisma.run.create({ data: { kind: 'external', name: `external-${++runs}`, status: 'SUCCEEDED' } });
  const folder = 'model';
  const rows = new Map<string, { id: string; checksum: string }>();
  for (const [file, bytes] of Object.entries({ ...files, ...(card ? { 'model-card.json': Buffer.from(JSON.stringify(card)) } : {}) })) {
    const uri = `${run.id}/${folder}/${file}`;
    mkdirSync(dirname(join(root, uri)), { recursive: true });
    writeFileSync(join(root, uri), bytes);
    const checksum = createHash('sha256').update(bytes).digest('hex');
    rows.set(file, await prisma.artifact.create({ data: { runId: run.id, name: `${folder}/${file}`, kind: 'file', uri, sizeBytes: bytes.length, checksum } }));
  }
  const model = await prisma.registeredModel.upsert({ where: { name }, create: { name }, update: {} });
  const number = (await prisma.modelVersion.count({ where: { modelId: model.id } })) + 1;
  const onnx = card && !options.unservableReason ? rows.get(card.model) : undefined;
  const created = await prisma.modelVersion.create({
    data: {
      modelId: model.id,
      version: number,
      runId: run.id,
      source: `runs:/${run.id.replace(/-/g, '')}/${folder}`,
      format: options.unservableReason ? null : 'onnx',
      unservableReason: options.unservableReason ?? null,
      signature: options.signature ?? (card && !options.unservableReason ? signatureOf(card, folder) : undefined),
      artifactId: onnx?.id ?? null,
      artifactChecksum: onnx?.checksum ?? null,
    },
  });
  if (options.alias) await prisma.modelAlias.create({ data: { modelId: model.id, alias: options.alias, versionId: created.id } });
  return { version: created, runId: run.id, path: (file: string) => join(root, run.id, folder, file) };
}
