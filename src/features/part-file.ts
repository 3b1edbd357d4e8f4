import { createHash } from 'node:crypto';

/**
 * The bytes of one feature part: a 48-byte header, then rows × dim float32 values in the byte
 * order Float32Array writes (little-endian on every platform Node supports). The header holds
 * 'TFP1', rows, dim and a zero (uint32 little-endian each), then the sha256 of the values.
 *
 * The checksum lives in the part itself rather than beside it, so the one rename that makes a
 * part visible makes its checksum visible too, and a bucket that copies the file copies both:
 * no crash or partial upload can pair a part with a checksum that is not its own.
 */
const MAGIC = 'TFP1';
const HEADER = 48;

export function encodePart(values: Float32Array, rows: number, dim: number): Uint8Array {
  const payload = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(HEADER + payload.byteLength);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(rows, 4);
  out.writeUInt32LE(dim, 8);
  createHash('sha256').update(payload).digest().copy(out, 16);
  out.set(payload, HEADER);
  return out;
}

/**
 * Why `bytes` is not a whole, intact part (of `expected` shape, when given), or undefined when
 * it is. The reasons name sizes and shapes only, never the file.
 */
export function partDamage(bytes: Buffer, expected?: { rows: number; dim: number }): string | undefined {
  if (bytes.byteLength < HEADER || bytes.toString('latin1', 0, 4) !== MAGIC) return 'it has no part header (an older format, or overwritten)';
  const rows = bytes.readUInt32LE(4);
  const dim = bytes.readUInt32LE(8);
  const size = HEADER + rows * dim * 4;
  if (bytes.byteLength !== size) return `it has ${bytes.byteLength} of its ${size} bytes`;
  if (expected && (rows !== expected.rows || dim !== expected.dim)) return `it holds ${rows} × ${dim} values where ${expected.rows} × ${expected.dim} belong`;
  const sum = createHash('sha256').update(bytes.subarray(HEADER)).digest();
  if (!sum.equals(bytes.subarray(16, 48))) return 'its values do not match its checksum';
  return undefined;
}

/** The values of an intact part (see partDamage), copied: a Buffer may sit at an offset that is not a multiple of 4. */
export function partValues(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + HEADER, bytes.byteOffset + bytes.byteLength));
}
