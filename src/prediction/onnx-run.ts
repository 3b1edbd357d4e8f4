/**
 * Runs an external version's ONNX model on a batch of samples: each card input becomes a tensor
 * (encoder features, a decoded and normalised image, or token ids), and the output is the
 * logits over the card's labels. Worker-thread code: no database.
 */
import * as ort from 'onnxruntime-node';
import { loadRgb, writeChw, writeHwcNormalised } from '../ml/encoders/image-preprocess.js';
import type { OnnxInputPlan } from './onnx-component.js';
import { ModelUnavailable, type LoadedOnnx } from './onnx-session.js';
import type { EncoderPlan } from './plan.js';

/** Samples per ONNX Runtime call when the model leaves the batch free: bounds the image tensors' memory. */
const CHUNK = 64;

/** Where a batch's raw inputs come from (each called only when the model reads that kind). */
export interface OnnxSources {
  /** features of every sample, row-major (samples × dim) */
  featuresOf(e: EncoderPlan): Promise<Float32Array>;
  captions(): string[];
  /** image file paths, one per sample */
  images(): string[];
}

export async function onnxLogits(m: LoadedOnnx, n: number, src: OnnxSources): Promise<Float32Array> {
  const c = m.plan.output.labels;
  const out = new Float32Array(n * c);
  if (n === 0) return out;
  const features = new Map<string, { data: Float32Array; dim: number }>();
  for (const input of m.plan.inputs) {
    if (input.kind !== 'features') continue;
    const data = await src.featuresOf(input.encoder);
    const dim = data.length / n;
    const declared = m.shapes.get(input.name)!.dims[1];
    if (typeof declared === 'number' && declared > 0 && declared !== dim) {
      throw new ModelUnavailable(`its input "${input.name}" takes ${declared} features, and encoder ${input.encoder.spec.id} gives ${dim}`);
    }
    features.set(input.name, { data, dim });
  }
  const captions = m.plan.inputs.some((i) => i.kind === 'tokens') ? src.captions() : [];
  const images = m.plan.inputs.some((i) => i.kind === 'image') ? src.images() : [];

  const step = m.fixedBatch ?? CHUNK;
  for (let start = 0; start < n; start += step) {
    const rows = Math.min(step, n - start);
    // A model exported with a fixed batch gets exactly that many rows, the last call padded.
    const batch = m.fixedBatch ?? rows;
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of m.plan.inputs) {
      if (input.kind === 'features') {
        const { data, dim } = features.get(input.name)!;
        const rowsData = new Float32Array(batch * dim);
        rowsData.set(data.subarray(start * dim, (start + rows) * dim));
        feeds[input.name] = new ort.Tensor('float32', rowsData, [batch, dim]);
      } else if (input.kind === 'image') {
        feeds[input.name] = await imageTensor(input, images.slice(start, start + rows), batch);
      } else {
        Object.assign(feeds, tokenTensors(m, input, captions.slice(start, start + rows), batch));
      }
    }
    const result = await m.session.run(feeds, [m.plan.output.name]);
    const logits = result[m.plan.output.name];
    try {
      if (logits.dims.length !== 2 || logits.dims[0] !== batch || logits.dims[1] !== c) {
        throw new ModelUnavailable(`its output "${m.plan.output.name}" came out as [${logits.dims.join(', ')}] for ${batch} samples, and its card lists ${c} labels`);
      }
      out.set((logits.data as Float32Array).subarray(0, rows * c), start * c);
    } finally {
      logits.dispose();
    }
  }
  return out;
}

/** Decodes, resizes and normalises the images as the card says, in the card's layout; padding rows stay zero. */
async function imageTensor(input: Extract<OnnxInputPlan, { kind: 'image' }>, paths: string[], batch: number): Promise<ort.Tensor> {
  const { width: w, height: h } = input.resize;
  const size = 3 * h * w;
  const pixels = new Float32Array(batch * size);
  const write = input.layout === 'NCHW' ? writeChw : writeHwcNormalised;
  const decoded = await Promise.all(paths.map((p) => loadRgb(p, input.resize)));
  decoded.forEach((image, i) => write(image, input.normalisation, pixels, i * size));
  return new ort.Tensor('float32', pixels, input.layout === 'NCHW' ? [batch, 3, h, w] : [batch, h, w, 3]);
}

/** Token ids padded (and cut) to maxLength, with the mask and type ids when the model takes them too. */
function tokenTensors(m: LoadedOnnx, input: Extract<OnnxInputPlan, { kind: 'tokens' }>, captions: string[], batch: number): Record<string, ort.Tensor> {
  const texts = [...captions, ...Array<string>(batch - captions.length).fill('')];
  const encoded = m.tokenizers.get(input.name)!(texts, { padding: 'max_length', truncation: true, max_length: input.maxLength, return_token_type_ids: true });
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, key] of [[input.name, 'input_ids'], ...m.companions.map((n) => [n, n])]) {
    // A tokenizer without segment ids (most single-text ones) means segment 0 throughout.
    const t = encoded[key] ?? (key === 'token_type_ids' ? { data: new BigInt64Array(batch * input.maxLength), dims: [batch, input.maxLength] } : undefined);
    if (!t) throw new ModelUnavailable(`the tokenizer of its input "${input.name}" gives no ${key}`);
    const int32 = m.shapes.get(name)!.type === 'int32';
    feeds[name] = int32 ? new ort.Tensor('int32', Int32Array.from(t.data, Number), t.dims) : new ort.Tensor('int64', BigInt64Array.from(t.data), t.dims);
  }
  return feeds;
}
