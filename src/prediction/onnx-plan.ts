import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { ENCODER_KINDS } from '../ml/encoders/registry.js';
import type { ModelArtifact } from '../training/artifact.js';
import type { ResolvedModel } from './model-ref.js';
import { onnxNeeds, type OnnxComponentPlan, type OnnxInputPlan } from './onnx-component.js';
import type { EncoderPlan, PredictorPlan } from './plan.js';
import { folderFiles, runModelFile } from './repository.js';
import { FileProblem, verifiedBytes } from './stored-file.js';

const triple = z.tuple([z.number(), z.number(), z.number()]);
const inputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('features'), name: z.string(), encoder: z.string(), encoderRunId: z.string().optional() }),
  z.object({ kind: z.literal('image'), name: z.string(), size: z.tuple([z.number().int().positive(), z.number().int().positive()]), layout: z.enum(['NCHW', 'NHWC']), scale: z.number().positive(), mean: triple, std: triple }),
  z.object({ kind: z.literal('tokens'), name: z.string(), tokenizer: z.string(), maxLength: z.number().int().positive() }),
]);

/**
 * What serving reads of the signature the registry recorded for an external version: its model
 * card, checked against the ONNX graph and normalised (src/registry/signature.ts and
 * docs/MODEL_CARD.md). Versions are immutable, so this is the card as registered.
 */
const signatureSchema = z.object({
  inputs: z.array(inputSchema).min(1),
  labels: z.array(z.number().int()).min(1),
  folder: z.string(),
  model: z.string(),
  output: z.object({ name: z.string() }),
  labelPolicy: z.object({ threshold: z.number(), atLeastOne: z.boolean() }).default({ threshold: 0.5, atLeastOne: true }),
});
type Signature = z.infer<typeof signatureSchema>;
type SignatureInput = Signature['inputs'][number];

/**
 * The plan of an external version: its recorded signature turned into one ONNX component. The
 * ONNX file is the version's artifact, whose bytes the worker thread checks against the recorded
 * sha256 as it loads them; tokenizer folders and encoder runs' models are made local (from the
 * bucket) and checked here. Every problem is MODEL_UNAVAILABLE with a reason that names files
 * inside the version's folder only.
 */
export async function buildOnnxPlan(prisma: PrismaClient, artifactRoot: string, model: ResolvedModel): Promise<PredictorPlan> {
  const unavailable = (reason: string) => errors.modelUnavailable(model.reference, reason);
  const raw = typeof model.signature === 'string' ? JSON.parse(model.signature) : model.signature;
  const parsed = signatureSchema.safeParse(raw);
  if (!parsed.success) throw unavailable(`version ${model.version} has no signature this server can read; register it again`);
  const signature = parsed.data;
  const file = `${signature.folder ? `${signature.folder}/` : ''}${signature.model}`;
  // The registry records the ONNX file as the version's artifact, under the run's folder.
  if (!model.artifactUri || !model.artifactChecksum || !model.runId || model.artifactUri !== `${model.runId}/${file}`) {
    throw unavailable(`version ${model.version} records no ONNX file`);
  }
  try {
    const inputs: OnnxInputPlan[] = [];
    for (const input of signature.inputs) inputs.push(await inputPlan(prisma, artifactRoot, model.runId, signature.folder, input));
    const component: OnnxComponentPlan = {
      kind: 'onnx',
      key: model.versionId,
      artifactPath: join(artifactRoot, model.artifactUri),
      file: signature.model,
      checksum: model.artifactChecksum,
      inputs,
      output: { name: signature.output.name, labels: signature.labels.length },
    };
    return {
      key: model.versionId,
      label: `${model.modelName}/${model.version}`,
      head: 'onnx',
      classIds: signature.labels,
      thresholds: signature.labels.map(() => signature.labelPolicy.threshold),
      atLeastOne: signature.labelPolicy.atLeastOne,
      needs: onnxNeeds(component),
      components: [component],
    };
  } catch (err) {
    if (err instanceof FileProblem) throw unavailable(err.message);
    throw err;
  }
}

async function inputPlan(prisma: PrismaClient, root: string, runId: string, folder: string, input: SignatureInput): Promise<OnnxInputPlan> {
  if (input.kind === 'features') return { name: input.name, kind: 'features', encoder: await featuresEncoder(prisma, root, input) };
  if (input.kind === 'image') {
    const [height, width] = input.size;
    return { name: input.name, kind: 'image', resize: { width, height, fit: 'fill' }, normalisation: { scale: 1 / input.scale, mean: input.mean, std: input.std }, layout: input.layout };
  }
  // transformers.js reads the tokenizer's files by path: each is made local and checked first.
  const prefix = `${input.tokenizer.replace(/\/+$/, '')}/`;
  const files = (await folderFiles(prisma, runId, folder)).map((f) => ({ ...f, name: folder ? f.name.slice(folder.length + 1) : f.name })).filter((f) => f.name.startsWith(prefix));
  const tokenizer = files.find((f) => f.name === `${prefix}tokenizer.json`);
  if (!tokenizer) throw new FileProblem(`its input "${input.name}" has no ${prefix}tokenizer.json`);
  for (const f of files) await verifiedBytes(root, f, f.name);
  return { name: input.name, kind: 'tokens', tokenizerDir: dirname(join(root, tokenizer.uri)), maxLength: input.maxLength };
}

/**
 * The encoder a features input reads, as the training features were made: the encoder of the
 * run the card names (its settings, weights and, for fitted encoders, the datasets its
 * vocabulary came from), pinned to that run's version; or, without a run, the encoder with no
 * settings at the version it builds now, which only encoders with fixed weights allow.
 */
async function featuresEncoder(prisma: PrismaClient, root: string, input: Extract<SignatureInput, { kind: 'features' }>): Promise<EncoderPlan> {
  const where = `its input "${input.name}"`;
  const kind = ENCODER_KINDS[input.encoder];
  if (!kind) throw new FileProblem(`${where} reads features of encoder ${input.encoder}, which this server does not know`);
  if (!input.encoderRunId) {
    const spec = { id: input.encoder, path: null, hubId: null };
    if (kind.fitted(spec) || kind.needsWeights) throw new FileProblem(`${where}: encoder ${input.encoder} is fitted or needs weights, so the card must name encoderRunId, the run whose encoder made the training features`);
    return { key: `${JSON.stringify(spec)}@current`, modality: kind.modality, spec, version: null, dim: null };
  }
  const file = await runModelFile(prisma, input.encoderRunId);
  if (!file) throw new FileProblem(`${where}: run ${input.encoderRunId} has no tagfusion model to take encoder ${input.encoder} from`);
  const doc = JSON.parse((await verifiedBytes(root, file, `encoder run ${input.encoderRunId}'s model`)).toString('utf8')) as ModelArtifact;
  const used = doc.format === 'tagfusion-model/1' ? [doc.encoders.text, doc.encoders.image].find((e) => e?.spec.id === input.encoder) : undefined;
  if (!used) throw new FileProblem(`${where}: run ${input.encoderRunId} did not train on encoder ${input.encoder} features`);
  const spec = { id: used.spec.id, path: used.spec.path ?? null, hubId: used.spec.hubId ?? null, ...(used.spec.options ? { options: used.spec.options } : {}) };
  const fit = kind.fitted(spec) ? { datasetId: doc.training.datasetId, extraTrainDatasetIds: doc.training.extraTrainDatasetIds ?? [] } : undefined;
  return { key: `${JSON.stringify(spec)}@${used.info.version}`, modality: kind.modality, spec, version: used.info.version, dim: used.info.dim, ...(fit ? { fit } : {}) };
}
