import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { mountStore, mirrorFor } from '../../src/storage/mirror.js';
import { refusingProxy, startLocalS3, type LocalS3 } from '../support/s3.js';

const storeFor = (env: Record<string, string>, partBytes?: number) => {
  const { store } = loadConfig(env);
  if (store.kind !== 's3') throw new Error('expected an s3 store');
  return new S3Store(store, partBytes);
};

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Forwards TCP to `port`, cutting each connection once `limit` bytes of response have passed. */
async function cuttingProxy(port: number, limit: number): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    let sent = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const room = limit - sent;
      if (room <= 0) return;
      client.write(chunk.subarray(0, room));
      sent += Math.min(room, chunk.length);
      if (sent >= limit) setTimeout(() => (client.destroy(), upstream.destroy()), 20);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: own } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${own}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('S3 store against a local S3-compatible server (s3rver)', () => {
  let s3: LocalS3;
  let store: S3Store;
  let work: string;
  beforeAll(async () => {
    s3 = await startLocalS3();
    store = storeFor(s3.env('unit/prefix'));
    work = mkdtempSync(join(tmpdir(), 'tagfusion-s3-unit-'));
  });
  afterAll(async () => {
    store?.close();
    await s3?.close();
  });

  it('puts, lists, tests and gets files under the configured prefix, byte for byte', async () => {
    expect(store.location).toBe(`s3://${s3.bucket}/unit/prefix`);
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const small = Buffer.from('{"format":"tagfusion-model/1"}');
    writeFileSync(join(work, 'big.bin'), big);
    writeFileSync(join(work, 'small.json'), small);
    await store.put(join(work, 'big.bin'), 'features/enc/v1/abc/original/part-00000.f32');
    await store.put(join(work, 'small.json'), 'artifacts/run-1/model.json');
    await store.put(join(work, 'small.json'), 'artifacts/run-1/bert/config.json');

    expect(await store.has('artifacts/run-1/model.json')).toBe(true);
    expect(await store.has('artifacts/run-2/model.json')).toBe(false);
    expect((await store.list('artifacts/run-1/')).sort()).toEqual(['bert/config.json', 'model.json']);
    expect(await store.list('artifacts/nothing/')).toEqual([]);
    // The prefix is the store's: another prefix on the same bucket sees none of it.
    const other = storeFor(s3.env('unit/other'));
    expect(await other.has('artifacts/run-1/model.json')).toBe(false);
    other.close();

    await store.get('features/enc/v1/abc/original/part-00000.f32', join(work, 'out', 'deep', 'part.f32'));
    expect(sha(readFileSync(join(work, 'out', 'deep', 'part.f32')))).toBe(sha(big));
    await store.get('artifacts/run-1/model.json', join(work, 'out', 'model.json'));
    expect(readFileSync(join(work, 'out', 'model.json'))).toEqual(small);
    expect(readdirSync(join(work, 'out')).sort()).toEqual(['deep', 'model.json']); // no temporary files left
  });

  it('says which key is missing from which bucket, and creates no file', async () => {
    const target = join(work, 'missing', 'model.json');
    const err = await store.get('artifacts/ghost/model.json', target).catch((e) => e);
    expect(err).toMatchObject({ code: 'STORE_OBJECT_MISSING', message: `artifacts/ghost/model.json is missing from the store s3://${s3.bucket}/unit/prefix.` });
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(work, 'missing')) ? readdirSync(join(work, 'missing')) : []).toEqual([]);
  });

  it('never leaves a partial download under the final name when the connection breaks', async () => {
    const payload = randomBytes(2 * 1024 * 1024);
    writeFileSync(join(work, 'payload.bin'), payload);
    await store.put(join(work, 'payload.bin'), 'features/cut/part-00000.f32');
    const port = Number(new URL(s3.endpoint).port);
    const proxy = await cuttingProxy(port, 256 * 1024);
    const cut = storeFor({ ...s3.env('unit/prefix'), TAGFUSION_S3_ENDPOINT: proxy.endpoint });
    const dir = join(work, 'cut');
    await mkdir(dir, { recursive: true });
    try {
      const err = await cut.get('features/cut/part-00000.f32', join(dir, 'part-00000.f32')).catch((e) => e);
      expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(err.message).toMatch(/Could not download features\/cut\/part-00000\.f32 from the store s3:\/\//);
      expect(readdirSync(dir)).toEqual([]); // neither the final name nor the temporary file
    } finally {
      cut.close();
      await proxy.close();
    }
    // An older complete copy stays untouched by a failed download, and a good one replaces it whole.
    await store.get('features/cut/part-00000.f32', join(dir, 'part-00000.f32'));
    expect(statSync(join(dir, 'part-00000.f32')).size).toBe(payload.length);
  });

  it('uploads a file larger than a part in parts, byte for byte; a refused part leaves no object', async () => {
    const MiB = 1024 * 1024;
    const big = randomBytes(12 * MiB + 5);
    writeFileSync(join(work, 'large.bin'), big);
    // every request goes through a proxy that notes it, and refuses the second part of keys under refused/
    const seen: string[] = [];
    const proxy = await refusingProxy(s3.endpoint, (method, path) => {
      seen.push(`${method} ${path}`);
      return path.includes('/refused/') && /[?&]partNumber=2(&|$)/.test(path);
    });
    const parted = storeFor({ ...s3.env('unit/prefix'), TAGFUSION_S3_ENDPOINT: proxy.endpoint }, 5 * MiB);
    try {
      await parted.put(join(work, 'large.bin'), 'artifacts/run-parts/bert/model.safetensors');
      const parts = seen.filter((r) => r.startsWith('PUT') && r.includes('model.safetensors') && /partNumber=\d/.test(r));
      expect(parts).toHaveLength(3); // 5 + 5 + 2 MiB
      await store.get('artifacts/run-parts/bert/model.safetensors', join(work, 'large-back.bin'));
      expect(sha(readFileSync(join(work, 'large-back.bin')))).toBe(sha(big));
      // a file within one part is a single PutObject
      seen.length = 0;
      await parted.put(join(work, 'small.json'), 'artifacts/run-parts/model.json');
      expect(seen.filter((r) => r.includes('model.json'))).toEqual([expect.stringMatching(/^PUT [^?]*model\.json\?x-id=PutObject$/)]);

      const err = await parted.put(join(work, 'large.bin'), 'artifacts/refused/model.safetensors').catch((e) => e);
      expect(err.code).toBe('STORE_UNAVAILABLE');
      expect(err.message).toContain('artifacts/refused/model.safetensors');
      expect(await store.has('artifacts/refused/model.safetensors')).toBe(false);
      // the upload was aborted, not left with its parts
      expect(seen.some((r) => r.startsWith('DELETE') && r.includes('refused/model.safetensors?uploadId='))).toBe(true);
    } finally {
      parted.close();
      await proxy.close();
    }
  });

  it('reports a refused request without the secret key', async () => {
    // s3rver refuses an unknown access key id (it does not check the secret's signature).
    const wrong = storeFor({ ...s3.env('unit/prefix'), AWS_ACCESS_KEY_ID: 'AKIDUNKNOWN', AWS_SECRET_ACCESS_KEY: 'wrong-secret-value-123' });
    try {
      const err = await wrong.get('artifacts/run-1/model.json', join(work, 'denied.json')).catch((e) => e);
      expect(err.code).toBe('STORE_UNAVAILABLE');
      expect(err.message).toMatch(/HTTP 403/);
      expect(err.message).toMatch(/Check TAGFUSION_STORE, TAGFUSION_S3_ENDPOINT and the AWS credentials/);
      expect(err.message).not.toContain('wrong-secret-value-123');
      expect(existsSync(join(work, 'denied.json'))).toBe(false);
    } finally {
      wrong.close();
    }
  });

  it('mirrors a data folder: keys are paths relative to it, and a folder nobody mounted is its own store', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tagfusion-mirror-'));
    const unmount = mountStore(dataDir, store);
    try {
      const dir = join(dataDir, 'artifacts', 'run-9', 'bert');
      await mkdir(dir, { recursive: true });
      writeFileSync(join(dir, 'vocab.txt'), 'a\nb\n');
      writeFileSync(join(dir, 'weights.bin'), randomBytes(1000));
      writeFileSync(join(dir, 'weights.bin.123.tmp'), 'half');
      await mirrorFor(dir).uploadTree(dir);
      expect((await store.list('artifacts/run-9/')).sort()).toEqual(['bert/vocab.txt', 'bert/weights.bin']);

      const elsewhere = mkdtempSync(join(tmpdir(), 'tagfusion-mirror-'));
      const unmountElsewhere = mountStore(elsewhere, store);
      const copy = join(elsewhere, 'artifacts', 'run-9', 'bert');
      expect((await mirrorFor(copy).ensureLocalTree(copy)).sort()).toEqual(['vocab.txt', 'weights.bin']);
      expect(readFileSync(join(copy, 'weights.bin'))).toEqual(readFileSync(join(dir, 'weights.bin')));
      unmountElsewhere();
    } finally {
      unmount();
    }
    expect(mirrorFor(join(dataDir, 'artifacts')).store.remote).toBe(false);
  });
});

describe('store configuration', () => {
  const base = { TAGFUSION_DATA_DIR: '/tmp/tf', TAGFUSION_AUTH: 'open' };
  it('is the data folder unless TAGFUSION_STORE names a bucket', () => {
    expect(loadConfig(base).store).toEqual({ kind: 'folder' });
    const c = loadConfig({ ...base, TAGFUSION_STORE: 's3://my-bucket/team/a/', TAGFUSION_S3_ENDPOINT: 'http://127.0.0.1:9000/', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'very-secret' });
    expect(c.store).toMatchObject({ kind: 's3', bucket: 'my-bucket', prefix: 'team/a', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1' });
    expect(loadConfig({ ...base, TAGFUSION_STORE: 's3://my-bucket', AWS_REGION: 'eu-west-3' }).store).toMatchObject({ prefix: '', region: 'eu-west-3', endpoint: undefined, credentials: undefined });
    // Credentials never show when the configuration is serialised or logged.
    expect(JSON.stringify(c)).not.toContain('very-secret');
  });

  it('refuses bad values, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ TAGFUSION_STORE: 'my-bucket' }, /TAGFUSION_STORE: TAGFUSION_STORE must be s3:\/\/bucket or s3:\/\/bucket\/prefix/],
      [{ TAGFUSION_STORE: 's3://My_Bucket' }, /TAGFUSION_STORE: /],
      [{ TAGFUSION_STORE: 's3://bucket/a/../b' }, /TAGFUSION_STORE: the prefix must not contain/],
      [{ TAGFUSION_STORE: 's3://bucket', TAGFUSION_S3_ENDPOINT: 'localhost:9000' }, /TAGFUSION_S3_ENDPOINT: TAGFUSION_S3_ENDPOINT must be an http/],
      [{ TAGFUSION_S3_ENDPOINT: 'http://localhost:9000' }, /TAGFUSION_S3_ENDPOINT: is set, but TAGFUSION_STORE names no bucket/],
      [{ TAGFUSION_STORE: 's3://bucket', AWS_ACCESS_KEY_ID: 'AKID' }, /AWS_SECRET_ACCESS_KEY: must be set with AWS_ACCESS_KEY_ID/],
    ];
    for (const [env, message] of cases) expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).toThrow(message);
  });
});
