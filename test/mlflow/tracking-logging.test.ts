import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dashed, editorAndViewer, mlflowError, ok, type MlflowClient } from './tracking-client.js';

const metric = (key: string, value: number | string, step: number, timestamp = 1_000 + step) => ({ key, value, timestamp, step });

describe.each(DB_KINDS)('MLflow metrics, params, tags and inputs on %s', (kind) => {
  let server: TestServer;
  let editor: MlflowClient;
  let viewer: MlflowClient;
  let experimentId: string;
  const newRun = async () => ok(await editor.post('/runs/create', { experiment_id: experimentId })).run.info.run_id as string;
  // A run created without a name gets one, kept in mlflow.runName, as on MLflow's server.
  const systemTags = [{ key: 'mlflow.runName', value: expect.stringMatching(/^[a-z]+-[a-z]+-\d+$/) }, { key: 'mlflow.user', value: 'editor' }];
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    ({ editor, viewer } = await editorAndViewer(server));
    experimentId = ok(await editor.post('/experiments/create', { name: 'logging' })).experiment_id;
  });
  afterAll(async () => server?.close());

  it('refuses batches over MLflow\'s limits, and bad metrics, before writing anything', async () => {
    const runId = await newRun();
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    const bad = [
      { metrics: Array.from({ length: 1_001 }, (_, i) => metric('loss', 1, i)) },
      { params: many(101) },
      { tags: many(101) },
      { metrics: Array.from({ length: 901 }, (_, i) => metric('loss', 1, i)), params: many(100) },
      { metrics: [{ key: 'loss', value: 1 }] }, // no timestamp
      { metrics: [{ key: 'loss', value: 'high', timestamp: 1 }] },
      { metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 2 ** 31 }] },
      { metrics: [metric('loss', 1, 0)], params: [{ key: 'lr' }] },
    ];
    for (const body of bad) {
      const answer = await editor.post('/runs/log-batch', { run_id: runId, ...body });
      expect(mlflowError(answer)).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    }
    expect((await editor.post('/runs/log-batch', { run_id: runId, metrics: Array.from({ length: 1_001 }, (_, i) => metric('loss', 1, i)) })).body.message).toBe(
      'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
    );
    expect(ok(await viewer.get('/runs/get', { run_id: runId })).run.data).toEqual({ tags: systemTags });
    expect(mlflowError(await editor.post('/runs/log-metric', { run_id: runId, key: 'loss', value: 1 }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    expect(mlflowError(await editor.post('/runs/log-batch', { run_id: '0'.repeat(32), metrics: [metric('x', 1, 0)] }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('logs a batch at its limits; the run reports each metric\'s latest point, NaN and infinities as strings', async () => {
    const runId = await newRun();
    const metrics = [...Array.from({ length: 798 }, (_, i) => metric('train/loss', 1 / (i + 1), i)), metric('val/acc', 'NaN', 3), metric('val/acc', 0.5, 2), metric('grad', '-Infinity', 0)];
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 99 }, (_, i) => ({ key: `t${i}`, value: '' }));
    expect(ok(await editor.post('/runs/log-batch', { run_id: runId, metrics, params, tags }))).toEqual({});
    ok(await editor.post('/runs/log-batch', { run_id: runId, metrics })); // a retried batch changes nothing
    const { data } = ok(await viewer.get('/runs/get', { run_id: runId })).run;
    expect(data.metrics).toEqual(expect.arrayContaining([metric('train/loss', 1 / 798, 797), metric('val/acc', 'NaN', 3), metric('grad', '-Infinity', 0)]));
    expect(data.metrics).toHaveLength(3);
    expect(data.params).toHaveLength(100);
    expect(data.tags).toHaveLength(101); // 99 logged, mlflow.runName and mlflow.user

    const history = ok(await viewer.get('/metrics/get-history', { run_id: runId, metric_key: 'val/acc' }));
    expect(history).toEqual({ metrics: [metric('val/acc', 0.5, 2), metric('val/acc', 'NaN', 3)] });
    const page = ok(await viewer.get('/metrics/get-history', { run_id: runId, metric_key: 'train/loss', max_results: 500 }));
    expect(page.metrics).toHaveLength(500);
    const rest = ok(await viewer.get('/metrics/get-history', { run_id: runId, metric_key: 'train/loss', max_results: 500, page_token: page.next_page_token }));
    expect(rest.metrics.map((m: { step: number }) => m.step)).toEqual(Array.from({ length: 298 }, (_, i) => 500 + i));
    expect(rest.next_page_token).toBeUndefined();
    expect(ok(await viewer.get('/metrics/get-history', { run_id: runId, metric_key: 'missing' }))).toEqual({});

    // MLflow's flat keys are tagfusion's (name, split): val/acc is acc on val
    const summaries = await server.app.services.runs.summaries([dashed(runId)]);
    expect(summaries.map((s) => [s.name, s.split, s.lastValue])).toEqual(expect.arrayContaining([['loss', 'train', 1 / 798], ['acc', 'val', 0.5]]));
  });

  it('logs one metric (step 0 by default) and params once each, and keeps finished runs as they are', async () => {
    const runId = await newRun();
    ok(await editor.post('/runs/log-metric', { run_uuid: runId, key: 'loss', value: 'Infinity', timestamp: '1700000000000' }));
    expect(ok(await viewer.get('/metrics/get-history', { run_id: runId, metric_key: 'loss' })).metrics).toEqual([metric('loss', 'Infinity', 0, 1_700_000_000_000)]);
    ok(await editor.post('/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' }));
    ok(await editor.post('/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' }));
    expect(mlflowError(await editor.post('/runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    ok(await editor.post('/runs/update', { run_id: runId, status: 'FINISHED' }));
    expect(mlflowError(await editor.post('/runs/log-metric', { run_id: runId, ...metric('loss', 1, 1) }))).toEqual({ status: 400, error_code: 'INVALID_STATE' });
    // tags stay writable on a finished run, as in MLflow
    ok(await editor.post('/runs/set-tag', { run_id: runId, key: 'reviewed', value: 'yes' }));
  });

  it('sets and deletes tags, the name and note among them; mlflow.user stays the caller\'s', async () => {
    const runId = await newRun();
    ok(await editor.post('/runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'renamed' }));
    ok(await editor.post('/runs/set-tag', { run_id: runId, key: 'mlflow.note.content', value: 'a note' }));
    ok(await editor.post('/runs/set-tag', { run_id: runId, key: 'stage', value: 'dev' }));
    expect(mlflowError(await editor.post('/runs/set-tag', { run_id: runId, key: 'mlflow.user', value: 'mallory' }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    const { run } = ok(await viewer.get('/runs/get', { run_id: runId }));
    expect(run.info.run_name).toBe('renamed');
    expect(run.data.tags).toEqual([
      { key: 'mlflow.note.content', value: 'a note' },
      { key: 'mlflow.runName', value: 'renamed' },
      { key: 'mlflow.user', value: 'editor' },
      { key: 'stage', value: 'dev' },
    ]);
    ok(await editor.post('/runs/delete-tag', { run_id: runId, key: 'stage' }));
    ok(await editor.post('/runs/delete-tag', { run_id: runId, key: 'mlflow.note.content' }));
    expect(mlflowError(await editor.post('/runs/delete-tag', { run_id: runId, key: 'stage' }))).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(ok(await viewer.get('/runs/get', { run_id: runId })).run.data.tags.map((t: { key: string }) => t.key)).toEqual(['mlflow.runName', 'mlflow.user']);
  });

  it('keeps dataset inputs as run tags and gives them back as inputs', async () => {
    const runId = await newRun();
    const dataset = { name: 'captions', digest: 'abc123', source_type: 'local', source: '{"uri": "/data/captions.csv"}', schema: '{"mlflow_colspec": []}', profile: 'x'.repeat(9_000) };
    const input = { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset };
    expect(mlflowError(await editor.post('/runs/log-inputs', { run_id: runId, datasets: [{ dataset: { name: 'no digest' } }] }))).toEqual({ status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
    ok(await editor.post('/runs/log-inputs', { run_id: runId, datasets: [input], models: [{ model_id: 'm-1' }] }));
    ok(await editor.post('/runs/log-inputs', { run_id: runId, datasets: [input] })); // the same dataset again replaces it
    const { run } = ok(await viewer.get('/runs/get', { run_id: runId }));
    expect(run.inputs).toEqual({ dataset_inputs: [{ ...input, dataset: { ...dataset, profile: undefined } }].map((d) => JSON.parse(JSON.stringify(d))) });
    expect(run.data.tags).toEqual(systemTags);
    const stored = await server.app.services.tracking.tags([dashed(runId)]);
    expect(stored).toHaveLength(1);
    expect(stored[0].key).toMatch(/^mlflow\.datasetInput\.[0-9a-f]{16}$/);
  });
});
