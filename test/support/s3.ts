import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** The keys a local s3rver accepts (it checks request signatures against them). */
export const S3RVER_KEYS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** the environment that points a tagfusion process at `s3://bucket/<prefix>` on this server */
  env(prefix?: string): Record<string, string>;
  close(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on a free loopback port, with one empty bucket, files in a temp folder. */
export async function startLocalS3(bucket = 'tagfusion-test'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'tagfusion-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix = `run-${randomBytes(4).toString('hex')}`) => ({ TAGFUSION_STORE: `s3://${bucket}/${prefix}`, TAGFUSION_S3_ENDPOINT: endpoint, AWS_REGION: 'us-east-1', ...S3RVER_KEYS }),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * An HTTP proxy in front of a real S3 server that answers 403 AccessDenied to the requests
 * `refuse` picks (say, uploads under artifacts/) and forwards the rest untouched: a bucket whose
 * policy forbids some writes, to check that nothing is recorded when an upload fails.
 */
export async function refusingProxy(endpoint: string, refuse: (method: string, path: string) => boolean): Promise<{ endpoint: string; close(): Promise<void> }> {
  const target = new URL(endpoint);
  const server = createServer((req, res) => {
    if (refuse(req.method ?? 'GET', decodeURIComponent(req.url ?? ''))) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return;
    }
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
