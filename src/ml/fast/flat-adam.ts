/** One parameter inside the flat buffers (value, gradient and both moments share the layout). */
export interface AdamSegment {
  /** first element */
  at: number;
  size: number;
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
    // Bias corrections folded into two constants; the rule is tf.train.adam's.
    const step = lr / c1;
    const second = 1 / c2;
    for (const { at, size, decay } of this.segments) {
      const shrink = decay && this.weightDecay > 0 ? 1 - lr * this.weightDecay : 1;
      for (let i = at, end = at + size; i < end; i++) {
        const gi = g[i];
        const mi = b1 * m[i] + (1 - b1) * gi;
        const si = b2 * s[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        s[i] = si;
        w[i] = (w[i] - (step * mi) / (eps + Math.sqrt(si * second))) * shrink;
      }
    }
  }
}
