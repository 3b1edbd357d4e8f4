import { downloadUrlOf } from './paths.js';

/** A file or folder of a run's artifacts, as listings show it. */
export interface ArtifactEntry {
  /** relative to the run's artifact root: `model/model.onnx` */
  path: string;
  /** the last segment of the path */
  name: string;
  isDir: boolean;
  /** files only */
  sizeBytes: number | null;
  /** files only: the sha256 recorded when it was written */
  sha256: string | null;
  /** files only: where tagfusion serves it (GET, with a viewer token) */
  downloadUrl: string | null;
}

/** What a listing needs of an Artifact row. */
export interface FileRow {
  uri: string;
  sizeBytes: bigint;
  checksum: string;
}

export function fileEntry(runId: string, path: string, row: FileRow): ArtifactEntry {
  return { path, name: path.slice(path.lastIndexOf('/') + 1), isDir: false, sizeBytes: Number(row.sizeBytes), sha256: row.checksum, downloadUrl: downloadUrlOf(runId, path) };
}

/**
 * The files and folders directly inside `folder` ('' for the root) of a run, from its rows (the
 * database is the record of what a run holds, on a folder store and a bucket alike): a row's
 * next segment below the folder is a file when it is the last, else a folder. Sorted by path.
 */
export function childrenOf(rows: readonly FileRow[], runId: string, folder: string): ArtifactEntry[] {
  const prefix = `${runId}/${folder ? `${folder}/` : ''}`;
  const files: ArtifactEntry[] = [];
  const dirs = new Set<string>();
  for (const row of rows) {
    if (!row.uri.startsWith(prefix)) continue;
    const rest = row.uri.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1) files.push(fileEntry(runId, `${folder ? `${folder}/` : ''}${rest}`, row));
    else dirs.add(rest.slice(0, slash));
  }
  const folders = [...dirs].map((name) => ({ path: folder ? `${folder}/${name}` : name, name, isDir: true, sizeBytes: null, sha256: null, downloadUrl: null }));
  return [...folders, ...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Every file under `folder` (recursively), with its path relative to the folder. */
export function filesUnder(rows: readonly FileRow[], runId: string, folder: string): { path: string; uri: string; sizeBytes: number; sha256: string }[] {
  const prefix = `${runId}/${folder ? `${folder}/` : ''}`;
  return rows
    .filter((r) => r.uri.startsWith(prefix))
    .map((r) => ({ path: r.uri.slice(prefix.length), uri: r.uri, sizeBytes: Number(r.sizeBytes), sha256: r.checksum }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
