import { shuffleInPlace } from '../util/random.js';

/**
 * A learned logits fusion ("stacking"): for each class j, z_j = b_j + Σ_m w_jm · logit_mj over
 * the component models m. It learns how much to trust each branch per class (the text model
 * for "dog", the image model for "traffic light"), where FM1–FM3 give every branch 1/M. It is
 * fitted on out-of-fold logits (src/training/stack-oof.ts): logits of models that never saw
 * the samples, so that it does not learn to trust whichever component memorised them.
 */
export interface Stacker {
  /** classes × components */
  weights: number[][];
  /** one per class */
  bias: number[];
}

export interface StackerOptions {
  /** L2 penalty on the weights (not the bias), in units of the summed log loss */
  l2?: number;
  /** Newton steps per class; each solves an (M+1)² system, so a few are cheap */
  iterations?: number;
}

/**
 * Fuses component logits ([n × c] each): the stacker's weighted sum, or without one the mean
 * (the paper's logits fusion, which a stacker with weights 1/M and no bias reproduces).
 */
export function combineLogits(parts: Float32Array[], n: number, c: number, stacker?: Stacker): Float32Array {
  const out = new Float32Array(n * c);
  parts.forEach((logits, m) => {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < c; j++) out[i * c + j] += (stacker ? stacker.weights[j][m] : 1 / parts.length) * logits[i * c + j];
  });
  if (stacker) for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) out[i * c + j] += stacker.bias[j];
  return out;
}

/**
 * Fits one logistic regression per class on the components' logits of that class (exact
 * Newton–Raphson on the penalised log loss, from the equal-weights average). A class with no
 * positive or no negative example keeps the average's weights and gets no bias.
 */
export function fitStacker(parts: Float32Array[], labels: Uint8Array, n: number, c: number, options: StackerOptions = {}): Stacker {
  const m = parts.length;
  const l2 = options.l2 ?? 1;
  const iterations = options.iterations ?? 25;
  const weights: number[][] = [];
  const bias: number[] = [];
  for (let j = 0; j < c; j++) {
    // θ = [w_1 … w_M, b]
    const theta = [...new Array<number>(m).fill(1 / m), 0];
    let positives = 0;
    for (let i = 0; i < n; i++) positives += labels[i * c + j];
    if (positives > 0 && positives < n) {
      for (let it = 0; it < iterations; it++) {
        const grad = new Array<number>(m + 1).fill(0);
        const hess = Array.from({ length: m + 1 }, () => new Array<number>(m + 1).fill(0));
        const x = new Array<number>(m + 1).fill(1);
        for (let i = 0; i < n; i++) {
          let z = theta[m];
          for (let k = 0; k < m; k++) z += theta[k] * (x[k] = parts[k][i * c + j]);
          const p = 1 / (1 + Math.exp(-z));
          const r = p - labels[i * c + j];
          const s = Math.max(p * (1 - p), 1e-9);
          for (let a = 0; a <= m; a++) {
            grad[a] += r * x[a];
            for (let b = 0; b <= a; b++) hess[a][b] += s * x[a] * x[b];
          }
        }
        for (let a = 0; a <= m; a++) for (let b = 0; b < a; b++) hess[b][a] = hess[a][b];
        for (let k = 0; k < m; k++) {
          grad[k] += l2 * theta[k];
          hess[k][k] += l2;
        }
        hess[m][m] += 1e-6;
        const step = solve(hess, grad);
        let size = 0;
        for (let a = 0; a <= m; a++) {
          theta[a] -= step[a];
          size = Math.max(size, Math.abs(step[a]));
        }
        if (size < 1e-7) break;
      }
    }
    weights.push(theta.slice(0, m));
    bias.push(theta[m]);
  }
  return { weights, bias };
}

/** Solves A·x = b for a small symmetric positive definite A (Gaussian elimination with pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const size = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < size; r++) {
      const f = m[r][col] / m[col][col];
      for (let k = col; k <= size; k++) m[r][k] -= f * m[col][k];
    }
  }
  const x = new Array<number>(size).fill(0);
  for (let r = size - 1; r >= 0; r--) {
    let s = m[r][size];
    for (let k = r + 1; k < size; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/**
 * K folds of `rows`, seeded: each row in exactly one fold, fold sizes differing by at most one.
 * The same rows, k and seed give the same folds.
 */
export function kFolds(rows: number[], k: number, random: () => number): number[][] {
  const order = shuffleInPlace([...rows], random);
  return Array.from({ length: k }, (_, f) => order.filter((_, i) => i % k === f));
}
