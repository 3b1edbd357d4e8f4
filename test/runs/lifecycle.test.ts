import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { recordEpoch } from '../../src/runs/repository.js';
import { finishedRun } from '../registry/fixtures.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CREATE = `mutation($input: CreateRunInput!) { createRun(input: $input) { id } }`;
const STATUS = `mutation($id: ID!, $status: RunStatus!, $error: String) { setRunStatus(id: $id, status: $status, error: $error) { status finishedAt error } }`;
const LOG = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`;
const REOPEN = `mutation($id: ID!, $reason: String!) { reopenRun(id: $id, reason: $reason) { status finishedAt error } }`;
const RUN = `query($id: ID!) { run(id: $id) { status finishedAt error epochMetrics { epoch value } } }`;
const AUDIT = `{ auditLog { nodes { action actor actorRole modelName from to } } }`;
const epoch = (runId: string, n: number) => ({ input: { runId, epoch: n, metrics: [{ name: 'f1', split: 'val', value: n / 10 }] } });

describe.each(DB_KINDS)('finished runs are immutable, on %s', (kind) => {
  let server: TestServer;
  let admin: Pick<TestServer, 'gql' | 'data'>;
  let editor: Pick<TestServer, 'gql' | 'data'>;
  const code = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => r.errors?.[0].extensions?.code;

  /** A run written from outside (as an editor's trainer would), RUNNING with one epoch, then `status`. */
  async function finished(status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED') {
    const id = (await editor.data(CREATE, { input: { kind: 'external', name: status } })).createRun.id as string;
    await editor.data(STATUS, { id, status: 'RUNNING' });
    await editor.data(LOG, epoch(id, 0));
    await editor.data(STATUS, { id, status, error: status === 'FAILED' ? 'diverged' : null });
    return id;
  }

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    admin = server.withToken((await server.app.services.auth.create(cliActor(), { name: 'root', role: 'admin' })).secret);
    const made = await admin.data(`mutation { createApiToken(name: "trainer", role: EDITOR) { secret } }`);
    editor = server.withToken(made.createApiToken.secret);
  });
  afterAll(async () => server?.close());

  it('moves an open run between QUEUED and RUNNING (a retried attempt) and then to its finish', async () => {
    const id = (await editor.data(CREATE, { input: { kind: 'external' } })).createRun.id;
    for (const status of ['RUNNING', 'QUEUED', 'RUNNING', 'SUCCEEDED']) expect((await editor.data(STATUS, { id, status })).setRunStatus.status).toBe(status);
  });

  it('keeps the status and metrics of a SUCCEEDED, FAILED or CANCELLED run: RUN_FINISHED', async () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) {
      const id = await finished(status);
      const before = (await editor.data(RUN, { id })).run;
      for (const next of ['RUNNING', 'QUEUED', ...['SUCCEEDED', 'FAILED', 'CANCELLED'].filter((s) => s !== status)]) {
        const r = await editor.gql(STATUS, { id, status: next });
        expect(r.errors?.[0], `${status} → ${next}`).toMatchObject({ message: `Run ${id} has already finished (${status}).`, extensions: { code: 'RUN_FINISHED', status } });
      }
      // Asking for the status it has changes nothing: a job that finishes twice is not an error.
      expect((await editor.data(STATUS, { id, status, error: 'other' })).setRunStatus).toEqual({ status, finishedAt: before.finishedAt, error: before.error });
      expect(code(await editor.gql(LOG, epoch(id, 1)))).toBe('RUN_FINISHED');
      expect(code(await editor.gql(LOG, epoch(id, 0)))).toBe('RUN_FINISHED'); // even a repeat of a recorded epoch
      expect((await editor.data(RUN, { id })).run).toEqual(before);
    }
  });

  it('refuses the epoch in the write itself when the run finished after the check', async () => {
    const { runs } = server.app.services;
    const { prisma } = server.app.db;
    const run = await runs.create({ kind: 'external' });
    const metric = [{ name: 'f1', split: 'val', value: 0.5 }];
    const classes = [{ split: 'val', classId: 0, precision: 1, recall: 1, f1: 1, accuracy: 1, support: 3 }];
    expect(await recordEpoch(prisma, run.id, 0, metric, classes)).toBe('QUEUED');
    await runs.setStatus(run.id, 'SUCCEEDED');
    expect(await recordEpoch(prisma, run.id, 1, metric, classes)).toBe('SUCCEEDED');
    expect(await recordEpoch(prisma, 'no-such-run', 0, metric, classes)).toBeNull();
    expect(await prisma.epochMetric.count({ where: { runId: run.id } })).toBe(1);
    expect(await prisma.classMetric.count({ where: { runId: run.id } })).toBe(1);
    expect((await prisma.metricSummary.findFirstOrThrow({ where: { runId: run.id } })).lastEpoch).toBe(0);
  });

  it('lets an admin reopen a finished run, with a reason, in the audit log', async () => {
    const id = await finished('FAILED');
    expect((await editor.gql(REOPEN, { id, reason: 'resume' })).errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN', needed: 'admin' } });
    expect((await admin.gql(REOPEN, { id, reason: '  ' })).errors?.[0]).toMatchObject({ message: 'reason: must not be empty', extensions: { code: 'BAD_INPUT' } });
    expect((await admin.gql(REOPEN, { id, reason: 'a\u0000' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_INPUT', field: 'reason' });
    expect(code(await admin.gql(REOPEN, { id: 'no-such-run', reason: 'resume' }))).toBe('RUN_NOT_FOUND');
    const open = (await editor.data(CREATE, { input: { kind: 'external' } })).createRun.id;
    expect((await admin.gql(REOPEN, { id: open, reason: 'resume' })).errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', status: 'QUEUED' } });
    expect((await editor.data(RUN, { id })).run.status).toBe('FAILED'); // the refusals changed nothing

    expect((await admin.data(REOPEN, { id, reason: 'resume from the epoch 0 checkpoint' })).reopenRun).toEqual({ status: 'RUNNING', finishedAt: null, error: null });
    await editor.data(LOG, epoch(id, 1));
    expect((await editor.data(STATUS, { id, status: 'SUCCEEDED' })).setRunStatus.status).toBe('SUCCEEDED');
    expect((await editor.data(RUN, { id })).run.epochMetrics).toEqual([{ epoch: 0, value: 0 }, { epoch: 1, value: 0.1 }]);
    const entries = (await admin.data(AUDIT)).auditLog.nodes.filter((e: any) => e.action === 'RUN_REOPENED');
    expect(entries).toEqual([
      { action: 'RUN_REOPENED', actor: 'root', actorRole: 'admin', modelName: null, from: { runId: id, status: 'FAILED' }, to: { runId: id, status: 'RUNNING', reason: 'resume from the epoch 0 checkpoint' } },
    ]);
  });

  it('never changes a run behind a registered model version, not even for an admin', async () => {
    const { runId } = await finishedRun(server.app, { macroF1: 0.8 });
    await editor.data(`mutation($runId: ID!) { registerModelVersion(input: { runId: $runId, model: "tagger" }) { created } }`, { runId });
    const before = (await editor.data(RUN, { id: runId })).run;
    const audited = (await admin.data(AUDIT)).auditLog.nodes.length;
    const r = await admin.gql(REOPEN, { id: runId, reason: 'retrain' });
    expect(r.errors?.[0]).toMatchObject({
      message: `Run ${runId} is the source of the registered model version tagger/1: it never changes, even for an admin.`,
      extensions: { code: 'RUN_REGISTERED', versions: ['tagger/1'] },
    });
    expect(code(await admin.gql(STATUS, { id: runId, status: 'RUNNING' }))).toBe('RUN_FINISHED');
    expect(code(await admin.gql(LOG, epoch(runId, 2)))).toBe('RUN_FINISHED');
    expect((await editor.data(RUN, { id: runId })).run).toEqual(before);
    expect((await admin.data(AUDIT)).auditLog.nodes).toHaveLength(audited);
  });
});
