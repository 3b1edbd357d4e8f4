import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensorsFile, serializeSafetensors, writeSafetensorsFile } from '../../../src/ml/text/safetensors.js';

/** A safetensors file written by hand, as another tool would. */
function handMade(header: Record<string, unknown>, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata through a file', () => {
    const tensors = new Map([
      ['b.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-8, -0, 65504.25]) }],
      ['a.bias', { shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) }],
      ['scalar', { shape: [], data: Float32Array.from([7]) }],
    ]);
    const path = join(mkdtempSync(join(tmpdir(), 'tagfusion-st-')), 'model.safetensors');
    writeSafetensorsFile(path, tensors, { format: 'pt' });
    const back = readSafetensorsFile(path);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...back.tensors.keys()].sort()).toEqual(['a.bias', 'b.weight', 'scalar']);
    for (const [name, t] of tensors) {
      expect(back.tensors.get(name)).toEqual({ dtype: 'F32', shape: t.shape, data: t.data });
    }
  });

  it('writes the documented layout: u64 LE header length, 8-byte aligned JSON header, LE data', () => {
    const bytes = serializeSafetensors(new Map([['x', { shape: [2], data: Float32Array.from([1, 2]) }]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    expect(new DataView(bytes.buffer).getFloat32(8 + n + 4, true)).toBe(2);
    expect(bytes.length).toBe(8 + n + 8);
  });

  it('reads F16, BF16, I64 and unaligned data written by others', () => {
    const f16 = [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x01, 0x00]; // 1, -2, +inf, smallest subnormal
    const bf16 = [0x80, 0x3f, 0x49, 0x40]; // 1, 3.140625
    const i64 = [5, 0, 0, 0, 0, 0, 0, 0];
    const bytes = handMade(
      {
        __metadata__: { source: 'hand' },
        h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
        b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
        i: { dtype: 'I64', shape: [1], data_offsets: [12, 20] },
      },
      [...f16, ...bf16, ...i64],
    );
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ source: 'hand' });
    expect([...tensors.get('h')!.data]).toEqual([1, -2, Infinity, 2 ** -24]);
    expect([...tensors.get('b')!.data]).toEqual([1, 3.140625]);
    expect(tensors.get('i')).toEqual({ dtype: 'I64', shape: [1], data: Int32Array.from([5]) });
  });

  it('refuses truncated or inconsistent files', () => {
    expect(() => parseSafetensors(new Uint8Array(4))).toThrow(/too short/);
    expect(() => parseSafetensors(handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]))).toThrow(/inconsistent/);
    expect(() => parseSafetensors(handMade({ x: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Array(8).fill(0)))).toThrow(/unsupported dtype/);
    expect(() => serializeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(2) }]]))).toThrow(/does not match/);
  });
});
