import { errors } from '../errors.js';
import { MAX_ID_LENGTH } from '../util/input.js';

/**
 * The rules an artifact path obeys: a path inside a run (`model/model.onnx`), relative, with `/`
 * separators. Every rule keeps a write inside `<artifact root>/<run>/`: no `..` or `.` segment,
 * no absolute path, no empty segment (`a//b`, a trailing `/`), no backslash (a separator on
 * Windows and in some unzip tools), no NUL or other control character. Bounds: 1,024 characters
 * in all, 255 bytes a segment (what ext4 and S3 key segments allow).
 */
export const MAX_PATH_LENGTH = 1_024;
const MAX_SEGMENT_BYTES = 255;

/** Why a path is refused, or null. Messages never quote the path. */
function pathProblem(path: string): string | null {
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain NUL or other control characters';
  if (path.includes('\\')) return 'must use / as its separator, never a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:(\/|$)/.test(path)) return 'must be relative to the run, not absolute';
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return 'must not contain . or .. segments';
  if (segments.some((s) => s === '')) return 'must not contain empty segments (// or a trailing /)';
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) return `must not have a segment longer than ${MAX_SEGMENT_BYTES} bytes`;
  return null;
}

/** A file's path inside a run; BAD_INPUT naming `field` otherwise. */
export function filePath(raw: unknown, field = 'path'): string {
  if (typeof raw !== 'string' || raw === '') throw errors.badInput(`${field}: must name a file inside the run`, { field });
  const problem = pathProblem(raw);
  if (problem) throw errors.badInput(`${field}: ${problem}`, { field });
  return raw;
}

/** A folder's path inside a run; '' (or absent) is the run's artifact root. */
export function folderPath(raw: unknown, field = 'path'): string {
  if (raw === undefined || raw === null || raw === '') return '';
  return filePath(typeof raw === 'string' ? raw.replace(/\/+$/, '') || '/' : raw, field);
}

/**
 * A run id as either spelling: tagfusion's UUID, or MLflow's 32 hex digits (the UUID without
 * dashes), which becomes the UUID. Anything else is taken as given (an unknown id is RUN_NOT_FOUND).
 */
export function runIdOf(raw: unknown, field = 'runId'): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw errors.badInput(`${field}: must not be empty`, { field });
  if (raw.length > MAX_ID_LENGTH || raw.includes('\u0000')) throw errors.badInput(`${field}: is not a run id`, { field });
  const hex = /^[0-9a-f]{32}$/i.exec(raw);
  if (!hex) return raw;
  const h = raw.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The location of a run's file relative to the artifact root: the `uri` of its Artifact row. */
export const uriOf = (runId: string, path: string) => `${runId}/${path}`;

/** The URL tagfusion serves a run's file at, each segment percent-encoded. */
export const downloadUrlOf = (runId: string, path: string) => `/runs/${encodeURIComponent(runId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
