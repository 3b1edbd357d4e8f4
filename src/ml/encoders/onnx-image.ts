/**
 * `onnx`: any ONNX image model (EfficientNet, MobileNetV3, ShuffleNet, ViT or CLIP vision…) as a
 * frozen image encoder through onnxruntime-node. A folder holds `model.onnx` (or
 * `onnx/model.onnx`) and optionally a Hugging Face `preprocessor_config.json`; with `hubId` the
 * folder is first fetched into the cache. The feature is the model's output, pooled to one
 * vector per image: 4-D maps are averaged over space, 3-D token sequences over tokens (or CLS).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { downloadHubFiles, type HubOptions } from './hub.js';
import { hfImageSettings, inChunks, loadRgb, writeChw, writeHwcNormalised, type ImageSettings, type RgbImage } from './image-preprocess.js';
import type { EncoderSource, ImageEncodeOptions, ImageEncoder, ImageInput } from './types.js';

export interface OnnxImageOptions extends EncoderSource, HubOptions {
  /** model file inside the folder; default model.onnx, then onnx/model.onnx */
  modelFile?: string;
  /** images per run; default 16 (a model with a fixed batch dimension uses that) */
  batchSize?: number;
  /** ONNX Runtime intra-op threads; default 1, since the 2 cores are shared with training */
  threads?: number;
  /** output to use; default image_embeds or pooler_output when the model has one, else the first */
  output?: string;
  /** how a 3-D [N, tokens, C] output becomes a vector: mean over tokens (default) or the first (CLS) token */
  tokenPooling?: 'mean' | 'cls';
}

const MODEL_FILES = ['model.onnx', 'onnx/model.onnx'];

/** Creates the `onnx` image encoder from a local folder (`path`) or a hub repository (`hubId`). */
export async function createOnnxImageEncoder(options: OnnxImageOptions): Promise<ImageEncoder> {
  const { folder, modelPath } = locateModel(await resolveFolder(options), options.modelFile);
  const config = readConfig(join(folder, 'preprocessor_config.json'));

  // From the file path, not from bytes: external weight files (model.onnx_data) resolve next to it.
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  try {
    if (session.inputNames.length !== 1) throw new Error(`${modelPath}: expected one image input, found ${session.inputNames.join(', ')}`);
    const inputMeta = session.inputMetadata[0];
    const inputShape = inputMeta.isTensor ? inputMeta.shape : [];
    if (inputMeta.isTensor && inputMeta.type !== 'float32') throw new Error(`${modelPath}: input is ${inputMeta.type}; only float32 image inputs are supported`);
    const settings = hfImageSettings(config, inputShape);
    const output = pickOutput(session.outputNames, options.output, modelPath);
    const tokenPooling = options.tokenPooling ?? 'mean';
    const fixedBatch = typeof inputShape[0] === 'number' && inputShape[0] > 0 ? inputShape[0] : undefined;
    const batchSize = fixedBatch ?? options.batchSize ?? 16;

    let outputRank = 0;
    const run = async (images: RgbImage[]): Promise<Float32Array[]> => {
      const { height: h, width: w } = settings.resize;
      const size = 3 * h * w;
      const pixels = new Float32Array(Math.max(images.length, fixedBatch ?? 0) * size); // a fixed batch is padded with zeros
      const write = settings.layout === 'NCHW' ? writeChw : writeHwcNormalised;
      images.forEach((image, i) => write(image, settings.normalisation, pixels, i * size));
      const dims = settings.layout === 'NCHW' ? [pixels.length / size, 3, h, w] : [pixels.length / size, h, w, 3];
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', pixels, dims) }, [output]);
      const tensor = result[output];
      outputRank = tensor.dims.length;
      try {
        return pool(tensor, settings.layout, tokenPooling, output).slice(0, images.length);
      } finally {
        tensor.dispose();
      }
    };

    const decode = (chunk: readonly ImageInput[], flip?: boolean) => Promise.all(chunk.map((im) => loadRgb(im.path, settings.resize, flip)));
    const encode = (images: ImageInput[], opts: ImageEncodeOptions = {}) => inChunks(images, batchSize, (c) => decode(c, opts.flip), run, opts.onEncoded);

    // One blank image tells the feature length whatever the output's declared shape says.
    const probe = await run([{ data: Buffer.alloc(settings.resize.width * settings.resize.height * 3), width: settings.resize.width, height: settings.resize.height }]);
    const pooling = ['', '', 'none', tokenPooling === 'cls' ? 'first token' : 'mean over tokens', 'mean over space'][outputRank];
    const preprocessing = { ...settings.record, output, pooling };
    const modelBytes = readFileSync(modelPath);
    const hash = createHash('sha256').update(modelBytes);
    for (const extra of [`${modelPath}_data`, `${modelPath}.data`]) if (existsSync(extra)) hash.update(readFileSync(extra));

    return {
      id: 'onnx',
      modality: 'image',
      version: hash.update(JSON.stringify(preprocessing)).digest('hex'),
      dim: probe[0].length,
      preprocessing,
      parameters: countOnnxParameters(modelBytes),
      backend: 'onnxruntime-cpu',
      encode,
      dispose: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}

/** The local folder (or, when `path` names a file, the .onnx file itself). */
async function resolveFolder(options: OnnxImageOptions): Promise<string> {
  if (options.path) {
    if (!existsSync(options.path)) throw new Error(`ONNX image model folder ${options.path} does not exist`);
    return options.path;
  }
  if (options.hubId) {
    const model = options.modelFile ? [options.modelFile] : MODEL_FILES.slice().reverse(); // hub repos put it under onnx/ more often
    const optional = ['preprocessor_config.json', ...model.map((m) => `${m}_data`)];
    return downloadHubFiles(options.hubId, { required: [model], optional }, options);
  }
  throw new Error('the onnx image encoder needs a model: give path (a local folder) or hubId');
}

/** The model file, and the folder holding preprocessor_config.json (the repository root, even for onnx/model.onnx). */
function locateModel(pathOrFile: string, modelFile: string | undefined): { folder: string; modelPath: string } {
  // `path` may name the .onnx file itself; its preprocessor_config.json is then read beside it.
  if (statSync(pathOrFile).isFile()) return { folder: dirname(pathOrFile), modelPath: pathOrFile };
  const candidates = modelFile ? [modelFile] : MODEL_FILES;
  for (const c of candidates) if (existsSync(join(pathOrFile, c))) return { folder: pathOrFile, modelPath: join(pathOrFile, c) };
  throw new Error(`ONNX image model folder ${pathOrFile} has no ${candidates.join(' or ')} (looked for ${candidates.map((c) => join(pathOrFile, c)).join(', ')})`);
}

function readConfig(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function pickOutput(names: readonly string[], wanted: string | undefined, modelPath: string): string {
  if (wanted) {
    if (!names.includes(wanted)) throw new Error(`${basename(modelPath)} has no output "${wanted}"; outputs: ${names.join(', ')}`);
    return wanted;
  }
  return names.find((n) => n === 'image_embeds') ?? names.find((n) => n === 'pooler_output') ?? names[0];
}

/** One vector per image from a 2-D, 3-D or 4-D float output. */
function pool(tensor: ort.Tensor, layout: ImageSettings['layout'], tokens: 'mean' | 'cls', name: string): Float32Array[] {
  if (tensor.type !== 'float32') throw new Error(`output ${name} is ${tensor.type}; expected float32`);
  const data = tensor.data as Float32Array;
  const [n, ...rest] = tensor.dims;
  const per = rest.reduce((a, b) => a * b, 1);
  const rows = Array.from({ length: n }, (_, i) => data.subarray(i * per, (i + 1) * per));
  if (rest.length === 1) return rows.map((r) => r.slice());
  if (rest.length === 2) return rows.map((r) => (tokens === 'cls' ? r.slice(0, rest[1]) : meanOver(r, rest[0], rest[1], 'outer')));
  if (rest.length === 3) {
    // 4-D: [C,1,1] and [1,1,C] are unambiguous; otherwise a map is laid out as the input was
    // (NCHW for PyTorch exports, NHWC for Keras ones).
    const channelsFirst = rest[1] === 1 && rest[2] === 1 ? true : rest[0] === 1 && rest[1] === 1 ? false : layout === 'NCHW';
    return rows.map((r) => (channelsFirst ? meanOver(r, rest[0], rest[1] * rest[2], 'inner') : meanOver(r, rest[0] * rest[1], rest[2], 'outer')));
  }
  throw new Error(`output ${name} has shape [${tensor.dims.join(', ')}]; expected 2, 3 or 4 dimensions`);
}

/** Mean of a [a, b] row-major block: 'outer' averages over a (gives b values), 'inner' over b (gives a values). */
function meanOver(x: Float32Array, a: number, b: number, over: 'outer' | 'inner'): Float32Array {
  const out = new Float32Array(over === 'outer' ? b : a);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[over === 'outer' ? j : i] += x[i * b + j];
  const count = over === 'outer' ? a : b;
  for (let k = 0; k < out.length; k++) out[k] /= count;
  return out;
}

/**
 * Counts the elements of the graph's initializers (its weights) by skimming the protobuf:
 * ModelProto.graph (field 7) → GraphProto.initializer (5) → TensorProto.dims (1). Weights kept
 * in an external data file still declare their dims here.
 */
export function countOnnxParameters(model: Uint8Array): number {
  let total = 0;
  for (const graph of fields(model, 7)) {
    for (const tensor of fields(graph, 5)) {
      const dims: bigint[] = [];
      forEachField(tensor, (field, value) => {
        if (field !== 1) return;
        if (typeof value === 'bigint') dims.push(value);
        // proto3 writers pack repeated int64 into one length-delimited run of varints
        else for (let p = 0; p < value.length; ) [dims[dims.length], p] = readVarint(value, p);
      });
      total += dims.reduce((a, b) => a * Number(b), 1);
    }
  }
  return total;
}

/** The length-delimited payloads of one field of a protobuf message. */
function fields(message: Uint8Array, wanted: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  forEachField(message, (field, value) => field === wanted && typeof value !== 'bigint' && out.push(value));
  return out;
}

/** Walks a protobuf message: varints come as bigint, length-delimited fields as bytes; fixed-width ones are skipped. */
function forEachField(buf: Uint8Array, visit: (field: number, value: bigint | Uint8Array) => void): void {
  let p = 0;
  while (p < buf.length) {
    let key: bigint;
    [key, p] = readVarint(buf, p);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let value: bigint;
      [value, p] = readVarint(buf, p);
      visit(field, value);
    } else if (wire === 2) {
      let length: bigint;
      [length, p] = readVarint(buf, p);
      visit(field, buf.subarray(p, p + Number(length)));
      p += Number(length);
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
    } else {
      throw new Error(`not an ONNX model: protobuf wire type ${wire} at byte ${p}`);
    }
  }
}

/** A varint at `start`: its value and the position after it. */
function readVarint(buf: Uint8Array, start: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (let p = start; p < buf.length; p++) {
    value |= BigInt(buf[p] & 0x7f) << shift;
    if (buf[p] < 0x80) return [value, p + 1];
    shift += 7n;
  }
  throw new Error('not an ONNX model: truncated protobuf');
}
