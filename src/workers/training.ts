import type { TaskMessage } from '../jobs/pool.js';
import { initBackend, type DevicePreference } from '../ml/backend.js';
import { gatherRows } from '../ml/features-matrix.js';
import { trainHead, type EpochReport, type TrainedModel, type TrainingConfig, type TrainingData } from '../ml/train.js';
import { readFeatureSet } from '../features/store.js';

export interface FeatureRef {
  dir: string;
  dim: number;
}

/** One dataset's part of the training data: its cached features, labels and rows. */
export interface TrainingSource {
  count: number;
  /** multi-hot labels of every sample, count × classes */
  labels: Uint8Array;
  trainRows: number[];
  valRows: number[];
  text?: FeatureRef & { variants: FeatureRef[] };
  image?: FeatureRef & { flip?: FeatureRef };
}

export interface TrainModelInput {
  device: DevicePreference;
  classes: number;
  textDim: number;
  imageDim: number;
  /** the dataset trained on first, then extra training datasets (their rows are training rows) */
  sources: TrainingSource[];
  config: TrainingConfig;
}

/** Progress message: one finished epoch. */
export interface EpochMessage {
  type: 'epoch';
  report: EpochReport;
}

interface Loaded {
  text?: Float32Array;
  image?: Float32Array;
  flip?: Float32Array;
  variants: Float32Array[];
}

async function load(s: TrainingSource): Promise<Loaded> {
  const read = (ref: FeatureRef | undefined) => (ref ? readFeatureSet(ref.dir, s.count, ref.dim) : Promise.resolve(undefined));
  const [text, image, flip, ...variants] = await Promise.all([read(s.text), read(s.image), read(s.image?.flip), ...(s.text?.variants ?? []).map(read)]);
  return { text, image, flip, variants: variants as Float32Array[] };
}

/** Rows of several matrices, stacked. */
function stack(parts: { x?: Float32Array; rows: number[] }[], dim: number): Float32Array | undefined {
  if (!dim || parts.some((p) => !p.x)) return undefined;
  const out = new Float32Array(parts.reduce((n, p) => n + p.rows.length, 0) * dim);
  let at = 0;
  for (const p of parts) {
    gatherRows(p.x!, dim, p.rows, out.subarray(at * dim, (at + p.rows.length) * dim));
    at += p.rows.length;
  }
  return out;
}

/** Reads the cached features, trains the head, and streams each epoch to the main thread. */
export async function trainModel({ input, port }: TaskMessage<TrainModelInput>): Promise<{ model: TrainedModel; backend: string }> {
  const backend = await initBackend(input.device);
  const loaded = await Promise.all(input.sources.map(load));
  const c = input.classes;
  const labelsOf = (picks: { s: TrainingSource; rows: number[] }[]) => {
    const out = new Uint8Array(picks.reduce((n, p) => n + p.rows.length, 0) * c);
    let at = 0;
    for (const { s, rows } of picks) for (const r of rows) out.set(s.labels.subarray(r * c, (r + 1) * c), at++ * c);
    return out;
  };
  const train = input.sources.map((s, i) => ({ s, l: loaded[i], rows: s.trainRows }));
  const val = input.sources.map((s, i) => ({ s, l: loaded[i], rows: s.valRows }));
  const variantCount = Math.min(...loaded.map((l) => l.variants.length));
  const data: TrainingData = {
    classes: c,
    textDim: input.textDim,
    imageDim: input.imageDim,
    train: {
      n: train.reduce((n, p) => n + p.rows.length, 0),
      labels: labelsOf(train),
      text: stack(train.map((p) => ({ x: p.l.text, rows: p.rows })), input.textDim),
      image: stack(train.map((p) => ({ x: p.l.image, rows: p.rows })), input.imageDim),
      imageFlip: stack(train.map((p) => ({ x: p.l.flip, rows: p.rows })), input.imageDim),
      textVariants: Array.from({ length: variantCount }, (_, k) => stack(train.map((p) => ({ x: p.l.variants[k], rows: p.rows })), input.textDim)!),
    },
    val: {
      n: val.reduce((n, p) => n + p.rows.length, 0),
      labels: labelsOf(val),
      text: stack(val.map((p) => ({ x: p.l.text, rows: p.rows })), input.textDim),
      image: stack(val.map((p) => ({ x: p.l.image, rows: p.rows })), input.imageDim),
    },
  };
  const model = await trainHead(data, input.config, (report) => port.postMessage({ type: 'epoch', report } satisfies EpochMessage));
  return { model, backend: backend.label };
}
