import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { ArtifactEntry } from './listing.js';
import type { UploadBody } from './service.js';

/**
 * Streams an opened artifact file as the answer: its exact length, a content type from its
 * extension, and always as an attachment, sandboxed and never sniffed, so that an uploaded HTML
 * or SVG file cannot run as a page of this server's origin (MLflow sends artifacts the same way).
 */
export async function sendArtifact(res: Response, file: { handle: FileHandle; size: number; entry: ArtifactEntry }): Promise<void> {
  res.status(200).attachment(file.entry.name);
  res.set({ 'Content-Length': String(file.size), 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': 'sandbox' });
  if (file.size === 0) {
    await file.handle.close();
    return void res.end();
  }
  // At most the size announced: the descriptor is of the file that was there when it was opened.
  await pipeline(file.handle.createReadStream({ start: 0, end: file.size - 1 }), res).catch((err: unknown) => {
    // The client went away mid-download: nothing to answer any more.
    if (!res.destroyed) throw err;
  });
}

/** An upload's body: the request stream, and the length its sender declared, if any. */
export function uploadBody(req: Request): UploadBody {
  const declared = Number(req.headers['content-length']);
  return { stream: req, declaredBytes: req.headers['content-length'] !== undefined && Number.isFinite(declared) ? declared : undefined };
}
