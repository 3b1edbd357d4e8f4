import { invalidParameter } from './errors.js';

/**
 * MLflow's search grammar (mlflow/utils/search_utils.py): comparisons joined by AND, each
 * `entity.key op value`. Entities: metric(s), param(s)/parameter(s), tag(s), attribute(s)/attr/run,
 * dataset(s); an identifier without one is an attribute. A key with other characters is quoted
 * with "…" or `…`. Values: numbers, strings in '…' or "…", and lists `('a', 'b')` for IN / NOT IN.
 * What each entity and attribute accepts is checked by the caller (runs-filter.ts, experiments).
 */
export type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Clause {
  entity: Entity;
  key: string;
  comparator: Comparator;
  value: number | string | string[];
  /** the value was written as a number (metrics and times need one) */
  numeric: boolean;
}

const ENTITIES: Record<string, Entity> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
  dataset: 'dataset', datasets: 'dataset',
};

type Token = { kind: 'word' | 'quoted' | 'string' | 'number' | 'op' | 'punct'; text: string };

const TOKEN = /\s*(?:(?<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])|(?<op>>=|<=|!=|<>|=|>|<)|(?<punct>[(),])|'(?<single>(?:[^']|'')*)'|"(?<double>(?:[^"]|"")*)"|`(?<tick>[^`]*)`|(?<word>[^\s=!<>(),'"`]+))/y;

function tokenize(text: string, what: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m?.groups) throw invalidParameter(`Invalid ${what}: cannot read it at character ${start + 1}.`);
    const g = m.groups;
    if (g.number !== undefined) tokens.push({ kind: 'number', text: g.number });
    else if (g.op !== undefined) tokens.push({ kind: 'op', text: g.op === '<>' ? '!=' : g.op });
    else if (g.punct !== undefined) tokens.push({ kind: 'punct', text: g.punct });
    else if (g.single !== undefined) tokens.push({ kind: 'string', text: g.single.replaceAll("''", "'") });
    else if (g.double !== undefined) tokens.push({ kind: 'quoted', text: g.double.replaceAll('""', '"') });
    else if (g.tick !== undefined) tokens.push({ kind: 'quoted', text: g.tick });
    else tokens.push({ kind: 'word', text: g.word! });
  }
  return tokens;
}

/**
 * An identifier is a word `entity.key` (the key may itself hold dots: `tags.mlflow.runName`), a
 * word `entity.` followed at once by a quoted key, or a bare or quoted attribute name.
 */
function identifier(tokens: Token[], at: number, text: string): { entity: Entity; key: string; next: number } {
  const t = tokens[at];
  if (!t || (t.kind !== 'word' && t.kind !== 'quoted')) throw invalidParameter(`Invalid ${text}: expected an identifier such as metrics.acc, params.lr or tags.team.`);
  if (t.kind === 'quoted') return { entity: 'attribute', key: t.text, next: at + 1 };
  const dot = t.text.indexOf('.');
  if (dot < 0) return { entity: 'attribute', key: t.text, next: at + 1 };
  const entity = ENTITIES[t.text.slice(0, dot)];
  if (!entity) throw invalidParameter(`Invalid entity type '${t.text.slice(0, dot)}'. Valid values are metric, parameter, tag, attribute, dataset.`);
  const rest = t.text.slice(dot + 1);
  if (rest) return { entity, key: rest, next: at + 1 };
  const quoted = tokens[at + 1];
  if (quoted?.kind !== 'quoted' && quoted?.kind !== 'string') throw invalidParameter(`Invalid ${text}: ${t.text} names no key.`);
  return { entity, key: quoted.text, next: at + 2 };
}

const word = (t: Token | undefined, ...words: string[]) => t?.kind === 'word' && words.includes(t.text.toUpperCase());

/** A filter string as its comparisons; '' or absent is no condition. */
export function parseFilter(filter: string | undefined): Clause[] {
  if (!filter?.trim()) return [];
  const tokens = tokenize(filter, 'filter');
  const clauses: Clause[] = [];
  let at = 0;
  for (;;) {
    const id = identifier(tokens, at, 'filter');
    at = id.next;
    let comparator: Comparator;
    if (tokens[at]?.kind === 'op') comparator = tokens[at++].text as Comparator;
    else if (word(tokens[at], 'LIKE', 'ILIKE', 'IN')) comparator = tokens[at++].text.toUpperCase() as Comparator;
    else if (word(tokens[at], 'NOT') && word(tokens[at + 1], 'IN')) (comparator = 'NOT IN'), (at += 2);
    else throw invalidParameter(`Invalid filter: expected a comparison (=, !=, >, >=, <, <=, LIKE, ILIKE, IN) after ${id.key}.`);
    const value = tokens[at++];
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (value?.text !== '(' || value.kind !== 'punct') throw invalidParameter(`Invalid filter: ${comparator} takes a list such as ('a', 'b').`);
      const list: string[] = [];
      for (;;) {
        const item = tokens[at++];
        if (item?.kind !== 'string' && item?.kind !== 'quoted') throw invalidParameter(`Invalid filter: the list after ${comparator} must hold quoted strings.`);
        list.push(item.text);
        const sep = tokens[at++];
        if (sep?.text === ')') break;
        if (sep?.text !== ',') throw invalidParameter(`Invalid filter: the list after ${comparator} must be closed with ')'.`);
      }
      clauses.push({ entity: id.entity, key: id.key, comparator, value: list, numeric: false });
    } else if (value?.kind === 'number') clauses.push({ entity: id.entity, key: id.key, comparator, value: Number(value.text), numeric: true });
    else if (value?.kind === 'string' || value?.kind === 'quoted') clauses.push({ entity: id.entity, key: id.key, comparator, value: value.text, numeric: false });
    else throw invalidParameter(`Invalid filter: expected a number or a quoted string after ${id.key} ${comparator}.`);
    if (at >= tokens.length) return clauses;
    if (word(tokens[at], 'OR')) throw invalidParameter('Invalid filter: OR is not supported; join comparisons with AND.');
    if (!word(tokens[at], 'AND')) throw invalidParameter('Invalid filter: comparisons must be joined with AND.');
    at++;
  }
}

/** One `order_by` entry: `entity.key [ASC|DESC]`, ascending when no direction is given. */
export function parseOrderBy(text: string): { entity: Entity; key: string; ascending: boolean } {
  const tokens = tokenize(text, 'order_by clause');
  const id = identifier(tokens, 0, 'order_by clause');
  const direction = tokens[id.next];
  if (direction && !word(direction, 'ASC', 'DESC')) throw invalidParameter(`Invalid ordering key in order_by clause '${text.slice(0, 200)}'.`);
  if (tokens.length > id.next + 1) throw invalidParameter(`Invalid order_by clause '${text.slice(0, 200)}'. Could not be parsed.`);
  return { entity: id.entity, key: id.key, ascending: direction?.text.toUpperCase() !== 'DESC' };
}

/** SQL LIKE semantics (`%`, `_`, `\` escapes) as a RegExp, for values filtered in memory. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) source += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'iu' : 'u');
}
