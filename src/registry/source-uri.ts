import { errors } from '../errors.js';
import { loggedModelSource } from '../logged-models/location.js';

/**
 * Where a version's files are: a folder of a run of this server, an MLflow 3 logged model (whose
 * files are in its source run, src/logged-models/location.ts), or somewhere tagfusion cannot
 * read (with the reason, when it is more than "not here").
 */
export type VersionSource =
  | { kind: 'run'; runId: string; folder: string; experimentId: string | null }
  | { kind: 'logged'; modelId: string; path: string; experimentId: string | null }
  | { kind: 'elsewhere'; reason?: string };

const MAX_SOURCE = 2048;

const bad = (why: string) => errors.badInput(`source: ${why}`, { field: 'source' });

/** A folder inside a run: '' for the run's whole artifact root; no empty, `.` or `..` segment. */
function folderOf(path: string): string {
  const folder = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (folder === '') return '';
  if (folder.split('/').some((s) => s === '' || s === '.')) throw bad('must not hold empty or . segments');
  return folder;
}

/**
 * Reads a model version's source as MLflow's clients send it: `runs:/<run_id>/<path>`, or the
 * run's artifact location `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>` (what
 * `mlflow.register_model` sends after resolving a `runs:/` URI), with or without a `//host:port`;
 * or an MLflow 3 logged model, `models:/m-<id>` or `mlflow-artifacts:/<exp>/models/m-<id>/artifacts`.
 * Any other URI (s3://, a local path…) is kept as given, and the version is registered as one
 * tagfusion cannot serve. As MLflow's server does, a source whose path climbs (`..`, also
 * percent-encoded) or holds NUL is refused outright.
 */
export function parseSource(source: string): VersionSource {
  if (source.length > MAX_SOURCE) throw bad(`must be at most ${MAX_SOURCE} characters`);
  let decoded = source;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded.replace(/\+/g, ' '));
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (decoded.includes('\u0000') || decoded.split(/[/\\]/).includes('..')) throw bad('must be an absolute location without .. segments');
  const logged = loggedModelSource(source);
  if (logged) return { kind: 'logged', ...logged, path: folderOf(logged.path) };
  const runs = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(source);
  if (runs) return { kind: 'run', runId: runs[1], folder: folderOf(runs[2] ?? ''), experimentId: null };
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/([^/]+)\/([^/]+)\/artifacts(?:\/(.*))?$/.exec(source);
  if (proxied) return { kind: 'run', runId: proxied[2], folder: folderOf(proxied[3] ?? ''), experimentId: proxied[1] };
  if (/^(runs|mlflow-artifacts):/.test(source)) throw bad('write runs:/<run_id>/<path> or mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>');
  return { kind: 'elsewhere' };
}

/** The artifact location of a folder of a run, as MLflow's server with --serve-artifacts writes it. */
export const folderUri = (experimentId: number | string, runId: string, folder: string) =>
  `mlflow-artifacts:/${experimentId}/${runId.replace(/-/g, '')}/artifacts${folder ? `/${folder}` : ''}`;
