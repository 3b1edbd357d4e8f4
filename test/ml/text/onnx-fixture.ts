/**
 * Writes a tiny ONNX "text encoder" for tests, protobuf encoded by hand (no onnx package here):
 * last_hidden_state = Gather(embedding table, input_ids) [batch, seq, dim]. With mean pooling
 * over the attention mask, a caption's feature is then the mean of its tokens' table rows, which
 * a test can compute independently.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WordPiece } from '../../../src/ml/text/wordpiece.js';

type Field = [number, 'varint', number] | [number, 'bytes', Uint8Array | string] | [number, 'message', Field[]];

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

/** Protobuf wire encoding of a list of (field number, kind, value). */
function encode(fields: Field[]): Uint8Array {
  const parts: number[] = [];
  for (const [num, kind, value] of fields) {
    if (kind === 'varint') parts.push(...varint(num << 3), ...varint(value as number));
    else {
      const bytes = kind === 'message' ? encode(value as Field[]) : typeof value === 'string' ? new TextEncoder().encode(value) : (value as Uint8Array);
      parts.push(...varint((num << 3) | 2), ...varint(bytes.length), ...bytes);
    }
  }
  return Uint8Array.from(parts);
}

const FLOAT = 1;
const INT64 = 7;

function valueInfo(name: string, elemType: number, dims: (string | number)[]): Field[] {
  const shape: Field[] = dims.map((d) => [1, 'message', [typeof d === 'string' ? [2, 'bytes', d] : [1, 'varint', d]]]);
  return [[1, 'bytes', name], [2, 'message', [[1, 'message', [[1, 'varint', elemType], [2, 'message', shape]]]]]];
}

/** An ONNX model: Gather(table [vocab, dim], input_ids) → last_hidden_state. */
export function gatherModel(table: Float32Array, vocab: number, dim: number): Uint8Array {
  const tensor: Field[] = [[1, 'varint', vocab], [1, 'varint', dim], [2, 'varint', FLOAT], [8, 'bytes', 'table'], [9, 'bytes', new Uint8Array(table.buffer, table.byteOffset, table.byteLength)]];
  const node: Field[] = [[1, 'bytes', 'table'], [1, 'bytes', 'input_ids'], [2, 'bytes', 'last_hidden_state'], [3, 'bytes', 'gather'], [4, 'bytes', 'Gather']];
  const graph: Field[] = [
    [1, 'message', node],
    [2, 'bytes', 'tiny'],
    [5, 'message', tensor],
    [11, 'message', valueInfo('input_ids', INT64, ['batch', 'sequence'])],
    [11, 'message', valueInfo('attention_mask', INT64, ['batch', 'sequence'])],
    [12, 'message', valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', dim])],
  ];
  return encode([[1, 'varint', 8], [2, 'bytes', 'tagfusion-test'], [7, 'message', graph], [8, 'message', [[1, 'bytes', ''], [2, 'varint', 13]]]]);
}

/** Writes a folder transformers.js accepts: config.json, tokenizer files, onnx/model.onnx. */
export function writeOnnxTextFolder(folder: string, tokenizer: WordPiece, table: Float32Array, dim: number): void {
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: dim, vocab_size: tokenizer.size }));
  writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer.toTokenizerJson()));
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizer.toTokenizerConfig(128)));
  writeFileSync(join(folder, 'onnx', 'model.onnx'), gatherModel(table, tokenizer.size, dim));
}
