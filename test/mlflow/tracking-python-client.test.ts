import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dashed, mlflowClient, mlflowError, ok, type MlflowClient } from './tracking-client.js';

/**
 * The requests MLflow's Python client sends (mlflow/tracking/fluent.py over rest_store.py, bodies
 * from message_to_json: int64 as numbers, the run id twice as run_id and run_uuid) for
 *
 *   mlflow.set_experiment("captions")
 *   with mlflow.start_run():
 *       mlflow.log_param("lr", 0.01)
 *       mlflow.log_metric("val/loss", 0.5, step=3)
 *       mlflow.set_tag("stage", "dev")
 *
 * with MLFLOW_TRACKING_URI pointing at tagfusion and MLFLOW_TRACKING_TOKEN an editor's token.
 */
describe.each(DB_KINDS)("MLflow's Python client sequence on %s", (kind) => {
  let server: TestServer;
  let client: MlflowClient;
  let viewerToken: string;
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    const token = async (role: 'editor' | 'viewer') => (await server.app.services.auth.create(cliActor(), { name: `trainer-${role}`, role })).secret;
    client = mlflowClient(server, await token('editor'));
    viewerToken = await token('viewer');
  });
  afterAll(async () => server?.close());

  /** mlflow.set_experiment(name): get-by-name, and when it is missing, create then get. */
  async function setExperiment(name: string): Promise<string> {
    const found = await client.get('/experiments/get-by-name', { experiment_name: name });
    if (found.status === 200) return found.body.experiment.experiment_id;
    expect(mlflowError(found)).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    const { experiment_id } = ok(await client.post('/experiments/create', { name }));
    const { experiment } = ok(await client.get('/experiments/get', { experiment_id }));
    expect(experiment.lifecycle_stage).toBe('active');
    return experiment.experiment_id;
  }

  it('creates the experiment once, logs the run, and ends it FINISHED', async () => {
    const experimentId = await setExperiment('captions');
    expect(await setExperiment('captions')).toBe(experimentId);

    const start = Date.now();
    const { run } = ok(
      await client.post('/runs/create', {
        experiment_id: experimentId,
        user_id: 'alice',
        start_time: start,
        tags: [
          { key: 'mlflow.user', value: 'alice' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.source.git.commit', value: 'abc123' },
        ],
      }),
    );
    const runId = run.info.run_id;
    expect(run.info).toMatchObject({ experiment_id: experimentId, status: 'RUNNING', start_time: start, lifecycle_stage: 'active' });
    // start_run without a name: the server names the run, as MLflow's does.
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(ok(await client.post('/runs/log-parameter', { run_uuid: runId, run_id: runId, key: 'lr', value: '0.01' }))).toEqual({});
    const loggedAt = Date.now();
    expect(ok(await client.post('/runs/log-metric', { run_uuid: runId, run_id: runId, key: 'val/loss', value: 0.5, timestamp: loggedAt, step: 3 }))).toEqual({});
    expect(ok(await client.post('/runs/set-tag', { run_uuid: runId, run_id: runId, key: 'stage', value: 'dev' }))).toEqual({});
    const end = Date.now();
    const { run_info } = ok(await client.post('/runs/update', { run_uuid: runId, run_id: runId, status: 'FINISHED', end_time: end }));
    expect(run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: end });

    const { run: logged } = ok(await client.get('/runs/get', { run_id: runId }));
    expect(logged.data).toEqual({
      metrics: [{ key: 'val/loss', value: 0.5, timestamp: loggedAt, step: 3 }],
      params: [{ key: 'lr', value: '0.01' }],
      tags: [
        { key: 'mlflow.runName', value: run.info.run_name },
        { key: 'mlflow.source.git.commit', value: 'abc123' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.user', value: 'trainer-editor' },
        { key: 'stage', value: 'dev' },
      ],
    });

    // The same run in tagfusion's own API: in its project, its metric as (name, split).
    const query = `query($filter: RunFilter) { runs(filter: $filter) { nodes { id kind status createdBy project { name }
      params { key value } tags { key value } summaries { name split last lastEpoch } epochMetrics { name split step timestamp value } } } }`;
    const { runs } = await server.withToken(viewerToken).data(query, { filter: { projectId: experimentId } });
    expect(runs.nodes).toEqual([
      {
        id: dashed(runId),
        kind: 'mlflow',
        status: 'SUCCEEDED',
        createdBy: 'trainer-editor',
        project: { name: 'captions' },
        params: [{ key: 'lr', value: '0.01' }],
        tags: [
          { key: 'mlflow.source.git.commit', value: 'abc123' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'stage', value: 'dev' },
        ],
        summaries: [{ name: 'loss', split: 'val', last: 0.5, lastEpoch: 3 }],
        epochMetrics: [{ name: 'loss', split: 'val', step: 3, timestamp: loggedAt, value: 0.5 }],
      },
    ]);
  });

  it('canonicalises GraphQL points the same way: a flat key without a split is split, a split never holds /', async () => {
    const run = await server.app.services.runs.create({ kind: 'external', status: 'RUNNING' });
    await server.app.services.tracking.logPoints(run.id, [{ name: 'train/acc', split: '', step: 1, timestamp: 1, value: 0.9 }]);
    expect((await server.app.services.runs.summaries([run.id])).map((s) => [s.name, s.split])).toEqual([['acc', 'train']]);
    await expect(server.app.services.tracking.logPoints(run.id, [{ name: 'acc', split: 'a/b', step: 1, timestamp: 1, value: 1 }])).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const hex = run.id.replaceAll('-', '');
    expect(ok(await client.get('/metrics/get-history', { run_id: hex, metric_key: 'train/acc' })).metrics).toEqual([{ key: 'train/acc', value: 0.9, timestamp: 1, step: 1 }]);
  });
});
