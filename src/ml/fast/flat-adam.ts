/** One parameter inside the flat buffer, and how its gradient is laid out. */
export interface AdamSegment {
  /** first element in the flat parameter and gradient buffers */
  at: number;
  /** the parameter is rows × cols, row-major (a vector: 1 × n) */
  rows: number;
  cols: number;
  /** the gradient is stored transposed (cols × rows): how the fused step computes kernel gradients */
  transposedGrad: boolean;
  /** decoupled weight decay applies (kernels, not biases) */
  decay: boolean;
}

/**
 * Adam (AdamW's decoupled weight decay optional) over every parameter of a model held in one
 * flat buffer, in one pass: the same rule as FastAdam and tf.train.adam (epsilon added to the
 * square root of the bias-corrected second moment), without a tensor or kernel per variable.
 */
export class FlatAdam {
  private t = 0;
  private readonly m: Float32Array;
  private readonly s: Float32Array;

  constructor(
    size: number,
    private readonly segments: AdamSegment[],
    private readonly learningRate: number,
    private readonly weightDecay = 0,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    this.m = new Float32Array(size);
    this.s = new Float32Array(size);
  }

  /** Updates `w` in place from the gradients `g` (both flat, laid out as the segments say). */
  step(w: Float32Array, g: Float32Array): void {
    this.t++;
    const { beta1: b1, beta2: b2, learningRate: lr, epsilon: eps, m, s } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (const seg of this.segments) {
      const shrink = seg.decay && this.weightDecay > 0 ? 1 - lr * this.weightDecay : 1;
      const { at, rows, cols } = seg;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const i = at + r * cols + c;
          const gi = g[seg.transposedGrad ? at + c * rows + r : i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          s[i] = b2 * s[i] + (1 - b2) * gi * gi;
          w[i] = (w[i] - (lr * (m[i] / c1)) / (eps + Math.sqrt(s[i] / c2))) * shrink;
        }
      }
    }
  }
}
