/**
 * Prediction inside a worker thread: loads a model version once and keeps it (and its encoders)
 * warm, then turns raw captions and images, or cached dataset features, into probabilities.
 * Compute only: no database; the main thread sends a plan (see plan.ts) and gets numbers back.
 */
import * as tf from '@tensorflow/tfjs';
import { readFeatureSet } from '../features/store.js';
import { initBackend, type DevicePreference } from '../ml/backend.js';
import { bertFeatures } from '../ml/encoders/bert.js';
import { gatherRows } from '../ml/features-matrix.js';
import { combineLogits } from '../ml/stacker.js';
import { onnxLogits, type OnnxSources } from './onnx-run.js';
import { ModelUnavailable } from './onnx-session.js';
import { planEncoders, type EncoderPlan, type PredictorPlan } from './plan.js';
import { materialiseImages } from './scratch-images.js';
import { disposeComponent, encoderOf, loadComponent, readyEncoders, warmModel, type LoadedComponent, type WarmModel } from './warm-models.js';

/** Rows of a dataset per model call: bounds memory, and paces progress messages. */
const CHUNK = 2048;

/** An image: a checked path on the server, or the file's bytes in base64. */
export type ImageRef = { path: string } | { base64: string };

export interface RawSample {
  caption?: string | null;
  image?: ImageRef | null;
}

export interface PredictTaskInput {
  device: DevicePreference;
  plan: PredictorPlan;
  /** captions of each fitted encoder (by key), sent only when a thread has asked for them */
  fitCaptions?: Record<string, string[]>;
  /** samples to encode here; an empty list only loads the model (warm-up) */
  samples?: RawSample[];
  /** rows of a dataset whose features are cached (by encoder key), with their captions (BERT, token ids) and image paths (image tensors) */
  dataset?: { count: number; rows: number[]; features: Record<string, { dir: string; dim: number }>; captions?: string[]; images?: string[] };
}

export type PredictTaskOutput =
  /** `seconds`: the task's own time, loading included (dataset rows only) */
  | { status: 'ok'; n: number; probs: Float32Array; seconds?: number }
  /** the thread has not loaded the model and needs these fitted encoders' captions */
  | { status: 'needs-fit'; keys: string[] }
  /** a sample the model cannot read: its index and why */
  | { status: 'bad-input'; index: number; message: string }
  /** an external model that cannot serve as its card says: why, safe to show */
  | { status: 'unavailable'; reason: string };

export interface ProgressMessage {
  type: 'progress';
  done: number;
  total: number;
}

/**
 * Runs one prediction task. Raw samples: the plan's model and encoders stay loaded in this
 * thread (the prediction pool's threads live as long as the server); a fitted encoder it lacks
 * is answered with `needs-fit`, since its captions are large and the main thread sends them only
 * when asked. Dataset rows: the job pool's threads are shared with training, whose fusion loads
 * the same runs' heads, so the model is loaded for the task only.
 */
export async function runPrediction(input: PredictTaskInput, onProgress: (m: ProgressMessage) => void = () => undefined): Promise<PredictTaskOutput> {
  try {
    return await predictWith(input, onProgress);
  } catch (error) {
    if (error instanceof ModelUnavailable) return { status: 'unavailable', reason: error.message };
    throw error;
  }
}

async function predictWith(input: PredictTaskInput, onProgress: (m: ProgressMessage) => void): Promise<PredictTaskOutput> {
  const started = performance.now();
  await initBackend(input.device);
  const { plan } = input;
  if (input.dataset) {
    const components: LoadedComponent[] = [];
    try {
      for (const c of plan.components) components.push(await loadComponent(c));
      const out = await predictDataset(plan, components, input.dataset, onProgress);
      return { ...out, seconds: (performance.now() - started) / 1000 };
    } finally {
      components.forEach(disposeComponent);
    }
  }
  const model = await warmModel(plan);
  const needs = await readyEncoders(plan, model, input.fitCaptions);
  if (needs.length) return { status: 'needs-fit', keys: needs };
  return predictSamples(plan, model, input.samples ?? []);
}

async function predictSamples(plan: PredictorPlan, model: WarmModel, samples: RawSample[]): Promise<PredictTaskOutput> {
  const n = samples.length;
  if (n === 0) return { status: 'ok', n, probs: new Float32Array(0) }; // a warm-up
  const images = await materialiseImages(samples);
  try {
    const features = new Map<string, Float32Array>();
    const featuresOf = async (e: EncoderPlan): Promise<Float32Array> => {
      const cached = features.get(e.key);
      if (cached) return cached;
      const encoder = await encoderOf(e.key);
      const vectors = encoder.modality === 'text' ? await encoder.encode(samples.map((s) => s.caption ?? '')) : await encoder.encode(images.paths.map((path) => ({ path })));
      const out = new Float32Array(n * encoder.dim);
      vectors.forEach((v, i) => out.set(v, i * encoder.dim));
      features.set(e.key, out);
      return out;
    };
    const logits = await averageLogits(plan, model.components, n, { featuresOf, captions: () => samples.map((s) => s.caption ?? ''), images: () => images.paths });
    return { status: 'ok', n, probs: sigmoid(logits) };
  } catch (error) {
    // An image that does not decode is the caller's mistake; say which one it is.
    const message = (error as Error).message;
    const index = images.paths.findIndex((p) => p && message.includes(p));
    if (index >= 0) return { status: 'bad-input', index, message: `the image does not decode (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : 'unreadable'})` };
    throw error;
  } finally {
    await images.cleanup();
  }
}

async function predictDataset(plan: PredictorPlan, components: LoadedComponent[], d: NonNullable<PredictTaskInput['dataset']>, onProgress: (m: ProgressMessage) => void) {
  const matrices = new Map<string, { values: Float32Array; dim: number }>();
  for (const e of planEncoders(plan)) {
    const ref = d.features[e.key];
    if (!ref) throw new Error(`no cached ${e.spec.id} features (version ${e.version}) were given`);
    if (e.dim !== null && ref.dim !== e.dim) throw new Error(`cached ${e.spec.id} features have ${ref.dim} dimensions, the model reads ${e.dim}`);
    matrices.set(e.key, { values: await readFeatureSet(ref.dir, d.count, ref.dim), dim: ref.dim });
  }
  const c = plan.classIds.length;
  const probs = new Float32Array(d.rows.length * c);
  for (let start = 0; start < d.rows.length; start += CHUNK) {
    const rows = d.rows.slice(start, start + CHUNK);
    const featuresOf = async (e: EncoderPlan) => gatherRows(matrices.get(e.key)!.values, matrices.get(e.key)!.dim, rows);
    const slice = (values: string[] | undefined) => () => values!.slice(start, start + rows.length);
    const logits = await averageLogits(plan, components, rows.length, { featuresOf, captions: slice(d.captions), images: slice(d.images) });
    probs.set(sigmoid(logits), start * c);
    onProgress({ type: 'progress', done: start + rows.length, total: d.rows.length });
  }
  return { status: 'ok' as const, n: d.rows.length, probs };
}

/**
 * The paper's logits fusion: the mean of the components' logits (one component: its logits);
 * a stack's per-class weighted sum instead.
 */
async function averageLogits(plan: PredictorPlan, components: LoadedComponent[], n: number, sources: OnnxSources): Promise<Float32Array> {
  const { featuresOf, captions } = sources;
  const c = plan.classIds.length;
  const parts: Float32Array[] = [];
  for (const component of components) {
    let logits: Float32Array;
    if (component.kind === 'head') {
      const text = component.text && (await featuresOf(component.text));
      const image = component.image && (await featuresOf(component.image));
      logits = component.model.logits({ text, image }, n);
    } else if (component.kind === 'onnx') {
      logits = await onnxLogits(component, n, sources);
    } else {
      logits = bertLogits(component, captions(), c);
    }
    parts.push(logits);
  }
  return combineLogits(parts, n, c, plan.stacker);
}

function bertLogits(component: Extract<LoadedComponent, { kind: 'bert' }>, captions: string[], c: number): Float32Array {
  const out = new Float32Array(captions.length * c);
  for (let s = 0; s < captions.length; s += 256) {
    const l = tf.tidy(() => tf.add(tf.matMul(bertFeatures(component.bert, captions.slice(s, s + 256)), component.kernel), component.bias));
    out.set(l.dataSync(), s * c);
    l.dispose();
  }
  return out;
}

const sigmoid = (logits: Float32Array) => logits.map((z) => 1 / (1 + Math.exp(-z)));
