/**
 * A BERT encoder in TF.js, trainable end to end, with Hugging Face weight names.
 *
 * Post-LN transformer as in the original BERT: embeddings (word + position + token type,
 * LayerNorm), then per layer `LN(x + Attn(x))` and `LN(h + FFN(h))`. The sentence feature is
 * the MEAN of the last hidden states over non-padding tokens ([CLS] and [SEP] included), not
 * [CLS]: without the NSP pooler's fine-tuning, mean pooling is the better frozen feature
 * (sentence-transformers' finding), and it does not depend on how much padding a batch has.
 *
 * Weights are tf.Variables keyed by their HF BertModel names (no "bert." prefix). Linear weights
 * are kept as [in, out] so every forward matmul is untransposed (the WASM fast path); PyTorch's
 * [out, in] layout is restored when saving.
 */
import * as tf from '@tensorflow/tfjs';
import { serializeSafetensors, type SafeTensor } from './safetensors.js';

export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  hidden_act: 'gelu' | 'gelu_new' | 'relu';
}

/** google/bert_uncased_L-2_H-128_A-2 ("BERT-tiny"), the paper's text model. */
export const BERT_TINY: BertConfig = {
  vocab_size: 30522, hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512,
  max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu',
};

/** Reads a Hugging Face config.json object (extra keys ignored), filling gaps from BERT-tiny. */
export function bertConfig(json: Record<string, unknown> = {}): BertConfig {
  const c = { ...BERT_TINY } as Record<string, unknown>;
  for (const k of Object.keys(BERT_TINY)) if (json[k] !== undefined) c[k] = json[k];
  const config = c as unknown as BertConfig;
  if (config.hidden_size % config.num_attention_heads) throw new Error('hidden_size must be a multiple of num_attention_heads');
  if (!['gelu', 'gelu_new', 'relu'].includes(config.hidden_act)) throw new Error(`unsupported hidden_act ${config.hidden_act}`);
  return config;
}

/** Every parameter of a BertModel by HF name, in a fixed order, with its PyTorch shape. */
export function parameterShapes(c: BertConfig): Map<string, number[]> {
  const H = c.hidden_size;
  const m = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [c.vocab_size, H]],
    ['embeddings.position_embeddings.weight', [c.max_position_embeddings, H]],
    ['embeddings.token_type_embeddings.weight', [c.type_vocab_size, H]],
    ['embeddings.LayerNorm.weight', [H]],
    ['embeddings.LayerNorm.bias', [H]],
  ]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}.`;
    const linear = (name: string, out: number, inp: number) => m.set(`${p}${name}.weight`, [out, inp]).set(`${p}${name}.bias`, [out]);
    for (const n of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) linear(n, H, H);
    m.set(`${p}attention.output.LayerNorm.weight`, [H]).set(`${p}attention.output.LayerNorm.bias`, [H]);
    linear('intermediate.dense', c.intermediate_size, H);
    linear('output.dense', H, c.intermediate_size);
    m.set(`${p}output.LayerNorm.weight`, [H]).set(`${p}output.LayerNorm.bias`, [H]);
  }
  return m;
}

/** PyTorch Linear weights ([out, in]); stored transposed here. */
const isLinear = (name: string) => name.endsWith('.weight') && !name.includes('embeddings') && !name.includes('LayerNorm');

/** Maps checkpoint names to ours: drops a "bert." prefix, LayerNorm gamma/beta → weight/bias. */
export function canonicalName(name: string): string {
  return name.replace(/^bert\./, '').replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

export class BertModel {
  private constructor(
    readonly config: BertConfig,
    /** HF name → variable; linear weights as [in, out] */
    readonly weights: Map<string, tf.Variable>,
  ) {}

  /** Fresh weights: truncated normal (std 0.02) matrices, LayerNorm 1/0, zero biases; same seed, same weights. */
  static random(config: BertConfig, seed = 0): BertModel {
    const weights = new Map<string, tf.Variable>();
    [...parameterShapes(config)].forEach(([name, shape], i) => {
      const inner = isLinear(name) ? [shape[1], shape[0]] : shape;
      const init = name.includes('LayerNorm.weight') ? tf.ones(inner) : shape.length === 1 ? tf.zeros(inner) : tf.truncatedNormal(inner, 0, 0.02, 'float32', seed * 1000 + i);
      weights.set(name, tf.variable(init, true));
      init.dispose();
    });
    return new BertModel(config, weights);
  }

  /** Weights from checkpoint tensors (HF names, with or without "bert.", [out, in] linears); extra ones (pooler, heads) are ignored. */
  static fromTensors(config: BertConfig, tensors: Map<string, SafeTensor>): BertModel {
    const byName = new Map([...tensors].map(([n, t]) => [canonicalName(n), t]));
    const shapes = parameterShapes(config);
    const missing = [...shapes.keys()].filter((n) => !byName.has(n));
    if (missing.length) throw new Error(`BERT checkpoint lacks ${missing.length} weights, e.g. ${missing.slice(0, 3).join(', ')}`);
    const weights = new Map<string, tf.Variable>();
    for (const [name, shape] of shapes) {
      const t = byName.get(name)!;
      if (t.shape.join() !== shape.join()) throw new Error(`BERT weight ${name} has shape [${t.shape}], config wants [${shape}]`);
      const data = Float32Array.from(t.data);
      weights.set(name, tf.variable(isLinear(name) ? tf.tensor2d(transpose(data, shape[0], shape[1]), [shape[1], shape[0]]) : tf.tensor(data, shape), true));
    }
    return new BertModel(config, weights);
  }

  /** Trainable variables, in parameter order (for an optimizer's varList). */
  variables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  /** Number of parameters. */
  get parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Last hidden states [batch, length, hidden] for int32 ids and a 0/1 mask, both [batch, length]. */
  forward(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, tokenTypeIds?: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const c = this.config;
      const [B, L] = inputIds.shape;
      const H = c.hidden_size;
      const w = (n: string) => this.weights.get(n)!;
      if (L > c.max_position_embeddings) throw new Error(`sequence length ${L} exceeds max_position_embeddings`);
      const words = lookup(w('embeddings.word_embeddings.weight') as tf.Tensor2D, inputIds.reshape([B * L]).toInt() as tf.Tensor1D).reshape([B, L, H]);
      const positions = tf.slice(w('embeddings.position_embeddings.weight'), [0, 0], [L, H]);
      const types = tokenTypeIds
        ? tf.matMul(tf.oneHot(tokenTypeIds.reshape([B * L]).toInt(), c.type_vocab_size), w('embeddings.token_type_embeddings.weight')).reshape([B, L, H])
        : tf.slice(w('embeddings.token_type_embeddings.weight'), [0, 0], [1, H]);
      let x = this.layerNorm(words.add(positions).add(types).reshape([B * L, H]), 'embeddings.LayerNorm') as tf.Tensor2D;
      // Padding keys get -1e9 before the softmax: exp underflows to exactly 0, so pads change nothing.
      const maskBias = tf.sub(1, attentionMask.toFloat()).mul(-1e9).reshape([B, 1, 1, L]);
      for (let i = 0; i < c.num_hidden_layers; i++) x = this.layer(x, maskBias, `encoder.layer.${i}.`, B, L);
      return x.reshape([B, L, H]);
    });
  }

  /** Sentence features [batch, hidden]: mean of the last hidden states over tokens whose mask is 1. */
  pooled(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const mask = attentionMask.toFloat().expandDims(2);
      return this.forward(inputIds, attentionMask).mul(mask).sum(1).div(mask.sum(1).maximum(1)) as tf.Tensor2D;
    });
  }

  private layer(x: tf.Tensor2D, maskBias: tf.Tensor, p: string, B: number, L: number): tf.Tensor2D {
    const H = this.config.hidden_size;
    const heads = this.config.num_attention_heads;
    const dh = H / heads;
    // [B·L, H] → [B·heads, L, dh]: attention as two batched matmuls per layer.
    const split = (t: tf.Tensor2D) => t.reshape([B, L, heads, dh]).transpose([0, 2, 1, 3]).reshape([B * heads, L, dh]);
    const q = split(this.linear(x, `${p}attention.self.query`));
    const k = split(this.linear(x, `${p}attention.self.key`));
    const v = split(this.linear(x, `${p}attention.self.value`));
    const scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dh)).reshape([B, heads, L, L]).add(maskBias);
    const probs = tf.softmax(scores).reshape([B * heads, L, L]);
    const context = tf.matMul(probs, v).reshape([B, heads, L, dh]).transpose([0, 2, 1, 3]).reshape([B * L, H]) as tf.Tensor2D;
    const attended = this.layerNorm(this.linear(context, `${p}attention.output.dense`).add(x), `${p}attention.output.LayerNorm`);
    const inner = this.activation(this.linear(attended, `${p}intermediate.dense`));
    return this.layerNorm(this.linear(inner, `${p}output.dense`).add(attended), `${p}output.LayerNorm`);
  }

  /** One of the model's Linear layers by HF name (e.g. "encoder.layer.0.attention.self.query"): x·Wᵀ + b. */
  linear(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return tf.fused.matMul({ a: x, b: this.weights.get(`${name}.weight`) as tf.Tensor2D, bias: this.weights.get(`${name}.bias`)! }) as tf.Tensor2D;
  }

  private layerNorm(x: tf.Tensor, name: string): tf.Tensor2D {
    const mean = x.mean(-1, true);
    const centred = x.sub(mean);
    const variance = centred.square().mean(-1, true);
    return centred.mul(variance.add(this.config.layer_norm_eps).rsqrt()).mul(this.weights.get(`${name}.weight`)!).add(this.weights.get(`${name}.bias`)!) as tf.Tensor2D;
  }

  private activation(x: tf.Tensor2D): tf.Tensor2D {
    if (this.config.hidden_act === 'relu') return tf.relu(x);
    if (this.config.hidden_act === 'gelu_new') return x.mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1)).mul(0.5) as tf.Tensor2D;
    return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5) as tf.Tensor2D; // exact GELU, as HF "gelu"
  }

  /** Weights in HF BertModel names and PyTorch layout, ready for safetensors. */
  toTensors(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, shape] of parameterShapes(this.config)) {
      const data = this.weights.get(name)!.dataSync() as Float32Array;
      out.set(name, { shape, data: isLinear(name) ? transpose(data, shape[1], shape[0]) : Float32Array.from(data) });
    }
    return out;
  }

  /** The weights as safetensors bytes (loads back exactly, and into PyTorch's BertModel). */
  toSafetensors(): Uint8Array {
    return serializeSafetensors(this.toTensors(), { format: 'pt' });
  }

  /** A config.json for this model, readable by Hugging Face transformers. */
  configJson(): Record<string, unknown> {
    return { architectures: ['BertModel'], model_type: 'bert', pad_token_id: 0, ...this.config };
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }
}

/** [rows, cols] row-major → [cols, rows]. */
function transpose(data: Float32Array | Int32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * Embedding lookup whose gradient avoids UnsortedSegmentSum (missing on WASM, where tf.gather's
 * own gradient throws). A one-hot matmul would cost batch·vocab·hidden work and a batch×vocab
 * tensor; instead the rows of dy are added into a [vocab, hidden] gradient: with the kernel
 * where the backend has it, else in JS (a dataSync; cheap next to the rest of a step).
 * The forward uses gatherND: on WASM it copies rows about 7× faster than GatherV2.
 */
const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([ids]);
  const [V, H] = table.shape;
  return {
    value: tf.gatherND(table, ids.expandDims(1)) as tf.Tensor2D,
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
      if (tf.getKernel('UnsortedSegmentSum', tf.getBackend())) return [tf.unsortedSegmentSum(dy, saved as tf.Tensor1D, V), tf.zeros(saved.shape)];
      const grad = new Float32Array(V * H);
      const d = dy.dataSync();
      const idx = saved.dataSync();
      for (let i = 0; i < idx.length; i++) {
        const row = idx[i] * H;
        for (let j = 0; j < H; j++) grad[row + j] += d[i * H + j];
      }
      return [tf.tensor2d(grad, [V, H]), tf.zeros(saved.shape)];
    },
  };
}) as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;
