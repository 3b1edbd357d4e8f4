/**
 * BERT's "basic" tokenization (BasicTokenizer of google-research/bert and Hugging Face's
 * BertNormalizer + BertPreTokenizer): clean control characters, space out CJK ideographs,
 * lowercase, strip accents, then split on whitespace and punctuation. WordPiece runs on its output.
 */

export interface BasicTokenizeOptions {
  /** lowercase (uncased models); default true */
  lowercase?: boolean;
  /** remove combining accents after NFD; default: same as `lowercase`, as BERT does */
  stripAccents?: boolean;
}

/** Splits text into BERT basic tokens: words, and each punctuation character on its own. */
export function basicTokenize(text: string, options: BasicTokenizeOptions = {}): string[] {
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? lowercase;
  let s = cleanText(text);
  if (lowercase) s = s.toLowerCase();
  if (stripAccents) s = s.normalize('NFD').replace(/\p{Mn}/gu, '');
  const tokens: string[] = [];
  let word = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (isWhitespace(ch)) {
      if (word) tokens.push(word);
      word = '';
    } else if (isPunctuation(cp) || isCjk(cp)) {
      // Punctuation and CJK ideographs are tokens of their own.
      if (word) tokens.push(word);
      tokens.push(ch);
      word = '';
    } else {
      word += ch;
    }
  }
  if (word) tokens.push(word);
  return tokens;
}

/** Drops NUL, U+FFFD and control characters, and turns every kind of whitespace into a space. */
function cleanText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd) continue;
    if (isWhitespace(ch)) out += ' ';
    else if (!isControl(ch)) out += ch;
  }
  return out;
}

function isWhitespace(ch: string): boolean {
  if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') return true;
  return ch.charCodeAt(0) >= 128 && /\p{Zs}/u.test(ch);
}

function isControl(ch: string): boolean {
  // \t \n \r count as whitespace, not control, as in BERT.
  const cp = ch.charCodeAt(0);
  if (cp < 128) return cp < 32 || cp === 127; // whitespace was handled before
  return /\p{C}/u.test(ch);
}

/** ASCII non-alphanumerics count as punctuation even where Unicode says "symbol" ($, ^, `…), as in BERT. */
function isPunctuation(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  if (cp < 128) return false; // fast path for ASCII letters and digits
  return /\p{P}/u.test(String.fromCodePoint(cp));
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
