import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { basicTokenize } from '../../../src/ml/text/tokenize.js';
import { WordPiece } from '../../../src/ml/text/wordpiece.js';

// The cases of google-research/bert's tokenization_test.py.
describe('basicTokenize', () => {
  it('lowercases, strips accents and splits punctuation', () => {
    expect(basicTokenize(' \tHeLLo!how  \n Are yoU?  ')).toEqual(['hello', '!', 'how', 'are', 'you', '?']);
    expect(basicTokenize('H\u00E9llo')).toEqual(['hello']);
    expect(basicTokenize("a dog's bed, (2.5m) $3")).toEqual(['a', 'dog', "'", 's', 'bed', ',', '(', '2', '.', '5m', ')', '$', '3']);
  });

  it('keeps case and accents when asked, spaces out CJK and drops control characters', () => {
    expect(basicTokenize('HäLLo', { lowercase: false })).toEqual(['HäLLo']);
    expect(basicTokenize('ah\u535A\u63A8zz')).toEqual(['ah', '\u535A', '\u63A8', 'zz']);
    expect(basicTokenize('a\u0000b\u0007c d')).toEqual(['abc', 'd']);
  });
});

const SMALL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'want', '##want', '##ed', 'wa', 'un', 'runn', '##ing', ',', '##aff', '##able'];

describe('WordPiece', () => {
  const wp = new WordPiece(SMALL);

  it('splits greedily, longest match first, with ## continuations', () => {
    expect(wp.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
    expect(wp.tokenize('UNwant\u00E9d,running')).toEqual(['un', '##want', '##ed', ',', 'runn', '##ing']);
  });

  it('makes a whole word [UNK] when any part has no piece', () => {
    expect(wp.tokenize('unwantedX running')).toEqual(['[UNK]', 'runn', '##ing']);
    expect(wp.tokenize('')).toEqual([]);
    expect(new WordPiece(SMALL, { maxCharsPerWord: 5 }).tokenize('unwanted')).toEqual(['[UNK]']);
  });

  it('encodes [CLS] … [SEP] with padding, mask and truncation', () => {
    const e = wp.encode(['unwanted', 'running , unaffable'], { maxLength: 6 });
    expect(e.length).toBe(6);
    expect([...e.inputIds.subarray(0, 6)]).toEqual([2, 8, 5, 6, 3, 0]);
    expect([...e.inputIds.subarray(6)]).toEqual([2, 9, 10, 11, 8, 3]); // cut to maxLength, [SEP] kept
    expect([...e.attentionMask]).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    expect(wp.encode(['want'], { maxLength: 8 }).length).toBe(3); // padded to the longest caption only
    expect(wp.encode(['want'], { maxLength: 8, padTo: 'max' }).length).toBe(8);
  });

  it('reads vocab.txt and tokenizer.json, and writes them back equal', () => {
    const fromTxt = WordPiece.fromVocabTxt(SMALL.join('\n') + '\n');
    expect(fromTxt.vocab).toEqual(SMALL);
    const fromJson = WordPiece.fromTokenizerJson(JSON.stringify(fromTxt.toTokenizerJson()));
    expect(fromJson.vocab).toEqual(SMALL);
    expect(fromJson.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
    expect(() => WordPiece.fromTokenizerJson({ model: { type: 'BPE' } })).toThrow(/not WordPiece/);
    expect(() => new WordPiece(['a', 'b'])).toThrow(/lacks \[PAD\]/);
  });

  it('loads a folder, cased when tokenizer_config.json says do_lower_case: false', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagfusion-wp-'));
    writeFileSync(join(dir, 'vocab.txt'), [...SMALL, 'Un', 'é'].join('\n'));
    expect(WordPiece.fromFolder(dir).tokenize('Unaffable')).toEqual(['un', '##aff', '##able']);
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    expect(WordPiece.fromFolder(dir).tokenize('Unaffable')).toEqual(['Un', '##aff', '##able']);
    expect(new WordPiece([...SMALL, 'é'], { stripAccents: false }).tokenize('É')).toEqual(['é']);
    expect(() => WordPiece.fromFolder(tmpdir() + '/none')).toThrow(/neither vocab.txt nor tokenizer.json/);
  });
});

describe('WordPiece.fromCaptions', () => {
  const captions = ['A dog on a couch.', 'A dog and a cat on a sofa', 'Two cats; one dog!', 'A zebra'];

  it('is deterministic and does not depend on caption order', () => {
    const a = WordPiece.fromCaptions(captions);
    expect(WordPiece.fromCaptions(captions).vocab).toEqual(a.vocab);
    expect(WordPiece.fromCaptions([...captions].reverse()).vocab).toEqual(a.vocab);
    expect(a.vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  });

  it('keeps frequent words whole, spells rare ones in characters, and never needs [UNK] for seen characters', () => {
    const wp = WordPiece.fromCaptions(captions, { minCount: 2 });
    expect(wp.tokenize('a dog on a sofa')).toEqual(['a', 'dog', 'on', 'a', 's', '##o', '##f', '##a']);
    expect(wp.tokenize('zebra')).toEqual(['z', '##e', '##b', '##r', '##a']);
    expect(wp.tokenize('quick')).toContain('[UNK]'); // q was never seen
    const frequent = wp.vocab.slice(wp.vocab.indexOf('##z') + 1);
    expect(frequent).toEqual(['dog', 'on']); // words seen twice or more, most frequent first ("a" is already a character)
    expect(WordPiece.fromCaptions(captions, { minCount: 1, vocabSize: wp.vocab.indexOf('##z') + 3 }).size).toBe(wp.vocab.indexOf('##z') + 3);
  });
});

describe('WordPiece against transformers.js BertTokenizer', () => {
  it('tokenizes like Hugging Face on the tokenizer.json it writes', async () => {
    const wp = WordPiece.fromCaptions(['The café has naïve ideas: a 2-seat sofa, dogs & cats.', 'Unbelievable performances of runners running'], { minCount: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'tagfusion-wp-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wp.toTokenizerJson()));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(wp.toTokenizerConfig()));
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    const hf = await AutoTokenizer.from_pretrained(dir);
    for (const text of ['The CAFÉ: naïve runners!', 'dogs&cats 2-seat sofa...', 'unseen qwerty words', '  spaces\tand\nlines ']) {
      expect(wp.tokenize(text)).toEqual(hf.tokenize(text));
      const ids = [...wp.encode([text], { maxLength: 64 }).inputIds];
      expect(ids).toEqual(hf.encode(text));
    }
  });
});
