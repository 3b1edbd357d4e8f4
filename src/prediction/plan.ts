import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errors, isAppError } from '../errors.js';
import { ENCODER_KINDS, type EncoderSpec } from '../ml/encoders/registry.js';
import type { Modality } from '../ml/encoders/types.js';
import type { Stacker } from '../ml/stacker.js';
import { localArtifact, localArtifactFolder, type ModelArtifact } from '../training/artifact.js';
import type { ResolvedModel } from './model-ref.js';
import { onnxEncoders, type OnnxComponentPlan } from './onnx-component.js';

/** The training datasets whose captions a fitted encoder (tfidf, random-init bert) was fitted on. */
export interface FitSource {
  datasetId: string;
  extraTrainDatasetIds: string[];
}

/** A frozen encoder a model reads, pinned to the version it was trained with. */
export interface EncoderPlan {
  /** identity in a worker thread's cache: spec and version */
  key: string;
  modality: Modality;
  spec: EncoderSpec;
  /** null: the version it builds now (an external model's card may name an encoder without pinning it) */
  version: string | null;
  /** null: not known before the encoder is built */
  dim: number | null;
  /** present for fitted encoders: rebuilt from these datasets' captions, as training did */
  fit?: FitSource;
}

/** One set of logits: a head on encoder features, or a fine-tuned BERT with its classifier. */
export type ComponentPlan =
  | { kind: 'head'; artifactPath: string; text?: EncoderPlan; image?: EncoderPlan }
  | { kind: 'bert'; artifactPath: string; bertDir: string; maxLength: number }
  | OnnxComponentPlan;

/**
 * Everything a worker thread needs to load a model version and everything the main thread needs
 * to check inputs and assign labels. Serialisable; built once per version (versions are immutable).
 */
export interface PredictorPlan {
  /** the model version id: loaded models are cached under it */
  key: string;
  /** `name/version`, for messages */
  label: string;
  /** training head (vision, text, fm1…, text-finetune) */
  head: string;
  /** label ids in the order of the model's outputs */
  classIds: number[];
  /** per-class decision thresholds stored with the model */
  thresholds: number[];
  /** a sample with no probability above its threshold gets its best label (default true) */
  atLeastOne?: boolean;
  needs: { text: boolean; image: boolean };
  /** the model's logits are the mean of these components' logits (one for most models) */
  components: ComponentPlan[];
  /** a stack's per-class weights of its components' logits, instead of the mean */
  stacker?: Stacker;
}

interface FusionDocument {
  format: 'tagfusion-fusion/1';
  head: string;
  classIds: number[];
  thresholds: number[];
  components: { runId: string; artifact: string; format: string }[];
  stacker?: Stacker;
}

interface BertDocument {
  format: 'tagfusion-bert-finetune/1';
  classIds: number[];
  bert: { dir: string; maxLength: number };
  model: { thresholds: number[] };
}

type AnyDocument = ModelArtifact | FusionDocument | BertDocument;

/**
 * Reads a version's artifact (and, for a logits fusion, its components' artifacts) into a plan.
 * The model.json must still have the checksum training recorded: a changed file would predict
 * with other weights under the same version number. Files this machine lacks (a fine-tuned
 * BERT's folder too) are downloaded from the bucket first, so worker threads read local files.
 */
export async function buildPlan(artifactRoot: string, model: ResolvedModel): Promise<PredictorPlan> {
  const label = `${model.modelName}/${model.version}`;
  const unavailable = (reason: string) => errors.modelUnavailable(model.reference, reason);
  if (!model.artifactUri) throw unavailable(`version ${model.version} has no artifact`);
  const path = join(artifactRoot, model.artifactUri);
  const bytes = await readFile(await fetched(artifactRoot, model.artifactUri)).catch(() => undefined);
  if (!bytes) throw unavailable(`its artifact ${model.artifactUri} is missing from the artifact store`);
  if (model.artifactChecksum && createHash('sha256').update(bytes).digest('hex') !== model.artifactChecksum) {
    throw unavailable(`its artifact ${model.artifactUri} has changed since training wrote it (checksum differs)`);
  }
  const document = JSON.parse(bytes.toString('utf8')) as AnyDocument;
  const base = { key: model.versionId, label, classIds: document.classIds };
  if (document.format === 'tagfusion-fusion/1') {
    const components: ComponentPlan[] = [];
    for (const c of document.components) {
      const componentPath = join(artifactRoot, c.artifact);
      const doc = JSON.parse(await readFile(await fetched(artifactRoot, c.artifact), 'utf8').catch(() => {
        throw unavailable(`its component run ${c.runId}'s artifact ${c.artifact} is missing`);
      })) as AnyDocument;
      if (doc.format === 'tagfusion-fusion/1') throw unavailable('a fusion of fusions is not supported');
      if (doc.classIds.join() !== document.classIds.join()) throw unavailable(`component run ${c.runId} predicts other classes`);
      if (doc.format === 'tagfusion-bert-finetune/1') await localArtifactFolder(join(dirname(componentPath), doc.bert.dir));
      components.push(componentPlan(componentPath, doc));
    }
    return { ...base, head: document.head, thresholds: document.thresholds, needs: needsOf(components), components, ...(document.stacker ? { stacker: document.stacker } : {}) };
  }
  if (document.format === 'tagfusion-bert-finetune/1') {
    await localArtifactFolder(join(dirname(path), document.bert.dir));
    const components = [componentPlan(path, document)];
    return { ...base, head: 'text-finetune', thresholds: document.model.thresholds, needs: needsOf(components), components };
  }
  if (document.format === 'tagfusion-model/1') {
    const components = [componentPlan(path, document)];
    return { ...base, head: document.model.head, thresholds: document.model.thresholds, needs: needsOf(components), components };
  }
  throw unavailable(`its artifact has an unknown format ${String((document as { format?: unknown }).format)}`);
}

/** The local path of an artifact file, fetched from the bucket when missing here; store outages propagate. */
async function fetched(artifactRoot: string, uri: string): Promise<string> {
  return localArtifact(artifactRoot, uri).catch((err) => {
    if (isAppError(err) && err.code === 'STORE_OBJECT_MISSING') return join(artifactRoot, uri); // reported as missing by the read
    throw err;
  });
}

function componentPlan(path: string, doc: ModelArtifact | BertDocument): ComponentPlan {
  if (doc.format === 'tagfusion-bert-finetune/1') return { kind: 'bert', artifactPath: path, bertDir: join(dirname(path), doc.bert.dir), maxLength: doc.bert.maxLength };
  const fit = { datasetId: doc.training.datasetId, extraTrainDatasetIds: doc.training.extraTrainDatasetIds ?? [] };
  const encoder = (modality: Modality, e: ModelArtifact['encoders']['text']): EncoderPlan | undefined => {
    if (!e) return undefined;
    const spec = { id: e.spec.id, path: e.spec.path ?? null, hubId: e.spec.hubId ?? null };
    const fitted = ENCODER_KINDS[spec.id]?.fitted(spec) ?? false;
    return { key: `${JSON.stringify(spec)}@${e.info.version}`, modality, spec, version: e.info.version, dim: e.info.dim, ...(fitted ? { fit } : {}) };
  };
  return { kind: 'head', artifactPath: path, text: encoder('text', doc.encoders.text), image: encoder('image', doc.encoders.image) };
}

function needsOf(components: ComponentPlan[]): PredictorPlan['needs'] {
  return {
    text: components.some((c) => c.kind === 'bert' || (c.kind === 'head' && Boolean(c.text))),
    image: components.some((c) => c.kind === 'head' && Boolean(c.image)),
  };
}

/** The plan's encoders, each once (components of a fusion often share one). */
export function planEncoders(plan: PredictorPlan): EncoderPlan[] {
  const all = plan.components.flatMap((c) => (c.kind === 'head' ? [c.text, c.image].filter((e): e is EncoderPlan => Boolean(e)) : c.kind === 'onnx' ? onnxEncoders(c) : []));
  return [...new Map(all.map((e) => [e.key, e])).values()];
}
