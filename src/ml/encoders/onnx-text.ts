/**
 * `onnx-text`: a frozen transformer text encoder exported to ONNX (e.g. a sentence-transformers
 * model or BERT-tiny), run by ONNX Runtime through @huggingface/transformers' feature-extraction
 * pipeline: its tokenizer, then mean pooling over the attention mask, optionally L2-normalised.
 *
 * Offline by default: a local folder with config.json, tokenizer.json, tokenizer_config.json and
 * onnx/model.onnx (onnx/model_quantized.onnx for `quantized`). A hub id is fetched only when
 * given without a path (the machine must be online).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TextEncoder } from './types.js';
import type { EncoderSource } from './types.js';

export interface OnnxTextOptions extends EncoderSource {
  /** L2-normalise each vector (sentence-transformers models expect it); default false */
  normalize?: boolean;
  /** use onnx/model_quantized.onnx (int8) instead of onnx/model.onnx */
  quantized?: boolean;
  /** captions per ONNX Runtime call; default 64 */
  batchSize?: number;
  /** ONNX Runtime intra-op threads; default 1 (worker threads run side by side, see DESIGN.md) */
  threads?: number;
}

/** The files a local folder must hold. */
export function requiredOnnxTextFiles(quantized = false): string[] {
  return ['config.json', 'tokenizer.json', 'tokenizer_config.json', quantized ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx'];
}

type Extractor = (texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<{ dims: number[]; data: Float32Array; dispose?: () => void }>;

/** Creates the `onnx-text` encoder from a local folder (offline) or a hub id (online). */
export async function createOnnxTextEncoder(options: OnnxTextOptions): Promise<TextEncoder> {
  const quantized = options.quantized ?? false;
  const normalize = options.normalize ?? false;
  const batchSize = options.batchSize ?? 64;
  let modelId: string;
  const hash = createHash('sha256').update(JSON.stringify({ normalize, quantized, pooling: 'mean' }));
  if (options.path) {
    const folder = resolve(options.path);
    const missing = requiredOnnxTextFiles(quantized).filter((f) => !existsSync(join(folder, f)));
    if (missing.length) throw new Error(`ONNX text model folder ${folder} lacks ${missing.join(', ')} (needs ${requiredOnnxTextFiles(quantized).join(', ')})`);
    for (const f of requiredOnnxTextFiles(quantized)) hash.update(readFileSync(join(folder, f)));
    // An absolute path is not a hub id, so transformers.js reads the files from it directly.
    modelId = folder;
  } else if (options.hubId) {
    modelId = options.hubId;
    hash.update(`hub:${options.hubId}`);
  } else {
    throw new Error('onnx-text needs path (a local folder) or hubId');
  }
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowLocalModels = true;
  // Never reach for the network when a folder is given; a hub id needs it.
  env.allowRemoteModels = !options.path;
  const extractor = (await pipeline('feature-extraction', modelId, {
    dtype: quantized ? 'q8' : 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: options.threads ?? 1, interOpNumThreads: 1 },
  })) as unknown as Extractor & { dispose(): Promise<void>; model: { config: Record<string, unknown> } };
  const run = async (captions: string[]): Promise<Float32Array[]> => {
    const out = await extractor(captions, { pooling: 'mean', normalize });
    const dim = out.dims[1];
    const rows = captions.map((_, i) => out.data.slice(i * dim, (i + 1) * dim));
    out.dispose?.();
    return rows;
  };
  const dim = (await run(['a']))[0].length;
  const parameters = options.path ? Math.round(statSync(join(resolve(options.path), requiredOnnxTextFiles(quantized)[3])).size / (quantized ? 1 : 4)) : 0;
  return {
    id: 'onnx-text',
    modality: 'text',
    version: hash.digest('hex').slice(0, 16),
    dim,
    preprocessing: { tokenizer: 'tokenizer.json', pooling: 'mean', normalize, quantized, source: options.path ? `path:${resolve(options.path)}` : `hub:${options.hubId}` },
    parameters,
    backend: 'onnxruntime-cpu',
    async encode(captions) {
      const out: Float32Array[] = [];
      for (let s = 0; s < captions.length; s += batchSize) out.push(...(await run(captions.slice(s, s + batchSize))));
      return out;
    },
    async dispose() {
      await extractor.dispose();
    },
  };
}
