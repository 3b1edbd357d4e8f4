import type { App } from '../app.js';
import { invalidParameter } from './errors.js';

/**
 * MLflow's system tags that tagfusion keeps as columns of the run, so that its own views show
 * them: the name, the Markdown note, and who created the run (from the caller's token, never from
 * what the client claims; the Python client sends its OS login as mlflow.user, which is dropped).
 */
export const TAG_NAME = 'mlflow.runName';
export const TAG_NOTE = 'mlflow.note.content';
export const TAG_USER = 'mlflow.user';

export interface KeyValue {
  key: string;
  value: string;
}

/** Tags given with a new run, split into its name, its note and the tags to store. */
export function splitCreateTags(tags: KeyValue[]): { name?: string; note?: string; stored: Record<string, string> } {
  const stored: Record<string, string> = {};
  let name: string | undefined;
  let note: string | undefined;
  for (const { key, value } of tags) {
    if (key === TAG_NAME) name = value;
    else if (key === TAG_NOTE) note = value;
    else if (key !== TAG_USER) stored[key] = value;
  }
  return { name, note, stored };
}

/** Sets tags on a run: the name and the note go to their columns, the rest to its tags. */
export async function setRunTags(app: App, runId: string, tags: KeyValue[]): Promise<void> {
  const stored: KeyValue[] = [];
  for (const tag of tags) {
    if (tag.key === TAG_USER) throw invalidParameter(`The tag ${TAG_USER} is set by the server from the caller's token and cannot be changed.`);
    if (tag.key === TAG_NAME) await app.services.tracking.rename(runId, tag.value);
    else if (tag.key === TAG_NOTE) await app.services.tracking.setNote(runId, tag.value);
    else stored.push(tag);
  }
  if (stored.length) await app.services.tracking.setTags(runId, stored);
}

/** Deletes a tag: the name and the note are cleared, mlflow.user stays. */
export async function deleteRunTag(app: App, runId: string, key: string): Promise<void> {
  if (key === TAG_USER) throw invalidParameter(`The tag ${TAG_USER} is set by the server from the caller's token and cannot be deleted.`);
  if (key === TAG_NAME) await app.services.tracking.rename(runId, null);
  else if (key === TAG_NOTE) await app.services.tracking.setNote(runId, null);
  else await app.services.tracking.deleteTag(runId, key);
}

/** The tags MLflow reports for a run: its stored tags with those kept as columns. */
export function runTagsOf(run: { name: string | null; note: string | null; createdBy: string | null }, stored: KeyValue[]): KeyValue[] {
  const tags = [...stored];
  if (run.name) tags.push({ key: TAG_NAME, value: run.name });
  if (run.note) tags.push({ key: TAG_NOTE, value: run.note });
  if (run.createdBy) tags.push({ key: TAG_USER, value: run.createdBy });
  return tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
