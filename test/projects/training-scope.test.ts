import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { importDataset, multimodalDataset, waitForExperiment } from '../experiments/support.js';

// Each server imports a dataset and trains (a sweep, a comparison): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const CREATE_PROJECT = `mutation($name: String!) { createProject(input: { name: $name }) { id name } }`;
const RUNS = `query($filter: RunFilter) { runs(filter: $filter, first: 100) { totalCount nodes { id kind parent { id } project { id } config params { key } } } }`;
const RUN = `id kind project { id name } config params { key value }`;

/** The five mutations that start tagfusion's own jobs, each with an input that would otherwise pass. */
const STARTS = (datasetId: string) =>
  [
    ['startTraining', 'TrainingInput', { datasetId, head: 'TEXT', epochs: 1 }],
    ['startSweep', 'SweepInput', { datasetId, base: { head: 'TEXT', epochs: 1 }, space: [{ name: 'learningRate', values: [0.01] }] }],
    ['startModelComparison', 'ModelComparisonInput', { datasetId, head: 'TEXT', encoders: [{ id: 'tfidf' }] }],
    ['startAblation', 'AblationInput', { datasetId }],
    ['startPseudoLabeling', 'PseudoLabelingInput', { datasetId, unlabelledDatasetId: datasetId, unlabelledSplit: 'TRAIN' }],
  ] as const;

describe.each(DB_KINDS)('training and experiments in a project (%s)', (kind) => {
  let server: TestServer;
  let editor: ReturnType<TestServer['withToken']>;
  let viewer: ReturnType<TestServer['withToken']>;
  let datasetId: string;
  let project: { id: string; name: string };
  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_AUTH: 'required' } });
    const make = async (role: 'editor' | 'viewer') => (await server.app.services.auth.create(cliActor(), { name: role, role })).secret;
    editor = server.withToken(await make('editor'));
    viewer = server.withToken(await make('viewer'));
    datasetId = await importDataset({ ...server, ...editor }, 'captions', await multimodalDataset(60, 0, false), { images: false });
    project = (await editor.data(CREATE_PROJECT, { name: 'captions-study' })).createProject;
  });
  afterAll(async () => server?.close());

  it('refuses an unknown, malformed or deleted project, a project in the training input, and viewers, before creating any run', async () => {
    const gone = (await editor.data(CREATE_PROJECT, { name: 'gone' })).createProject;
    await editor.data(`mutation($id: ID!) { deleteProject(id: $id) { id } }`, { id: gone.id });
    for (const [mutation, type, input] of STARTS(datasetId)) {
      const start = (client: typeof editor, projectId: string) => client.gql(`mutation($input: ${type}!) { ${mutation}(input: $input) { id } }`, { input: { ...input, projectId } });
      const unknown = await start(editor, '999');
      expect(unknown.errors?.[0], mutation).toMatchObject({ message: 'Project 999 does not exist.', extensions: { code: 'PROJECT_NOT_FOUND' } });
      const malformed = await start(editor, 'x');
      expect(malformed.errors?.[0], mutation).toMatchObject({ message: 'projectId: must be a project id (a whole number)', extensions: { code: 'BAD_INPUT' } });
      const deleted = await start(editor, gone.id);
      expect(deleted.errors?.[0], mutation).toMatchObject({ message: 'Project gone is deleted; restore it first.', extensions: { code: 'PROJECT_DELETED' } });
      const forbidden = await start(viewer, project.id);
      expect(forbidden.errors?.[0].extensions?.code, mutation).toBe('FORBIDDEN');
    }
    const swept = await editor.gql(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
      input: { datasetId, base: { head: 'TEXT' }, space: [{ name: 'projectId', values: [project.id, '0'] }] },
    });
    expect(swept.errors?.[0]).toMatchObject({ message: "space cannot sweep projectId (an experiment's runs are in one project)", extensions: { code: 'BAD_INPUT' } });
    const inBase = await editor.gql(`mutation($input: AblationInput!) { startAblation(input: $input) { id } }`, { input: { datasetId, base: { projectId: project.id } } });
    expect(inBase.errors?.[0]).toMatchObject({ message: "base.projectId: the project is not a training input; give the experiment's projectId", extensions: { code: 'BAD_INPUT' } });
    expect((await viewer.data(RUNS, { filter: { lifecycle: 'ALL' } })).runs.totalCount).toBe(0);
  });

  it('puts a training run, and a sweep with every trial, into the project; the project is no hyperparameter', async () => {
    const { startTraining } = await editor.data(`mutation($input: TrainingInput!) { startTraining(input: $input) { ${RUN} } }`, { input: { datasetId, head: 'TEXT', epochs: 1, projectId: project.id } });
    expect(startTraining.project).toEqual(project);
    const { startSweep } = await editor.data(`mutation($input: SweepInput!) { startSweep(input: $input) { ${RUN} } }`, {
      input: { datasetId, projectId: project.id, base: { head: 'TEXT', epochs: 1 }, space: [{ name: 'learningRate', values: [0.05, 0.01] }], parallelism: 2 },
    });
    expect(startSweep).toMatchObject({ kind: 'sweep', project });
    const sweep = await waitForExperiment({ ...server, ...viewer }, startSweep.id);
    expect(sweep.status, sweep.error).toBe('SUCCEEDED');
    expect(sweep.children).toHaveLength(2);

    const { runs } = await viewer.data(RUNS, { filter: { projectId: project.id } });
    const ids = (rs: { id: string }[]) => rs.map((r) => r.id).sort();
    expect(ids(runs.nodes)).toEqual(ids([startTraining, startSweep, ...sweep.children]));
    expect(runs.nodes.every((r: { project: { id: string } }) => r.project.id === project.id)).toBe(true);
    expect(runs.nodes.filter((r: { parent: { id: string } | null }) => r.parent?.id === startSweep.id)).toHaveLength(2);
    expect((await viewer.data(RUNS, { filter: { projectId: '0' } })).runs.totalCount).toBe(0);
    for (const run of runs.nodes) {
      expect(Object.keys(run.config), run.kind).not.toContain('projectId');
      expect(run.params.map((p: { key: string }) => p.key), run.kind).not.toContain('projectId');
    }
  });

  it('puts an encoder comparison into the project, and runs naming none into Default', async () => {
    const { startModelComparison } = await editor.data(`mutation($input: ModelComparisonInput!) { startModelComparison(input: $input) { ${RUN} } }`, {
      input: { datasetId, projectId: project.id, head: 'TEXT', encoders: [{ id: 'tfidf' }], base: { epochs: 1 } },
    });
    const { startTraining } = await editor.data(`mutation($input: TrainingInput!) { startTraining(input: $input) { ${RUN} } }`, { input: { datasetId, head: 'TEXT', epochs: 1 } });
    expect(startTraining.project).toEqual({ id: '0', name: 'Default' });
    const comparison = await waitForExperiment({ ...server, ...viewer }, startModelComparison.id);
    expect(comparison.status, comparison.error).toBe('SUCCEEDED');
    const { runs } = await viewer.data(RUNS, { filter: { parentId: startModelComparison.id } });
    expect(runs.nodes.map((r: { project: { id: string } }) => r.project.id)).toEqual([project.id]);
    expect(startModelComparison.project).toEqual(project);
  });
});
