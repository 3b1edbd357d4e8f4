import { describe, expect, it } from 'vitest';
import { augmentCaption, augmentCaptions, replaceSynonyms, synonymsOf } from '../../../src/ml/augment/synonyms.js';

const CAPTIONS = [
  'A man riding a wave on top of a surfboard.',
  'Two dogs laying on a couch next to a cat.',
  'A red double decker bus driving down a street.',
  'A large giraffe standing in a grassy field.',
  "A woman's hand holding a slice of Pizza.",
  'the of and a',
];

describe('synonym augmentation', () => {
  it('uses the most frequent sense of a word', () => {
    expect(synonymsOf('couch')).toEqual(['sofa', 'lounge']);
    expect(synonymsOf('red')).toContain('crimson');
    expect(synonymsOf('qzxv')).toEqual([]);
  });

  it('is deterministic for (caption, seed) and varies with the seed', () => {
    for (const c of CAPTIONS) expect(augmentCaption(c, 11)).toBe(augmentCaption(c, 11));
    const bySeed = new Set(Array.from({ length: 10 }, (_, s) => augmentCaption(CAPTIONS[2], s)));
    expect(bySeed.size).toBeGreaterThan(1);
    expect(augmentCaptions(CAPTIONS, 5)).toEqual(CAPTIONS.map((c, i) => augmentCaption(c, 5 + i)));
  });

  it('replaces at most n words, each with a WordNet synonym, keeping the rest of the caption', () => {
    for (const n of [1, 2, 3]) {
      for (const [i, caption] of CAPTIONS.entries()) {
        const { text, replacements } = replaceSynonyms(caption, i, n);
        expect(replacements.length).toBeLessThanOrEqual(n);
        let rebuilt = caption;
        for (const r of [...replacements].reverse()) {
          const word = r.word.toLowerCase();
          const synonym = r.synonym.toLowerCase();
          // a synonym of the word, or the plural of a synonym of its singular
          const direct = synonymsOf(word).includes(synonym);
          const plural = synonymsOf(word.replace(/s$/, '')).some((s) => synonym === `${s}s` || synonym === `${s}es`);
          expect(direct || plural, `${r.word} → ${r.synonym}`).toBe(true);
          expect(caption.slice(r.start, r.start + r.word.length)).toBe(r.word);
          rebuilt = rebuilt.slice(0, r.start) + r.synonym + rebuilt.slice(r.start + r.word.length);
        }
        expect(text).toBe(rebuilt);
      }
    }
  });

  it('leaves stop words, -ing verb forms and possessives alone and keeps capitals and punctuation', () => {
    expect(augmentCaption('the of and a', 1)).toBe('the of and a');
    for (let seed = 0; seed < 20; seed++) {
      const { text, replacements } = replaceSynonyms('Couch standing, sofa!', seed, 3);
      expect(replacements.map((r) => r.word)).not.toContain('standing');
      expect(text).toMatch(/^[A-Z].* standing, .*!$/);
    }
    expect(replaceSynonyms("A woman's hand", 1, 5).replacements.map((r) => r.word)).toEqual(['hand']);
  });
});
