import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { editorAndViewer, mlflowClient, mlflowError, ok, type MlflowClient } from './tracking-client.js';

describe.each(DB_KINDS)('MLflow experiments on %s', (kind) => {
  let server: TestServer;
  let editor: MlflowClient;
  let viewer: MlflowClient;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    ({ editor, viewer, editorToken: token } = await editorAndViewer(server));
  });
  afterAll(async () => server?.close());

  it('refuses no token, a viewer, and bad input before creating anything', async () => {
    expect(mlflowError(await mlflowClient(server).post('/experiments/create', { name: 'x' }))).toEqual({ status: 401, error_code: 'UNAUTHENTICATED' });
    expect(mlflowError(await viewer.post('/experiments/create', { name: 'x' }))).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    for (const path of ['/experiments/update', '/experiments/delete', '/experiments/restore', '/experiments/set-experiment-tag']) {
      expect(mlflowError(await viewer.post(path, { experiment_id: '0', new_name: 'y', key: 'k', value: 'v' }))).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    }
    const missing = await editor.post('/experiments/create', {});
    expect(missing.body).toEqual({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'name'") });
    expect(mlflowError(await editor.post('/experiments/create', { name: 'a\u0000b' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    expect(mlflowError(await editor.post('/experiments/create', { name: 'x', tags: 'nope' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    expect(ok(await viewer.post('/experiments/search', {})).experiments.map((e: { name: string }) => e.name)).toEqual(['Default']);
  });

  it('creates, gets by id and by name, and answers MLflow-shaped experiments and errors', async () => {
    const { experiment_id } = ok(await editor.post('/experiments/create', { name: 'resnet', artifact_location: 's3://ignored', tags: [{ key: 'team', value: 'vision' }] }));
    expect(experiment_id).toMatch(/^[1-9]\d*$/);
    const { experiment } = ok(await viewer.get('/experiments/get', { experiment_id }));
    expect(experiment).toEqual({
      experiment_id,
      name: 'resnet',
      artifact_location: `mlflow-artifacts:/${experiment_id}`,
      lifecycle_stage: 'active',
      last_update_time: expect.any(Number),
      creation_time: expect.any(Number),
      tags: [{ key: 'team', value: 'vision' }],
    });
    expect(Math.abs(experiment.creation_time - Date.now())).toBeLessThan(60_000);
    expect(ok(await viewer.get('/experiments/get-by-name', { experiment_name: 'resnet' })).experiment.experiment_id).toBe(experiment_id);
    expect(ok(await viewer.get('/experiments/get', { experiment_id: '0' })).experiment).toMatchObject({ name: 'Default', artifact_location: 'mlflow-artifacts:/0' });
    expect(mlflowError(await editor.post('/experiments/create', { name: 'resnet' }))).toEqual({ status: 400, error_code: 'RESOURCE_ALREADY_EXISTS' });
    expect(mlflowError(await viewer.get('/experiments/get-by-name', { experiment_name: 'nope' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await viewer.get('/experiments/get', { experiment_id: '9999' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await viewer.get('/experiments/get', { experiment_id: 'abc' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await viewer.get('/experiments/get', {}))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    // the web UI's path answers the same
    expect(ok(await mlflowClient(server, token, '/ajax-api/2.0/mlflow').get('/experiments/get', { experiment_id })).experiment.name).toBe('resnet');
  });

  it('renames, sets and deletes tags, deletes and restores as MLflow does', async () => {
    const { experiment_id } = ok(await editor.post('/experiments/create', { name: 'to-rename' }));
    expect(ok(await editor.post('/experiments/update', { experiment_id, new_name: 'renamed' }))).toEqual({});
    ok(await editor.post('/experiments/set-experiment-tag', { experiment_id, key: 'mlflow.note.content', value: '# notes' }));
    ok(await editor.post('/experiments/set-experiment-tag', { experiment_id, key: 'empty', value: '' }));
    ok(await editor.post('/experiments/delete-experiment-tag', { experiment_id, key: 'empty' }));
    expect(mlflowError(await editor.post('/experiments/delete-experiment-tag', { experiment_id, key: 'empty' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(ok(await viewer.get('/experiments/get-by-name', { experiment_name: 'renamed' })).experiment).toMatchObject({
      experiment_id,
      tags: [{ key: 'mlflow.note.content', value: '# notes' }],
    });

    expect(ok(await editor.post('/experiments/delete', { experiment_id }))).toEqual({});
    expect(ok(await viewer.get('/experiments/get', { experiment_id })).experiment.lifecycle_stage).toBe('deleted');
    expect(mlflowError(await editor.post('/experiments/delete', { experiment_id }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await editor.post('/experiments/update', { experiment_id, new_name: 'x' }))).toEqual({ status: 400, error_code: 'INVALID_STATE' });
    ok(await editor.post('/experiments/restore', { experiment_id }));
    expect(mlflowError(await editor.post('/experiments/restore', { experiment_id }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(ok(await viewer.get('/experiments/get', { experiment_id })).experiment.lifecycle_stage).toBe('active');
    expect(mlflowError(await editor.post('/experiments/delete', { experiment_id: '0' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
  });

  it('searches by filter, order, view type and page token, on POST and GET', async () => {
    for (const name of ['search-a', 'search-b', 'search-c']) ok(await editor.post('/experiments/create', { name, tags: [{ key: 'kind', value: name.at(-1) }] }));
    const names = (r: { experiments?: { name: string }[] }) => (r.experiments ?? []).map((e) => e.name);
    expect(names(ok(await viewer.post('/experiments/search', { filter: "name LIKE 'search-%'", order_by: ['name DESC'] })))).toEqual(['search-c', 'search-b', 'search-a']);
    expect(names(ok(await viewer.get('/experiments/search', { filter: "attributes.name ILIKE 'SEARCH-_' AND tags.kind != 'b'", order_by: 'name' })))).toEqual(['search-a', 'search-c']);
    expect(names(ok(await viewer.post('/experiments/search', { filter: "tags.`kind` = 'c'" })))).toEqual(['search-c']);
    const created = ok(await viewer.post('/experiments/search', { filter: "name = 'search-a'" })).experiments[0].creation_time;
    expect(names(ok(await viewer.post('/experiments/search', { filter: `creation_time >= ${created} AND name LIKE 'search%'`, order_by: ['name'] })))).toContain('search-a');

    const first = ok(await viewer.post('/experiments/search', { filter: "name LIKE 'search-%'", order_by: ['name ASC'], max_results: 2 }));
    expect(names(first)).toEqual(['search-a', 'search-b']);
    const second = ok(await viewer.get('/experiments/search', { filter: "name LIKE 'search-%'", order_by: 'name ASC', max_results: '2', page_token: first.next_page_token }));
    expect(names(second)).toEqual(['search-c']);
    expect(second.next_page_token).toBeUndefined();

    const { experiment_id } = ok(await editor.post('/experiments/create', { name: 'search-deleted' }));
    ok(await editor.post('/experiments/delete', { experiment_id }));
    expect(names(ok(await viewer.post('/experiments/search', { view_type: 'DELETED_ONLY' })))).toEqual(['search-deleted']);
    expect(names(ok(await viewer.post('/experiments/search', { view_type: 3, filter: "name LIKE 'search-%'" }))).length).toBe(4);
    expect(names(ok(await viewer.post('/experiments/search', { filter: "name LIKE 'search-%'" })))).not.toContain('search-deleted');

    for (const bad of [{ filter: 'name ~ 1' }, { filter: "name = 'a' OR name = 'b'" }, { filter: 'metrics.x > 1' }, { order_by: ['tags.kind'] }, { max_results: 0 }, { max_results: 50_001 }, { page_token: 'garbage' }, { view_type: 'SOME' }]) {
      expect(mlflowError(await viewer.post('/experiments/search', bad))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    }
  });
});
