import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import type { StoreConfig } from '../config.js';
import { errors, isAppError } from '../errors.js';
import type { BlobStore, StoredSize } from './blob-store.js';

type S3Config = Extract<StoreConfig, { kind: 's3' }>;

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket');
};

/** The SDK's error as one line (its name and message carry no credentials). */
const reason = (err: unknown) => {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}${status}`;
};

/**
 * Files up to one part go up in a single PutObject; larger ones in parts of this size, 4 at a
 * time (S3 allows 10,000 parts of at least 5 MiB: 64 MiB parts reach 640 GB per file).
 */
const DEFAULT_PART_BYTES = 64 * 1024 * 1024;

/** A bucket on S3 or an S3-compatible server (MinIO, Ceph, R2, a local test server). */
export class S3Store implements BlobStore {
  readonly remote = true;
  readonly location: string;
  private readonly client: S3Client;

  constructor(
    private readonly config: S3Config,
    private readonly partBytes = DEFAULT_PART_BYTES,
  ) {
    this.location = `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ''}`;
    this.client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      // The SDK's default CRC checksums send streamed bodies aws-chunked, which S3-compatible
      // servers that predate it store verbatim (a corrupt object); checksum only when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private key = (key: string) => (this.config.prefix ? `${this.config.prefix}/${key}` : key);

  async put(localPath: string, key: string): Promise<void> {
    try {
      // A failed multipart upload is aborted (leavePartsOnError false): no parts left to pay for.
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.config.bucket, Key: this.key(key), Body: createReadStream(localPath) },
        partSize: this.partBytes,
        queueSize: 4,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (err) {
      throw isAppError(err) ? err : errors.storeRequestFailed('upload', key, this.location, reason(err));
    }
  }

  async get(key: string, localPath: string): Promise<void> {
    // Unique per download: two jobs of one process fetching the same file do not collide.
    const tmp = `${localPath}.${process.pid}.${randomBytes(4).toString('hex')}.download`;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(key) }));
      await mkdir(dirname(localPath), { recursive: true });
      await pipeline(out.Body as Readable, createWriteStream(tmp));
      const { size } = await stat(tmp);
      if (out.ContentLength !== undefined && size !== out.ContentLength) throw new Error(`received ${size} of ${out.ContentLength} bytes`);
      await rename(tmp, localPath);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (isMissing(err)) throw errors.storeObjectMissing(key, this.location);
      throw isAppError(err) ? err : errors.storeRequestFailed('download', key, this.location, reason(err));
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(key) }));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw errors.storeRequestFailed('download', key, this.location, reason(err));
    }
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.objects(prefix)).map((o) => o.key);
  }

  async measure(prefix: string): Promise<StoredSize> {
    const objects = await this.objects(prefix);
    return { objects: objects.length, bytes: objects.reduce((n, o) => n + o.bytes, 0) };
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(key) }));
    } catch (err) {
      if (!isMissing(err)) throw errors.storeRequestFailed('delete', key, this.location, reason(err));
    }
  }

  /**
   * One DeleteObject per key, a few at a time: DeleteObjects (1,000 a request) needs a checksum
   * header that several S3-compatible servers check differently, and a run's folder holds few files.
   */
  async removeUnder(prefix: string): Promise<StoredSize> {
    const objects = await this.objects(prefix);
    const limit = pLimit(8);
    await Promise.all(objects.map((o) => limit(() => this.remove(prefix + o.key))));
    return { objects: objects.length, bytes: objects.reduce((n, o) => n + o.bytes, 0) };
  }

  /** The objects under `prefix`, their keys relative to it, with their sizes. */
  private async objects(prefix: string): Promise<{ key: string; bytes: number }[]> {
    const full = this.key(prefix);
    const out: { key: string; bytes: number }[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: full, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(full.length), bytes: o.Size ?? 0 });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw errors.storeRequestFailed('list', prefix, this.location, reason(err));
    }
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}
