/**
 * BERT's forward pass in plain JS loops, written from the Hugging Face modelling code and kept
 * independent of TF.js: PyTorch-layout weights ([out, in] linears), one unpadded sequence.
 * Slow and only for checking the real model on tiny shapes.
 */
import type { BertConfig } from '../../../src/ml/text/bert.js';

type Weights = Map<string, { shape: number[]; data: Float32Array }>;

/** erf, Abramowitz & Stegun 7.1.26 (error < 1.5e-7): JS has no Math.erf. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/** Last hidden states [tokens][hidden] of one sequence of token ids. */
export function referenceBert(w: Weights, c: BertConfig, ids: number[]): number[][] {
  const H = c.hidden_size;
  const get = (n: string) => w.get(n)!.data;
  const linear = (x: number[][], n: string) => {
    const W = get(`${n}.weight`);
    const b = get(`${n}.bias`);
    const out = b.length;
    return x.map((row) => Array.from({ length: out }, (_, o) => row.reduce((s, v, i) => s + v * W[o * row.length + i], b[o])));
  };
  const layerNorm = (x: number[][], n: string) =>
    x.map((row) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      return row.map((v, j) => ((v - mean) / Math.sqrt(variance + c.layer_norm_eps)) * get(`${n}.weight`)[j] + get(`${n}.bias`)[j]);
    });
  const add = (a: number[][], b: number[][]) => a.map((row, i) => row.map((v, j) => v + b[i][j]));
  const [word, pos, type] = ['word', 'position', 'token_type'].map((k) => get(`embeddings.${k}_embeddings.weight`));
  let x = layerNorm(ids.map((id, p) => Array.from({ length: H }, (_, j) => word[id * H + j] + pos[p * H + j] + type[j])), 'embeddings.LayerNorm');
  const heads = c.num_attention_heads;
  const dh = H / heads;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}.`;
    const [q, k, v] = ['query', 'key', 'value'].map((n) => linear(x, `${p}attention.self.${n}`));
    const context = x.map(() => new Array<number>(H).fill(0));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < ids.length; i++) {
        const scores = ids.map((_, j) => {
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[i][h * dh + d] * k[j][h * dh + d];
          return s / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < ids.length; j++) for (let d = 0; d < dh; d++) context[i][h * dh + d] += (e[j] / sum) * v[j][h * dh + d];
      }
    }
    const attended = layerNorm(add(linear(context, `${p}attention.output.dense`), x), `${p}attention.output.LayerNorm`);
    const inner = linear(attended, `${p}intermediate.dense`).map((row) => row.map((u) => 0.5 * u * (1 + erf(u / Math.SQRT2))));
    x = layerNorm(add(linear(inner, `${p}output.dense`), attended), `${p}output.LayerNorm`);
  }
  return x;
}
