/**
 * The runs table's tag filter: runs that have a tag (`team` exists) or have it with a value
 * (`team=vision`), sent as the runs query's `filter.tags`. Each condition is one `tag` param in
 * the URL: the key URI-encoded (so a key may hold `=`), then `=value` when a value is asked for.
 */
import { useState } from 'react';
import { RemovableChip, TextField } from '../controls';
import { href, navigate } from '../router';

interface TagCondition {
  key: string;
  equals?: string;
}

/** A hand-edited URL may hold a malformed escape: the key is then taken as written. */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function parse(raw: string): TagCondition {
  const at = raw.indexOf('=');
  return at < 0 ? { key: decode(raw) } : { key: decode(raw.slice(0, at)), equals: raw.slice(at + 1) };
}

const encode = (c: TagCondition) => encodeURIComponent(c.key) + (c.equals == null ? '' : `=${c.equals}`);
const label = (c: TagCondition) => (c.equals == null ? `tag ${c.key} exists` : `tag ${c.key} = ${c.equals}`);

/** The URL's tag conditions, shaped as the runs query's TagCondition list. */
export function tagConditions(params: URLSearchParams): TagCondition[] {
  return params.getAll('tag').map(parse);
}

function setTagParams(params: URLSearchParams, raws: string[]) {
  const next = new URLSearchParams(params);
  next.delete('tag');
  raws.forEach((r) => next.append('tag', r));
  navigate(href('/runs', next), true);
}

export function TagFilter({ params }: { params: URLSearchParams }) {
  const [key, setKey] = useState('');
  const [mode, setMode] = useState<'equals' | 'exists'>('equals');
  const [value, setValue] = useState('');
  const raws = params.getAll('tag');
  const add = (e: React.FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return;
    setTagParams(params, [...raws, encode({ key: key.trim(), equals: mode === 'equals' ? value : undefined })]);
    setKey('');
    setValue('');
  };
  return (
    <>
      <form className="toolbar" onSubmit={add} aria-label="Add a tag filter">
        <TextField label="Tag key" value={key} onChange={setKey} size={14} testId="tag-filter-key" />
        <label>
          Tag condition
          <select value={mode} onChange={(e) => setMode(e.target.value === 'exists' ? 'exists' : 'equals')} data-testid="tag-filter-mode">
            <option value="equals">equals</option>
            <option value="exists">exists</option>
          </select>
        </label>
        {mode === 'equals' && (
          <TextField label="Tag value" value={value} onChange={setValue} size={14} testId="tag-filter-value" />
        )}
        <button type="submit" disabled={!key.trim()}>
          Add tag filter
        </button>
      </form>
      {raws.length > 0 && (
        <div className="chips" aria-label="Active tag filters">
          {raws.map((r) => (
            <RemovableChip key={r} testId="tag-filter-chip" onRemove={() => setTagParams(params, raws.filter((x) => x !== r))} removeLabel={`Remove filter ${label(parse(r))}`}>
              {label(parse(r))}
            </RemovableChip>
          ))}
        </div>
      )}
    </>
  );
}
