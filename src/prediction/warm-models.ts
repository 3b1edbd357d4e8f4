/**
 * What a prediction thread keeps loaded: model versions (a few, least recently used out), the
 * heads and fine-tuned BERTs they are made of, and the encoders that turn raw inputs into their
 * features. Worker-thread state only; see predictor.ts for its use.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { loadBert, type LoadedBert } from '../ml/encoders/bert.js';
import { createEncoder } from '../ml/encoders/registry.js';
import type { Encoder } from '../ml/encoders/types.js';
import { loadArtifact } from '../training/artifact.js';
import { loadModel, type LoadedModel } from '../training/model.js';
import { Lru } from './lru.js';
import { loadOnnx, type LoadedOnnx } from './onnx-session.js';
import { planEncoders, type ComponentPlan, type EncoderPlan, type PredictorPlan } from './plan.js';

export type LoadedComponent =
  | { kind: 'head'; model: LoadedModel; text?: EncoderPlan; image?: EncoderPlan }
  | { kind: 'bert'; bert: LoadedBert; kernel: tf.Tensor2D; bias: tf.Tensor1D }
  | LoadedOnnx;

export interface WarmModel {
  components: LoadedComponent[];
  /** keys of the components, as held in `heads` */
  componentKeys: string[];
  /** encoders this version holds (acquired on its first raw samples) */
  encoderKeys: string[] | undefined;
}

/** Values shared by several holders, disposed when the last one lets go. */
class Shared<T> {
  private readonly entries = new Map<string, { value: Promise<T>; users: number }>();

  constructor(private readonly dispose: (value: T) => void) {}

  has = (key: string) => this.entries.has(key);
  get = (key: string) => this.entries.get(key)?.value;

  acquire(key: string, create: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry) {
      entry.users++;
      return entry.value;
    }
    const value = create();
    this.entries.set(key, { value, users: 1 });
    value.catch(() => this.entries.get(key)?.value === value && this.entries.delete(key));
    return value;
  }

  release(key: string): void {
    const entry = this.entries.get(key);
    if (entry && --entry.users === 0) {
      this.entries.delete(key);
      void entry.value.then(this.dispose, () => undefined);
    }
  }
}

/** Model versions each thread keeps warm; a moved alias points at a new id, so the old one ages out. */
const MAX_MODELS = 3;

export function disposeComponent(c: LoadedComponent): void {
  if (c.kind === 'head') c.model.dispose();
  else if (c.kind === 'onnx') void c.session.release();
  else {
    c.bert.model.dispose();
    tf.dispose([c.kernel, c.bias]);
  }
}

// Versions share what they have in common: a retrained head keeps its encoder, and a fusion's
// component is often registered on its own too. Sharing is also required: loadModel names its
// TF.js variables after the run, and a run's model loaded twice in one thread would collide.
const heads = new Shared<LoadedComponent>(disposeComponent);
const encoders = new Shared<Encoder>((e) => void e.dispose());
const models = new Lru<string, Promise<WarmModel>>(MAX_MODELS, (loaded) => void loaded.then(release, () => undefined));

function release(loaded: WarmModel): void {
  loaded.componentKeys.forEach((k) => heads.release(k));
  (loaded.encoderKeys ?? []).forEach((k) => encoders.release(k));
}

/** A component: a head rebuilt from its artifact, or a fine-tuned BERT with its classifier. */
export async function loadComponent(c: ComponentPlan): Promise<LoadedComponent> {
  if (c.kind === 'onnx') return loadOnnx(c);
  if (c.kind === 'head') return { kind: 'head', model: loadModel(await loadArtifact(c.artifactPath)), text: c.text, image: c.image };
  const doc = JSON.parse(await readFile(c.artifactPath, 'utf8')) as { model: { head: { kernel: { shape: number[]; data: number[] }; bias: { data: number[] } } } };
  const { kernel, bias } = doc.model.head;
  const bert = await loadBert({ path: c.bertDir, maxLength: c.maxLength });
  return { kind: 'bert', bert, kernel: tf.tensor2d(kernel.data, kernel.shape as [number, number]), bias: tf.tensor1d(bias.data) };
}

/** The plan's version, loaded once per thread and kept among the last few used. */
export function warmModel(plan: PredictorPlan): Promise<WarmModel> {
  let loading = models.get(plan.key);
  if (!loading) {
    loading = load(plan);
    models.set(plan.key, loading);
    loading.catch(() => models.delete(plan.key));
  }
  return loading;
}

async function load(plan: PredictorPlan): Promise<WarmModel> {
  const loaded: WarmModel = { components: [], componentKeys: plan.components.map(componentKey), encoderKeys: undefined };
  const pending = plan.components.map((c) => heads.acquire(componentKey(c), () => loadComponent(c)));
  try {
    loaded.components = await Promise.all(pending);
    return loaded;
  } catch (error) {
    await Promise.allSettled(pending);
    release(loaded);
    throw error;
  }
}

// An ONNX file is held to its version's card (inputs, labels), so it is shared by version, not by file.
const componentKey = (c: ComponentPlan) => (c.kind === 'onnx' ? `onnx:${c.key}` : c.artifactPath);

/**
 * Makes sure the version holds its encoders and that they are built. Returns the keys of fitted
 * encoders it cannot build without their captions (none in `fitCaptions`), building nothing then.
 * An encoder that fails to build takes the version out of the cache, so that the next request
 * tries afresh.
 */
export async function readyEncoders(plan: PredictorPlan, model: WarmModel, fitCaptions: Record<string, string[]> = {}): Promise<string[]> {
  if (!model.encoderKeys) {
    const used = planEncoders(plan);
    const missing = used.filter((e) => e.fit && !encoders.has(e.key) && !fitCaptions[e.key]);
    if (missing.length) return missing.map((e) => e.key);
    used.forEach((e) => void encoders.acquire(e.key, () => buildEncoder(plan, e, fitCaptions[e.key])).catch(() => undefined));
    model.encoderKeys = used.map((e) => e.key);
  }
  try {
    await Promise.all(model.encoderKeys.map((key) => encoders.get(key) ?? Promise.reject(new Error(`encoder ${key} failed to build`))));
  } catch (error) {
    models.delete(plan.key);
    release(model);
    throw error;
  }
  return [];
}

/** A built encoder of a version that has called readyEncoders. */
export const encoderOf = async (key: string): Promise<Encoder> => (await encoders.get(key))!;

function buildEncoder(plan: PredictorPlan, e: EncoderPlan, fitCaptions: string[] | undefined): Promise<Encoder> {
  return createEncoder(e.spec, fitCaptions ?? []).then((made) => {
    // The same spec can give other features than training saw: other weights in the folder, or
    // (fitted encoders) other captions. Predicting with those would be silently wrong.
    if (e.version !== null && made.version !== e.version) {
      void made.dispose();
      throw new Error(`model ${plan.label}: its ${e.spec.id} encoder now builds as version ${made.version}, but the model was trained on version ${e.version} (its weights or training captions changed)`);
    }
    return made;
  });
}
