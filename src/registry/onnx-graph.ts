import { open, type FileHandle } from 'node:fs/promises';

/** A graph input or output: its name, element type (onnx.proto TensorProto.DataType) and shape. */
export interface OnnxValue {
  name: string;
  /** 1 FLOAT, 6 INT32, 7 INT64, 11 DOUBLE…; 0 when the file does not say */
  elemType: number;
  /** one entry per axis: its size, or null for a symbolic or unknown one (the batch axis, mostly) */
  shape: (number | null)[] | null;
}

export interface OnnxGraph {
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;

/** Thrown when the bytes are not a protobuf ModelProto; the caller words it for users. */
export class NotOnnxError extends Error {}

// Bounds on what a model's interface may hold: real models have a few inputs of rank <= 5.
const MAX_VALUES = 1_000;
const MAX_DIMS = 32;
const MAX_NAME_BYTES = 4_096;
const WINDOW = 64 * 1024;

/**
 * Reads a file's bytes by position through a 64 KiB window, so that a model's weights (the
 * initializers' raw data, often hundreds of MB) are skipped by moving the position, never read.
 */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(0);
  private at = 0;
  constructor(
    private readonly file: FileHandle,
    readonly size: number,
  ) {}

  private async byte(): Promise<number> {
    if (this.pos >= this.size) throw new NotOnnxError('truncated');
    if (this.pos < this.at || this.pos >= this.at + this.buf.length) {
      this.at = this.pos;
      this.buf = Buffer.alloc(Math.min(WINDOW, this.size - this.pos));
      await this.file.read(this.buf, 0, this.buf.length, this.pos);
    }
    return this.buf[this.pos++ - this.at];
  }

  /** A varint as a number (exact below 2^53, more than any length or dimension here). */
  async varint(): Promise<number> {
    let value = 0;
    for (let shift = 1, i = 0; i < 10; i++, shift *= 128) {
      const b = await this.byte();
      value += (b & 0x7f) * shift;
      if (b < 0x80) return value;
    }
    throw new NotOnnxError('bad varint');
  }

  async string(length: number): Promise<string> {
    if (length > MAX_NAME_BYTES) throw new NotOnnxError('name too long');
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = await this.byte();
    return out.toString('utf8');
  }
}

type Fields = (field: number, end: number) => Promise<boolean>;

/**
 * Walks one message from the cursor to `end`. `onLength` reads the length-delimited fields it
 * knows (returning true); every other field is skipped by its wire type.
 */
async function message(c: Cursor, end: number, onLength: Fields, onVarint?: (field: number, value: number) => void): Promise<void> {
  if (end > c.size) throw new NotOnnxError('truncated');
  while (c.pos < end) {
    const tag = await c.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new NotOnnxError('field 0');
    if (wire === 0) {
      // read before the call: `onVarint?.(…)` would skip evaluating its argument
      const value = await c.varint();
      onVarint?.(field, value);
    }
    else if (wire === 1) c.pos += 8;
    else if (wire === 5) c.pos += 4;
    else if (wire === 2) {
      const length = await c.varint();
      const stop = c.pos + length;
      if (stop > end) throw new NotOnnxError('field past its message');
      if (!(await onLength(field, stop))) c.pos = stop;
      else if (c.pos !== stop) throw new NotOnnxError('message length mismatch');
    } else throw new NotOnnxError(`wire type ${wire}`);
  }
  if (c.pos !== end) throw new NotOnnxError('message overruns');
}

async function valueInfo(c: Cursor, end: number): Promise<OnnxValue> {
  const v: OnnxValue = { name: '', elemType: 0, shape: null };
  // ValueInfoProto{1 name, 2 type: TypeProto{1 tensor_type: {1 elem_type, 2 shape: {1 dim: {1 dim_value, 2 dim_param}}}}}
  const dim = async (e: number) => {
    let size: number | null = null;
    await message(c, e, async () => false, (f, value) => void (f === 1 && (size = value)));
    if ((v.shape ??= []).length >= MAX_DIMS) throw new NotOnnxError('too many dims');
    v.shape.push(size);
    return true;
  };
  const shape = async (f: number, e: number) => (f === 1 ? dim(e) : false);
  const tensor = async (f: number, e: number) => {
    if (f !== 2) return false;
    v.shape ??= [];
    await message(c, e, shape);
    return true;
  };
  const type = async (f: number, e: number) => (f === 1 ? (await message(c, e, tensor, (g, value) => void (g === 1 && (v.elemType = value))), true) : false);
  await message(c, end, async (f, e) => {
    if (f === 1) v.name = await c.string(e - c.pos);
    else if (f === 2) await message(c, e, type);
    return f === 1 || f === 2;
  });
  return v;
}

/**
 * The inputs and outputs of an ONNX model file (ModelProto field 7 is the graph; GraphProto
 * fields 11 and 12 its inputs and outputs, 5 its initializers). Inputs that name an initializer
 * are weights, not inputs: files before IR version 4 list every weight as an input too.
 */
export async function readOnnxGraph(path: string): Promise<OnnxGraph> {
  const file = await open(path, 'r');
  try {
    const c = new Cursor(file, (await file.stat()).size);
    const inputs: OnnxValue[] = [];
    const outputs: OnnxValue[] = [];
    const weights = new Set<string>();
    let graphs = 0;
    let irVersion = 0;
    const tensorName = async (e: number) => {
      await message(c, e, async (f, fe) => (f === 8 ? (weights.add(await c.string(fe - c.pos)), true) : false));
      return true;
    };
    const graph: Fields = async (f, e) => {
      if (f === 11 || f === 12) {
        const list = f === 11 ? inputs : outputs;
        if (list.length >= MAX_VALUES) throw new NotOnnxError('too many values');
        list.push(await valueInfo(c, e));
        return true;
      }
      return f === 5 ? tensorName(e) : false;
    };
    await message(c, c.size, async (f, e) => (f === 7 ? (graphs++, await message(c, e, graph), true) : false), (f, value) => void (f === 1 && (irVersion = value)));
    if (graphs !== 1 || irVersion < 1 || !outputs.length) throw new NotOnnxError('no graph');
    return { inputs: inputs.filter((i) => !weights.has(i.name)), outputs };
  } finally {
    await file.close();
  }
}
