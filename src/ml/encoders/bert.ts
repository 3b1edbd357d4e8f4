/**
 * `bert`: the paper's text module. A BERT (default shape BERT-tiny) from a local Hugging Face
 * folder (config.json, model.safetensors, vocab.txt or tokenizer.json), from the hub when
 * online, or, with no weights at all, seeded random weights over a WordPiece vocabulary built
 * from the training captions. `createBertEncoder` wraps it frozen; `loadBert` hands out the
 * trainable model for fine-tuning, and `saveBert` writes a folder that loads back exactly.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { BertModel, bertConfig, type BertConfig } from '../text/bert.js';
import { readSafetensorsFile } from '../text/safetensors.js';
import { WordPiece } from '../text/wordpiece.js';
import { downloadHubFiles } from './hub.js';
import type { EncoderSource, TextEncoder } from './types.js';

export interface BertOptions extends EncoderSource {
  /** with neither path nor hubId: build the vocabulary from these captions and start from random weights */
  vocabFromCaptions?: string[];
  /** seed of the random weights; default 0 */
  seed?: number;
  /** tokens per caption including [CLS] and [SEP]; default 64 (COCO captions rarely exceed 30) */
  maxLength?: number;
  /** architecture of a randomly initialised model (BERT-tiny by default); vocab_size follows the vocabulary */
  config?: Partial<BertConfig>;
  /** vocabulary size when built from captions; default 8000 */
  vocabSize?: number;
  /** hub address; default $HF_ENDPOINT or https://huggingface.co */
  hubEndpoint?: string;
  /**
   * hub revision; default "main". google/bert_uncased_L-2_H-128_A-2 has model.safetensors only
   * on "refs/pr/1" (the safetensors conversion); its main branch holds pytorch_model.bin only.
   */
  revision?: string;
  /** where hub downloads are kept; default $TAGFUSION_MODEL_CACHE or ~/.cache/tagfusion/hub */
  cacheDir?: string;
}

/** A trainable BERT with its tokenizer: what fine-tuning needs. */
export interface LoadedBert {
  model: BertModel;
  tokenizer: WordPiece;
  maxLength: number;
  /** "path:…", "hub:…" or "random:seed" */
  source: string;
}

/** Loads (or randomly initialises) a BERT and its tokenizer; the variables are trainable. */
export async function loadBert(options: BertOptions = {}): Promise<LoadedBert> {
  await initBackend();
  const maxLength = options.maxLength ?? 64;
  let folder = options.path;
  if (!folder && options.hubId) folder = await downloadFromHub(options.hubId, options);
  if (folder) {
    for (const f of ['config.json', 'model.safetensors']) {
      if (!existsSync(join(folder, f))) throw new Error(`BERT folder ${folder} lacks ${f} (needs config.json, model.safetensors, vocab.txt or tokenizer.json)`);
    }
    const config = bertConfig(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')));
    const tokenizer = WordPiece.fromFolder(folder);
    if (tokenizer.size > config.vocab_size) throw new Error(`vocabulary has ${tokenizer.size} tokens, the model ${config.vocab_size}`);
    const model = BertModel.fromTensors(config, readSafetensorsFile(join(folder, 'model.safetensors')).tensors);
    return { model, tokenizer, maxLength: Math.min(maxLength, config.max_position_embeddings), source: options.path ? `path:${folder}` : `hub:${options.hubId}@${options.revision ?? 'main'}` };
  }
  if (!options.vocabFromCaptions?.length) throw new Error('bert needs path, hubId or vocabFromCaptions (training captions for a vocabulary)');
  const tokenizer = WordPiece.fromCaptions(options.vocabFromCaptions, { vocabSize: options.vocabSize });
  const config = bertConfig({ ...options.config, vocab_size: tokenizer.size });
  const seed = options.seed ?? 0;
  return { model: BertModel.random(config, seed), tokenizer, maxLength: Math.min(maxLength, config.max_position_embeddings), source: `random:${seed}` };
}

/** Writes config.json, model.safetensors, vocab.txt, tokenizer.json and tokenizer_config.json. */
export function saveBert(folder: string, model: BertModel, tokenizer: WordPiece, maxLength = 512): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify(model.configJson(), null, 2));
  writeFileSync(join(folder, 'model.safetensors'), model.toSafetensors());
  writeFileSync(join(folder, 'vocab.txt'), tokenizer.toVocabTxt());
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer.toTokenizerJson()));
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizer.toTokenizerConfig(maxLength), null, 2));
}

/**
 * Pooled features [captions, hidden] as a tensor, for use inside a gradient (fine-tuning).
 * Captions are grouped by token count into sub-batches of `bucketSize`, each padded only to its
 * own longest caption: attention costs length², and the WASM batched matmul behind it is slow,
 * so this runs several times faster than one batch padded to the longest caption. The rows come
 * back in the callers' order; a feature does not depend on its batch.
 */
export function bertFeatures({ model, tokenizer, maxLength }: LoadedBert, captions: readonly string[], bucketSize = 32): tf.Tensor2D {
  const ids = captions.map((c) => tokenizer.textIds(c));
  const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length || a - b);
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let s = 0; s < order.length; s += bucketSize) {
      const batch = tokenizer.encodeIds(order.slice(s, s + bucketSize).map((i) => ids[i]), { maxLength });
      const inputIds = tf.tensor2d(batch.inputIds, [batch.batch, batch.length], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [batch.batch, batch.length], 'int32');
      parts.push(model.pooled(inputIds, mask));
    }
    const sorted = parts.length === 1 ? parts[0] : tf.concat(parts);
    if (order.every((o, i) => o === i)) return sorted;
    const back = new Int32Array(order.length);
    order.forEach((o, i) => (back[o] = i));
    return permuteRows(sorted, back, Int32Array.from(order));
  });
}

/**
 * Rows of x in the order `perm`, with the gradient sent back through the inverse permutation:
 * a plain gather's gradient needs UnsortedSegmentSum, which WASM lacks.
 */
function permuteRows(x: tf.Tensor2D, perm: Int32Array, inverse: Int32Array): tf.Tensor2D {
  const rows = (t: tf.Tensor, p: Int32Array) => tf.gatherND(t, tf.tensor2d(p, [p.length, 1], 'int32'));
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: rows(args[0] as tf.Tensor, perm),
    gradFunc: (dy: tf.Tensor) => rows(dy, inverse),
  }));
  return f(x) as tf.Tensor2D;
}

/** The frozen `bert` text encoder: mean-pooled last hidden states, in batches of `batchSize` (default 64). */
export async function createBertEncoder(options: BertOptions & { batchSize?: number } = {}): Promise<TextEncoder> {
  const backend = await initBackend();
  const loaded = await loadBert(options);
  const { model, tokenizer, maxLength } = loaded;
  const batchSize = options.batchSize ?? 64;
  const casing = tokenizer.lowercase ? (tokenizer.stripAccents ? 'uncased' : 'lowercase-accents-kept') : 'cased';
  const preprocessing = { tokenizer: `wordpiece-${casing}`, maxLength, pooling: 'mean', vocabSize: tokenizer.size, source: loaded.source };
  // The version covers what changes outputs (weights, config, vocabulary, preprocessing), not where they came from.
  const hash = createHash('sha256').update(JSON.stringify({ config: model.config, preprocessing: { ...preprocessing, source: undefined } }));
  hash.update(tokenizer.toVocabTxt());
  for (const t of model.toTensors().values()) hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return {
    id: 'bert',
    modality: 'text',
    version: hash.digest('hex').slice(0, 16),
    dim: model.config.hidden_size,
    preprocessing,
    parameters: model.parameterCount,
    backend: backend.label,
    async encode(captions) {
      // Similar lengths share a batch, so little work goes into padding (outputs do not depend on it).
      const lengths = captions.map((c) => tokenizer.textIds(c).length);
      const order = captions.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
      const out: Float32Array[] = new Array(captions.length);
      for (let s = 0; s < order.length; s += batchSize) {
        const idx = order.slice(s, s + batchSize);
        const features = bertFeatures(loaded, idx.map((i) => captions[i]), batchSize);
        const data = await features.data<'float32'>();
        features.dispose();
        const H = model.config.hidden_size;
        idx.forEach((i, r) => (out[i] = data.slice(r * H, (r + 1) * H)));
      }
      return out;
    },
    async dispose() {
      model.dispose();
    },
  };
}

/** Fetches a hub model's files into the cache (once) and returns the folder (see hub.ts). */
function downloadFromHub(hubId: string, options: BertOptions): Promise<string> {
  // bert reads safetensors weights only, and either vocabulary format.
  return downloadHubFiles(hubId, { required: ['config.json', 'model.safetensors', ['vocab.txt', 'tokenizer.json']] }, options);
}
