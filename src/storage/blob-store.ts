/**
 * Where artifacts, feature caches and submission files are shared between machines. Keys are
 * paths relative to the data folder with `/` separators (`artifacts/<run>/model.json`), so the
 * bucket mirrors the folder's layout.
 */
export interface StoredSize {
  objects: number;
  bytes: number;
}

export interface BlobStore {
  /** for messages and logs, never with credentials: `s3://bucket/prefix`, or the folder */
  readonly location: string;
  /** false for the shared folder: nothing exists beside the local copy, so nothing is copied */
  readonly remote: boolean;
  /** uploads a complete local file under `key` (replacing what was there) */
  put(localPath: string, key: string): Promise<void>;
  /**
   * Downloads `key` to `localPath` through a temporary file renamed once complete, so that no
   * partial file ever has the final name; STORE_OBJECT_MISSING when there is no such key.
   */
  get(key: string, localPath: string): Promise<void>;
  has(key: string): Promise<boolean>;
  /** the keys under `prefix` (a folder: ends with `/`), relative to it, sub-folders included */
  list(prefix: string): Promise<string[]>;
  /** how many objects, and bytes, the store holds under `prefix` (a folder: ends with `/`) */
  measure(prefix: string): Promise<StoredSize>;
  /** removes the object `key` exactly (one artifact file deleted); a missing one is no error */
  remove(key: string): Promise<void>;
  /** removes every object under `prefix` for good (`tagfusion gc`); what was removed */
  removeUnder(prefix: string): Promise<StoredSize>;
  close(): void;
}
