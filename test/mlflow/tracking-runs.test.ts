import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dashed, editorAndViewer, mlflowError, ok, type MlflowClient } from './tracking-client.js';

const HEX_ID = /^[0-9a-f]{32}$/;

describe.each(DB_KINDS)('MLflow runs on %s', (kind) => {
  let server: TestServer;
  let editor: MlflowClient;
  let viewer: MlflowClient;
  let experimentId: string;
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    ({ editor, viewer } = await editorAndViewer(server));
    experimentId = ok(await editor.post('/experiments/create', { name: 'runs' })).experiment_id;
  });
  afterAll(async () => server?.close());

  it('refuses a viewer on every write, and bad run ids and input', async () => {
    const writes = ['/runs/create', '/runs/update', '/runs/delete', '/runs/restore', '/runs/log-metric', '/runs/log-parameter', '/runs/log-batch', '/runs/set-tag', '/runs/delete-tag', '/runs/log-inputs'];
    for (const path of writes) expect(mlflowError(await viewer.post(path, { experiment_id: experimentId, run_id: '0'.repeat(32) }))).toEqual({ status: 403, error_code: 'PERMISSION_DENIED' });
    expect(mlflowError(await viewer.get('/runs/get', { run_id: '0'.repeat(32) }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await viewer.get('/runs/get', { run_id: 'not-a-run' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await viewer.get('/runs/get', {}))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    expect(mlflowError(await editor.post('/runs/create', {}))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    expect(mlflowError(await editor.post('/runs/create', { experiment_id: '9999' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(mlflowError(await editor.post('/runs/create', { experiment_id: experimentId, start_time: 'soon' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    const clash = await editor.post('/runs/create', { experiment_id: experimentId, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] });
    expect(mlflowError(clash)).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    expect(ok(await viewer.post('/runs/search', { experiment_ids: [experimentId] }))).toEqual({});
  });

  it('creates a run shaped as MLflow\'s, with its system tags, and reads it by either id spelling', async () => {
    const { run } = ok(
      await editor.post('/runs/create', {
        experiment_id: experimentId,
        user_id: 'someone-else',
        run_name: 'baseline',
        start_time: 1_700_000_000_000,
        tags: [
          { key: 'mlflow.user', value: 'someone-else' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.runName', value: 'baseline' },
          { key: 'mlflow.note.content', value: '# why' },
        ],
      }),
    );
    const runId = run.info.run_id;
    expect(runId).toMatch(HEX_ID);
    expect(run).toEqual({
      info: {
        run_id: runId,
        run_uuid: runId,
        run_name: 'baseline',
        experiment_id: experimentId,
        user_id: 'editor',
        status: 'RUNNING',
        start_time: 1_700_000_000_000,
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        lifecycle_stage: 'active',
      },
      data: {
        tags: [
          { key: 'mlflow.note.content', value: '# why' },
          { key: 'mlflow.runName', value: 'baseline' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.user', value: 'editor' },
        ],
      },
      inputs: {},
      outputs: {},
    });
    expect(ok(await viewer.get('/runs/get', { run_id: dashed(runId) })).run).toEqual(run);
    expect(ok(await viewer.get('/runs/get', { run_uuid: runId })).run).toEqual(run);
    expect(await server.app.services.runs.get(dashed(runId))).toMatchObject({ kind: 'mlflow', name: 'baseline', note: '# why', createdBy: 'editor', projectId: Number(experimentId), status: 'RUNNING' });
  });

  it('names a run created without a name, as MLflow’s server does, and keeps the name in mlflow.runName', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { run } = ok(await editor.post('/runs/create', { experiment_id: experimentId }));
      expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
      expect(run.data.tags).toContainEqual({ key: 'mlflow.runName', value: run.info.run_name });
      names.add(run.info.run_name);
    }
    expect(names.size).toBeGreaterThan(1);
  });

  it('renames, finishes with end_time, refuses a finished run another status, deletes and restores', async () => {
    const runId = ok(await editor.post('/runs/create', { experiment_id: experimentId, start_time: 1_000 })).run.info.run_id;
    const renamed = ok(await editor.post('/runs/update', { run_id: runId, run_name: 'second' }));
    expect(renamed.run_info).toMatchObject({ run_id: runId, run_name: 'second', status: 'RUNNING' });
    expect(renamed.run_info.end_time).toBeUndefined();
    const finished = ok(await editor.post('/runs/update', { run_uuid: runId, run_id: runId, status: 'FINISHED', end_time: 5_000 }));
    expect(finished.run_info).toMatchObject({ status: 'FINISHED', start_time: 1_000, end_time: 5_000 });
    // a retried end changes nothing; another status is refused: finished runs never change
    expect(ok(await editor.post('/runs/update', { run_id: runId, status: 3, end_time: 9_000 })).run_info.end_time).toBe(5_000);
    expect(mlflowError(await editor.post('/runs/update', { run_id: runId, status: 'RUNNING' }))).toEqual({ status: 400, error_code: 'INVALID_STATE' });
    expect(mlflowError(await editor.post('/runs/update', { run_id: runId, status: 'DONE' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });

    const killed = ok(await editor.post('/runs/create', { experiment_id: experimentId })).run.info.run_id;
    expect(ok(await editor.post('/runs/update', { run_id: killed, status: 'KILLED' })).run_info.status).toBe('KILLED');
    expect((await server.app.services.runs.get(dashed(killed))).status).toBe('CANCELLED');

    expect(ok(await editor.post('/runs/delete', { run_id: runId }))).toEqual({});
    expect(ok(await viewer.get('/runs/get', { run_id: runId })).run.info.lifecycle_stage).toBe('deleted');
    expect(mlflowError(await editor.post('/runs/update', { run_id: runId, run_name: 'x' }))).toEqual({ status: 400, error_code: 'INVALID_STATE' });
    expect(mlflowError(await editor.post('/runs/set-tag', { run_id: runId, key: 'k', value: 'v' }))).toEqual({ status: 400, error_code: 'INVALID_STATE' });
    ok(await editor.post('/runs/restore', { run_id: runId }));
    expect(ok(await viewer.get('/runs/get', { run_id: runId })).run.info.lifecycle_stage).toBe('active');
    expect(mlflowError(await editor.post('/runs/delete', { run_id: '1'.repeat(32) }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
