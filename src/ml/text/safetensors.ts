/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
 * JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {…}}`, then the raw
 * little-endian tensor bytes, offsets relative to the end of the header. Floating tensors are
 * read as float32 (F32, F16, BF16, F64); integer tensors as Int32 (I8…I64, U8, BOOL).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface SafeTensor {
  dtype: string;
  shape: number[];
  /** float dtypes come back as float32, integer ones as int32 (I64 values must fit) */
  data: Float32Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

// On little-endian hosts (all we run on) F32 data is copied as bytes; DataView is the general path.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Parses safetensors bytes; tensors are copied out, so the input may be dropped afterwards. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw new Error('safetensors: file too short');
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw new Error('safetensors: header length beyond end of file');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, any>;
  const base = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry ?? {};
      continue;
    }
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const size = BYTES[dtype];
    if (!size) throw new Error(`safetensors: ${name} has unsupported dtype ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * size || base + end > bytes.byteLength) throw new Error(`safetensors: ${name} has inconsistent offsets`);
    tensors.set(name, { dtype, shape, data: decode(dtype, new DataView(bytes.buffer, bytes.byteOffset + base + begin, end - begin), count) });
  }
  return { tensors, metadata };
}

function decode(dtype: string, v: DataView, n: number): Float32Array | Int32Array {
  // DataView reads are alignment-free and explicitly little-endian, whatever the host.
  if (dtype === 'F32' && LITTLE_ENDIAN) return new Float32Array(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice().buffer);
  if (dtype === 'F32') return Float32Array.from({ length: n }, (_, i) => v.getFloat32(i * 4, true));
  if (dtype === 'F64') return Float32Array.from({ length: n }, (_, i) => v.getFloat64(i * 8, true));
  if (dtype === 'F16') return Float32Array.from({ length: n }, (_, i) => halfToFloat(v.getUint16(i * 2, true)));
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    const out = new Float32Array(n);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = v.getUint16(i * 2, true) << 16;
    return out;
  }
  if (dtype === 'I64') return Int32Array.from({ length: n }, (_, i) => Number(v.getBigInt64(i * 8, true)));
  if (dtype === 'I32') return Int32Array.from({ length: n }, (_, i) => v.getInt32(i * 4, true));
  if (dtype === 'I16') return Int32Array.from({ length: n }, (_, i) => v.getInt16(i * 2, true));
  if (dtype === 'I8') return Int32Array.from({ length: n }, (_, i) => v.getInt8(i));
  return Int32Array.from({ length: n }, (_, i) => v.getUint8(i)); // U8, BOOL
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Serialises float32 tensors (dtype F32) in name order, with optional string metadata. The
 * header is padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 */
export function serializeSafetensors(tensors: Map<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    if (shape.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`safetensors: ${name} shape ${shape} does not match ${data.length} values`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const headerLength = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(headerLength - jsonBytes.length);
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + headerLength;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else data.forEach((x, i) => view.setFloat32(at + i * 4, x, true));
    at += data.byteLength;
  }
  return out;
}

/** Reads a .safetensors file. */
export function readSafetensorsFile(path: string): SafetensorsFile {
  return parseSafetensors(readFileSync(path));
}

/** Writes a .safetensors file of float32 tensors. */
export function writeSafetensorsFile(path: string, tensors: Map<string, { shape: number[]; data: Float32Array }>, metadata?: Record<string, string>): void {
  writeFileSync(path, serializeSafetensors(tensors, metadata));
}
