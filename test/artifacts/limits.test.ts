import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRun, rawRequest, repeated, rootOf } from './support.js';

const MiB = 1024 * 1024;
const LIMIT = 52 * MiB;
const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * The chunks of `file`, and after `at` of them (the server has read nearly that much by then:
 * the socket applies backpressure) the bytes this process holds in Buffers once garbage is
 * collected. Client and server share the process, so a server that kept what it read would
 * hold it all then; resident memory cannot show that here (freed pages are reused unseen).
 */
async function measured(file: ReturnType<typeof repeated>, at: number): Promise<{ chunks: Iterable<Buffer>; held: () => number }> {
  // Freed Buffers leave the count when V8's background sweeper gets to them: give it time.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = process.memoryUsage().arrayBuffers;
  let held = Number.NaN;
  function* chunks() {
    let sent = 0;
    for (const chunk of file.chunks()) {
      if (++sent === at) {
        // The second collection finishes the first one's sweep of dead Buffers.
        gc();
        gc();
        held = process.memoryUsage().arrayBuffers - base;
      }
      yield chunk;
    }
  }
  return { chunks: chunks(), held: () => held };
}

describe.each(DB_KINDS)('artifact size limit and streaming on %s', (kind) => {
  let server: TestServer;
  let runId: string;
  const upload = (path: string, chunks: Iterable<Buffer>, contentLength?: number) =>
    rawRequest(rootOf(server), { method: 'PUT', path: `/runs/${runId}/artifacts/${path}`, chunks, contentLength });
  const leftovers = () => {
    const dir = join(artifactRoot(server.app.config), '.incoming');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_ARTIFACT_MAX_BYTES: String(LIMIT) } });
    runId = await createRun(server);
  });
  afterAll(async () => server?.close());

  it('refuses a body declared over the limit before reading it, and one that grows past it mid-stream, leaving nothing', async () => {
    const big = repeated(53);
    const declared = await upload('big.bin', big.chunks(), big.bytes);
    expect(declared.status).toBe(413);
    expect(declared.json().error).toMatchObject({ code: 'ARTIFACT_TOO_LARGE' });
    expect(declared.json().error.message).toContain(`${LIMIT} bytes`);

    const chunked = await upload('big.bin', big.chunks());
    expect(chunked.status).toBe(413);
    expect(chunked.json().error.code).toBe('ARTIFACT_TOO_LARGE');
    expect(existsSync(join(artifactRoot(server.app.config), runId, 'big.bin'))).toBe(false);
    expect(await server.app.db.prisma.artifact.count({ where: { runId } })).toBe(0);
    expect(leftovers()).toEqual([]);
  });

  it('keeps the previous file whole when its replacement is too large', async () => {
    expect((await upload('keep.txt', [Buffer.from('previous')])).status).toBe(200);
    expect((await upload('keep.txt', repeated(53).chunks())).status).toBe(413);
    expect(readFileSync(join(artifactRoot(server.app.config), runId, 'keep.txt'), 'utf8')).toBe('previous');
    expect((await server.app.db.prisma.artifact.findFirstOrThrow({ where: { runId, name: 'keep.txt' } })).sizeBytes).toBe(8n);
    expect(leftovers()).toEqual([]);
  });

  it('leaves nothing when the client goes away mid-upload', async () => {
    const { hostname, port } = new URL(rootOf(server));
    const req = request({ host: hostname, port, method: 'PUT', path: `/runs/${runId}/artifacts/cut.bin` });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(2 * MiB, 1));
    for (let i = 0; i < 100 && !leftovers().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(leftovers()).toHaveLength(1);
    req.destroy();
    for (let i = 0; i < 50 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(leftovers()).toEqual([]);
    expect(existsSync(join(artifactRoot(server.app.config), runId, 'cut.bin'))).toBe(false);
    expect(await server.app.db.prisma.artifact.count({ where: { runId, name: 'cut.bin' } })).toBe(0);
  });

  it('streams a 50 MiB upload: the server holds a few chunks of it at a time, never the file', async () => {
    const file = repeated(50);
    const probe = await measured(file, 45);
    const res = await upload('model/weights.bin', probe.chunks);
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ sizeBytes: file.bytes, sha256: file.sha256 });
    expect(probe.held()).toBeLessThan(16 * MiB);
    const row = await server.app.db.prisma.artifact.findFirstOrThrow({ where: { runId, name: 'model/weights.bin' } });
    expect(row).toMatchObject({ sizeBytes: BigInt(file.bytes), checksum: file.sha256 });
  });
});
