/**
 * Loads an external version's ONNX model in a worker thread and holds it to its card: the bytes
 * must have the checksum the artifact store recorded, the card's inputs and output must be the
 * model's, with shapes that fit what the card makes. Worker-thread code: no database.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { OnnxComponentPlan, OnnxInputPlan } from './onnx-component.js';

/** Why the model cannot serve, safe to show: names inputs, outputs and files in its folder only. */
export class ModelUnavailable extends Error {}

type Tokenizer = (texts: string[], options: Record<string, unknown>) => Record<string, { data: BigInt64Array; dims: number[] }>;

export interface LoadedOnnx {
  kind: 'onnx';
  plan: OnnxComponentPlan;
  session: ort.InferenceSession;
  /** the batch every call must have when the model fixes it (an export without dynamic axes), else undefined */
  fixedBatch: number | undefined;
  /** declared input shapes and element types, by name */
  shapes: Map<string, { dims: readonly (number | string)[]; type: string }>;
  /** model inputs the card leaves out that a tokenizer gives too (attention_mask, token_type_ids) */
  companions: string[];
  tokenizers: Map<string, Tokenizer>;
}

const COMPANIONS = ['attention_mask', 'token_type_ids'];
const known = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;
const shown = (dims: readonly (number | string)[]) => `[${dims.map((d) => (known(d) ? d : typeof d === 'string' && d ? d : '?')).join(', ')}]`;
const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

export async function loadOnnx(plan: OnnxComponentPlan): Promise<LoadedOnnx> {
  const bytes = await readFile(plan.artifactPath).catch(() => undefined);
  if (!bytes) throw new ModelUnavailable(`its ${plan.file} is missing from the artifact store`);
  // Checked on the very bytes that are loaded, so no change can slip in between.
  if (createHash('sha256').update(bytes).digest('hex') !== plan.checksum) throw new ModelUnavailable(`its ${plan.file} has changed since it was uploaded (checksum differs)`);
  let session: ort.InferenceSession;
  try {
    // From bytes: a model whose weights sit in a separate file (over 2 GB) is not supported.
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  } catch {
    // ONNX Runtime's own message can quote the graph; the reason says what to check instead.
    throw new ModelUnavailable(`ONNX Runtime ${ort.env.versions.common} cannot load its ${plan.file} (a single-file ONNX model of opset 7 to 21 is needed)`);
  }
  try {
    return { ...(await check(plan, session)), kind: 'onnx', plan, session };
  } catch (error) {
    await session.release();
    throw error;
  }
}

async function check(plan: OnnxComponentPlan, session: ort.InferenceSession) {
  const shapes = new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? { dims: m.shape, type: m.type as string } : { dims: [], type: 'non-tensor' }]));
  for (const input of plan.inputs) {
    if (!shapes.has(input.name)) throw new ModelUnavailable(`its card names input "${input.name}", and the ONNX model's inputs are ${quoted(session.inputNames)}`);
  }
  const hasTokens = plan.inputs.some((i) => i.kind === 'tokens');
  const companions = session.inputNames.filter((n) => !plan.inputs.some((i) => i.name === n) && hasTokens && COMPANIONS.includes(n));
  const missing = session.inputNames.find((n) => !plan.inputs.some((i) => i.name === n) && !companions.includes(n));
  if (missing) throw new ModelUnavailable(`the ONNX model also needs input "${missing}", which its card does not describe`);
  if (!session.outputNames.includes(plan.output.name)) throw new ModelUnavailable(`its card names output "${plan.output.name}", and the ONNX model's outputs are ${quoted(session.outputNames)}`);

  for (const input of plan.inputs) checkInput(input, shapes.get(input.name)!);
  const out = session.outputMetadata.find((m) => m.name === plan.output.name)!;
  if (out.isTensor) {
    if (out.type !== 'float32') throw new ModelUnavailable(`its output "${out.name}" holds ${out.type}; logits must be float32`);
    const last = out.shape[out.shape.length - 1];
    if ((out.shape.length && out.shape.length !== 2) || (known(last) && last !== plan.output.labels)) {
      throw new ModelUnavailable(`its output "${out.name}" has shape ${shown(out.shape)}, and its card lists ${plan.output.labels} labels: logits must be [batch, ${plan.output.labels}]`);
    }
  }
  const batches = [...shapes.values()].map((s) => s.dims[0]).filter(known);
  const fixedBatch = batches.length ? Math.min(...batches) : undefined;
  const tokenizers = new Map<string, Tokenizer>();
  for (const input of plan.inputs) if (input.kind === 'tokens') tokenizers.set(input.name, await loadTokenizer(input));
  return { shapes, fixedBatch, companions, tokenizers };
}

/** The declared shape must take what the card makes; free (symbolic) dimensions take anything. */
function checkInput(input: OnnxInputPlan, declared: { dims: readonly (number | string)[]; type: string }): void {
  const say = (wants: string) => new ModelUnavailable(`its input "${input.name}" is ${declared.type} ${shown(declared.dims)}, and its card makes ${wants}`);
  const fits = (wanted: (number | undefined)[]) => declared.dims.length === wanted.length && wanted.every((w, i) => w === undefined || !known(declared.dims[i]) || declared.dims[i] === w);
  if (input.kind === 'features') {
    const dim = input.encoder.dim ?? undefined;
    if (declared.type !== 'float32' || !fits([undefined, dim])) throw say(`float32 [batch, ${dim ?? 'features'}] (${input.encoder.spec.id} features)`);
  } else if (input.kind === 'image') {
    const { height: h, width: w } = input.resize;
    const wanted = input.layout === 'NCHW' ? [undefined, 3, h, w] : [undefined, h, w, 3];
    if (declared.type !== 'float32' || !fits(wanted)) throw say(`float32 ${shown(wanted.map((d) => d ?? 'batch'))} (${input.layout})`);
  } else if (!['int64', 'int32'].includes(declared.type) || !fits([undefined, input.maxLength])) {
    throw say(`int64 [batch, ${input.maxLength}] (token ids, padded to maxLength)`);
  }
}

async function loadTokenizer(input: Extract<OnnxInputPlan, { kind: 'tokens' }>): Promise<Tokenizer> {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  // The folder came with the model: never reach for the hub.
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  try {
    // An absolute path is not a hub id, so transformers.js reads the files from it directly.
    return (await AutoTokenizer.from_pretrained(input.tokenizerDir, { local_files_only: true })) as unknown as Tokenizer;
  } catch {
    throw new ModelUnavailable(`the tokenizer of its input "${input.name}" cannot be loaded (its folder needs tokenizer.json and tokenizer_config.json)`);
  }
}
