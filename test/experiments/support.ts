import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { onnxModel } from '../ml/support/onnx-builder.js';
import { writeDataset, type DatasetFixture } from '../support/fixtures.js';
import { importThroughApi } from '../support/jobs.js';
import type { TestServer } from '../support/server.js';

const WORDS: Record<number, string[]> = { 1: ['person', 'man', 'woman'], 2: ['bicycle', 'bike'], 3: ['car', 'sedan'], 4: ['dog', 'puppy'] };
const COLOURS: Record<number, [number, number, number]> = { 1: [220, 30, 30], 2: [30, 200, 40], 3: [40, 40, 230], 4: [230, 230, 40] };

/**
 * Labelled samples whose caption names some of their labels and whose image is coloured by the
 * first one: each modality alone is informative but incomplete, so fusion has work to do.
 */
export async function multimodalDataset(n: number, offset = 0, withImages = true): Promise<DatasetFixture> {
  const rows = ['ImageID,Labels,Caption'];
  const images: Record<string, Buffer> = {};
  for (let k = 0; k < n; k++) {
    const i = k + offset;
    const labels = [1 + (i % 4), ...(i % 3 === 0 ? [1 + ((i + 1) % 4)] : [])];
    const named = i % 5 === 0 ? labels.slice(1) : labels; // some captions miss their first label
    const words = named.map((l) => WORDS[l][i % WORDS[l].length]);
    rows.push(`${i}.jpg,${labels.join(' ')},"A photo${words.length ? ` of a ${words.join(' and a ')}` : ''} near the ${['street', 'park', 'house'][i % 3]}"`);
    if (withImages) {
      const [r, g, b] = COLOURS[labels[0]];
      images[`${i}.jpg`] = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();
    }
  }
  return writeDataset(rows.join('\n') + '\n', images);
}

/**
 * The folder test encoders are written under, in the run's temporary folder: servers that load
 * them name it as their model root (TAGFUSION_MODEL_ROOTS), as a deployment names its model folders.
 */
export function modelsRoot(): string {
  const root = join(tmpdir(), 'models');
  mkdirSync(root, { recursive: true });
  return root;
}

/**
 * A tiny ONNX image encoder the tests make: pixels [batch,3,4,4] → ReLU, pooled over space by
 * the encoder to the mean colour (3 features). `scale` makes a second, different encoder.
 */
export function colourEncoder(scale = 1): string {
  const dir = mkdtempSync(join(modelsRoot(), 'tagfusion-colour-'));
  const model = onnxModel({
    inputs: [{ name: 'pixel_values', shape: ['batch', 3, 4, 4] }],
    outputs: [{ name: 'features', shape: ['batch', 3, 4, 4] }],
    initializers: [{ name: 'S', dims: [1], data: Float32Array.from([scale]) }],
    nodes: [
      { op: 'Mul', inputs: ['pixel_values', 'S'], outputs: ['m'] },
      { op: 'Relu', inputs: ['m'], outputs: ['features'] },
    ],
  });
  writeFileSync(join(dir, 'model.onnx'), model);
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ do_resize: true, size: { height: 4, width: 4 }, do_rescale: true, rescale_factor: 1 / 255, do_normalize: false }));
  return dir;
}

export async function importDataset(server: TestServer, name: string, fx: DatasetFixture, options: { images?: boolean; valFraction?: number } = {}): Promise<string> {
  const job = await importThroughApi(server, { name, csvPath: fx.csvPath, ...(options.images === false ? {} : { imagesDir: fx.imagesDir }), valFraction: options.valFraction ?? 0.25 });
  if (job.status !== 'SUCCEEDED') throw new Error(`import failed: ${job.error}`);
  return job.result.datasetId;
}

/** Polls `probe` until it returns a value, or fails after `ms`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, ms = 120_000, every = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export const EXPERIMENT = `query($id: ID!) { run(id: $id) { id kind status error summary
  experiment { total done running queued failed best { value run { id } } }
  children { id kind name status error params { key value } summary children { id name status params { key value } summary artifacts { name metadata } } artifacts { name metadata } }
  epochMetrics { epoch split name value }
  markdown: table csv: table(format: CSV) } }`;

/** Waits for an experiment's run to end and returns it. */
export async function waitForExperiment(server: TestServer, id: string, ms = 180_000) {
  return waitFor(async () => {
    const { run } = await server.data(EXPERIMENT, { id });
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status) ? run : undefined;
  }, ms, 500);
}
