import type { ComponentShape } from '../heads/components.js';
import { columnSums, OutputLayers } from './output-layers.js';
import type { ParamSlabs, ParamStore } from './param-store.js';
import type { Slab, WasmArena } from './wasm-arena.js';

const LN_EPS = 1e-5;

/**
 * The cross-attention component (components.ts), forward and backward by hand. The caption's
 * query attends over T image tokens of G values each. Keys and values are affine in the tokens,
 * so the scores are tokens · (Wk·q) and, as the attention weights sum to one, the attended
 * vector is (Σ_t p_t·token_t)·Wv + bv: O(T·G) work per sample instead of O(T·G·d), with no
 * [N, T, d] tensors. Only the query projection and the output layers need a matmul.
 */
export class CrossAttention {
  private readonly query: ParamSlabs;
  private readonly queryBias: ParamSlabs;
  private readonly key: ParamSlabs;
  private readonly keyBias: ParamSlabs;
  private readonly value: ParamSlabs;
  private readonly valueBias: ParamSlabs;
  private readonly gamma: ParamSlabs;
  private readonly beta: ParamSlabs;
  private readonly layers: OutputLayers;
  private readonly d: number;
  private readonly tokens: number;
  private readonly groups: number;
  private readonly width: number;
  /** [h, text, image] rows, the output layers' input */
  private readonly x: Slab;
  private readonly q: Slab;
  private readonly dq: Slab;
  private readonly textT: Slab;
  private readonly qk: Float32Array;
  private readonly qb: Float32Array;
  private readonly p: Float32Array;
  private readonly pooled: Float32Array;
  private readonly norm: Float32Array;
  private readonly invSigma: Float32Array;
  /** where the image rows of the current batch are (set by `forward`) */
  private imageAt = 0;

  constructor(
    private readonly arena: WasmArena,
    store: ParamStore,
    private readonly shape: ComponentShape,
    batch: number,
  ) {
    this.query = store.get('xattn.query.kernel');
    this.queryBias = store.get('xattn.query.bias');
    this.key = store.get('xattn.key.kernel');
    this.keyBias = store.get('xattn.key.bias');
    this.value = store.get('xattn.value.kernel');
    this.valueBias = store.get('xattn.value.bias');
    this.gamma = store.get('xattn.norm.gamma');
    this.beta = store.get('xattn.norm.beta');
    this.d = shape.attentionDim;
    this.tokens = shape.imageTokens;
    this.groups = shape.imageDim / shape.imageTokens;
    this.width = this.d + shape.textDim + shape.imageDim;
    this.layers = new OutputLayers(arena, store, 'xattn', this.width, shape.classes, batch, this.d);
    this.x = arena.take(batch * this.width);
    this.q = arena.take(batch * this.d);
    this.dq = arena.take(batch * this.d);
    this.textT = arena.take(shape.textDim * batch);
    this.qk = new Float32Array(batch * this.groups);
    this.qb = new Float32Array(batch);
    this.p = new Float32Array(batch * this.tokens);
    this.pooled = new Float32Array(batch * this.groups);
    this.norm = new Float32Array(batch * this.d);
    this.invSigma = new Float32Array(batch);
  }

  forward(text: Slab, image: Slab, m: number, rate: number, seed: number): Slab {
    const { d, tokens: T, groups: G, width, shape } = this;
    this.arena.matmul(text, this.query.w, this.q, m, shape.textDim, d, { bias: this.queryBias.w });
    const heap = this.arena.heap();
    const [q, wk, bk, wv, bv, gamma, beta, img] = [this.q.at, this.key.w.at, this.keyBias.w.at, this.value.w.at, this.valueBias.w.at, this.gamma.w.at, this.beta.w.at, image.at];
    this.imageAt = img;
    const scale = 1 / Math.sqrt(d);
    const r = new Float32Array(d);
    for (let b = 0; b < m; b++) {
      // qk[g] = q·Wk[g], qb = q·bk: a score is (Σ_g token[g]·qk[g] + qb) / √d.
      for (let g = 0; g < G; g++) {
        let sum = 0;
        for (let j = 0; j < d; j++) sum += heap[q + b * d + j] * heap[wk + g * d + j];
        this.qk[b * G + g] = sum;
      }
      let qb = 0;
      for (let j = 0; j < d; j++) qb += heap[q + b * d + j] * heap[bk + j];
      this.qb[b] = qb;
      // Token t's value g sits at image[g·T + t] (the feature is G blocks of T values).
      const row = img + b * shape.imageDim;
      let max = -Infinity;
      for (let t = 0; t < T; t++) {
        let s = qb;
        for (let g = 0; g < G; g++) s += heap[row + g * T + t] * this.qk[b * G + g];
        s *= scale;
        this.p[b * T + t] = s;
        if (s > max) max = s;
      }
      let total = 0;
      for (let t = 0; t < T; t++) total += this.p[b * T + t] = Math.exp(this.p[b * T + t] - max);
      for (let t = 0; t < T; t++) this.p[b * T + t] /= total;
      for (let g = 0; g < G; g++) {
        let sum = 0;
        for (let t = 0; t < T; t++) sum += this.p[b * T + t] * heap[row + g * T + t];
        this.pooled[b * G + g] = sum;
      }
      // r = attended + q, then LayerNorm.
      let mean = 0;
      for (let j = 0; j < d; j++) {
        let a = heap[bv + j];
        for (let g = 0; g < G; g++) a += this.pooled[b * G + g] * heap[wv + g * d + j];
        r[j] = a + heap[q + b * d + j];
        mean += r[j];
      }
      mean /= d;
      let variance = 0;
      for (let j = 0; j < d; j++) variance += (r[j] - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / d + LN_EPS);
      this.invSigma[b] = inv;
      const x = this.x.at + b * width;
      for (let j = 0; j < d; j++) {
        const n = (r[j] - mean) * inv;
        this.norm[b * d + j] = n;
        heap[x + j] = n * heap[gamma + j] + heap[beta + j];
      }
      heap.copyWithin(x + d, text.at + b * shape.textDim, text.at + (b + 1) * shape.textDim);
      heap.copyWithin(x + d + shape.textDim, row, row + shape.imageDim);
    }
    return this.layers.forward(this.x, m, rate, seed);
  }

  backward(text: Slab, m: number, gz: Slab): void {
    const { d, tokens: T, groups: G, shape } = this;
    this.layers.backward(this.x, m, gz);
    const dh = this.layers.inputGrad(m, d);
    const heap = this.arena.heap();
    const [q, wk, bk, wv, gamma] = [this.q.at, this.key.w.at, this.keyBias.w.at, this.value.w.at, this.gamma.w.at];
    const gWk = this.key.g.at;
    const gBk = this.keyBias.g.at;
    const gWv = this.value.g.at;
    const gBv = this.valueBias.g.at;
    const gGamma = this.gamma.g.at;
    const gBeta = this.beta.g.at;
    heap.fill(0, gWk, gWk + d * G);
    heap.fill(0, gBk, gBk + d);
    heap.fill(0, gWv, gWv + d * G);
    heap.fill(0, gBv, gBv + d);
    heap.fill(0, gGamma, gGamma + d);
    heap.fill(0, gBeta, gBeta + d);
    const scale = 1 / Math.sqrt(d);
    const dn = new Float32Array(d);
    const dr = new Float32Array(d);
    const dpooled = new Float32Array(G);
    const dqk = new Float32Array(G);
    for (let b = 0; b < m; b++) {
      // LayerNorm backward: dr = (dn − mean(dn) − n·mean(dn·n)) / σ
      let meanDn = 0;
      let meanDnN = 0;
      for (let j = 0; j < d; j++) {
        const g = heap[dh.at + b * d + j];
        const n = this.norm[b * d + j];
        heap[gGamma + j] += g * n;
        heap[gBeta + j] += g;
        dn[j] = g * heap[gamma + j];
        meanDn += dn[j];
        meanDnN += dn[j] * n;
      }
      meanDn /= d;
      meanDnN /= d;
      for (let j = 0; j < d; j++) dr[j] = (dn[j] - meanDn - this.norm[b * d + j] * meanDnN) * this.invSigma[b];
      // attended = pooled·Wv + bv; dq gets dr through the residual.
      for (let g = 0; g < G; g++) {
        let sum = 0;
        for (let j = 0; j < d; j++) {
          sum += dr[j] * heap[wv + g * d + j];
          heap[gWv + g * d + j] += this.pooled[b * G + g] * dr[j];
        }
        dpooled[g] = sum;
      }
      for (let j = 0; j < d; j++) {
        heap[gBv + j] += dr[j];
        heap[this.dq.at + b * d + j] = dr[j];
      }
      // Softmax backward: ds_t = p_t (dp_t − Σ p·dp), with dp_t = Σ_g dpooled[g]·token_t[g].
      const row = this.imageAt + b * shape.imageDim;
      let pdp = 0;
      const dp = new Float32Array(T);
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let g = 0; g < G; g++) s += dpooled[g] * heap[row + g * T + t];
        dp[t] = s;
        pdp += this.p[b * T + t] * s;
      }
      dqk.fill(0);
      let dqb = 0;
      for (let t = 0; t < T; t++) {
        const ds = this.p[b * T + t] * (dp[t] - pdp) * scale;
        dqb += ds;
        for (let g = 0; g < G; g++) dqk[g] += ds * heap[row + g * T + t];
      }
      for (let j = 0; j < d; j++) {
        const qj = heap[q + b * d + j];
        let sum = dqb * heap[bk + j];
        for (let g = 0; g < G; g++) {
          sum += dqk[g] * heap[wk + g * d + j];
          heap[gWk + g * d + j] += dqk[g] * qj;
        }
        heap[gBk + j] += dqb * qj;
        heap[this.dq.at + b * d + j] += sum;
      }
    }
    columnSums(this.arena.view(this.dq, m * d), m, d, this.arena.view(this.queryBias.g));
    this.arena.transpose(text, m, shape.textDim, this.textT);
    this.arena.matmul(this.textT, this.dq, this.query.g, shape.textDim, m, d);
  }
}
