import { describe, expect, it } from 'vitest';
import { createGloveEncoder, loadWordVectors, parseWinkEmbeddings } from '../../../src/ml/encoders/glove.js';

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0, x = 0, y = 0;
  for (let i = 0; i < a.length; i++) [dot, x, y] = [dot + a[i] * b[i], x + a[i] * a[i], y + b[i] * b[i]];
  return dot / Math.sqrt(x * y);
};

describe('glove-100d', () => {
  it('gives 100-d means that put paraphrases close together', async () => {
    const e = await createGloveEncoder();
    expect(e).toMatchObject({ id: 'glove-100d', modality: 'text', dim: 100, backend: 'js' });
    const [dog, puppy, bus] = await e.encode(['a dog on a couch', 'A puppy on a sofa.', 'a red bus on the street']);
    expect(dog.length).toBe(100);
    expect(cosine(dog, puppy)).toBeGreaterThan(cosine(dog, bus));
  });

  it('averages the known words only and flags captions with none', async () => {
    const e = await createGloveEncoder();
    const table = await loadWordVectors();
    const row = (w: string) => table.vectors.subarray(table.index.get(w)! * 100, table.index.get(w)! * 100 + 100);
    const { vectors, knownWords } = await e.encodeWithCounts(['Dog, cat!! qzxvbnmq', '?!', '']);
    expect(knownWords).toEqual([2, 0, 0]);
    vectors[0].forEach((v, j) => expect(v).toBeCloseTo((row('dog')[j] + row('cat')[j]) / 2, 6));
    expect([...vectors[1]].every((v) => v === 0)).toBe(true);
  });

  it('loads the package once per thread, with every word of it', async () => {
    expect(await loadWordVectors()).toBe(await loadWordVectors());
    expect((await loadWordVectors()).index.size).toBe(341479);
  });

  it('parses the wink JSON layout: 100 dimensions kept, norm and index dropped, escapes and exponents read', () => {
    const json = '{"precision":8,"words":["x"],"vectors":{"a\\"b":[' + Array.from({ length: 100 }, (_, i) => (i === 3 ? '-1.5e-3' : `${i}.25`)).join(',') + ',9.9,0],"c":[' + new Array(100).fill('-0.5').join(',') + ',1,1]},"unkVector":[0]}';
    const t = parseWinkEmbeddings(new TextEncoder().encode(json));
    expect([...t.index]).toEqual([['a"b', 0], ['c', 1]]);
    expect(t.vectors.length).toBe(200);
    expect(t.vectors[3]).toBeCloseTo(-0.0015, 9);
    expect(t.vectors[99]).toBe(99.25);
    expect(t.vectors[100]).toBe(-0.5);
  });
});
