import { errors } from '../../errors.js';
import type { RemoteApi } from './api.js';

/** `--project <name|id>` through a server: the project's id, by name or else by id (as placementOf does in-process). */
export async function remoteProjectId(api: RemoteApi, which: string): Promise<string> {
  const byName = (await api.request<{ project: { id: string } | null }>(`query($n: String) { project(name: $n) { id } }`, { n: which })).project;
  const found = byName ?? (/^\d+$/.test(which) ? (await api.request<{ project: { id: string } | null }>(`query($id: ID) { project(id: $id) { id } }`, { id: which })).project : null);
  if (!found) throw errors.projectNotFound(which);
  return found.id;
}
