import * as tf from '@tensorflow/tfjs';
import { patchWasmSpatialMean } from './wasm-spatial-mean.js';

/** The compute backend a run or an encoder used, recorded with it. */
export interface BackendChoice {
  /** tfjs backend name: "tensorflow" (tfjs-node or -gpu), "wasm" or "cpu" */
  name: string;
  /** recorded label, e.g. "tfjs-node-gpu", "tfjs-wasm-simd", "tfjs-cpu" */
  label: string;
  device: 'gpu' | 'cpu';
}

export type DevicePreference = 'auto' | 'cpu' | 'gpu';

let chosen: Promise<BackendChoice> | undefined;

/**
 * Picks the fastest backend that really works here, in order: tfjs-node-gpu, tfjs-node (both
 * optional dependencies: their install downloads libtensorflow, which fails offline), WASM,
 * then the plain JS `cpu` backend. `setBackend` can quietly fall back, so each choice is checked
 * with `getBackend()`. Once per thread (each worker thread has its own TF.js).
 */
export function initBackend(device: DevicePreference = 'auto'): Promise<BackendChoice> {
  chosen ??= choose(device);
  return chosen;
}

async function choose(device: DevicePreference): Promise<BackendChoice> {
  if (device !== 'cpu') {
    if (await tryNative('@tensorflow/tfjs-node-gpu')) return { name: 'tensorflow', label: 'tfjs-node-gpu', device: 'gpu' };
    if (device === 'gpu') throw new Error('TAGFUSION_DEVICE=gpu, but @tensorflow/tfjs-node-gpu is not installed or finds no GPU');
  }
  if (await tryNative('@tensorflow/tfjs-node')) return { name: 'tensorflow', label: 'tfjs-node', device: 'cpu' };
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    patchWasmMatMul();
    patchWasmSpatialMean();
    if ((await tf.setBackend('wasm')) && tf.getBackend() === 'wasm') {
      await tf.ready();
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      return { name: 'wasm', label: simd ? 'tfjs-wasm-simd' : 'tfjs-wasm', device: 'cpu' };
    }
  } catch {
    // fall through to cpu
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', label: 'tfjs-cpu', device: 'cpu' };
}

async function tryNative(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return (await tf.setBackend('tensorflow')) && tf.getBackend() === 'tensorflow';
  } catch {
    return false;
  }
}

let patched = false;

/**
 * The WASM backend's matmul is fast (about 28 GFLOP/s here) only when neither operand is
 * transposed; with one transposed it falls to 0.4–2.3 GFLOP/s, and every dense-layer gradient
 * has one. Transposing explicitly first (a cheap memory copy) keeps every matmul on the fast path.
 */
export function patchWasmMatMul(): void {
  if (patched) return;
  patched = true;
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(kernelName, 'wasm');
    if (!original) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
        if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
        const backend = args.backend as tf.KernelBackend;
        const transpose = tf.getKernel('Transpose', 'wasm')!;
        const temps: tf.TensorInfo[] = [];
        const swapLast = (x: tf.TensorInfo) => {
          const r = x.shape.length;
          const perm = [...Array(r - 2).keys(), r - 1, r - 2];
          const out = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
          temps.push(out);
          return out;
        };
        const inputs = args.inputs as Record<string, tf.TensorInfo>;
        const a = attrs.transposeA ? swapLast(inputs.a) : inputs.a;
        const b = attrs.transposeB ? swapLast(inputs.b) : inputs.b;
        const result = original.kernelFunc({ ...args, inputs: { ...inputs, a, b }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
        for (const t of temps) backend.disposeData(t.dataId);
        return result;
      },
    });
  }
}
