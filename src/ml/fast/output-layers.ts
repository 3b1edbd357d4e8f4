import { seededRandom } from '../../util/random.js';
import type { ParamSlabs, ParamStore } from './param-store.js';
import type { Slab, WasmArena } from './wasm-arena.js';

/**
 * The dense end of every head (components.ts `outputLayers`): [hidden layer, ReLU, dropout,]
 * then the output layer, forward and backward by hand. Each dense layer is one fused
 * matmul + bias (+ ReLU) forward; its kernel gradient is xᵀ·g, with xᵀ written by the backend's
 * transpose, so that neither matmul operand is transposed (the backend's fast path) and the
 * operand the backend packs per call is g, the small one.
 */
export class OutputLayers {
  private readonly out: ParamSlabs;
  private readonly outBias: ParamSlabs;
  private readonly hidden?: { kernel: ParamSlabs; bias: ParamSlabs; units: number; h: Slab; hT: Slab; mask: Float32Array; outT: Slab; dh: Slab; da: Slab };
  readonly logits: Slab;
  private readonly xT: Slab;
  private readonly inputGradT: Slab;
  private readonly inputGradOut: Slab;
  private lastGz?: Slab;
  private rate = 0;

  constructor(
    private readonly arena: WasmArena,
    store: ParamStore,
    prefix: string,
    private readonly inDim: number,
    private readonly classes: number,
    batch: number,
    /** columns of the input whose gradient `inputGrad` is asked for (0: none) */
    gradCols: number,
  ) {
    this.out = store.get(`${prefix}.out.kernel`);
    this.outBias = store.get(`${prefix}.out.bias`);
    if (store.has(`${prefix}.hidden.kernel`)) {
      const kernel = store.get(`${prefix}.hidden.kernel`);
      const units = kernel.cols;
      const take = () => arena.take(batch * units);
      this.hidden = { kernel, bias: store.get(`${prefix}.hidden.bias`), units, h: take(), hT: take(), mask: new Float32Array(batch * units), outT: arena.take(classes * units), dh: take(), da: take() };
    }
    this.logits = arena.take(batch * classes);
    this.xT = arena.take(batch * inDim);
    const width = this.hidden ? this.hidden.units : classes;
    this.inputGradT = arena.take(width * gradCols);
    this.inputGradOut = arena.take(batch * gradCols);
  }

  /** Logits of the `m` rows of `x` (m × inDim); dropout after the hidden layer when `rate` > 0. */
  forward(x: Slab, m: number, rate: number, seed: number): Slab {
    this.rate = rate;
    const hid = this.hidden;
    if (!hid) {
      this.arena.matmul(x, this.out.w, this.logits, m, this.inDim, this.classes, { bias: this.outBias.w });
      return this.logits;
    }
    this.arena.matmul(x, hid.kernel.w, hid.h, m, this.inDim, hid.units, { bias: hid.bias.w, relu: true });
    if (rate > 0) {
      // Inverted dropout with the step's own seed: the same seed drops the same units.
      const random = seededRandom(seed);
      const h = this.arena.view(hid.h, m * hid.units);
      const keep = 1 / (1 - rate);
      for (let i = 0; i < h.length; i++) {
        hid.mask[i] = random() < rate ? 0 : keep;
        h[i] *= hid.mask[i];
      }
    }
    this.arena.matmul(hid.h, this.out.w, this.logits, m, hid.units, this.classes, { bias: this.outBias.w });
    return this.logits;
  }

  /** Gradients of the parameters from dL/dlogits (`gz`, m × classes). */
  backward(x: Slab, m: number, gz: Slab): void {
    this.lastGz = gz;
    const hid = this.hidden;
    this.arena.transpose(x, m, this.inDim, this.xT);
    if (!hid) this.arena.matmul(this.xT, gz, this.out.g, this.inDim, m, this.classes);
    else {
      this.arena.transpose(hid.h, m, hid.units, hid.hT);
      this.arena.matmul(hid.hT, gz, this.out.g, hid.units, m, this.classes);
    }
    columnSums(this.arena.view(gz, m * this.classes), m, this.classes, this.arena.view(this.outBias.g));
    if (!hid) return;
    // dh = gz · Woutᵀ, with Woutᵀ written out first (tiny) so that no operand is transposed.
    transposeInto(this.arena.view(this.out.w), hid.units, this.classes, this.arena.view(hid.outT));
    this.arena.matmul(gz, hid.outT, hid.dh, m, this.classes, hid.units);
    const heap = this.arena.heap();
    const n = m * hid.units;
    for (let i = 0; i < n; i++) {
      // ReLU passes where its output was positive; dropout scales by its mask.
      heap[hid.da.at + i] = heap[hid.h.at + i] > 0 ? heap[hid.dh.at + i] * (this.rate > 0 ? hid.mask[i] : 1) : 0;
    }
    this.arena.matmul(this.xT, hid.da, hid.kernel.g, this.inDim, m, hid.units);
    columnSums(this.arena.view(hid.da, n), m, hid.units, this.arena.view(hid.bias.g));
  }

  /** dL/dx for the first `cols` columns of the input (after `backward`), m × cols. */
  inputGrad(m: number, cols: number): Slab {
    const hid = this.hidden;
    const kernel = hid ? hid.kernel : this.out;
    const width = hid ? hid.units : this.classes;
    const g = hid ? hid.da : this.lastGz!;
    // (kernel rows 0..cols)ᵀ: width × cols
    const w = this.arena.view(kernel.w);
    const t = this.arena.view(this.inputGradT, width * cols);
    for (let k = 0; k < cols; k++) for (let o = 0; o < width; o++) t[o * cols + k] = w[k * width + o];
    this.arena.matmul(g, this.inputGradT, this.inputGradOut, m, width, cols);
    return this.inputGradOut;
  }
}

/** out[j] = Σ_i x[i·cols + j]. */
export function columnSums(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  out.fill(0, 0, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += x[i * cols + j];
}

/** out (cols × rows) = xᵀ, for x rows × cols. */
export function transposeInto(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
}
