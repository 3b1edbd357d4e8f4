import * as tf from '@tensorflow/tfjs';
import type { Params } from '../heads/components.js';
import type { AdamSegment } from './flat-adam.js';
import type { Slab, WasmArena } from './wasm-arena.js';

/** A parameter in the arena: its value and its gradient, in the same row-major layout. */
export interface ParamSlabs {
  w: Slab;
  g: Slab;
  rows: number;
  cols: number;
}

/**
 * Every trainable parameter of a model copied into one flat WASM buffer, with a flat gradient
 * buffer beside it, so that the optimiser updates all of them in one pass. The tf.Variables stay
 * the model's public face (prediction, snapshots, the artifact): `writeBack` copies the trained
 * values into them.
 */
export class ParamStore {
  readonly segments: AdamSegment[] = [];
  readonly values: Slab;
  readonly grads: Slab;
  private readonly byName = new Map<string, ParamSlabs>();

  constructor(
    private readonly arena: WasmArena,
    private readonly params: Params,
    decayed: (name: string) => boolean,
  ) {
    const entries = Object.entries(params);
    const total = entries.reduce((sum, [, v]) => sum + v.size, 0);
    this.values = arena.take(total);
    this.grads = arena.take(total);
    let at = 0;
    for (const [name, v] of entries) {
      const [rows, cols] = v.shape.length === 2 ? v.shape : [1, v.size];
      this.byName.set(name, { w: arena.part(this.values, at, v.size), g: arena.part(this.grads, at, v.size), rows, cols });
      this.segments.push({ at, size: v.size, decay: decayed(name) });
      arena.heap().set(v.dataSync() as Float32Array, this.values.at + at);
      at += v.size;
    }
  }

  get(name: string): ParamSlabs {
    const p = this.byName.get(name);
    if (!p) throw new Error(`fused step: no parameter ${name}`);
    return p;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Copies the trained values into the model's variables. */
  writeBack(): void {
    for (const [name, v] of Object.entries(this.params)) {
      const { w } = this.get(name);
      tf.tidy(() => v.assign(tf.tensor(this.arena.view(w).slice(), v.shape)));
    }
  }
}
