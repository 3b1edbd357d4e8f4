import * as tf from '@tensorflow/tfjs';

/** The parts of the TF.js WASM backend (4.22) that the fused training step calls directly. */
interface WasmModule {
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
  tfjs: { registerTensor(id: number, size: number, byteOffset: number): void; disposeData(id: number): void };
}
interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
}

/** A float32 matrix inside an arena: `at` is its index in HEAPF32, `id` its tensor id in the backend. */
export interface Slab {
  at: number;
  size: number;
  id: number;
}

const LINEAR = 0;
const RELU = 1;
/** the backend's dtype code for float32 */
const FLOAT32 = 0;

/** The WASM backend when it is the active one (the fused step runs only there). */
export function activeWasmBackend(): WasmBackend | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend) : undefined;
}

/**
 * Float buffers that live in the WASM heap for a whole training, each registered as a backend
 * tensor so that the backend's matmul reads and writes them in place. Calling the matmul
 * directly skips TF.js's engine (tape, tidy scopes, allocations), which cost more than the
 * arithmetic at batch 64.
 *
 * The backend's matmul caches an XNNPACK operator per right operand and bias, holding a packed
 * copy of them: a slab whose content changed must get a fresh id before it is used there again
 * (`matmul` does this for its right operand and bias), or the stale copy would be used. Packing
 * costs about as much as reading the operand, so the right operand should be the smaller one.
 */
export class WasmArena {
  private readonly pointers: number[] = [];
  private readonly slabs: Slab[] = [];
  private readonly shapeCache = new Map<string, Uint8Array>();
  private readonly fusedMatMul: (...args: unknown[]) => void;
  private readonly transposeKernel: (...args: unknown[]) => void;
  private readonly swap = new Uint8Array(new Int32Array([1, 0]).buffer);

  constructor(private readonly backend: WasmBackend) {
    this.fusedMatMul = backend.wasm.cwrap('_FusedMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']);
    this.transposeKernel = backend.wasm.cwrap('Transpose', null, ['number', 'array', 'number', 'number', 'number', 'array', 'number']);
  }

  /** A new zeroed buffer of `size` floats. */
  take(size: number): Slab {
    const pointer = this.backend.wasm._malloc(Math.max(1, size) * 4) >>> 0;
    this.pointers.push(pointer);
    this.heap().fill(0, pointer / 4, pointer / 4 + size);
    return this.register(pointer / 4, size);
  }

  /** `size` floats of `parent` from `offset`, as a matrix of its own (one buffer, several tensors). */
  part(parent: Slab, offset: number, size: number): Slab {
    if (offset + size > parent.size) throw new Error(`wasm arena: part ${offset}+${size} outside a slab of ${parent.size}`);
    return this.register(parent.at + offset, size);
  }

  /** The heap as floats. Fetch it again after any matmul: the heap can grow, detaching old views. */
  heap(): Float32Array {
    return this.backend.wasm.HEAPF32;
  }

  /** A view of a slab (valid until the next matmul). */
  view(slab: Slab, size = slab.size): Float32Array {
    return this.heap().subarray(slab.at, slab.at + size);
  }

  /**
   * out[m×n] = a[m×k] · b[k×n] (+ bias[n]) (then relu), all row-major, neither transposed: the
   * backend's fast path.
   */
  matmul(a: Slab, b: Slab, out: Slab, m: number, k: number, n: number, options: { bias?: Slab; relu?: boolean } = {}): void {
    this.renew(b);
    if (options.bias) this.renew(options.bias);
    this.fusedMatMul(a.id, this.shape(m, k), 3, b.id, this.shape(k, n), 3, 0, 0, options.relu ? RELU : LINEAR, options.bias?.id ?? 0, 0, 0, out.id);
  }

  /** out[cols×rows] = x[rows×cols]ᵀ, by the backend's native transpose. */
  transpose(x: Slab, rows: number, cols: number, out: Slab): void {
    this.transposeKernel(x.id, this.shape2(rows, cols), 2, FLOAT32, out.id, this.swap, 2);
  }

  /** Unregisters every slab (which frees the cached operators) and frees the memory. */
  dispose(): void {
    for (const slab of this.slabs) this.backend.wasm.tfjs.disposeData(slab.id);
    for (const pointer of this.pointers) this.backend.wasm._free(pointer);
    this.slabs.length = 0;
    this.pointers.length = 0;
  }

  private register(at: number, size: number): Slab {
    const slab = { at, size, id: this.nextId() };
    this.backend.wasm.tfjs.registerTensor(slab.id, size, at * 4);
    this.slabs.push(slab);
    return slab;
  }

  private renew(slab: Slab): void {
    this.backend.wasm.tfjs.disposeData(slab.id);
    slab.id = this.nextId();
    this.backend.wasm.tfjs.registerTensor(slab.id, slab.size, slab.at * 4);
  }

  private nextId(): number {
    return this.backend.dataIdNextNumber++;
  }

  private shape(rows: number, cols: number): Uint8Array {
    const key = `${rows}x${cols}`;
    let bytes = this.shapeCache.get(key);
    if (!bytes) this.shapeCache.set(key, (bytes = new Uint8Array(new Int32Array([1, rows, cols]).buffer)));
    return bytes;
  }

  private shape2(rows: number, cols: number): Uint8Array {
    const key = `2:${rows}x${cols}`;
    let bytes = this.shapeCache.get(key);
    if (!bytes) this.shapeCache.set(key, (bytes = new Uint8Array(new Int32Array([rows, cols]).buffer)));
    return bytes;
  }
}
