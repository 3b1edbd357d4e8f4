/**
 * Image decoding shared by the image encoders: sharp decodes, resizes and mirrors, and the
 * helpers here lay the 8-bit RGB pixels out as the float tensors each model expects.
 */
import sharp from 'sharp';
import { readImageFile } from '../../util/read-file.js';

/** How an image becomes a `width`×`height` RGB picture. */
export interface ResizeSpec {
  width: number;
  height: number;
  /**
   * fill: stretch to the size (aspect ratio lost, nothing cut); contain: fit inside and pad with
   * black; cover: fill the size and cut the overflow at the centre. Ignored with `cropFrom`.
   */
  fit: 'fill' | 'contain' | 'cover';
  /**
   * Resize to this first, then centre-crop width×height (Hugging Face's resize + center crop):
   * a number is the shorter side (aspect ratio kept, e.g. ResNet's 256 → 224), an object an
   * exact size.
   */
  cropFrom?: number | { width: number; height: number };
  /** resampling filter; default sharp's lanczos3 */
  kernel?: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
}

/** 8-bit RGB pixels, row-major, 3 interleaved channels (HWC). */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/**
 * Decodes `path` to `spec.width`×`spec.height` RGB, mirrored left-right when `flip`. Greyscale
 * and CMYK images become sRGB and alpha is dropped, so every image has exactly 3 channels
 * (COCO holds some greyscale JPEGs). EXIF orientation is not applied, as PIL does not either,
 * so features match what the models saw in Python.
 */
export async function loadRgb(path: string, spec: ResizeSpec, flip = false): Promise<RgbImage> {
  try {
    // Read through the checked descriptor, not by sharp from the path: a named pipe would block
    // a libuv thread for good (util/read-file.ts).
    let image = sharp(await readImageFile(path));
    const kernel = spec.kernel ?? 'lanczos3';
    if (spec.cropFrom !== undefined) {
      let from = spec.cropFrom;
      if (typeof from === 'number') {
        const { width, height } = await image.metadata();
        const scale = from / Math.min(width, height);
        from = { width: Math.round(width * scale), height: Math.round(height * scale) };
      }
      // Never crop more than there is: an over-small resize is stretched up to the crop size.
      const [w, h] = [Math.max(from.width, spec.width), Math.max(from.height, spec.height)];
      image = image
        .resize(w, h, { fit: 'fill', kernel })
        .extract({ left: Math.floor((w - spec.width) / 2), top: Math.floor((h - spec.height) / 2), width: spec.width, height: spec.height });
    } else {
      image = image.resize(spec.width, spec.height, { fit: spec.fit, kernel, position: 'centre', background: { r: 0, g: 0, b: 0 } });
    }
    // sharp mirrors after resizing, whatever the call order: the flip is of the resized picture.
    if (flip) image = image.flop();
    const { data, info } = await image.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== spec.width || info.height !== spec.height) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${spec.width}×${spec.height}×3`);
    }
    return { data, width: info.width, height: info.height };
  } catch (error) {
    // One bad file among 30,000 must say which it is.
    throw new Error(`cannot read image ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Copies pixels as floats 0–255 in HWC order into `out` at `offset` (TF.js NHWC batches). */
export function writeHwc(image: RgbImage, out: Float32Array, offset: number): void {
  const { data } = image;
  for (let i = 0; i < data.length; i++) out[offset + i] = data[i];
}

/** Per-channel normalisation: `(pixel * scale - mean[c]) / std[c]`. */
export interface Normalisation {
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Writes normalised pixels in CHW order (PyTorch/ONNX NCHW batches) into `out` at `offset`. */
export function writeChw(image: RgbImage, norm: Normalisation, out: Float32Array, offset: number): void {
  const { data } = image;
  const plane = image.width * image.height;
  for (let c = 0; c < 3; c++) {
    const a = norm.scale / norm.std[c];
    const b = norm.mean[c] / norm.std[c];
    const base = offset + c * plane;
    for (let p = 0; p < plane; p++) out[base + p] = data[p * 3 + c] * a - b;
  }
}

/** Writes normalised pixels in HWC order (NHWC ONNX exports, e.g. from Keras) into `out` at `offset`. */
export function writeHwcNormalised(image: RgbImage, norm: Normalisation, out: Float32Array, offset: number): void {
  const { data } = image;
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    out[offset + i] = (data[i] * norm.scale - norm.mean[c]) / norm.std[c];
  }
}

/**
 * Runs `fn` over `items` in consecutive chunks of `size`, decoding the next chunk while the
 * current one computes; `onDone` hears how many items are done after each chunk.
 */
export async function inChunks<T, D, R>(
  items: readonly T[],
  size: number,
  decode: (chunk: readonly T[]) => Promise<D>,
  compute: (decoded: D) => R[] | Promise<R[]>,
  onDone?: (done: number) => void,
): Promise<R[]> {
  const results: R[] = [];
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  // sharp decodes on libuv's thread pool, so starting the next chunk's decode before the
  // (synchronous) model call overlaps the two instead of paying for both in turn.
  let next = chunks.length ? decode(chunks[0]) : undefined;
  for (let i = 0; i < chunks.length; i++) {
    const decoded = await next!;
    next = i + 1 < chunks.length ? decode(chunks[i + 1]) : undefined;
    // A failed prefetch must not become an unhandled rejection if `compute` throws first.
    next?.catch(() => undefined);
    results.push(...(await compute(decoded)));
    onDone?.(results.length);
  }
  return results;
}

/** How an image model wants its pixels. */
export interface ImageSettings {
  resize: ResizeSpec;
  normalisation: Normalisation;
  layout: 'NCHW' | 'NHWC';
  /** the same, as recorded with runs */
  record: Record<string, unknown>;
}

type Size = { height: number; width: number } | { shortest: number } | undefined;

const sizeOf = (v: unknown): Size => {
  if (typeof v === 'number') return { height: v, width: v };
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o.height === 'number' && typeof o.width === 'number') return { height: o.height, width: o.width };
  if (typeof o.shortest_edge === 'number') return { shortest: o.shortest_edge };
  return undefined;
};

/** PIL resampling codes in Hugging Face configs → sharp kernels (box and hamming have none; lanczos3 is closest). */
const KERNELS: Record<number, ResizeSpec['kernel']> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic', 4: 'lanczos3', 5: 'lanczos3' };

/**
 * Settings from a Hugging Face `preprocessor_config.json` (size, crop_size, do_center_crop,
 * crop_pct, resample, do_rescale, rescale_factor, do_normalize, image_mean, image_std) and the
 * model's input shape (which gives the layout and, without a config, the size). Defaults are
 * the torchvision ImageNet ones: 224×224 (or the model's fixed size), bilinear, ImageNet mean and std.
 */
export function hfImageSettings(config: Record<string, unknown> | undefined, inputShape: readonly (number | string)[]): ImageSettings {
  const c = config ?? {};
  const layout = inputShape.length === 4 && inputShape[3] === 3 && inputShape[1] !== 3 ? 'NHWC' : 'NCHW';
  const [mh, mw] = layout === 'NCHW' ? [inputShape[2], inputShape[3]] : [inputShape[1], inputShape[2]];
  const fixed = typeof mh === 'number' && typeof mw === 'number' && mh > 0 && mw > 0 ? { height: mh, width: mw } : undefined;
  const size = c.do_resize === false ? undefined : sizeOf(c.size);
  const crop = c.do_center_crop === false ? undefined : (sizeOf(c.crop_size) as { height: number; width: number } | undefined);
  const kernel = KERNELS[typeof c.resample === 'number' ? c.resample : 2] ?? 'linear';

  let resize: ResizeSpec;
  if (size && 'shortest' in size && typeof c.crop_pct === 'number' && !crop) {
    // ConvNeXt: below 384, resize the shorter side to size/crop_pct and crop size×size
    const s = size.shortest;
    resize = s < 384 ? { width: s, height: s, fit: 'fill', cropFrom: Math.round(s / c.crop_pct), kernel } : { width: s, height: s, fit: 'fill', kernel };
  } else if (size && crop && 'height' in crop) {
    resize = { ...crop, fit: 'fill', cropFrom: 'shortest' in size ? size.shortest : size, kernel };
  } else if (size && 'shortest' in size) {
    // A batch needs one size: a square cut from the centre.
    resize = { width: size.shortest, height: size.shortest, fit: 'cover', kernel };
  } else {
    resize = { ...(size ?? fixed ?? { height: 224, width: 224 }), fit: 'fill', kernel };
  }
  if (fixed && (fixed.height !== resize.height || fixed.width !== resize.width)) {
    throw new Error(`the model takes ${fixed.height}×${fixed.width} images, the preprocessor config makes ${resize.height}×${resize.width}`);
  }

  const scale = c.do_rescale === false ? 1 : typeof c.rescale_factor === 'number' ? c.rescale_factor : 1 / 255;
  const triple = (v: unknown, d: number[]) => (Array.isArray(v) && v.length === 3 ? v : d) as [number, number, number];
  const normalisation: Normalisation =
    c.do_normalize === false
      ? { scale, mean: [0, 0, 0], std: [1, 1, 1] }
      : { scale, mean: triple(c.image_mean, [0.485, 0.456, 0.406]), std: triple(c.image_std, [0.229, 0.224, 0.225]) };
  const record = {
    size: [resize.height, resize.width],
    resize: resize.cropFrom !== undefined ? { resizeTo: resize.cropFrom, thenCentreCrop: true } : resize.fit,
    kernel,
    layout,
    rescale: scale,
    mean: normalisation.mean,
    std: normalisation.std,
    from: config ? 'preprocessor_config.json' : 'defaults',
  };
  return { resize, normalisation, layout, record };
}
