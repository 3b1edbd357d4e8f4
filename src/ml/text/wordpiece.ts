/**
 * WordPiece tokenization as in BERT: basic tokens (tokenize.ts), then greedy longest-match-first
 * pieces, continuations marked "##". Vocabularies come from a BERT vocab.txt, a Hugging Face
 * tokenizer.json, or are built from training captions when a model starts from scratch.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { basicTokenize } from './tokenize.js';

export const PAD = '[PAD]';
export const UNK = '[UNK]';
export const CLS = '[CLS]';
export const SEP = '[SEP]';
export const MASK = '[MASK]';

/** A padded batch of token ids, row-major [batch, length]. */
export interface EncodedBatch {
  inputIds: Int32Array;
  /** 1 for real tokens ([CLS], pieces, [SEP]), 0 for padding */
  attentionMask: Int32Array;
  batch: number;
  length: number;
}

export interface EncodeOptions {
  /** tokens per caption including [CLS] and [SEP]; longer captions are cut; default 64 */
  maxLength?: number;
  /** pad to the longest caption of the batch (default; same outputs, less work) or always to maxLength */
  padTo?: 'longest' | 'max';
}

export interface WordPieceOptions {
  lowercase?: boolean;
  /** default: same as lowercase, as in BERT */
  stripAccents?: boolean;
  unkToken?: string;
  prefix?: string;
  /** words longer than this become [UNK], as in BERT */
  maxCharsPerWord?: number;
}

export class WordPiece {
  readonly vocab: readonly string[];
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxCharsPerWord: number;
  private readonly ids = new Map<string, number>();
  // Captions repeat words a lot: remembering each word's pieces makes tokenization several times faster.
  private readonly cache = new Map<string, number[]>();

  /** A tokenizer over `vocab` (token i has id i); it must hold [PAD], [CLS], [SEP] and the unknown token. */
  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    this.vocab = vocab;
    this.lowercase = options.lowercase ?? true;
    this.stripAccents = options.stripAccents ?? this.lowercase;
    this.unkToken = options.unkToken ?? UNK;
    this.prefix = options.prefix ?? '##';
    this.maxCharsPerWord = options.maxCharsPerWord ?? 100;
    vocab.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
    for (const t of [PAD, CLS, SEP, this.unkToken]) if (!this.ids.has(t)) throw new Error(`WordPiece vocabulary lacks ${t}`);
  }

  /** Reads a BERT vocab.txt: one token per line, the line number is the id. */
  static fromVocabTxt(text: string, options?: WordPieceOptions): WordPiece {
    const lines = text.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return new WordPiece(lines, options);
  }

  /** Reads a Hugging Face tokenizer.json whose model is WordPiece (BERT-style). */
  static fromTokenizerJson(json: string | Record<string, any>): WordPiece {
    const spec = typeof json === 'string' ? JSON.parse(json) : json;
    const model = spec.model;
    if (model?.type !== 'WordPiece') throw new Error(`tokenizer.json model is ${model?.type ?? 'missing'}, not WordPiece`);
    const vocab: string[] = [];
    for (const [token, id] of Object.entries(model.vocab as Record<string, number>)) vocab[id] = token;
    const norm = spec.normalizer;
    return new WordPiece(vocab, {
      lowercase: norm?.type === 'BertNormalizer' ? norm.lowercase !== false : true,
      stripAccents: norm?.type === 'BertNormalizer' ? (norm.strip_accents ?? undefined) : undefined,
      unkToken: model.unk_token,
      prefix: model.continuing_subword_prefix,
      maxCharsPerWord: model.max_input_chars_per_word,
    });
  }

  /** Loads vocab.txt from a model folder (cased if tokenizer_config.json says do_lower_case: false), or tokenizer.json. */
  static fromFolder(folder: string): WordPiece {
    if (existsSync(join(folder, 'vocab.txt'))) {
      const configPath = join(folder, 'tokenizer_config.json');
      const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as { do_lower_case?: boolean }) : {};
      return WordPiece.fromVocabTxt(readFileSync(join(folder, 'vocab.txt'), 'utf8'), { lowercase: config.do_lower_case ?? true });
    }
    if (existsSync(join(folder, 'tokenizer.json'))) return WordPiece.fromTokenizerJson(readFileSync(join(folder, 'tokenizer.json'), 'utf8'));
    throw new Error(`${folder} has neither vocab.txt nor tokenizer.json`);
  }

  /**
   * Builds a vocabulary from captions, deterministically: the special tokens, every character
   * seen (alone and as a "##" continuation, so no word ever becomes [UNK]), then whole words seen
   * at least `minCount` times, most frequent first (ties in code-unit order), up to `vocabSize`.
   * Whole words rather than learned sub-word merges: captions use a small vocabulary, and rare
   * words still get a representation from their characters.
   */
  static fromCaptions(captions: Iterable<string>, options: { vocabSize?: number; minCount?: number } = {}): WordPiece {
    const vocabSize = options.vocabSize ?? 8000;
    const minCount = options.minCount ?? 2;
    const counts = new Map<string, number>();
    const chars = new Set<string>();
    for (const caption of captions) {
      for (const word of basicTokenize(caption)) {
        counts.set(word, (counts.get(word) ?? 0) + 1);
        for (const ch of word) chars.add(ch);
      }
    }
    const vocab = [PAD, UNK, CLS, SEP, MASK];
    const sortedChars = [...chars].sort(byCodeUnits);
    vocab.push(...sortedChars, ...sortedChars.map((c) => `##${c}`));
    const seen = new Set(vocab);
    const words = [...counts].filter(([w, n]) => n >= minCount && !seen.has(w)).sort((a, b) => b[1] - a[1] || byCodeUnits(a[0], b[0]));
    for (const [w] of words) {
      if (vocab.length >= vocabSize) break;
      vocab.push(w);
    }
    return new WordPiece(vocab);
  }

  get size(): number {
    return this.vocab.length;
  }

  /** The id of a token, or undefined. */
  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Text → WordPiece tokens (no [CLS]/[SEP]). */
  tokenize(text: string): string[] {
    return this.textIds(text).map((i) => this.vocab[i]);
  }

  /** Text → token ids (no [CLS]/[SEP]). */
  textIds(text: string): number[] {
    const out: number[] = [];
    for (const word of basicTokenize(text, { lowercase: this.lowercase, stripAccents: this.stripAccents })) out.push(...this.wordIds(word));
    return out;
  }

  /** Greedy longest-match-first split of one basic token; the whole word is [UNK] if any part has no match. */
  wordIds(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const chars = [...word];
    const unk = this.ids.get(this.unkToken)!;
    let ids: number[] = [];
    if (chars.length > this.maxCharsPerWord) ids = [unk];
    let start = 0;
    while (ids[0] !== unk && start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      for (; end > start; end--) {
        found = this.ids.get((start > 0 ? this.prefix : '') + chars.slice(start, end).join(''));
        if (found !== undefined) break;
      }
      if (found === undefined) ids = [unk];
      else ids.push(found);
      start = end;
    }
    if (this.cache.size < 200_000) this.cache.set(word, ids);
    return ids;
  }

  /** Encodes captions as [CLS] pieces [SEP] [PAD]…, cut to maxLength, with the attention mask. */
  encode(texts: readonly string[], options: EncodeOptions = {}): EncodedBatch {
    return this.encodeIds(texts.map((t) => this.textIds(t)), options);
  }

  /** Like encode, from token ids already computed with textIds. */
  encodeIds(texts: readonly number[][], options: EncodeOptions = {}): EncodedBatch {
    const maxLength = options.maxLength ?? 64;
    if (maxLength < 2) throw new Error('maxLength must leave room for [CLS] and [SEP]');
    const rows = texts.map((ids) => ids.slice(0, maxLength - 2));
    const length = options.padTo === 'max' ? maxLength : Math.max(0, ...rows.map((r) => r.length)) + 2;
    const inputIds = new Int32Array(texts.length * length).fill(this.ids.get(PAD)!);
    const attentionMask = new Int32Array(texts.length * length);
    const cls = this.ids.get(CLS)!;
    const sep = this.ids.get(SEP)!;
    rows.forEach((row, b) => {
      const at = b * length;
      inputIds[at] = cls;
      inputIds.set(row, at + 1);
      inputIds[at + row.length + 1] = sep;
      attentionMask.fill(1, at, at + row.length + 2);
    });
    return { inputIds, attentionMask, batch: texts.length, length };
  }

  /** The vocabulary as a BERT vocab.txt. */
  toVocabTxt(): string {
    return this.vocab.join('\n') + '\n';
  }

  /** A Hugging Face tokenizer.json equivalent to this tokenizer (BERT normalizer, WordPiece, [CLS] $A [SEP]). */
  toTokenizerJson(): Record<string, unknown> {
    const special = [PAD, UNK, CLS, SEP, MASK].filter((t) => this.ids.has(t));
    const id = (t: string) => this.ids.get(t)!;
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: special.map((t) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: this.stripAccents, lowercase: this.lowercase },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: CLS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: SEP, type_id: 0 } }],
        pair: [
          { SpecialToken: { id: CLS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: SEP, type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: SEP, type_id: 1 } },
        ],
        special_tokens: Object.fromEntries([CLS, SEP].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
      },
      decoder: { type: 'WordPiece', prefix: this.prefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: this.unkToken,
        continuing_subword_prefix: this.prefix,
        max_input_chars_per_word: this.maxCharsPerWord,
        vocab: Object.fromEntries(this.vocab.map((t, i) => [t, i])),
      },
    };
  }

  /** The tokenizer_config.json that goes with toTokenizerJson() (transformers.js needs both). */
  toTokenizerConfig(maxLength = 512): Record<string, unknown> {
    return {
      tokenizer_class: 'BertTokenizer', do_lower_case: this.lowercase, model_max_length: maxLength,
      unk_token: this.unkToken, pad_token: PAD, cls_token: CLS, sep_token: SEP, mask_token: MASK,
    };
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
