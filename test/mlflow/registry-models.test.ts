import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryRoutes } from '../../src/mlflow/registry.js';
import { cliActor } from '../../src/registry/actor.js';
import { finishedRun } from '../registry/fixtures.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { clients, mlflowError, type RegistryClient } from './registry-client.js';

const ms = expect.any(Number);

describe.each(DB_KINDS)('MLflow registered-models endpoints on %s', (kind) => {
  let server: TestServer;
  let admin: RegistryClient, editor: RegistryClient, viewer: RegistryClient, anonymous: RegistryClient;

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required', TAGFUSION_WEBHOOK_ALLOW_PRIVATE: '1' } });
    ({ admin, editor, viewer, anonymous } = await clients(server));
  });
  afterAll(async () => server?.close());

  it('asks every registry route for a token, and writes for an editor', async () => {
    expect(registryRoutes.length).toBe(22);
    for (const route of registryRoutes) {
      const path = route.path.slice(1);
      expect(await anonymous(route.method as 'GET', path, { name: 'm' }), route.path).toEqual(mlflowError(401, 'UNAUTHENTICATED'));
      if (route.role === 'editor') expect(await viewer(route.method as 'GET', path, { name: 'm' }), route.path).toEqual(mlflowError(403, 'PERMISSION_DENIED'));
      else expect(route.method === 'GET' || route.path === '/registered-models/get-latest-versions', route.path).toBe(true);
    }
    expect((await admin('GET', 'registered-models/search')).body).toEqual({});
  });

  it('refuses bad input as INVALID_PARAMETER_VALUE and unknown models as RESOURCE_DOES_NOT_EXIST', async () => {
    const bad: [Parameters<RegistryClient>, string][] = [
      [['POST', 'registered-models/create', {}], "Missing value for required parameter 'name'. See the API docs for more information about request parameters."],
      [['POST', 'registered-models/create', { name: 'has space' }], 'name: must be 1-128 letters, digits, dots, dashes or underscores, starting with a letter or digit'],
      [['POST', 'registered-models/create', { name: 'm', tags: [{ key: 1 }] }], "Invalid value for parameter 'tags': it must be a list of {key, value} strings."],
      [['GET', 'registered-models/search', { max_results: 1001 }], 'Invalid value for max_results: it must be a whole number from 1 to 1000.'],
      [['GET', 'registered-models/search', { filter: "name = 'a' OR name = 'b'" }], 'Invalid filter: conditions are joined by AND.'],
      [['GET', 'registered-models/search', { filter: "run_id = 'a'" }], 'Invalid filter: the key at condition 1 is not one of name, tags.<key>.'],
      [['GET', 'registered-models/search', { order_by: 'size DESC' }], 'Invalid order_by clause: order by one of name, creation_timestamp, last_updated_timestamp, with ASC or DESC.'],
      [['GET', 'registered-models/search', { page_token: 'bm9wZQ==' }], 'Invalid page token.'],
    ];
    for (const [args, message] of bad) expect(await editor(...args), JSON.stringify(args)).toEqual({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message } });
    expect(await viewer('GET', 'registered-models/get', { name: 'nope' })).toEqual({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Model nope is not registered.' } });
    expect(await editor('DELETE', 'registered-models/delete', { name: 'nope' })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
  });

  it('creates, reads, renames, describes and deletes models in model_registry.proto’s shape', async () => {
    const created = await editor('POST', 'registered-models/create', { name: 'tagger', description: 'multi-label', tags: [{ key: 'team', value: 'vision' }] });
    expect(created).toEqual({
      status: 200,
      body: { registered_model: { name: 'tagger', creation_timestamp: ms, last_updated_timestamp: ms, description: 'multi-label', tags: [{ key: 'team', value: 'vision' }] } },
    });
    expect(await editor('POST', 'registered-models/create', { name: 'tagger' })).toEqual({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Model tagger is registered already.' } });
    expect((await viewer('GET', 'registered-models/get', { name: 'tagger' })).body).toEqual(created.body);
    const renamed = await editor('POST', 'registered-models/rename', { name: 'tagger', new_name: 'labeller' });
    expect(renamed.body.registered_model).toMatchObject({ name: 'labeller', description: 'multi-label' });
    await editor('POST', 'registered-models/create', { name: 'taken' });
    expect(await editor('POST', 'registered-models/rename', { name: 'labeller', new_name: 'taken' })).toEqual(mlflowError(400, 'RESOURCE_ALREADY_EXISTS'));
    const updated = await editor('PATCH', 'registered-models/update', { name: 'labeller', description: 'v2' });
    expect(updated.body.registered_model).toMatchObject({ name: 'labeller', description: 'v2' });
    expect(updated.body.registered_model.last_updated_timestamp).toBeGreaterThanOrEqual(created.body.registered_model.last_updated_timestamp);
    expect(await editor('DELETE', 'registered-models/delete', { name: 'taken' })).toEqual({ status: 200, body: {} });
    expect((await viewer('GET', 'registered-models/get', { name: 'taken' })).status).toBe(404);
    const actions = (await server.app.services.registry.auditLog(undefined, 50)).rows.map((r) => `${r.action} ${r.actor}`);
    expect(actions.slice(0, 4)).toEqual(['MODEL_DELETED mlflow-editor', 'MODEL_UPDATED mlflow-editor', 'MODEL_CREATED mlflow-editor', 'MODEL_RENAMED mlflow-editor']);
  });

  it('searches with MLflow’s filter, order_by and page tokens', async () => {
    for (const name of ['search-a', 'search-b', 'Search-C']) await editor('POST', 'registered-models/create', { name, tags: [{ key: 'kind', value: name.endsWith('b') ? 'text' : 'image' }] });
    const names = async (q: Record<string, unknown>) => ((await viewer('GET', 'registered-models/search', q)).body.registered_models ?? []).map((m: { name: string }) => m.name);
    expect(await names({ filter: "name LIKE 'search-%'" })).toEqual(['search-a', 'search-b']);
    expect(await names({ filter: "name ILIKE 'search-%'", order_by: ['name DESC'] })).toEqual(['search-b', 'search-a', 'Search-C']);
    expect(await names({ filter: "name ILIKE 'search%' AND tags.kind = 'image'" })).toEqual(['Search-C', 'search-a']);
    expect(await names({ filter: "tags.`kind` != 'image'" })).toEqual(['search-b']);
    const first = (await viewer('GET', 'registered-models/search', { filter: "name ILIKE 'search-%'", max_results: 2 })).body;
    expect(first.registered_models.map((m: { name: string }) => m.name)).toEqual(['Search-C', 'search-a']);
    const rest = (await viewer('GET', 'registered-models/search', { filter: "name ILIKE 'search-%'", max_results: 2, page_token: first.next_page_token })).body;
    expect(rest).toEqual({ registered_models: [expect.objectContaining({ name: 'search-b' })] });
  });

  it('sets, reads and deletes aliases under tagfusion’s rules: protection, audit log, webhooks', async () => {
    const hook = await server.app.services.webhooks.create(cliActor(), { url: 'http://127.0.0.1:9/hook', events: ['ALIAS_MOVED', 'ALIAS_DELETED'] });
    await editor('POST', 'registered-models/create', { name: 'aliased' });
    for (const macroF1 of [0.5, 0.6]) await server.app.services.registry.registerVersion(cliActor(), { runId: (await finishedRun(server.app, { macroF1 })).runId, model: 'aliased' });
    expect(await editor('POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '1' })).toEqual({ status: 200, body: {} });
    const byAlias = await viewer('GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' });
    expect(byAlias.body.model_version).toMatchObject({ name: 'aliased', version: '1', aliases: ['champion'], current_stage: 'None', status: 'READY' });
    const model = (await viewer('GET', 'registered-models/get', { name: 'aliased' })).body.registered_model;
    expect(model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
    expect(model.latest_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    expect(await editor('POST', 'registered-models/alias', { name: 'aliased', alias: '1st', version: '1' })).toEqual(mlflowError(400, 'INVALID_PARAMETER_VALUE'));
    expect(await editor('POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '9' })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
    // A protected alias: an editor cannot move or delete it, nor rename or delete its model.
    await server.app.services.registry.setAliasProtected(cliActor(), 'aliased', 'champion', true);
    const denied = await editor('POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '2' });
    expect(denied).toEqual({ status: 403, body: { error_code: 'PERMISSION_DENIED', message: 'Alias champion of model aliased is protected: moving or deleting it needs the admin role; you act as editor.' } });
    expect(await editor('DELETE', 'registered-models/alias', { name: 'aliased', alias: 'champion' })).toEqual(mlflowError(403, 'PERMISSION_DENIED'));
    expect((await editor('DELETE', 'registered-models/delete', { name: 'aliased' })).body.message).toBe('Deleting model aliased, which has the protected alias champion, needs the admin role; you act as editor.');
    expect(await editor('POST', 'registered-models/rename', { name: 'aliased', new_name: 'other' })).toEqual(mlflowError(403, 'PERMISSION_DENIED'));
    expect(await admin('POST', 'registered-models/alias', { name: 'aliased', alias: 'champion', version: '2' })).toEqual({ status: 200, body: {} });
    expect(await admin('DELETE', 'registered-models/alias', { name: 'aliased', alias: 'champion' })).toEqual({ status: 200, body: {} });
    expect(await viewer('GET', 'registered-models/alias', { name: 'aliased', alias: 'champion' })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
    const audit = (await server.app.services.registry.auditLog('aliased', 10)).rows.map((r) => `${r.action} ${r.actor} ${r.alias ?? ''}`);
    expect(audit.slice(0, 3)).toEqual(['ALIAS_DELETED mlflow-admin champion', 'ALIAS_MOVED mlflow-admin champion', 'ALIAS_PROTECTION_CHANGED local champion'.replace('local', cliActor().name)]);
    const deliveries = (await server.app.services.webhooks.deliveries(hook.webhook.id, 10, 0)).rows.map((d) => d.event);
    expect(deliveries.sort()).toEqual(['ALIAS_DELETED', 'ALIAS_MOVED', 'ALIAS_MOVED']);
  });
  it('carries MLflow’s deprecated stages on the aliases staging and production, under the same rules', async () => {
    await editor('POST', 'registered-models/create', { name: 'staged' });
    for (const macroF1 of [0.5, 0.6, 0.7]) await server.app.services.registry.registerVersion(cliActor(), { runId: (await finishedRun(server.app, { macroF1 })).runId, model: 'staged' });
    const stages = async (q: Record<string, unknown> = {}) =>
      ((await viewer('GET', 'registered-models/get-latest-versions', { name: 'staged', ...q })).body.model_versions ?? []).map((v: { version: string; current_stage: string }) => `${v.version}:${v.current_stage}`);
    expect(await stages()).toEqual(['3:None']);
    expect(await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '1', stage: 'Lab', archive_existing_versions: false })).toEqual({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid Model Version stage: Lab. Value must be one of None, Staging, Production, Archived.' },
    });
    expect(await viewer('POST', 'model-versions/transition-stage', { name: 'staged', version: '1', stage: 'Production' })).toEqual(mlflowError(403, 'PERMISSION_DENIED'));
    const moved = await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '1', stage: 'production', archive_existing_versions: true });
    expect(moved.body.model_version).toMatchObject({ name: 'staged', version: '1', current_stage: 'Production', aliases: ['production'] });
    await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '2', stage: 'Staging', archive_existing_versions: false });
    expect(await stages()).toEqual(['1:Production', '2:Staging', '3:None']);
    expect(await stages({ stages: ['production', 'None'] })).toEqual(['1:Production', '3:None']);
    // The POST spelling of the same read, as MlflowClient.get_latest_versions sends it.
    expect((await viewer('POST', 'registered-models/get-latest-versions', { name: 'staged', stages: ['Staging'] })).body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    // Staging to Production: a version is in one stage, and the stage's previous holder leaves it.
    await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '2', stage: 'Production', archive_existing_versions: true });
    expect(await stages()).toEqual(['2:Production', '3:None']);
    const model = (await viewer('GET', 'registered-models/get', { name: 'staged' })).body.registered_model;
    expect(model.latest_versions.map((v: { version: string; current_stage: string }) => `${v.version}:${v.current_stage}`)).toEqual(['2:Production', '3:None']);
    await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '2', stage: 'Archived', archive_existing_versions: false });
    expect(await stages()).toEqual(['3:None']);
    // A protected alias guards its stage as it guards itself.
    await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '3', stage: 'Production' });
    await server.app.services.registry.setAliasProtected(cliActor(), 'staged', 'production', true);
    expect(await editor('POST', 'model-versions/transition-stage', { name: 'staged', version: '1', stage: 'Production' })).toEqual(mlflowError(403, 'PERMISSION_DENIED'));
    const audit = (await server.app.services.registry.auditLog('staged', 20)).rows.filter((r) => r.action === 'ALIAS_MOVED' || r.action === 'ALIAS_DELETED');
    expect(audit.map((r) => `${r.action} ${r.alias}`).reverse()).toEqual([
      'ALIAS_MOVED production',
      'ALIAS_MOVED staging',
      'ALIAS_MOVED production',
      'ALIAS_DELETED staging',
      'ALIAS_DELETED production',
      'ALIAS_MOVED production',
    ]);
    expect(await viewer('GET', 'registered-models/get-latest-versions', { name: 'nope' })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
  });
});
