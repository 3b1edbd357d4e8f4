import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import { childrenOf, fileEntry, type ArtifactEntry } from './listing.js';
import { filePath, folderPath, runIdOf, uriOf } from './paths.js';
import * as repo from './repository.js';
import { resolveArtifactFolder, type LocalArtifactFolder } from './sources.js';
import { clash, discard, openFile, place, receive, removeFiles } from './store.js';

/** Limits a caller's view to one project: MLflow's artifact paths name the experiment too. */
export interface ArtifactScope {
  projectId?: number;
}

/** An upload's body and what its sender declared about it. */
export interface UploadBody {
  stream: Readable;
  /** Content-Length, when sent: a body declared too large is refused before a byte is read */
  declaredBytes?: number;
}

/**
 * Artifact files of any run: upload (streamed to the store, sha256 and size recorded in an
 * `Artifact` row), download, folder listings, deletion. Rules: paths stay inside the run (see
 * ./paths.ts), checked before anything else; deleted runs and runs of deleted projects take no
 * writes; finished runs do (MLflow clients log artifacts after `end_run`, and its server allows
 * it), except a run a registered model version was made from, whose files never change
 * (RUN_REGISTERED), as its metrics and status never do.
 */
export class ArtifactService {
  /** Uploads of one file in this process, in order: the row written last matches the file renamed last. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Database,
    /** `<dataDir>/artifacts`: rows' uris are relative to it */
    readonly root: string,
    readonly maxBytes: number,
  ) {}

  /** The run (UUID or MLflow's 32 hex digits) in scope; RUN_NOT_FOUND otherwise. */
  private async run(rawId: unknown, scope: ArtifactScope) {
    const runId = runIdOf(rawId);
    const run = await repo.findRun(this.db.prisma, runId);
    if (!run || (scope.projectId !== undefined && run.projectId !== scope.projectId)) throw errors.runNotFound(runId);
    return run;
  }

  /** A run that may change its artifacts now. */
  private async writable(rawId: unknown, scope: ArtifactScope) {
    const run = await this.run(rawId, scope);
    if (run.deletedAt) throw errors.runDeleted(run.id);
    if (run.project.deletedAt) throw errors.projectDeleted(String(run.projectId));
    await this.assertUnregistered(run.id);
    return run;
  }

  private async assertUnregistered(runId: string): Promise<void> {
    const versions = await repo.registeredVersions(this.db.prisma, runId);
    if (versions.length) throw errors.runRegistered(runId, versions);
  }

  /** A file where the path needs a folder, or a folder where it needs a file: CONFLICT. */
  private async assertNoClash(runId: string, path: string): Promise<void> {
    const segments = path.split('/');
    const parents = segments.slice(0, -1).map((_, i) => uriOf(runId, segments.slice(0, i + 1).join('/')));
    const [fileAbove, below, named] = await Promise.all([
      parents.length ? repo.rowsAt(this.db.prisma, runId, parents) : [],
      repo.rowsUnder(this.db.prisma, runId, `${uriOf(runId, path)}/`, 1),
      repo.otherRowNamed(this.db.prisma, runId, path, uriOf(runId, path)),
    ]);
    if (fileAbove.length || below.length || named) throw clash(runId, path);
  }

  /**
   * Stores a file at `path` of a run from a stream, replacing the file there. Never buffered
   * whole: written to a temporary file while hashed, renamed when complete, then uploaded to the
   * bucket and recorded. Over TAGFUSION_ARTIFACT_MAX_BYTES: ARTIFACT_TOO_LARGE, nothing kept.
   */
  async upload(rawRunId: unknown, rawPath: unknown, body: UploadBody, scope: ArtifactScope = {}): Promise<ArtifactEntry> {
    const path = filePath(rawPath);
    const run = await this.writable(rawRunId, scope);
    const tooLarge = () => errors.artifactTooLarge(run.id, path, this.maxBytes);
    if (body.declaredBytes !== undefined && body.declaredBytes > this.maxBytes) throw tooLarge();
    await this.assertNoClash(run.id, path);
    const uri = uriOf(run.id, path);
    const received = await receive(this.root, body.stream, this.maxBytes, tooLarge, { runId: run.id, path });
    try {
      const row = await this.inOrder(uri, async () => {
        // A version may have been registered while the bytes came in.
        await this.assertUnregistered(run.id);
        await place(this.root, received.tmp, uri, { runId: run.id, path });
        return repo.saveFileRow(this.db.prisma, { runId: run.id, path, uri, sizeBytes: received.sizeBytes, sha256: received.sha256 });
      });
      return fileEntry(run.id, path, row);
    } catch (err) {
      await discard(received.tmp);
      throw err;
    }
  }

  /**
   * Opens a file for download: its handle (the caller closes it), size and recorded sha256.
   * Deleted runs stay readable until they are collected, as in MLflow.
   */
  async open(rawRunId: unknown, rawPath: unknown, scope: ArtifactScope = {}): Promise<{ handle: FileHandle; size: number; entry: ArtifactEntry }> {
    const path = filePath(rawPath);
    const run = await this.run(rawRunId, scope);
    const row = await repo.rowAt(this.db.prisma, run.id, uriOf(run.id, path));
    if (!row) throw errors.artifactNotFound(run.id, path);
    const { handle, size } = await openFile(this.root, row.uri, { runId: run.id, path });
    return { handle, size, entry: fileEntry(run.id, path, row) };
  }

  /** The files and folders directly inside a folder of a run ('' or absent: its root); [] for none. */
  async list(rawRunId: unknown, rawFolder: unknown, scope: ArtifactScope = {}): Promise<ArtifactEntry[]> {
    const folder = folderPath(rawFolder);
    const run = await this.run(rawRunId, scope);
    return childrenOf(await repo.rowsUnder(this.db.prisma, run.id, `${run.id}/${folder ? `${folder}/` : ''}`), run.id, folder);
  }

  /** Whether a path of a run is a file (with its entry), or else holds files (a folder). */
  async stat(rawRunId: unknown, rawPath: unknown, scope: ArtifactScope = {}): Promise<ArtifactEntry | 'folder' | null> {
    const path = filePath(rawPath);
    const run = await this.run(rawRunId, scope);
    const row = await repo.rowAt(this.db.prisma, run.id, uriOf(run.id, path));
    if (row) return fileEntry(run.id, path, row);
    return (await repo.rowsUnder(this.db.prisma, run.id, `${uriOf(run.id, path)}/`, 1)).length ? 'folder' : null;
  }

  /** Deletes a file, or a folder with everything in it ('' : all of a run's files); returns how many files. */
  async delete(rawRunId: unknown, rawPath: unknown, scope: ArtifactScope = {}): Promise<number> {
    const path = folderPath(rawPath);
    const run = await this.writable(rawRunId, scope);
    const exact = path ? await repo.rowAt(this.db.prisma, run.id, uriOf(run.id, path)) : null;
    const rows = exact ? [exact] : await repo.rowsUnder(this.db.prisma, run.id, `${run.id}/${path ? `${path}/` : ''}`);
    if (!rows.length) return 0;
    await repo.deleteRows(this.db.prisma, rows.map((r) => r.id));
    await removeFiles(this.root, run.id, rows.map((r) => r.uri));
    return rows.length;
  }

  /** See ./sources.ts: an artifact folder of a run on this machine, with its files and checksums. */
  resolveFolder(source: unknown): Promise<LocalArtifactFolder> {
    return resolveArtifactFolder(this.db, this.root, source);
  }

  /** Runs `fn` after every earlier call with the same key has settled. */
  private inOrder<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.queues.set(key, next);
    void next.finally(() => this.queues.get(key) === next && this.queues.delete(key)).catch(() => undefined);
    return next;
  }
}
