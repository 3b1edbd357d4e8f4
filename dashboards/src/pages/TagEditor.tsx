/**
 * Edits a run's tags: set a key to a value (setRunTags: an existing key gets the new value) or
 * remove one (deleteRunTag). Each mutation answers with the run's tags, which replace the shown ones.
 */
import { useState } from 'react';
import { useMutation } from '../api';
import { RemovableChip, TextField } from '../controls';
import type { Tag } from './RunMeta';

const SET_TAG = `mutation($id: ID!, $tags: [KeyValueInput!]!) { setRunTags(id: $id, tags: $tags) { id tags { key value } } }`;
const DELETE_TAG = `mutation($id: ID!, $key: String!) { deleteRunTag(id: $id, key: $key) { id tags { key value } } }`;

type TagsAnswer<K extends string> = Record<K, { tags: Tag[] }>;

export function TagEditor({ runId, tags, onSaved }: { runId: string; tags: Tag[]; onSaved: (tags: Tag[]) => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const set = useMutation<TagsAnswer<'setRunTags'>>(SET_TAG);
  const del = useMutation<TagsAnswer<'deleteRunTag'>>(DELETE_TAG);
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await set.run({ id: runId, tags: [{ key: key.trim(), value }] });
    if (r) {
      onSaved(r.setRunTags.tags);
      setKey('');
      setValue('');
    }
  };
  const remove = async (k: string) => {
    const r = await del.run({ id: runId, key: k });
    if (r) onSaved(r.deleteRunTag.tags);
  };
  const error = set.error ?? del.error;
  return (
    <div data-testid="tag-editor">
      {tags.length > 0 && (
        <div className="chips" aria-label="Remove a tag">
          {tags.map((t) => (
            <RemovableChip key={t.key} onRemove={() => remove(t.key)} removeLabel={`Remove tag ${t.key}`} disabled={del.pending}>
              {t.key}
            </RemovableChip>
          ))}
        </div>
      )}
      <form className="toolbar" onSubmit={save} aria-label="Set a tag">
        <TextField label="Tag key" value={key} onChange={setKey} size={14} testId="tag-key" />
        <TextField label="Value" value={value} onChange={setValue} size={18} testId="tag-value" />
        <button type="submit" disabled={!key.trim() || set.pending}>
          Set tag
        </button>
      </form>
      {error && (
        <div className="inline-error" role="alert">
          {error.message}
        </div>
      )}
    </div>
  );
}
