import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { TestServer } from '../support/server.js';

/** The server's root URL (its GraphQL URL without `/graphql`). */
export const rootOf = (server: TestServer) => server.http.url.replace(/\/graphql$/, '');

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Creates a run through GraphQL (as `client`), returning its id; `projectId` defaults to Default. */
export async function createRun(client: Pick<TestServer, 'data'>, projectId?: string): Promise<string> {
  const { createRun } = await client.data(`mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`, { input: { kind: 'external', projectId } });
  return createRun.id as string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

/**
 * An HTTP request with the path sent exactly as written (fetch would normalise `..`) and the body
 * written in `chunks` (chunked unless `contentLength` is given). Resolves with the answer even
 * when the server answers before the body is sent.
 */
export function rawRequest(
  url: string,
  opts: { method: string; path: string; token?: string; chunks?: Iterable<Buffer>; contentLength?: number; headers?: Record<string, string> },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
    if (opts.contentLength !== undefined) headers['content-length'] = String(opts.contentLength);
    const req = request({ host: hostname, port, method: opts.method, path: opts.path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
    });
    req.on('error', reject);
    const chunks = opts.chunks ? opts.chunks[Symbol.iterator]() : undefined;
    const pump = () => {
      for (;;) {
        const next = chunks?.next();
        if (!next || next.done) return void req.end();
        if (!req.write(next.value)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

/** `count` chunks of one random `size`-byte buffer (memory: one chunk), and the sha256 of them all. */
export function repeated(count: number, size = 1024 * 1024): { chunks: () => Iterable<Buffer>; bytes: number; sha256: string } {
  const chunk = randomBytes(size);
  const hash = createHash('sha256');
  for (let i = 0; i < count; i++) hash.update(chunk);
  return {
    chunks: function* () {
      for (let i = 0; i < count; i++) yield chunk;
    },
    bytes: count * size,
    sha256: hash.digest('hex'),
  };
}
