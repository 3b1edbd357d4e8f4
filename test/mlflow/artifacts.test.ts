import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRun, rawRequest, repeated, rootOf, sha256 } from '../artifacts/support.js';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * MLflow's artifact proxy as the Python client's HttpArtifactRepository calls it for a run whose
 * artifact_uri is `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts` (mlflow/store/artifact/
 * http_artifact_repo.py; handlers in mlflow/server/handlers.py): PUT per file with the guessed
 * mime type, GET ?path= to list (the names of a folder's entries), GET per file to download.
 */
describe.each(DB_KINDS)('MLflow artifact proxy on %s', (kind) => {
  let server: TestServer;
  const tokens = { editor: '', viewer: '' };
  let runId: string;
  let hex: string;
  const at = (path: string, id = hex, exp = '0') => `${PROXY}/${exp}/${id}/artifacts/${path}`;
  const put = (path: string, body: Buffer, token = tokens.editor, contentType = 'application/octet-stream') =>
    rawRequest(rootOf(server), { method: 'PUT', path, token, chunks: [body], contentLength: body.length, headers: { 'content-type': contentType } });
  const get = (path: string, token = tokens.viewer) => rawRequest(rootOf(server), { method: 'GET', path, token });
  const list = (path: string, prefix = '/api/2.0') => get(`${prefix}/mlflow-artifacts/artifacts?path=${encodeURIComponent(path)}`);

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required', TAGFUSION_ARTIFACT_MAX_BYTES: String(4 * 1024 * 1024) } });
    for (const role of ['editor', 'viewer'] as const) tokens[role] = (await server.app.services.auth.create(cliActor(), { name: role, role })).secret;
    runId = await createRun(server.withToken(tokens.editor));
    hex = runId.replace(/-/g, '');
  });
  afterAll(async () => server?.close());

  it('refuses bad paths, callers without a token or the editor role, and unknown runs, in MLflow error JSON', async () => {
    const error = async (res: Promise<{ status: number; json(): any }>) => {
      const r = await res;
      return [r.status, r.json().error_code];
    };
    expect(await error(put(at('..%2F..%2Fetc%2Fpasswd'), Buffer.from('x')))).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(await error(put(`${PROXY}/0/${hex}/artifacts/a/../../../x`, Buffer.from('x')))).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(await error(put(at('a%00b'), Buffer.from('x')))).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(await error(list(`0/${hex}/artifacts/../../x`))).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(await error(put(at('model.pkl'), Buffer.from('x'), tokens.viewer))).toEqual([403, 'PERMISSION_DENIED']);
    expect(await error(put(at('model.pkl'), Buffer.from('x'), ''))).toEqual([401, 'UNAUTHENTICATED']);
    expect(await error(get(at('model.pkl'), ''))).toEqual([401, 'UNAUTHENTICATED']);
    expect(await error(put(at('model.pkl', 'f'.repeat(32)), Buffer.from('x')))).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect(await error(put(at('model.pkl', hex, '5'), Buffer.from('x')))).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect(await error(put(`${PROXY}/0/models/m-abc/artifacts/model.pkl`, Buffer.from('x')))).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const tooLarge = await put(at('huge.bin'), Buffer.concat([...repeated(5).chunks()]));
    expect([tooLarge.status, tooLarge.json().error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(tooLarge.json().message).toContain('TAGFUSION_ARTIFACT_MAX_BYTES');
    expect(await server.app.db.prisma.artifact.count({ where: { runId } })).toBe(0);
  });

  it('takes log_artifact and log_artifacts uploads, lists them as list_artifacts reads them, and serves downloads', async () => {
    const pkl = Buffer.from([0x80, 0x04, 0x95, 0, 1, 2, 3]);
    const mlmodel = Buffer.from('artifact_path: model\nflavors:\n  onnx: {}\n');
    const onnx = Buffer.alloc(200_000, 3);
    for (const [path, body, type] of [['model.pkl', pkl, 'application/octet-stream'], ['model/MLmodel', mlmodel, 'text/plain'], ['model/data/model.onnx', onnx, 'application/octet-stream']] as const) {
      const res = await put(at(path), body, tokens.editor, type);
      expect([res.status, res.json()]).toEqual([200, {}]);
    }
    expect((await list(`0/${hex}/artifacts`)).json()).toEqual({
      files: [
        { path: 'model', is_dir: true },
        { path: 'model.pkl', is_dir: false, file_size: pkl.length },
      ],
    });
    expect((await list(`0/${hex}/artifacts/model`)).json()).toEqual({
      files: [
        { path: 'MLmodel', is_dir: false, file_size: mlmodel.length },
        { path: 'data', is_dir: true },
      ],
    });
    expect((await list(`0/${runId}/artifacts/model/data`, '/ajax-api/2.0')).json()).toEqual({ files: [{ path: 'model.onnx', is_dir: false, file_size: onnx.length }] });
    expect((await list(`0/${hex}/artifacts/nothing`)).json()).toEqual({});
    expect((await list('0')).json()).toEqual({});

    const down = await get(at('model/data/model.onnx'));
    expect(down.status).toBe(200);
    expect(sha256(down.body)).toBe(sha256(onnx));
    expect(down.headers).toMatchObject({ 'content-length': String(onnx.length), 'x-content-type-options': 'nosniff' });
    expect(down.headers['content-disposition']).toMatch(/^attachment; filename="?model\.onnx"?$/);
    expect((await get(at('model/MLmodel'))).body.equals(mlmodel)).toBe(true);
    const missing = await get(at('model/missing.onnx'));
    expect([missing.status, missing.json().error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect((await get(at('model'))).status).toBe(404);
    const row = await server.app.db.prisma.artifact.findFirstOrThrow({ where: { runId, name: 'model/data/model.onnx' } });
    expect(row).toMatchObject({ kind: 'file', uri: `${runId}/model/data/model.onnx`, checksum: sha256(onnx), sizeBytes: BigInt(onnx.length) });
  });

  it('deletes a folder as delete_artifacts does, for editors only', async () => {
    const viewer = await rawRequest(rootOf(server), { method: 'DELETE', path: at('model'), token: tokens.viewer });
    expect([viewer.status, viewer.json().error_code]).toEqual([403, 'PERMISSION_DENIED']);
    const res = await rawRequest(rootOf(server), { method: 'DELETE', path: at('model'), token: tokens.editor });
    expect([res.status, res.json()]).toEqual([200, {}]);
    expect((await list(`0/${hex}/artifacts`)).json()).toEqual({ files: [{ path: 'model.pkl', is_dir: false, file_size: 7 }] });
  });
});
