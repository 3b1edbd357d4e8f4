import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex, runWithFiles, servableFolder } from '../registry/folder-fixtures.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { clients, mlflowError, type RegistryClient } from './registry-client.js';

const ms = expect.any(Number);

describe.each(DB_KINDS)('MLflow model-versions endpoints on %s', (kind) => {
  let server: TestServer;
  let editor: RegistryClient, viewer: RegistryClient;
  let runId: string;

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    ({ editor, viewer } = await clients(server));
    runId = await runWithFiles(server.app, { ...servableFolder('model'), 'plots/loss.png': 'png' });
  });
  afterAll(async () => server?.close());

  it('answers mlflow.register_model’s calls: create the model (existing is fine), create the version, poll until READY', async () => {
    expect((await editor('POST', 'registered-models/create', { name: 'clf' })).status).toBe(200);
    // The client tolerates RESOURCE_ALREADY_EXISTS and goes on to the version.
    expect(await editor('POST', 'registered-models/create', { name: 'clf' })).toEqual(mlflowError(400, 'RESOURCE_ALREADY_EXISTS'));
    const source = `mlflow-artifacts:/0/${hex(runId)}/artifacts/model`;
    const created = await editor('POST', 'model-versions/create', { name: 'clf', source, run_id: hex(runId) });
    const expected = { name: 'clf', version: '1', creation_timestamp: ms, last_updated_timestamp: ms, user_id: 'mlflow-editor', current_stage: 'None', source, run_id: hex(runId), status: 'READY' };
    expect(created).toEqual({ status: 200, body: { model_version: expected } });
    expect(await viewer('GET', 'model-versions/get', { name: 'clf', version: '1' })).toEqual({ status: 200, body: { model_version: expected } });
    // MlflowClient().set_registered_model_alias(name, "champion", version)
    expect(await editor('POST', 'registered-models/alias', { name: 'clf', alias: 'champion', version: '1' })).toEqual({ status: 200, body: {} });
    expect((await viewer('GET', 'model-versions/get', { name: 'clf', version: '1' })).body.model_version.aliases).toEqual(['champion']);
    const v = await server.app.services.registry.getVersion('clf', { alias: 'champion' });
    expect([v.format, v.unservableReason]).toEqual(['onnx', null]);
  });

  it('refuses bad input: missing fields, bad version numbers, sources that climb, unknown runs', async () => {
    const bad: [Parameters<RegistryClient>, number, string][] = [
      [['POST', 'model-versions/create', { name: 'clf' }], 400, 'INVALID_PARAMETER_VALUE'],
      [['POST', 'model-versions/create', { name: 'clf', source: `runs:/${hex(runId)}/../x` }], 400, 'INVALID_PARAMETER_VALUE'],
      [['POST', 'model-versions/create', { name: 'clf', source: `runs:/${'f'.repeat(32)}/model` }], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['POST', 'model-versions/create', { name: 'nope', source: `runs:/${hex(runId)}/model` }], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['GET', 'model-versions/get', { name: 'clf', version: 'one' }], 400, 'INVALID_PARAMETER_VALUE'],
      [['GET', 'model-versions/get', { name: 'clf', version: '7' }], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['GET', 'model-versions/search', { filter: "name = 'clf' OR run_id = 'x'" }], 400, 'INVALID_PARAMETER_VALUE'],
      [['GET', 'model-versions/search', { max_results: 0 }], 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [args, status, code] of bad) expect(await editor(...args), JSON.stringify(args)).toEqual(mlflowError(status, code));
  });

  it('registers a folder tagfusion cannot serve, and says why over GraphQL', async () => {
    const created = await editor('POST', 'model-versions/create', { name: 'clf', source: `runs:/${hex(runId)}/plots`, run_id: hex(runId), description: 'just plots', tags: [{ key: 'k', value: 'v' }] });
    expect(created.body.model_version).toMatchObject({ version: '2', status: 'READY', description: 'just plots', tags: [{ key: 'k', value: 'v' }], source: `runs:/${hex(runId)}/plots` });
    const v = await server.app.services.registry.getVersion('clf', { version: 2 });
    expect([v.format, v.unservableReason]).toEqual([null, 'no model-card.json and no MLmodel with an onnx flavour']);
  });

  it('searches, updates, tags, deletes (softly) and locates versions', async () => {
    await editor('POST', 'registered-models/create', { name: 'other' });
    await editor('POST', 'model-versions/create', { name: 'other', source: 's3://bucket/model' });
    const versions = async (q: Record<string, unknown>) => ((await viewer('GET', 'model-versions/search', q)).body.model_versions ?? []).map((m: { name: string; version: string }) => `${m.name}/${m.version}`);
    expect(await versions({})).toEqual(['clf/2', 'clf/1', 'other/1']);
    expect(await versions({ filter: "name='clf'" })).toEqual(['clf/2', 'clf/1']);
    expect(await versions({ filter: `run_id = '${hex(runId)}'`, order_by: 'version_number ASC' })).toEqual(['clf/1', 'clf/2']);
    expect(await versions({ filter: `run_id IN ('${runId}') AND tags.k = 'v'` })).toEqual(['clf/2']);
    expect(await versions({ filter: "source_path LIKE 's3://%'" })).toEqual(['other/1']);
    const page = (await viewer('GET', 'model-versions/search', { max_results: 2 })).body;
    expect(page.model_versions).toHaveLength(2);
    expect((await viewer('GET', 'model-versions/search', { max_results: 2, page_token: page.next_page_token })).body).toEqual({ model_versions: [expect.objectContaining({ name: 'other' })] });

    const updated = await editor('PATCH', 'model-versions/update', { name: 'clf', version: '1', description: 'the first' });
    expect(updated.body.model_version).toMatchObject({ version: '1', description: 'the first' });
    expect(await editor('POST', 'model-versions/set-tag', { name: 'clf', version: '1', key: 'stage', value: 'prod' })).toEqual({ status: 200, body: {} });
    expect(await editor('POST', 'registered-models/set-tag', { name: 'clf', key: 'owner', value: 'ana' })).toEqual({ status: 200, body: {} });
    expect(await editor('DELETE', 'model-versions/delete-tag', { name: 'clf', version: '1', key: 'stage' })).toEqual({ status: 200, body: {} });
    expect((await viewer('GET', 'registered-models/get', { name: 'clf' })).body.registered_model.tags).toEqual([{ key: 'owner', value: 'ana' }]);

    const uri = (version: string, name = 'clf') => viewer('GET', 'model-versions/get-download-uri', { name, version });
    expect((await uri('1')).body).toEqual({ artifact_uri: `mlflow-artifacts:/0/${hex(runId)}/artifacts/model` });
    expect((await uri('2')).body).toEqual({ artifact_uri: `mlflow-artifacts:/0/${hex(runId)}/artifacts/plots` });
    expect((await uri('1', 'other')).body).toEqual({ artifact_uri: 's3://bucket/model' });

    expect(await editor('DELETE', 'model-versions/delete', { name: 'clf', version: '1' })).toEqual({ status: 200, body: {} });
    expect(await viewer('GET', 'model-versions/get', { name: 'clf', version: '1' })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
    expect(await viewer('GET', 'registered-models/alias', { name: 'clf', alias: 'champion' })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
    expect(await versions({ filter: "name='clf'" })).toEqual(['clf/2']);
    const deleted = await server.app.db.prisma.modelVersion.findFirst({ where: { version: 1, model: { name: 'clf' } } });
    expect(deleted?.deletedAt).toBeInstanceOf(Date);
    // Numbers are never given again.
    expect((await editor('POST', 'model-versions/create', { name: 'clf', source: `runs:/${hex(runId)}/model` })).body.model_version.version).toBe('3');
  });

  it('moves an alias across signatures only when the model tag tagfusion.allow_signature_change is "true"', async () => {
    await editor('POST', 'registered-models/alias', { name: 'clf', alias: 'prod', version: '3' });
    const refused = await editor('POST', 'registered-models/alias', { name: 'clf', alias: 'prod', version: '2' });
    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(refused.body.message).toMatch(/^Moving alias prod of model clf from version 3 to version 2 changes what it eats or returns: .*model tag tagfusion\.allow_signature_change=true/);
    await editor('POST', 'registered-models/set-tag', { name: 'clf', key: 'tagfusion.allow_signature_change', value: 'true' });
    expect(await editor('POST', 'registered-models/alias', { name: 'clf', alias: 'prod', version: '2' })).toEqual({ status: 200, body: {} });
    await editor('DELETE', 'registered-models/delete-tag', { name: 'clf', key: 'tagfusion.allow_signature_change' });
    expect((await editor('POST', 'registered-models/alias', { name: 'clf', alias: 'prod', version: '3' })).status).toBe(400);
  });
});
