import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createRun, rawRequest, rootOf, sha256 } from './support.js';

describe.each(DB_KINDS)('which runs take artifact files, and folders for model versions, on %s', (kind) => {
  let server: TestServer;
  const put = (runId: string, path: string, body = 'x') => rawRequest(rootOf(server), { method: 'PUT', path: `/runs/${runId}/artifacts/${path}`, chunks: [Buffer.from(body)] });
  const code = async (p: ReturnType<typeof put>) => (await p).json().error?.code;

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false });
  });
  afterAll(async () => server?.close());

  it('takes files for finished runs, as MLflow does after end_run', async () => {
    const runId = await createRun(server);
    await server.data(`mutation($id: ID!) { setRunStatus(id: $id, status: SUCCEEDED) { id } }`, { id: runId });
    expect((await put(runId, 'after-end.txt')).status).toBe(200);
  });

  it('refuses writes to deleted runs (and runs of deleted projects), which stay readable', async () => {
    const runId = await createRun(server);
    await put(runId, 'kept.txt', 'kept');
    await server.data(`mutation($id: ID!) { deleteRun(id: $id) { id } }`, { id: runId });
    expect(await code(put(runId, 'new.txt'))).toBe('RUN_DELETED');
    expect(await code(rawRequest(rootOf(server), { method: 'DELETE', path: `/runs/${runId}/artifacts/kept.txt` }))).toBe('RUN_DELETED');
    expect((await rawRequest(rootOf(server), { method: 'GET', path: `/runs/${runId}/artifacts/kept.txt` })).body.toString()).toBe('kept');

    const { createProject } = await server.data(`mutation { createProject(input: { name: "gone" }) { id } }`);
    const inProject = await createRun(server, createProject.id);
    await server.data(`mutation($id: ID!) { deleteProject(id: $id) { id } }`, { id: createProject.id });
    expect(await code(put(inProject, 'new.txt'))).toBe('RUN_DELETED');
    expect(existsSync(join(artifactRoot(server.app.config), inProject))).toBe(false);
  });

  it('never changes the files of a run behind a registered model version', async () => {
    const runId = await createRun(server);
    await put(runId, 'model/model.onnx', 'v1');
    const { prisma } = server.app.db;
    const model = await prisma.registeredModel.create({ data: { name: `m-${kind}` } });
    await prisma.modelVersion.create({ data: { modelId: model.id, version: 1, runId } });
    const replace = await put(runId, 'model/model.onnx', 'v2');
    expect(replace.status).toBe(409);
    expect(replace.json().error).toMatchObject({ code: 'RUN_REGISTERED' });
    expect(replace.json().error.message).toContain(`m-${kind}/1`);
    expect(await code(put(runId, 'model/extra.txt'))).toBe('RUN_REGISTERED');
    expect(await code(rawRequest(rootOf(server), { method: 'DELETE', path: `/runs/${runId}/artifacts/model` }))).toBe('RUN_REGISTERED');
    expect(readFileSync(join(artifactRoot(server.app.config), runId, 'model', 'model.onnx'), 'utf8')).toBe('v1');
    expect((await prisma.artifact.findFirstOrThrow({ where: { runId, name: 'model/model.onnx' } })).checksum).toBe(sha256(Buffer.from('v1')));
  });

  it('resolves runs:/ and mlflow-artifacts:/ folders to local files with their checksums', async () => {
    const runId = await createRun(server);
    await put(runId, 'model/MLmodel', 'flavors: {}');
    await put(runId, 'model/onnx/model.onnx', 'onnx bytes');
    await put(runId, 'other.txt');
    const hex = runId.replace(/-/g, '');
    const folder = await server.app.services.artifacts.resolveFolder(`runs:/${hex}/model`);
    expect(folder).toEqual({
      runId,
      projectId: 0,
      path: 'model',
      dir: join(artifactRoot(server.app.config), runId, 'model'),
      files: [
        { path: 'MLmodel', sizeBytes: 11, sha256: sha256(Buffer.from('flavors: {}')) },
        { path: 'onnx/model.onnx', sizeBytes: 10, sha256: sha256(Buffer.from('onnx bytes')) },
      ],
    });
    for (const f of folder.files) expect(sha256(readFileSync(join(folder.dir, f.path)))).toBe(f.sha256);
    expect(await server.app.services.artifacts.resolveFolder(`mlflow-artifacts:/0/${hex}/artifacts/model`)).toEqual(folder);
    expect((await server.app.services.artifacts.resolveFolder(`runs:/${runId}`)).files).toHaveLength(3);
    const refusal = (source: string) => server.app.services.artifacts.resolveFolder(source).then(() => 'resolved', (err: { code: string }) => err.code);
    expect(await refusal(`mlflow-artifacts:/7/${hex}/artifacts/model`)).toBe('RUN_NOT_FOUND');
    expect(await refusal(`runs:/${hex}/nothing`)).toBe('ARTIFACT_NOT_FOUND');
    expect(await refusal(`runs:/${hex}/other.txt`)).toBe('BAD_INPUT');
    expect(await refusal(`runs:/${hex}/../x`)).toBe('BAD_INPUT');
  });
});
