import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { PrismaClient } from '../../src/db/generated/client.js';
import { tempDir } from '../ml/support/images.js';
import { onnxModel } from '../ml/support/onnx-builder.js';
import { writeDataset } from '../support/fixtures.js';
import { waitForJob } from '../support/jobs.js';
import type { TestServer } from '../support/server.js';

const WORDS: Record<number, string[]> = { 1: ['person', 'man', 'woman'], 2: ['bicycle', 'bike'], 3: ['car', 'sedan'], 4: ['dog', 'puppy'] };
/** Each sample's image has the colour of its first label, so that a vision head can learn it. */
const COLOURS: Record<number, [number, number, number]> = { 1: [230, 20, 20], 2: [20, 230, 20], 3: [20, 20, 230], 4: [230, 230, 20] };

export const labelsOf = (i: number) => [1 + (i % 4), ...(i % 3 === 0 ? [1 + ((i + 1) % 4)] : [])];

/**
 * A small labelled dataset: captions that name their labels (with noise words) and 32×24 JPEGs
 * coloured by the first label (with a little per-image variation).
 */
export async function multimodalDataset(n: number) {
  const rows = ['ImageID,Labels,Caption'];
  const images: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) {
    const labels = labelsOf(i);
    const words = labels.map((l) => WORDS[l][i % WORDS[l].length]);
    rows.push(`${i}.jpg,${labels.join(' ')},"A photo of a ${words.join(' and a ')} near the ${['street', 'park', 'house'][i % 3]}"`);
    const [r, g, b] = COLOURS[labels[0]].map((c) => Math.max(0, Math.min(255, c + ((i * 7) % 21) - 10)));
    images[`${i}.jpg`] = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();
  }
  return writeDataset(rows.join('\n') + '\n', images);
}

/**
 * A tiny ONNX image model for the `onnx` encoder: pixel_values [batch,3,8,8] → 1×1 conv to 4
 * channels (R, G, B, R+G+B) → ReLU; the encoder averages it over space. Far faster than
 * centernet, and enough to tell the fixture's colours apart.
 */
export function colourModelDir(): string {
  const dir = tempDir('tagfusion-onnx-');
  const W = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
  writeFileSync(
    join(dir, 'model.onnx'),
    onnxModel({
      inputs: [{ name: 'pixel_values', shape: ['batch', 3, 8, 8] }],
      outputs: [{ name: 'features', shape: ['batch', 4, 8, 8] }],
      initializers: [
        { name: 'W', dims: [4, 3, 1, 1], data: W },
        { name: 'B', dims: [4], data: new Float32Array(4) },
      ],
      nodes: [
        { op: 'Conv', inputs: ['pixel_values', 'W', 'B'], outputs: ['c'] },
        { op: 'Relu', inputs: ['c'], outputs: ['features'] },
      ],
    }),
  );
  const config = { do_resize: true, size: { height: 8, width: 8 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(config));
  return dir;
}

const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`;

/** Trains through the API and returns the finished run's id and summary. */
export async function train(server: TestServer, input: Record<string, unknown>): Promise<{ id: string; summary: any }> {
  const { startTraining } = await server.data(START, { input });
  const [job] = await server.app.services.jobs.list({ runId: startTraining.id }, 1);
  const done = await waitForJob(server, job.id, 120_000);
  if (done.status !== 'SUCCEEDED') throw new Error(`training failed: ${done.error}`);
  const { run } = await server.data(`query($id: ID!) { run(id: $id) { summary } }`, { id: startTraining.id });
  return { id: startTraining.id, summary: run.summary };
}

/**
 * Registers a run's model as the next version of `name` (creating the model) and points `alias`
 * at it, with Prisma directly, as the registry records them: the version names the run's
 * artifact and its checksum.
 */
export async function register(prisma: PrismaClient, name: string, runId: string, alias?: string) {
  const artifact = await prisma.artifact.findUniqueOrThrow({ where: { runId_name: { runId, name: 'model' } } });
  const model = await prisma.registeredModel.upsert({ where: { name }, create: { name }, update: {} });
  const version = (await prisma.modelVersion.count({ where: { modelId: model.id } })) + 1;
  const created = await prisma.modelVersion.create({ data: { modelId: model.id, version, runId, artifactId: artifact.id, artifactChecksum: artifact.checksum } });
  if (alias) {
    await prisma.modelAlias.upsert({
      where: { modelId_alias: { modelId: model.id, alias } },
      create: { modelId: model.id, alias, versionId: created.id },
      update: { versionId: created.id },
    });
  }
  return created;
}

/** A folder outside every data root, with a file in it. */
export function outsideFile(): string {
  const dir = tempDir('tagfusion-outside-');
  mkdirSync(join(dir, 'sub'));
  const path = join(dir, 'sub', 'secret.jpg');
  writeFileSync(path, 'not for you');
  return path;
}

/** Parses a submission file: header, then `ImageID,Labels` with space-separated label ids. */
export function parseSubmission(csv: string): { header: string; rows: Map<string, number[]> } {
  const [header, ...lines] = csv.trimEnd().split('\n');
  return { header, rows: new Map(lines.map((l) => [l.slice(0, l.indexOf(',')), l.slice(l.indexOf(',') + 1).split(' ').filter(Boolean).map(Number)])) };
}

/** Micro-F1 of predicted label sets against true ones (over every image of `predicted`). */
export function microF1(predicted: Map<string, number[]>, truth: Map<string, number[]>): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [id, labels] of predicted) {
    const t = new Set(truth.get(id) ?? []);
    for (const l of labels) (t.has(l) ? tp++ : fp++);
    for (const l of t) if (!labels.includes(l)) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}
