import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// A variable, so that the compiler does not look for the optional package (absent after an offline install).
const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/**
 * What a GPU run lacks here, in the order a user fixes it: an NVIDIA driver, the native part of
 * `@tensorflow/tfjs-node-gpu` (its install downloads libtensorflow with CUDA, which an offline
 * install cannot; docs/GPU.md says how to carry it in), and CUDA libraries that load. Empty when
 * the TensorFlow backend loads. Probed once at start so that `TAGFUSION_DEVICE=gpu` never falls
 * back to the CPU quietly, nor fails only when the first job runs.
 */
export async function missingForGpu(devRoot = '/dev'): Promise<string[]> {
  if (!existsSync(join(devRoot, 'nvidiactl'))) return [`no NVIDIA driver (${join(devRoot, 'nvidiactl')} is missing)`];
  let pkgDir: string;
  try {
    pkgDir = dirname(require.resolve(`${GPU_PACKAGE}/package.json`));
  } catch {
    return ['@tensorflow/tfjs-node-gpu is not installed (npm install --no-save @tensorflow/tfjs-node-gpu)'];
  }
  if (!hasBinding(join(pkgDir, 'lib'))) return ["@tensorflow/tfjs-node-gpu's native part is not installed: its install downloads libtensorflow (GPU), which failed or was skipped"];
  try {
    const tf = await import('@tensorflow/tfjs');
    await import(GPU_PACKAGE);
    if (!(await tf.setBackend('tensorflow')) || tf.getBackend() !== 'tensorflow') return ["@tensorflow/tfjs-node-gpu loaded, but TensorFlow.js did not take its backend"];
  } catch (err) {
    // The loader's first line names the library it could not open (libcudart.so.11.0, libcudnn.so.8).
    return [`@tensorflow/tfjs-node-gpu does not load: ${String((err as Error).message ?? err).split('\n')[0].slice(0, 200)}`];
  }
  return [];
}

/** node-pre-gyp puts the addon at lib/napi-v<N>/tfjs_binding.node. */
function hasBinding(lib: string): boolean {
  if (!existsSync(lib)) return false;
  return readdirSync(lib, { withFileTypes: true }).some((d) => d.isDirectory() && existsSync(join(lib, d.name, 'tfjs_binding.node')));
}
