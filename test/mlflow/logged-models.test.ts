import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { cnnCard, cnnMlmodel, fixture, onnxFile, png } from '../prediction/external-fixtures.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { mlflowError, registryClient, type RegistryClient } from './registry-client.js';
import { dashed } from './tracking-client.js';

const ms = expect.any(Number);
const MODEL_ID = expect.stringMatching(/^m-[0-9a-f]{32}$/);
/** The tags MLflow's context providers add to a logged model besides mlflow.user. */
const SOURCE_TAGS = [
  { key: 'mlflow.source.name', value: 'train.py' },
  { key: 'mlflow.source.type', value: 'LOCAL' },
];
const PREDICT = `query($model: String!, $inputs: [PredictionInput!]!) { predict(model: $model, inputs: $inputs) {
  model { name version head } predictions { labels probabilities { classId probability } } } }`;

/** What `mlflow.onnx.log_model(onnx_model, name="model", metadata={"tagfusion": card})` saves: the MLmodel with the onnx flavour and the card, the graph, the environment files. */
const onnxFlavourFiles = () => ({
  MLmodel: Buffer.from(cnnMlmodel()),
  'model.onnx': onnxFile('cnn.onnx'),
  'conda.yaml': Buffer.from('name: mlflow-env\ndependencies:\n- python=3.11.2\n'),
  'python_env.yaml': Buffer.from('python: 3.11.2\n'),
  'requirements.txt': Buffer.from('mlflow==3.1.0\nonnx==1.17.0\n'),
});

/**
 * MLflow 3's logged models as its Python client drives them (mlflow/models/model.py Model.log,
 * mlflow/store/tracking/rest_store.py, mlflow/tracking/_model_registry/fluent.py _register_model;
 * bodies from message_to_json, the model id in the path of the `/logged-models/{model_id}` calls):
 *
 *   with mlflow.start_run():
 *       mlflow.log_param("lr", "0.01"); mlflow.log_metric("acc", 0.5)
 *       mlflow.onnx.log_model(onnx_model, name="model", metadata={"tagfusion": card})
 *   mlflow.register_model("models:/m-…", "cnn")
 */
describe.each(DB_KINDS)('MLflow 3 logged models on %s', (kind) => {
  let server: TestServer;
  let api: RegistryClient, viewer: RegistryClient;
  let editorToken: string, viewerToken: string;
  let experimentId: string;

  const token = async (role: 'editor' | 'viewer') => (await server.app.services.auth.create(cliActor(), { name: `trainer-${role}`, role })).secret;
  const ok = (a: { status: number; body: any }) => {
    if (a.status !== 200) throw new Error(`expected 200, got ${a.status}: ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const proxy = (path: string) => server.http.url.replace('/graphql', `/api/2.0/mlflow-artifacts/artifacts/${path}`);
  /** HttpArtifactRepository.log_artifacts: one PUT per file under the model's artifact location. */
  async function upload(artifactUri: string, files: Record<string, Buffer>) {
    const base = artifactUri.replace(/^mlflow-artifacts:\//, '');
    for (const [path, body] of Object.entries(files)) {
      const res = await fetch(proxy(`${base}/${path}`), { method: 'PUT', headers: { authorization: `Bearer ${editorToken}` }, body });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    }
  }
  async function startRun(): Promise<string> {
    const { run } = ok(await api('POST', 'runs/create', { experiment_id: experimentId, start_time: Date.now(), tags: [{ key: 'mlflow.user', value: 'alice' }] }));
    return run.info.run_id;
  }
  /** Model.log up to the upload: the run's params, the model, the run's output, the step's metrics copied onto the model. */
  async function createLoggedModel(runId: string | null, name: string) {
    const params = runId ? (ok(await api('GET', 'runs/get', { run_id: runId })).run.data.params ?? []) : [];
    const tags = [{ key: 'mlflow.user', value: 'alice' }, ...SOURCE_TAGS];
    const { model } = ok(await api('POST', 'logged-models', { experiment_id: experimentId, name, ...(runId ? { source_run_id: runId } : {}), params, tags }));
    if (runId) {
      expect(ok(await api('POST', 'runs/log-outputs', { run_id: runId, models: [{ model_id: model.info.model_id, step: 0 }] }))).toEqual({});
      const history = [];
      for (const { key } of ok(await api('GET', 'runs/get', { run_id: runId })).run.data.metrics ?? []) history.push(...ok(await api('GET', 'metrics/get-history', { run_id: runId, metric_key: key })).metrics);
      const copied = history.filter((m) => m.step === 0).map((m) => ({ ...m, model_id: model.info.model_id }));
      expect(ok(await api('POST', 'runs/log-batch', { run_id: runId, metrics: copied }))).toEqual({});
    }
    return model;
  }

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    [editorToken, viewerToken] = [await token('editor'), await token('viewer')];
    api = registryClient(server, editorToken);
    viewer = registryClient(server, viewerToken);
    experimentId = ok(await api('POST', 'experiments/create', { name: 'logged-models' })).experiment_id;
  });
  afterAll(async () => server?.close());

  it('takes log_model and register_model("models:/m-…") as MLflow 3 sends them, and predict serves the version as PyTorch does', async () => {
    const runId = await startRun();
    ok(await api('POST', 'runs/log-parameter', { run_id: runId, run_uuid: runId, key: 'lr', value: '0.01' }));
    ok(await api('POST', 'runs/log-metric', { run_id: runId, run_uuid: runId, key: 'acc', value: 0.5, timestamp: Date.now(), step: 0 }));

    const model = await createLoggedModel(runId, 'model');
    const modelId = model.info.model_id;
    const artifactUri = `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`;
    expect(model).toEqual({
      info: {
        model_id: MODEL_ID,
        experiment_id: experimentId,
        name: 'model',
        creation_timestamp_ms: ms,
        last_updated_timestamp_ms: ms,
        artifact_uri: artifactUri,
        status: 'LOGGED_MODEL_PENDING',
        source_run_id: runId,
        tags: [{ key: 'mlflow.user', value: 'trainer-editor' }, ...SOURCE_TAGS],
      },
      data: { params: [{ key: 'lr', value: '0.01' }] },
    });
    await upload(artifactUri, onnxFlavourFiles());
    const finalized = ok(await api('PATCH', `logged-models/${modelId}`, { model_id: modelId, status: 'LOGGED_MODEL_READY' }));
    expect(finalized.model.info.status).toBe('LOGGED_MODEL_READY');
    ok(await api('POST', 'runs/update', { run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: Date.now() }));

    // The run records its output; the files are the run's, under models/<id>/, and the model's own path lists and serves them.
    expect(ok(await viewer('GET', 'runs/get', { run_id: runId })).run.outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
    const listing = ok(await viewer('GET', '../mlflow-artifacts/artifacts', { path: `${experimentId}/models/${modelId}/artifacts` }));
    expect(listing.files.map((f: { path: string }) => f.path).sort()).toEqual(['MLmodel', 'conda.yaml', 'model.onnx', 'python_env.yaml', 'requirements.txt']);
    expect(ok(await viewer('GET', '../mlflow-artifacts/artifacts', { path: `${experimentId}/${runId}/artifacts` })).files).toEqual([{ path: 'models', is_dir: true }]);
    const download = await fetch(proxy(`${experimentId}/models/${modelId}/artifacts/model.onnx`), { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(Buffer.from(await download.arrayBuffer()).equals(onnxFile('cnn.onnx'))).toBe(true);

    // _register_model: the registered model, the version from models:/<id> with its id, polled until READY, then the model's tag.
    ok(await api('POST', 'registered-models/create', { name: 'cnn' }));
    const created = ok(await api('POST', 'model-versions/create', { name: 'cnn', source: `models:/${modelId}`, model_id: modelId }));
    const expected = { name: 'cnn', version: '1', creation_timestamp: ms, last_updated_timestamp: ms, user_id: 'trainer-editor', current_stage: 'None', source: `models:/${modelId}`, run_id: runId, model_id: modelId, status: 'READY' };
    expect(created.model_version).toEqual(expected);
    expect(ok(await viewer('GET', 'model-versions/get', { name: 'cnn', version: '1' })).model_version).toEqual(expected);
    const current = ok(await viewer('GET', `logged-models/${modelId}`)).model;
    expect(current.info.tags.find((t: { key: string }) => t.key === 'mlflow.modelVersions')).toBeUndefined();
    expect(ok(await api('PATCH', `logged-models/${modelId}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: JSON.stringify([{ name: 'cnn', version: '1' }]) }] }))).toEqual({});
    expect(ok(await viewer('GET', `logged-models/${modelId}`)).model.info.tags).toContainEqual({ key: 'mlflow.modelVersions', value: '[{"name":"cnn","version":"1"}]' });
    expect(ok(await viewer('GET', 'model-versions/get-download-uri', { name: 'cnn', version: '1' }))).toEqual({ artifact_uri: artifactUri });

    // Served as a version made from a run's folder: the MLmodel's onnx flavour with the card in its metadata.
    const version = await server.app.services.registry.getVersion('cnn', { version: 1 });
    expect([version.format, version.unservableReason, version.runId]).toEqual(['onnx', null, dashed(runId)]);
    ok(await api('POST', 'registered-models/alias', { name: 'cnn', alias: 'champion', version: '1' }));
    const inputs = await Promise.all(fixture.images.map(async (im) => ({ image: { base64: (await png(im.rgb)).toString('base64') } })));
    const { predict } = await server.withToken(viewerToken).data(PREDICT, { model: 'cnn@champion', inputs });
    expect(predict.model).toEqual({ name: 'cnn', version: 1, head: 'onnx' });
    predict.predictions.forEach((p: { labels: number[]; probabilities: { classId: number; probability: number }[] }, i: number) => {
      const want = fixture.cnn.expected[i];
      expect(p.probabilities.map((c) => c.classId)).toEqual(fixture.cnn.labels);
      p.probabilities.forEach((c, j) => expect(Math.abs(c.probability - want.probabilities[j])).toBeLessThan(1e-4));
      expect(p.labels).toEqual(want.labels);
    });

    // The run a version was made from keeps its files: the model's folder takes no more uploads.
    const refused = await fetch(proxy(`${experimentId}/models/${modelId}/artifacts/extra.txt`), { method: 'PUT', headers: { authorization: `Bearer ${editorToken}` }, body: 'x' });
    expect([refused.status, ((await refused.json()) as { error_code: string }).error_code]).toEqual([400, 'INVALID_STATE']);
  });

  it('resolves register_model("runs:/<run>/<name>") through the run’s outputs and a search, and the server resolves such a source too', async () => {
    const runId = await startRun();
    const model = await createLoggedModel(runId, 'clf');
    const modelId = model.info.model_id;
    await upload(model.info.artifact_uri, { 'model.onnx': onnxFile('cnn.onnx'), 'model-card.json': Buffer.from(JSON.stringify(cnnCard())) });
    ok(await api('PATCH', `logged-models/${modelId}`, { model_id: modelId, status: 'LOGGED_MODEL_READY' }));

    // The client first asks whether runs:/<run>/clf is a folder of the run: it is not.
    expect(ok(await viewer('GET', '../mlflow-artifacts/artifacts', { path: `${experimentId}/${runId}/artifacts/clf` }))).toEqual({});
    // Then _get_logged_models_from_run: get_run, and search_logged_models over the run's experiment, matched on source run and name.
    const run = ok(await viewer('GET', 'runs/get', { run_id: runId })).run;
    expect(run.outputs.model_outputs).toEqual([{ model_id: modelId, step: 0 }]);
    const found = ok(await viewer('POST', 'logged-models/search', { experiment_ids: [run.info.experiment_id] })).models;
    expect(found.filter((m: any) => m.info.source_run_id === runId && m.info.name === 'clf').map((m: any) => m.info.model_id)).toEqual([modelId]);

    ok(await api('POST', 'registered-models/create', { name: 'clf' }));
    const sources = [`models:/${modelId}`, `runs:/${runId}/clf`, `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`];
    for (const [i, source] of sources.entries()) {
      const created = ok(await api('POST', 'model-versions/create', { name: 'clf', source, run_id: runId, ...(i === 0 ? { model_id: modelId } : {}) }));
      expect(created.model_version).toMatchObject({ version: String(i + 1), source, run_id: runId });
      const v = await server.app.services.registry.getVersion('clf', { version: i + 1 });
      expect([source, v.format, v.unservableReason]).toEqual([source, 'onnx', null]);
    }
    const other = (await createLoggedModel(null, 'elsewhere')).info.model_id;
    expect(await api('POST', 'model-versions/create', { name: 'clf', source: `models:/${modelId}`, model_id: other })).toEqual(mlflowError(400, 'INVALID_PARAMETER_VALUE'));
  });

  it('keeps a model logged outside a run as metadata only, and registers it as unservable with the reason', async () => {
    const model = await createLoggedModel(null, 'runless');
    expect(model.info.source_run_id).toBeUndefined();
    const put = await fetch(proxy(`${experimentId}/models/${model.info.model_id}/artifacts/model.onnx`), { method: 'PUT', headers: { authorization: `Bearer ${editorToken}` }, body: 'x' });
    expect([put.status, ((await put.json()) as { error_code: string }).error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    ok(await api('POST', 'registered-models/create', { name: 'runless' }));
    ok(await api('POST', 'model-versions/create', { name: 'runless', source: `models:/${model.info.model_id}`, model_id: model.info.model_id }));
    const v = await server.app.services.registry.getVersion('runless', { version: 1 });
    expect([v.format, v.unservableReason]).toEqual([null, `logged model ${model.info.model_id} was logged outside a run, and tagfusion keeps a logged model's files in the run that logged it`]);
  });

  it('searches, tags, logs params and deletes models as the rest store calls them, with MLflow’s errors', async () => {
    const { experiment_id: otherExperiment } = ok(await api('POST', 'experiments/create', { name: 'elsewhere' }));
    const runId = await startRun();
    const a = (await createLoggedModel(runId, 'alpha')).info.model_id;
    const b = (await createLoggedModel(null, 'beta')).info.model_id;
    ok(await api('PATCH', `logged-models/${b}/tags`, { tags: [{ key: 'team', value: 'vision' }] }));
    const names = async (body: Record<string, unknown>) =>
      (ok(await viewer('POST', 'logged-models/search', { experiment_ids: [experimentId], ...body })).models ?? []).map((m: any) => m.info.name);
    expect((await names({})).slice(0, 2)).toEqual(['beta', 'alpha']);
    expect(await names({ filter: "name LIKE 'al%'" })).toEqual(['alpha']);
    expect(await names({ filter: `source_run_id = '${runId}' AND status = 'LOGGED_MODEL_PENDING'` })).toEqual(['alpha']);
    expect(await names({ filter: "tags.team = 'vision'" })).toEqual(['beta']);
    expect(await viewer('POST', 'logged-models/search', { experiment_ids: [experimentId], filter: "name IN ('alpha')" })).toEqual(mlflowError(400, 'INVALID_PARAMETER_VALUE'));
    const ascending = await names({ order_by: [{ field_name: 'name', ascending: true }] });
    expect(ascending).toEqual([...ascending].sort());
    const first = ok(await viewer('POST', 'logged-models/search', { experiment_ids: [experimentId], max_results: 1 }));
    expect(first.models).toHaveLength(1);
    const second = ok(await viewer('POST', 'logged-models/search', { experiment_ids: [experimentId], max_results: 1, page_token: first.next_page_token }));
    expect(second.models[0].info.model_id).not.toBe(first.models[0].info.model_id);
    expect(ok(await viewer('POST', 'logged-models/search', { experiment_ids: [otherExperiment] }))).toEqual({});

    // log_logged_model_params: a param again with its value is fine, with another is refused.
    expect(ok(await api('POST', `logged-models/${b}/params`, { model_id: b, params: [{ key: 'depth', value: '3' }] }))).toEqual({});
    expect(ok(await api('POST', `logged-models/${b}/params`, { model_id: b, params: [{ key: 'depth', value: '3' }] }))).toEqual({});
    expect(await api('POST', `logged-models/${b}/params`, { model_id: b, params: [{ key: 'depth', value: '4' }] })).toEqual(mlflowError(400, 'INVALID_PARAMETER_VALUE'));
    expect(ok(await viewer('GET', `logged-models/${b}`)).model.data).toEqual({ params: [{ key: 'depth', value: '3' }] });
    // delete_logged_model_tag: DELETE …/tags/<key>, no body.
    expect(ok(await api('DELETE', `logged-models/${b}/tags/team`))).toEqual({});
    expect(await api('DELETE', `logged-models/${b}/tags/team`)).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
    expect(await api('PATCH', `logged-models/${b}/tags`, { tags: [{ key: 'mlflow.user', value: 'mallory' }] })).toEqual(mlflowError(400, 'INVALID_PARAMETER_VALUE'));

    const bad: [Parameters<RegistryClient>, number, string][] = [
      [['POST', 'logged-models', { name: 'x' }], 400, 'INVALID_PARAMETER_VALUE'],
      [['POST', 'logged-models', { experiment_id: '999' }], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['POST', 'logged-models', { experiment_id: otherExperiment, source_run_id: runId }], 400, 'INVALID_PARAMETER_VALUE'],
      [['POST', 'logged-models', { experiment_id: experimentId, params: [{ key: 'k', value: '1' }, { key: 'k', value: '2' }] }], 400, 'INVALID_PARAMETER_VALUE'],
      [['GET', 'logged-models/m-nope'], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['GET', `logged-models/m-${'0'.repeat(32)}`], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['PATCH', `logged-models/${a}`, { model_id: a, status: 'DONE' }], 400, 'INVALID_PARAMETER_VALUE'],
      [['POST', 'runs/log-outputs', { run_id: runId, models: [{ model_id: `m-${'0'.repeat(32)}`, step: 0 }] }], 404, 'RESOURCE_DOES_NOT_EXIST'],
      [['POST', 'logged-models/search', { experiment_ids: [experimentId], order_by: [{ field_name: 'metrics.acc' }] }], 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [args, status, code] of bad) expect(await api(...args), JSON.stringify(args)).toEqual(mlflowError(status, code));
    expect(await viewer('POST', 'logged-models', { experiment_id: experimentId })).toEqual(mlflowError(403, 'PERMISSION_DENIED'));

    // delete_logged_model: gone for every call; its versions cannot be made any more.
    expect(ok(await api('DELETE', `logged-models/${a}`, { model_id: a }))).toEqual({});
    expect(await viewer('GET', `logged-models/${a}`)).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
    expect(await names({})).not.toContain('alpha');
    expect(ok(await viewer('GET', 'runs/get', { run_id: runId })).run.outputs).toEqual({});
    ok(await api('POST', 'registered-models/create', { name: 'gone' }));
    expect(await api('POST', 'model-versions/create', { name: 'gone', source: `models:/${a}` })).toEqual(mlflowError(404, 'RESOURCE_DOES_NOT_EXIST'));
  });
});
