/** A run's project, creator, tags (edited with setRunTags/deleteRunTag) and Markdown note (edited with setRunNote). */
import { useEffect, useState } from 'react';
import { useMutation } from '../api';
import { href } from '../router';
import { Markdown } from '../Markdown';
import { KV, Section } from '../ui';
import { TagEditor } from './TagEditor';

export interface Tag {
  key: string;
  value: string;
}

/** Tags as key=value chips; a dash when there are none. */
export function TagChips({ tags, label }: { tags: Tag[]; label: string }) {
  if (!tags.length) return <span className="muted">—</span>;
  return (
    <span className="chips tags" aria-label={label}>
      {tags.map((t) => (
        <span className="chip" key={t.key} data-testid="tag-chip" title={`${t.key}=${t.value}`}>
          {t.key}={t.value}
        </span>
      ))}
    </span>
  );
}

/** The note rendered as Markdown, safely (see Markdown: raw HTML stays text, unsafe links go). */
function NoteText({ note }: { note: string | null }) {
  if (!note) return <p className="muted">No note.</p>;
  return <Markdown text={note} className="note" testId="run-note" />;
}

const SET_NOTE = `mutation($id: ID!, $note: String) { setRunNote(id: $id, note: $note) { id note } }`;

function NoteEditor({ runId, note, onSaved }: { runId: string; note: string | null; onSaved: (note: string | null) => void }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(note ?? '');
  useEffect(() => setText(note ?? ''), [note]);
  const m = useMutation<{ setRunNote: { note: string | null } }>(SET_NOTE);
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Edit note
      </button>
    );
  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await m.run({ id: runId, note: text });
    if (r) {
      onSaved(r.setRunNote.note);
      setOpen(false);
    }
  };
  return (
    <form onSubmit={save} aria-label="Edit the run's note">
      <label>
        Note (Markdown)
        <textarea value={text} onChange={(e) => setText(e.target.value)} rows={6} style={{ width: '100%' }} data-testid="note-input" />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={m.pending}>
          Save note
        </button>
        <button type="button" onClick={() => (setOpen(false), setText(note ?? ''), m.clearError())}>
          Cancel
        </button>
      </div>
      {m.error && (
        <div className="inline-error" role="alert">
          {m.error.message}
        </div>
      )}
    </form>
  );
}

export interface RunMetaData {
  id: string;
  project: { id: string; name: string };
  createdBy: string | null;
  tags: Tag[];
  note: string | null;
  deletedAt: string | null;
}

export function RunMeta({ run }: { run: RunMetaData }) {
  const [note, setNote] = useState<string | null>(run.note);
  useEffect(() => setNote(run.note), [run.note]);
  const [tags, setTags] = useState<Tag[]>(run.tags);
  useEffect(() => setTags(run.tags), [run.tags]);
  return (
    <Section title="Project, tags and note" testId="run-meta">
      <KV
        rows={[
          ['Project', <a href={href('/runs', { project: run.project.id })}>{run.project.name}</a>],
          ['Created by', run.createdBy ?? '—'],
          ['Tags', <TagChips tags={tags} label="Run tags" />],
          ...(run.deletedAt ? ([['Deleted', new Date(run.deletedAt).toLocaleString()]] as [string, string][]) : []),
        ]}
      />
      {!run.deletedAt && <TagEditor runId={run.id} tags={tags} onSaved={setTags} />}
      <h3>Note</h3>
      <NoteText note={note} />
      {!run.deletedAt && <NoteEditor runId={run.id} note={note} onSaved={setNote} />}
    </Section>
  );
}
