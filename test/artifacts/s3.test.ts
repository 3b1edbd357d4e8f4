import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { artifactRoot } from '../../src/features/paths.js';
import { S3Store } from '../../src/storage/s3-store.js';
import { DB_KINDS } from '../support/databases.js';
import { startLocalS3, type LocalS3 } from '../support/s3.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRun, rawRequest, repeated, rootOf, sha256 } from './support.js';

describe.each(DB_KINDS)('artifact files through a bucket on %s', (kind) => {
  let s3: LocalS3;
  let server: TestServer;
  let bucket: S3Store;
  const prefix = `artifacts-${kind}`;

  beforeAll(async () => {
    s3 = await startLocalS3();
    server = await startTestServer(kind, { workJobs: false, env: s3.env(prefix) });
    const { store } = loadConfig(s3.env(prefix));
    if (store.kind !== 's3') throw new Error('expected an s3 store');
    bucket = new S3Store(store);
  });
  afterAll(async () => {
    bucket?.close();
    await server?.close();
    await s3?.close();
  });

  it('uploads each file to the bucket before recording it, and serves it from there to a machine that lacks it', async () => {
    const runId = await createRun(server);
    const file = repeated(3);
    const res = await rawRequest(rootOf(server), { method: 'PUT', path: `/runs/${runId}/artifacts/model/model.onnx`, chunks: file.chunks() });
    expect(res.json()).toMatchObject({ sizeBytes: file.bytes, sha256: file.sha256 });
    const key = `artifacts/${runId}/model/model.onnx`;
    expect(await bucket.has(key)).toBe(true);
    const copy = join(mkdtempSync(join(tmpdir(), 'tagfusion-bucket-')), 'copy');
    await bucket.get(key, copy);
    expect(sha256(readFileSync(copy))).toBe(file.sha256);
    rmSync(copy);

    // Another machine's working copy: the file is not in this data folder.
    const local = join(artifactRoot(server.app.config), runId, 'model', 'model.onnx');
    rmSync(local);
    const down = await rawRequest(rootOf(server), { method: 'GET', path: `/runs/${runId}/artifacts/model/model.onnx` });
    expect(down.status).toBe(200);
    expect(sha256(down.body)).toBe(file.sha256);

    rmSync(local);
    const folder = await server.app.services.artifacts.resolveFolder(`runs:/${runId}/model`);
    expect(folder.files).toEqual([{ path: 'model.onnx', sizeBytes: file.bytes, sha256: file.sha256 }]);
    expect(existsSync(local)).toBe(true);
  });
  it('deletes a deleted file’s object from the bucket too, and only that object', async () => {
    const runId = await createRun(server);
    for (const name of ['model.onnx', 'model.onnx.sig']) {
      const file = repeated(1);
      expect((await rawRequest(rootOf(server), { method: 'PUT', path: `/runs/${runId}/artifacts/m/${name}`, chunks: file.chunks() })).status).toBe(200);
    }
    expect(await server.app.services.artifacts.delete(runId, 'm/model.onnx')).toBe(1);
    expect(await bucket.has(`artifacts/${runId}/m/model.onnx`)).toBe(false);
    expect(await bucket.has(`artifacts/${runId}/m/model.onnx.sig`)).toBe(true);
  });
});
