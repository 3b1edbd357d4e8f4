import { errors } from '../errors.js';
import type { BlobStore, StoredSize } from './blob-store.js';

/**
 * The default store: the data folder itself (one machine, or a shared mount on several). Files
 * are written in place, so uploading has nothing to do and there is nowhere else to fetch from.
 */
export class FolderStore implements BlobStore {
  readonly remote = false;
  constructor(readonly location: string) {}
  async put(): Promise<void> {}
  async get(key: string): Promise<void> {
    throw errors.storeObjectMissing(key, this.location);
  }
  async has(): Promise<boolean> {
    return false;
  }
  async list(): Promise<string[]> {
    return [];
  }
  // The folder's files are the local copies themselves, which their owners measure and remove.
  async measure(): Promise<StoredSize> {
    return { objects: 0, bytes: 0 };
  }
  async remove(): Promise<void> {}
  async removeUnder(): Promise<StoredSize> {
    return { objects: 0, bytes: 0 };
  }
  close(): void {}
}
