import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CREATE_PROJECT = `mutation($input: CreateProjectInput!) { createProject(input: $input) { id name description tags { key value } runCount deletedAt } }`;
const CREATE_RUN = `mutation($input: CreateRunInput!) { createRun(input: $input) { id project { id name } tags { key value } note createdBy } }`;
const RUNS = `query($filter: RunFilter) { runs(filter: $filter) { totalCount nodes { id name } } }`;
const POINTS = `mutation($id: ID!, $points: [MetricPointInput!]!) { logMetricPoints(id: $id, points: $points) { id } }`;
const HISTORY = `query($id: ID!) { run(id: $id) { summaries { name split last lastEpoch min max } epochMetrics(name: "loss") { step epoch timestamp value } } }`;

describe.each(DB_KINDS)('projects, run tags, notes, points and soft delete on %s', (kind) => {
  let server: TestServer;
  let editor: ReturnType<TestServer['withToken']>;
  let viewer: ReturnType<TestServer['withToken']>;
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    const make = async (role: 'editor' | 'viewer') => (await server.app.services.auth.create(cliActor(), { name: role, role })).secret;
    editor = server.withToken(await make('editor'));
    viewer = server.withToken(await make('viewer'));
  });
  afterAll(async () => server?.close());

  it('refuses bad input and viewers before creating anything', async () => {
    const bad = await editor.gql(CREATE_PROJECT, { input: { name: '  ' } });
    expect(bad.errors?.[0]).toMatchObject({ message: 'name: must not be empty', extensions: { code: 'BAD_INPUT' } });
    const nul = await editor.gql(CREATE_PROJECT, { input: { name: 'a\u0000b' } });
    expect(nul.errors?.[0].extensions?.code).toBe('BAD_INPUT');
    const forbidden = await viewer.gql(CREATE_PROJECT, { input: { name: 'nope' } });
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const unknown = await editor.gql(CREATE_RUN, { input: { kind: 'external', projectId: '999' } });
    expect(unknown.errors?.[0].extensions?.code).toBe('PROJECT_NOT_FOUND');
    const notAnId = await editor.gql(CREATE_RUN, { input: { kind: 'external', projectId: 'x' } });
    expect(notAnId.errors?.[0].extensions?.code).toBe('BAD_INPUT');
    expect((await viewer.data(`{ projects { nodes { id name } } }`)).projects.nodes).toEqual([{ id: '0', name: 'Default' }]);
  });

  it('creates projects with unique names, and runs in them with tags and a note', async () => {
    const { createProject } = await editor.data(CREATE_PROJECT, { input: { name: 'resnet', description: 'baselines', tags: [{ key: 'team', value: 'vision' }] } });
    expect(createProject).toMatchObject({ name: 'resnet', description: 'baselines', tags: [{ key: 'team', value: 'vision' }], runCount: 0, deletedAt: null });
    expect(Number(createProject.id)).toBeGreaterThan(0);
    const twice = await editor.gql(CREATE_PROJECT, { input: { name: 'resnet' } });
    expect(twice.errors?.[0].extensions?.code).toBe('PROJECT_EXISTS');

    const { createRun } = await editor.data(CREATE_RUN, { input: { kind: 'external', projectId: createProject.id, tags: [{ key: 'stage', value: 'dev' }], note: '# first' } });
    expect(createRun).toMatchObject({ project: { id: createProject.id, name: 'resnet' }, tags: [{ key: 'stage', value: 'dev' }], note: '# first', createdBy: 'editor' });
    const other = await editor.data(CREATE_RUN, { input: { kind: 'external' } });
    expect(other.createRun.project).toEqual({ id: '0', name: 'Default' });

    await editor.data(`mutation($id: ID!) { setRunTags(id: $id, tags: [{ key: "stage", value: "prod" }, { key: "owner", value: "ana" }]) { id } }`, { id: createRun.id });
    const byTag = await viewer.data(RUNS, { filter: { projectId: createProject.id, tags: [{ key: 'stage', equals: 'prod' }] } });
    expect(byTag.runs.nodes.map((r: { id: string }) => r.id)).toEqual([createRun.id]);
    expect((await viewer.data(RUNS, { filter: { tags: [{ key: 'owner', like: 'a%' }] } })).runs.totalCount).toBe(1);
    const deleted = await editor.gql(`mutation($id: ID!) { deleteRunTag(id: $id, key: "missing") { id } }`, { id: createRun.id });
    expect(deleted.errors?.[0].extensions?.code).toBe('TAG_NOT_FOUND');
    await editor.data(`mutation($id: ID!) { setRunNote(id: $id, note: "") { id } }`, { id: createRun.id });
    expect((await viewer.data(`query($id: ID!) { run(id: $id) { note } }`, { id: createRun.id })).run.note).toBeNull();
  });

  it('logs values at any step and time, several per step, NaN kept, summaries over finite values', async () => {
    const { createRun } = await editor.data(CREATE_RUN, { input: { kind: 'external' } });
    await editor.data(`mutation($id: ID!) { setRunStatus(id: $id, status: RUNNING) { id } }`, { id: createRun.id });
    const points = [
      { name: 'loss', step: 0, timestamp: 1_000, value: 2 },
      { name: 'loss', step: 0, timestamp: 2_000, value: 1.5 },
      { name: 'loss', step: 5, timestamp: 3_000, value: 0.5 },
      { name: 'loss', step: 3, timestamp: 4_000, value: 0.25 },
    ];
    await editor.data(POINTS, { id: createRun.id, points });
    await editor.data(POINTS, { id: createRun.id, points }); // a retried request changes nothing
    const { run } = await viewer.data(HISTORY, { id: createRun.id });
    expect(run.epochMetrics.map((m: { step: number; timestamp: number; value: number }) => [m.step, m.timestamp, m.value])).toEqual([
      [0, 1000, 2],
      [0, 2000, 1.5],
      [3, 4000, 0.25],
      [5, 3000, 0.5],
    ]);
    expect(run.summaries).toEqual([{ name: 'loss', split: '', last: 0.5, lastEpoch: 5, min: 0.25, max: 2 }]);
    await server.app.services.tracking.logPoints(createRun.id, [{ name: 'loss', split: '', step: 6, timestamp: 5_000, value: Number.NaN }]);
    const after = (await viewer.data(HISTORY, { id: createRun.id })).run;
    expect(after.epochMetrics.at(-1)).toMatchObject({ step: 6, value: null });
    expect(after.summaries[0]).toMatchObject({ last: 0.5, lastEpoch: 5 });
    const latest = await server.app.services.tracking.latest([createRun.id]);
    expect(latest[0]).toMatchObject({ step: 6 });
    expect(latest[0].value).toBeNaN();

    const bad = await editor.gql(POINTS, { id: createRun.id, points: [{ name: '', step: 0, value: 1 }] });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_INPUT' } });
    const params = `mutation($id: ID!, $v: String!) { logParams(id: $id, params: [{ key: "lr", value: $v }]) { params { key value number } } }`;
    expect((await editor.data(params, { id: createRun.id, v: '1e-3' })).logParams.params).toEqual([{ key: 'lr', value: '1e-3', number: 0.001 }]);
    await editor.data(params, { id: createRun.id, v: '1e-3' });
    expect((await editor.gql(params, { id: createRun.id, v: '0.1' })).errors?.[0].extensions?.code).toBe('PARAM_CHANGED');

    await editor.data(`mutation($id: ID!) { setRunStatus(id: $id, status: SUCCEEDED) { id } }`, { id: createRun.id });
    const late = await editor.gql(POINTS, { id: createRun.id, points: [{ name: 'loss', step: 9, value: 1 }] });
    expect(late.errors?.[0].extensions?.code).toBe('RUN_FINISHED');
    // Tags stay writable on a finished run, as MLflow allows.
    await editor.data(`mutation($id: ID!) { setRunTags(id: $id, tags: [{ key: "reviewed", value: "yes" }]) { id } }`, { id: createRun.id });
  });

  it('soft-deletes runs and projects, restores them, and never deletes Default', async () => {
    const { createProject } = await editor.data(CREATE_PROJECT, { input: { name: 'to-delete' } });
    const kept = (await editor.data(CREATE_RUN, { input: { kind: 'external', projectId: createProject.id } })).createRun;
    const early = (await editor.data(CREATE_RUN, { input: { kind: 'external', projectId: createProject.id } })).createRun;
    await editor.data(`mutation($id: ID!) { deleteRun(id: $id) { deletedAt } }`, { id: early.id });
    const inProject = { projectId: createProject.id };
    expect((await viewer.data(RUNS, { filter: inProject })).runs.totalCount).toBe(1);
    expect((await viewer.data(RUNS, { filter: { ...inProject, lifecycle: 'DELETED' } })).runs.totalCount).toBe(1);
    const writeDeleted = await editor.gql(`mutation($id: ID!) { setRunNote(id: $id, note: "x") { id } }`, { id: early.id });
    expect(writeDeleted.errors?.[0].extensions?.code).toBe('RUN_DELETED');

    await editor.data(`mutation($id: ID!) { deleteProject(id: $id) { deletedAt } }`, { id: createProject.id });
    expect((await viewer.data(RUNS, { filter: inProject })).runs.totalCount).toBe(0);
    const into = await editor.gql(CREATE_RUN, { input: { kind: 'external', projectId: createProject.id } });
    expect(into.errors?.[0].extensions?.code).toBe('PROJECT_DELETED');
    expect((await viewer.data(`{ projects { nodes { name } } }`)).projects.nodes.map((p: { name: string }) => p.name)).not.toContain('to-delete');

    await editor.data(`mutation($id: ID!) { restoreProject(id: $id) { deletedAt } }`, { id: createProject.id });
    // The run deleted before the project stays deleted; the one deleted with it comes back.
    expect((await viewer.data(RUNS, { filter: inProject })).runs.nodes.map((r: { id: string }) => r.id)).toEqual([kept.id]);
    expect((await editor.gql(`mutation { deleteProject(id: "0") { id } }`)).errors?.[0].extensions?.code).toBe('BAD_INPUT');
    await editor.data(`mutation($id: ID!) { restoreRun(id: $id) { deletedAt } }`, { id: early.id });
    expect((await viewer.data(RUNS, { filter: inProject })).runs.totalCount).toBe(2);
  });
});
