import type { ComponentShape, Params } from '../heads/components.js';
import type { Component } from '../heads/kinds.js';
import { bceWithLogitsGrad } from './bce-grad.js';
import { CrossAttention } from './cross-attention.js';
import { FlatAdam } from './flat-adam.js';
import { OutputLayers } from './output-layers.js';
import { ParamStore } from './param-store.js';
import { activeWasmBackend, WasmArena, type Slab } from './wasm-arena.js';

export interface FusedTrainerOptions {
  batchSize: number;
  learningRate: number;
  /** decoupled weight decay of the parameters `decayed` names (0: plain Adam) */
  weightDecay: number;
  decayed: (name: string) => boolean;
  classWeights: number[];
  dropout: number;
}

interface Part {
  forward(m: number, seed: number): Slab;
  backward(m: number): void;
}

/**
 * A training step of the heads with few, large WASM kernels: the batch is gathered straight into
 * the WASM heap, each dense layer is one matmul forward and one or two backward, the loss
 * gradient and the small attention arithmetic are plain loops, and Adam updates every parameter
 * in one flat buffer. At batch 64 this replaces about a hundred TF.js kernel dispatches (each
 * with its engine bookkeeping) per step. Deterministic: the same data, seed and order give the
 * same weights. Only on the WASM backend (`create` returns undefined elsewhere).
 */
export class FusedTrainer {
  private readonly arena: WasmArena;
  private readonly store: ParamStore;
  private readonly adam: FlatAdam;
  private readonly text?: Slab;
  private readonly image?: Slab;
  private readonly parts: Part[];
  private readonly gz: Slab;
  private readonly classWeights: Float32Array;
  private rows: readonly number[] = [];
  private labels: Uint8Array = new Uint8Array(0);

  static create(components: Component[], shape: ComponentShape, params: Params, options: FusedTrainerOptions): FusedTrainer | undefined {
    const backend = activeWasmBackend();
    if (!backend) return undefined;
    return new FusedTrainer(new WasmArena(backend), components, shape, params, options);
  }

  private constructor(arena: WasmArena, components: Component[], private readonly shape: ComponentShape, params: Params, private readonly options: FusedTrainerOptions) {
    this.arena = arena;
    try {
      this.store = new ParamStore(arena, params, options.decayed);
      this.adam = new FlatAdam(this.store.values.size, this.store.segments, options.learningRate, options.weightDecay);
      const batch = options.batchSize;
      const needsText = components.some((c) => c !== 'vision');
      const needsImage = components.some((c) => c !== 'text');
      if (needsText) this.text = arena.take(batch * shape.textDim);
      if (needsImage) this.image = arena.take(batch * shape.imageDim);
      this.gz = arena.take(batch * shape.classes);
      this.classWeights = Float32Array.from(options.classWeights);
      this.parts = components.map((c) => this.part(c));
    } catch (err) {
      arena.dispose();
      throw err;
    }
  }

  /**
   * One optimiser step on the given rows. `text` and `image` are whole normalised matrices (the
   * batch is gathered from them); `seeds` seed each component's dropout.
   */
  step(rows: readonly number[], text: Float32Array | undefined, image: Float32Array | undefined, labels: Uint8Array, seeds: number[]): void {
    const m = rows.length;
    if (m > this.options.batchSize) throw new Error(`fused step: batch of ${m} rows, room for ${this.options.batchSize}`);
    this.rows = rows;
    this.labels = labels;
    if (this.text) gatherInto(this.arena.heap(), this.text.at, text!, this.shape.textDim, rows);
    if (this.image) gatherInto(this.arena.heap(), this.image.at, image!, this.shape.imageDim, rows);
    this.arena.heap().fill(0, this.store.grads.at, this.store.grads.at + this.store.grads.size);
    this.parts.forEach((part, i) => {
      const z = part.forward(m, seeds[i]);
      const c = this.shape.classes;
      bceWithLogitsGrad(this.arena.view(z, m * c), this.labels, this.rows, this.classWeights, this.arena.view(this.gz, m * c));
      part.backward(m);
    });
    this.adam.step(this.arena.view(this.store.values), this.arena.view(this.store.grads));
  }

  /** Copies the trained values into the model's variables (before evaluating or saving them). */
  writeBack(): void {
    this.store.writeBack();
  }

  dispose(): void {
    this.arena.dispose();
  }

  private part(component: Component): Part {
    const { arena, store, shape, options } = this;
    const batch = options.batchSize;
    const rate = options.dropout;
    if (component === 'xattn') {
      const x = new CrossAttention(arena, store, shape, batch);
      return { forward: (m, seed) => x.forward(this.text!, this.image!, m, rate, seed), backward: (m) => x.backward(this.text!, m, this.gz) };
    }
    if (component === 'fcnn') {
      const width = shape.textDim + shape.imageDim;
      const both = arena.take(batch * width);
      const layers = new OutputLayers(arena, store, 'fcnn', width, shape.classes, batch, 0);
      return {
        forward: (m, seed) => {
          const heap = arena.heap();
          for (let b = 0; b < m; b++) {
            heap.copyWithin(both.at + b * width, this.text!.at + b * shape.textDim, this.text!.at + (b + 1) * shape.textDim);
            heap.copyWithin(both.at + b * width + shape.textDim, this.image!.at + b * shape.imageDim, this.image!.at + (b + 1) * shape.imageDim);
          }
          return layers.forward(both, m, rate, seed);
        },
        backward: (m) => layers.backward(both, m, this.gz),
      };
    }
    const input = component === 'vision' ? this.image! : this.text!;
    const dim = component === 'vision' ? shape.imageDim : shape.textDim;
    const layers = new OutputLayers(arena, store, component, dim, shape.classes, batch, 0);
    return { forward: (m, seed) => layers.forward(input, m, rate, seed), backward: (m) => layers.backward(input, m, this.gz) };
  }
}

/** Copies the given rows of `x` (rows of d floats) into the heap from `at`. */
function gatherInto(heap: Float32Array, at: number, x: Float32Array, d: number, rows: readonly number[]): void {
  for (let r = 0; r < rows.length; r++) heap.set(x.subarray(rows[r] * d, rows[r] * d + d), at + r * d);
}
