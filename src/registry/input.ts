import { z } from 'zod';
import { errors } from '../errors.js';
import { id, nonBlank, parseInput, safeString } from '../util/input.js';

/**
 * Names of the registry. A model name appears in `name@alias` references (prediction, CLI), so
 * it holds no `@`; an alias is a word, never a number (so `name@3` can only mean version 3), and
 * `latest` is reserved for "the newest version".
 */
export const modelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 letters, digits, dots, dashes or underscores, starting with a letter or digit');

export const aliasName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, 'must be 1-63 letters, digits, dashes or underscores, starting with a letter')
  .refine((a) => a.toLowerCase() !== 'latest', 'latest is reserved for the newest version');

const tagKey = () => safeString(100).min(1, 'a tag key must not be empty');
const tag = z.object({ key: tagKey(), value: safeString(1000) });

/** At most this many tags on one model or version: tags are labels, not a document store. */
export const MAX_TAGS = 50;

export const registerInput = z.object({
  runId: id(),
  model: modelName,
  description: safeString(2000).nullish(),
  tags: z.array(tag).max(MAX_TAGS).nullish(),
});

const tags = () => z.array(tag).max(MAX_TAGS).nullish();
const description = () => safeString(5000).nullish();

export const createModelInput = z.object({ name: modelName, description: description(), tags: tags() });

/** A version from a folder: `source` is a `runs:/…` or `mlflow-artifacts:/…` URI (src/registry/source-uri.ts). */
export const createVersionInput = z.object({
  model: modelName,
  source: nonBlank(2048),
  runId: id().nullish(),
  description: description(),
  tags: tags(),
});

export const moveAliasInput = z.object({
  model: modelName,
  alias: aliasName,
  version: z.number().int().min(1, 'versions are numbered from 1'),
  /** 0: the caller believes the alias unset */
  expectedVersion: z.number().int().min(0).nullish(),
  protect: z.boolean().nullish(),
  /** consent to a move onto a version with another signature (src/registry/guards.ts) */
  allowSignatureChange: z.boolean().nullish(),
});

export const setTagsInput = z.object({
  model: modelName,
  version: z.number().int().min(1).nullish(),
  set: z.array(tag).max(MAX_TAGS).nullish(),
  remove: z.array(tagKey()).max(MAX_TAGS).nullish(),
});

/** Parses input with a schema; the first problem becomes BAD_INPUT naming the field. */
export const parse = parseInput;

export type Tags = Record<string, string>;

/** Tags as stored (a JSON object of strings); anything else in the column is ignored. */
export function tagsOf(json: unknown): Tags {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return {};
  return Object.fromEntries(Object.entries(json).filter(([, v]) => typeof v === 'string')) as Tags;
}

/** Applies `set` then `remove`; throws when the result holds too many tags. */
export function editTags(current: Tags, set: { key: string; value: string }[] = [], remove: string[] = []): Tags {
  const next = { ...current };
  for (const t of set) next[t.key] = t.value;
  for (const k of remove) delete next[k];
  if (Object.keys(next).length > MAX_TAGS) throw errors.badInput(`at most ${MAX_TAGS} tags`, { field: 'set' });
  return next;
}
