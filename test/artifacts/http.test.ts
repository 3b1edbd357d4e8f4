import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRun, rawRequest, rootOf, sha256 } from './support.js';

const FILES = `query($id: ID!, $path: String) { run(id: $id) { artifactFiles(path: $path) { path name isDir sizeBytes sha256 downloadUrl } } }`;

describe.each(DB_KINDS)('artifact files over HTTP on %s', (kind) => {
  let server: TestServer;
  let root: string;
  const tokens = { editor: '', viewer: '' };
  let runId: string;
  const put = (path: string, body: Buffer, token = tokens.editor, id = runId) => rawRequest(root, { method: 'PUT', path: `/runs/${id}/artifacts/${path}`, token, chunks: [body] });
  const get = (path: string, token = tokens.viewer, id = runId) => rawRequest(root, { method: 'GET', path: `/runs/${id}/artifacts/${path}`, token });
  const incoming = () => (existsSync(join(artifactRoot(server.app.config), '.incoming')) ? readdirSync(join(artifactRoot(server.app.config), '.incoming')) : []);

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    root = rootOf(server);
    for (const role of ['editor', 'viewer'] as const) tokens[role] = (await server.app.services.auth.create(cliActor(), { name: role, role })).secret;
    runId = await createRun(server.withToken(tokens.editor));
  });
  afterAll(async () => server?.close());

  it('refuses paths that leave the run first, then callers without a token or the editor role', async () => {
    for (const path of ['..%2F..%2Fetc%2Fpasswd', '%2E%2E/x', 'a/../../x', '%2Fetc%2Fpasswd', 'a%00b', 'a%5Cb', 'a//b']) {
      const res = await put(path, Buffer.from('x'), tokens.editor, 'no-such-run');
      expect(res.status, path).toBe(400);
      expect(res.json().error.code).toBe('BAD_INPUT');
      expect(res.json().error.message).toMatch(/^path: /);
    }
    expect((await put('ok.txt', Buffer.from('x'), tokens.viewer)).json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const anonymous = await rawRequest(root, { method: 'PUT', path: `/runs/${runId}/artifacts/ok.txt`, chunks: [Buffer.from('x')] });
    expect(anonymous.status).toBe(401);
    expect((await get('ok.txt', '')).status).toBe(401);
    expect((await put('ok.txt', Buffer.from('x'), tokens.editor, 'no-such-run')).json().error.code).toBe('RUN_NOT_FOUND');
    const store = artifactRoot(server.app.config);
    expect(existsSync(store) ? readdirSync(store).filter((d) => d !== '.incoming') : []).toEqual([]);
    expect(incoming()).toEqual([]);
  });

  it('round-trips a file byte for byte, records its sha256, and replaces it on a second upload', async () => {
    const body = Buffer.concat([Buffer.from('\u0000binary\r\n'), Buffer.alloc(300_000, 7)]);
    const up = await put('model/model.onnx', body);
    expect(up.status).toBe(200);
    expect(up.json()).toEqual({ path: 'model/model.onnx', name: 'model.onnx', isDir: false, sizeBytes: body.length, sha256: sha256(body), downloadUrl: `/runs/${runId}/artifacts/model/model.onnx` });
    const down = await get('model/model.onnx');
    expect(down.status).toBe(200);
    expect(down.body.equals(body)).toBe(true);
    expect(down.headers).toMatchObject({ 'content-length': String(body.length), 'content-type': 'application/octet-stream', 'x-content-type-options': 'nosniff' });
    expect(down.headers['content-disposition']).toMatch(/^attachment; filename="?model\.onnx"?$/);
    const row = await server.app.db.prisma.artifact.findFirstOrThrow({ where: { runId, name: 'model/model.onnx' } });
    expect(row).toMatchObject({ kind: 'file', uri: `${runId}/model/model.onnx`, sizeBytes: BigInt(body.length), checksum: sha256(body) });
    expect(readFileSync(join(artifactRoot(server.app.config), runId, 'model', 'model.onnx')).equals(body)).toBe(true);

    const second = Buffer.from('{"v": 2}');
    await put('model/model.onnx', second);
    expect((await get('model/model.onnx')).body.toString()).toBe('{"v": 2}');
    const replaced = await server.app.db.prisma.artifact.findMany({ where: { runId, uri: `${runId}/model/model.onnx` } });
    expect(replaced).toMatchObject([{ id: row.id, sizeBytes: BigInt(second.length), checksum: sha256(second) }]);
    expect(incoming()).toEqual([]);
  });

  it('lists folders over HTTP and GraphQL, and answers a folder path with its listing', async () => {
    await put('model/MLmodel', Buffer.from('flavors: {onnx: {}}\n'));
    await put('notes.md', Buffer.from('# hi'));
    const viewer = server.withToken(tokens.viewer);
    const top = (await viewer.data(FILES, { id: runId })).run.artifactFiles;
    expect(top.map((e: { path: string; isDir: boolean }) => [e.path, e.isDir])).toEqual([['model', true], ['notes.md', false]]);
    expect(top[1]).toMatchObject({ name: 'notes.md', sizeBytes: 4, sha256: sha256(Buffer.from('# hi')), downloadUrl: `/runs/${runId}/artifacts/notes.md` });
    const inside = (await viewer.data(FILES, { id: runId, path: 'model' })).run.artifactFiles;
    expect(inside.map((e: { path: string }) => e.path)).toEqual(['model/MLmodel', 'model/model.onnx']);
    const listing = await rawRequest(root, { method: 'GET', path: `/runs/${runId}/artifacts?path=model`, token: tokens.viewer });
    expect(listing.json().files.map((e: { name: string }) => e.name)).toEqual(['MLmodel', 'model.onnx']);
    expect((await get('model')).json().files).toEqual(listing.json().files);
    expect((await get('missing.txt')).json().error.code).toBe('ARTIFACT_NOT_FOUND');
    expect((await viewer.gql(FILES, { id: runId, path: '../x' })).errors?.[0].extensions?.code).toBe('BAD_INPUT');
  });

  it('refuses a file where a folder is and a folder where a file is, leaving both as they were', async () => {
    const asFile = await put('model', Buffer.from('x'));
    expect(asFile.status).toBe(409);
    expect(asFile.json().error.code).toBe('CONFLICT');
    expect((await put('notes.md/inner.txt', Buffer.from('x'))).json().error.code).toBe('CONFLICT');
    expect((await get('notes.md')).body.toString()).toBe('# hi');
    expect(incoming()).toEqual([]);
  });

  it('deletes a file or a folder, and takes the freed name again', async () => {
    const other = await createRun(server.withToken(tokens.editor));
    await put('d/a.txt', Buffer.from('a'), tokens.editor, other);
    await put('d/e/b.txt', Buffer.from('b'), tokens.editor, other);
    const viewerDelete = await rawRequest(root, { method: 'DELETE', path: `/runs/${other}/artifacts/d`, token: tokens.viewer });
    expect(viewerDelete.status).toBe(403);
    const deleted = await rawRequest(root, { method: 'DELETE', path: `/runs/${other}/artifacts/d`, token: tokens.editor });
    expect(deleted.json()).toEqual({ deleted: 2 });
    expect(existsSync(join(artifactRoot(server.app.config), other, 'd'))).toBe(false);
    expect((await put('d', Buffer.from('now a file'), tokens.editor, other)).status).toBe(200);
    expect((await rawRequest(root, { method: 'DELETE', path: `/runs/${other}/artifacts/nothing`, token: tokens.editor })).status).toBe(404);
  });
});
