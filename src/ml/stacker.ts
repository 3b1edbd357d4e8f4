import { shuffleInPlace } from '../util/random.js';
import { assignLabels } from './labels.js';
import { multiLabelMetrics } from './metrics.js';

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
 * Fits one logistic regression per class on the components' logits of that class: Newton–Raphson
 * on the penalised log loss from the equal-weights average, each step halved until the loss
 * drops (saturated logits of a common class leave almost no curvature, where a full step is
 * hundreds wide and diverges). A class with no positive or no negative example keeps the
 * average's weights and gets no bias.
 */
export function fitStacker(parts: Float32Array[], labels: Uint8Array, n: number, c: number, options: StackerOptions = {}): Stacker {
  const m = parts.length;
  const l2 = options.l2 ?? 1;
  const iterations = options.iterations ?? 25;
  const weights: number[][] = [];
  const bias: number[] = [];
  for (let j = 0; j < c; j++) {
    // θ = [w_1 … w_M, b]; x_i = [logits of class j, 1]
    const x = (i: number, k: number) => (k === m ? 1 : parts[k][i * c + j]);
    const y = (i: number) => labels[i * c + j];
    const loss = (theta: number[]) => {
      let total = 0;
      for (let i = 0; i < n; i++) {
        let z = theta[m];
        for (let k = 0; k < m; k++) z += theta[k] * x(i, k);
        total += Math.max(z, 0) - z * y(i) + Math.log1p(Math.exp(-Math.abs(z)));
      }
      for (let k = 0; k < m; k++) total += (l2 / 2) * theta[k] * theta[k];
      return total;
    };
    let theta = [...new Array<number>(m).fill(1 / m), 0];
    let positives = 0;
    for (let i = 0; i < n; i++) positives += y(i);
    if (positives > 0 && positives < n) {
      let current = loss(theta);
      for (let it = 0; it < iterations; it++) {
        const grad = new Array<number>(m + 1).fill(0);
        const hess = Array.from({ length: m + 1 }, () => new Array<number>(m + 1).fill(0));
        for (let i = 0; i < n; i++) {
          let z = theta[m];
          for (let k = 0; k < m; k++) z += theta[k] * x(i, k);
          const p = 1 / (1 + Math.exp(-z));
          const s = p * (1 - p);
          for (let a = 0; a <= m; a++) {
            grad[a] += (p - y(i)) * x(i, a);
            for (let b = 0; b <= a; b++) hess[a][b] += s * x(i, a) * x(i, b);
          }
        }
        for (let a = 0; a <= m; a++) for (let b = 0; b < a; b++) hess[b][a] = hess[a][b];
        for (let k = 0; k < m; k++) {
          grad[k] += l2 * theta[k];
          hess[k][k] += l2;
        }
        hess[m][m] += 1e-6;
        const step = solve(hess, grad);
        const slope = step.reduce((sum, d, a) => sum + d * grad[a], 0);
        let size = 1;
        let next = theta.map((t, a) => t - step[a]);
        let nextLoss = loss(next);
        // Armijo backtracking: a step must lower the loss by a share of what its slope promises.
        while (nextLoss > current - 1e-4 * size * slope && size > 1e-10) {
          size /= 2;
          next = theta.map((t, a) => t - size * step[a]);
          nextLoss = loss(next);
        }
        if (!(nextLoss < current)) break;
        const moved = Math.max(...step.map((d) => Math.abs(size * d)));
        theta = next;
        current = nextLoss;
        if (moved < 1e-7) break;
      }
    }
    weights.push(theta.slice(0, m));
    bias.push(theta[m]);
  }
  return { weights, bias };
}

/**
 * The stacker with one offset added to every class's bias: the offset whose stacked logits score
 * the best micro-F1 at probability 0.5 (with the top-label fallback) on the data given, which
 * must be the out-of-fold logits it was fitted on, never the validation split. A logistic
 * regression is calibrated, and 0.5 on calibrated probabilities maximises accuracy; micro-F1
 * peaks lower (near half the F1 reached), so the decision moves there while the recipe's fixed
 * threshold stays 0.5. Ties go to the offset nearest 0.
 */
export function withF1Offset(stacker: Stacker, parts: Float32Array[], labels: Uint8Array, n: number, c: number): Stacker & { offset: number } {
  const logits = combineLogits(parts, n, c, stacker);
  const score = (offset: number) => {
    const probs = logits.map((z) => 1 / (1 + Math.exp(-(z + offset))));
    return multiLabelMetrics(assignLabels(probs, n, c, 0.5), labels, n, c).microF1;
  };
  let best = { offset: 0, f1: score(0) };
  for (let step = 1; step <= 40; step++) {
    for (const offset of [step * 0.05, -step * 0.05]) {
      const f1 = score(offset);
      if (f1 > best.f1 + 1e-12) best = { offset, f1 };
    }
  }
  return { weights: stacker.weights, bias: stacker.bias.map((b) => b + best.offset), offset: best.offset };
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
