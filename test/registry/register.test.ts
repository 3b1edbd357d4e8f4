import { writeFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { captionDataset, finishedRun } from './fixtures.js';

const REGISTER = `mutation($input: RegisterModelVersionInput!) {
  registerModelVersion(input: $input) { created version { id version modelName runId datasetId encoders metrics artifactChecksum createdBy tags aliases run { id } } } }`;
const MODEL = `query($name: String!) { registeredModel(name: $name) { name description latestVersion { version } versions { version runId } } }`;

const editor: Actor = { name: 'eddie', role: 'editor' };
const viewer: Actor = { name: 'vera', role: 'viewer' };

describe.each(DB_KINDS)('registering model versions on %s', (kind) => {
  let server: TestServer;
  const register = (input: Record<string, unknown>) => server.gql(REGISTER, { input });
  const codeOf = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => server?.close());

  it('refuses bad input, viewers, unfinished runs and damaged artifacts, and creates nothing', async () => {
    const good = await finishedRun(server.app, { macroF1: 0.5 });
    expect(codeOf(await register({ runId: good.runId, model: 'bad name!' }))).toBe('BAD_INPUT');
    expect((await register({ runId: good.runId, model: 'bad@name' })).errors?.[0].message).toMatch(/^model: must be 1-128 letters/);
    expect(codeOf(await register({ runId: 'no-such-run', model: 'm' }))).toBe('RUN_NOT_FOUND');
    await expect(server.app.services.registry.registerVersion(viewer, { runId: good.runId, model: 'm' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'Registering a model version needs the editor role; you act as viewer.' });

    const failed = await finishedRun(server.app, { macroF1: 0.5, status: 'FAILED' });
    const r = await register({ runId: failed.runId, model: 'm' });
    expect(codeOf(r)).toBe('RUN_NOT_REGISTRABLE');
    expect(r.errors?.[0].message).toMatch(/status FAILED/);
    const external = await server.app.services.runs.create({ kind: 'train', name: 'no artifact' });
    await server.app.services.runs.setStatus(external.id, 'SUCCEEDED');
    expect((await register({ runId: external.id, model: 'm' })).errors?.[0].message).toMatch(/it has no model artifact/);

    // Same size, other bytes: only the checksum can tell.
    const tampered = await finishedRun(server.app, { macroF1: 0.6 });
    const original = (await import('node:fs')).readFileSync(tampered.path);
    writeFileSync(tampered.path, Buffer.from(original.toString().replace('"fixture"', '"FIXTURE"')));
    const t = await register({ runId: tampered.runId, model: 'm' });
    expect(codeOf(t)).toBe('ARTIFACT_INVALID');
    expect(t.errors?.[0].message).toContain(`not the ${tampered.checksum} recorded`);
    // A partial write: shorter than recorded.
    writeFileSync(tampered.path, original.subarray(0, 10));
    expect((await register({ runId: tampered.runId, model: 'm' })).errors?.[0].message).toMatch(/is 10 bytes, not the \d+ recorded/);
    rmSync(tampered.path);
    expect((await register({ runId: tampered.runId, model: 'm' })).errors?.[0].message).toMatch(/model\.json of run .* is missing/);

    expect((await server.data(MODEL, { name: 'm' })).registeredModel).toBeNull();
    expect(await server.app.db.prisma.auditLog.count()).toBe(0);
  });

  it("registers a trained text head's artifact with its run, dataset, encoders and metrics", async () => {
    const fx = await captionDataset(120);
    const datasetId = (await importThroughApi(server, { name: 'captions', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
    const { startTraining } = await server.data(`mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`, {
      input: { datasetId, head: 'TEXT', epochs: 2, learningRate: 0.05, batchSize: 32 },
    });
    const { jobs } = await server.data(`{ jobs(kind: ["train"], first: 1) { id } }`);
    expect((await waitForJob(server, jobs[0].id, 120_000)).status).toBe('SUCCEEDED');
    const { run } = await server.data(`query($id: ID!) { run(id: $id) { summary artifacts { checksum } } }`, { id: startTraining.id });

    const first = (await server.data(REGISTER, { input: { runId: startTraining.id, model: 'captioner', description: 'text head', tags: [{ key: 'stage', value: 'dev' }] } })).registerModelVersion;
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({
      version: 1,
      modelName: 'captioner',
      runId: startTraining.id,
      run: { id: startTraining.id },
      datasetId,
      artifactChecksum: run.artifacts[0].checksum,
      createdBy: 'local',
      tags: { stage: 'dev' },
      aliases: [],
      encoders: [{ modality: 'text', id: 'tfidf', version: run.summary.encoders.text.version }],
    });
    // (Train metrics of the best epoch are checked with fixture runs: the train job may write its
    // last epoch's rows just after the run is marked finished.)
    expect(first.version.metrics.val).toEqual(run.summary.val);

    // The same artifact again is the same version; another run is version 2.
    const again = (await server.data(REGISTER, { input: { runId: startTraining.id, model: 'captioner' } })).registerModelVersion;
    expect(again).toMatchObject({ created: false, version: { id: first.version.id, version: 1 } });
    const other = await finishedRun(server.app, { macroF1: 0.4 });
    const second = (await server.data(REGISTER, { input: { runId: other.runId, model: 'captioner' } })).registerModelVersion;
    expect(second).toMatchObject({ created: true, version: { version: 2, artifactChecksum: other.checksum, createdBy: 'local' } });
    expect((await server.data(MODEL, { name: 'captioner' })).registeredModel).toEqual({
      name: 'captioner',
      description: 'text head',
      latestVersion: { version: 2 },
      versions: [
        { version: 2, runId: other.runId },
        { version: 1, runId: startTraining.id },
      ],
    });
  });

  it('numbers concurrent registrations into a new model 1, 2, 3 and creates the model once', async () => {
    const runs = await Promise.all([0.61, 0.62, 0.63].map((f) => finishedRun(server.app, { macroF1: f })));
    const results = await Promise.all(runs.map((r) => server.data(REGISTER, { input: { runId: r.runId, model: 'concurrent' } })));
    expect(results.map((r) => r.registerModelVersion.version.version).sort()).toEqual([1, 2, 3]);
    const byRun = new Map(results.map((r) => [r.registerModelVersion.version.runId, r.registerModelVersion.version.version]));
    expect(new Set(byRun.keys())).toEqual(new Set(runs.map((r) => r.runId)));
    const actions = (await server.app.db.prisma.auditLog.findMany({ where: { modelName: 'concurrent' } })).map((a) => a.action).sort();
    expect(actions).toEqual(['MODEL_CREATED', 'VERSION_CREATED', 'VERSION_CREATED', 'VERSION_CREATED']);
  });

  it('lets editors register and edit tags, but only tags, of a version', async () => {
    const r = await finishedRun(server.app, { macroF1: 0.7 });
    const { version } = await server.app.services.registry.registerVersion(editor, { runId: r.runId, model: 'tagged' });
    expect(version.createdBy).toBe('eddie');
    await expect(server.app.services.registry.setTags(viewer, { model: 'tagged', version: 1, set: [{ key: 'a', value: '1' }] })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await server.app.services.registry.setTags(editor, { model: 'tagged', version: 1, set: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
    await server.data(`mutation { setTags(input: { model: "tagged", version: 1, remove: ["a"], set: [{ key: "c", value: "3" }] }) { name } }`);
    await server.data(`mutation { setTags(input: { model: "tagged", set: [{ key: "team", value: "vision" }] }) { name } }`);
    const v = (await server.data(`{ modelVersion(model: "tagged", version: 1) { tags metrics artifactChecksum } registeredModel(name: "tagged") { tags } }`));
    expect(v.modelVersion).toEqual({ tags: { b: '2', c: '3' }, metrics: { val: r.val, train: { macroF1: Math.min(1, 0.7 + 0.05) } }, artifactChecksum: r.checksum });
    expect(v.registeredModel.tags).toEqual({ team: 'vision' });
    const missing = await server.gql(`mutation { setTags(input: { model: "tagged", version: 9, set: [{ key: "x", value: "y" }] }) { name } }`);
    expect(missing.errors?.[0]).toMatchObject({ message: 'Model tagged has no version 9.', extensions: { code: 'VERSION_NOT_FOUND' } });
    const changes = await server.app.db.prisma.auditLog.findMany({ where: { modelName: 'tagged', action: 'TAGS_CHANGED' }, orderBy: { id: 'asc' } });
    expect(changes.map((c) => [c.actor, c.version, c.before, c.after])).toEqual([
      ['eddie', 1, {}, { a: '1', b: '2' }],
      ['local', 1, { a: '1', b: '2' }, { b: '2', c: '3' }],
      ['local', null, {}, { team: 'vision' }],
    ]);
  });
});
