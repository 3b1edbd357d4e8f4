import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import type { StoreConfig } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FolderStore } from './folder-store.js';

/** Transfers one mirror runs at once (feature sets come in many parts). */
const TRANSFERS = 8;

/** Files being written or downloaded: never uploaded, never taken for a complete file. */
const isTemporary = (name: string) => /\.(tmp|download)$/.test(name);

/**
 * A data folder and the store it is shared through. The folder is the working copy that the
 * loaders (TF.js, ONNX, BERT) read; with a bucket, writers upload each file once it is complete
 * (before any row points at it) and readers fetch what their folder lacks.
 */
export class StoreMirror {
  private readonly limit = pLimit(TRANSFERS);

  constructor(
    /** the data folder (TAGFUSION_DATA_DIR) */
    readonly root: string,
    readonly store: BlobStore,
  ) {}

  /** The key of a path inside the data folder: its relative path with `/` separators. */
  keyOf(path: string): string {
    const rel = relative(this.root, resolve(path));
    if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new Error(`${path} lies outside the data folder ${this.root}`);
    return rel.split(sep).join('/');
  }

  /** Uploads complete local files (no-op for the folder store). */
  async upload(...paths: string[]): Promise<void> {
    if (!this.store.remote) return;
    await Promise.all(paths.map((p) => this.limit(() => this.store.put(p, this.keyOf(p)))));
  }

  /** Removes the store's copies of files whose local copies were removed (no-op for the folder store). */
  async remove(...paths: string[]): Promise<void> {
    if (!this.store.remote) return;
    await Promise.all(paths.map((p) => this.limit(() => this.store.remove(this.keyOf(p)))));
  }

  /** Uploads every complete file under a local folder (a fine-tuned BERT). */
  async uploadTree(dir: string): Promise<void> {
    if (!this.store.remote) return;
    const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile() && !isTemporary(d.name));
    await this.upload(...names.map((d) => join(d.parentPath, d.name)));
  }

  /** Makes sure a file is in the folder, downloading it when missing (STORE_OBJECT_MISSING when nowhere). */
  async ensureLocal(path: string): Promise<void> {
    if (!this.store.remote || existsSync(path)) return;
    await this.store.get(this.keyOf(path), path);
  }

  /**
   * Makes sure every file the store holds under a folder is in the local folder too, downloading
   * the missing ones; returns the names the store holds (relative to `dir`).
   */
  async ensureLocalTree(dir: string): Promise<string[]> {
    if (!this.store.remote) return [];
    const prefix = `${this.keyOf(dir)}/`;
    const names = await this.store.list(prefix);
    await Promise.all(
      names.map((name) => {
        const path = join(dir, ...name.split('/'));
        return existsSync(path) ? undefined : this.limit(() => this.store.get(prefix + name, path));
      }),
    );
    return names;
  }
}

/** The store of a configuration: the data folder itself, or a bucket (the AWS SDK is loaded only then). */
export async function createBlobStore(config: StoreConfig, dataDir: string): Promise<BlobStore> {
  if (config.kind === 'folder') return new FolderStore(dataDir);
  const { S3Store } = await import('./s3-store.js');
  return new S3Store(config);
}

/**
 * Data folders of this process and their stores. Readers and writers get paths under the data
 * folder (artifact and feature roots reach them as paths, some through code outside this
 * module), so the mirror is found from the path, as a file system finds its mount.
 */
const mounts = new Map<string, StoreMirror>();

/** Shares `dataDir` through `store` until the returned function is called (startApp does this). */
export function mountStore(dataDir: string, store: BlobStore): () => void {
  const mirror = new StoreMirror(resolve(dataDir), store);
  mounts.set(mirror.root, mirror);
  return () => {
    if (mounts.get(mirror.root) === mirror) mounts.delete(mirror.root);
  };
}

/** The mirror of the data folder that holds `path`; a folder nobody mounted is its own store. */
export function mirrorFor(path: string): StoreMirror {
  const full = resolve(path);
  let best: StoreMirror | undefined;
  for (const m of mounts.values()) if ((full === m.root || full.startsWith(m.root + sep)) && (!best || m.root.length > best.root.length)) best = m;
  return best ?? new StoreMirror(full, new FolderStore(full));
}
