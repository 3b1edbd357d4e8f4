import { afterAll, describe, expect, it, vi } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { startHttpServer, type HttpServer } from '../../src/server/http.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { EXPERIMENT, importDataset, multimodalDataset, waitFor } from './support.js';

// Two servers, one after the other, train three trials: well over a minute on a busy machine.
vi.setConfig({ testTimeout: 240_000 });

const param = (run: { params: { key: string; value: string }[] }, key: string) => run.params.find((p) => p.key === key)?.value;

describe.each(DB_KINDS)('an experiment survives a server restart (%s)', (kind) => {
  let server: TestServer;
  let restarted: { app: App; http: HttpServer } | undefined;
  afterAll(async () => {
    await restarted?.http.close();
    await restarted?.app.close();
    await server?.db.drop();
  });

  it('resumes after a restart mid-experiment: finished trials are kept, none is started twice', async () => {
    // A short stale time lets the restarted server on PostgreSQL take over the dead one's jobs quickly.
    server = await startTestServer(kind, { env: { TAGFUSION_JOB_STALE_SECONDS: '3' } });
    const datasetId = await importDataset(server, 'multimodal', await multimodalDataset(120));
    const project = await server.app.services.projects.create({ name: 'resumed' });
    const { startSweep } = await server.data(`mutation($input: SweepInput!) { startSweep(input: $input) { id } }`, {
      input: { datasetId, projectId: String(project.id), base: { head: 'TEXT', epochs: 15, batchSize: 2 }, space: [{ name: 'learningRate', values: [0.01, 0.02, 0.03] }], parallelism: 1 },
    });
    const query = (s: { data: TestServer['data'] }) => s.data(EXPERIMENT, { id: startSweep.id }).then((d: any) => d.run);
    const before = await waitFor(async () => {
      const run = await query(server);
      return run.children.some((c: any) => c.status === 'SUCCEEDED') && run.children.some((c: any) => c.status === 'RUNNING') ? run : undefined;
    }, 120_000, 100);
    const first = before.children.find((c: any) => c.status === 'SUCCEEDED');

    // Stop the server (the database stays), then start a new one on the same database.
    await server.http.close();
    await server.app.close();
    const app = await startApp(server.db.config, { workJobs: true });
    const http = await startHttpServer(app, 0, '127.0.0.1');
    restarted = { app, http };
    const data = async (q: string, variables: Record<string, unknown>) => {
      const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: q, variables }) });
      const body = (await res.json()) as { data: any; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const after = await waitFor(async () => {
      const run = await query({ data } as never);
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status) ? run : undefined;
    }, 180_000, 500);

    expect(after.status, after.error).toBe('SUCCEEDED');
    expect(after.children.map((c: any) => param(c, 'trial')).sort()).toEqual(['t0', 't1', 't2']);
    expect(after.children.every((c: any) => c.status === 'SUCCEEDED')).toBe(true);
    // The trial finished before the restart is the same run, not trained again.
    const kept = after.children.find((c: any) => c.id === first.id);
    expect(kept.summary).toEqual(first.summary);
    expect(after.experiment).toMatchObject({ total: 3, done: 3, failed: 0 });
    // Trials started after the restart take the project from the experiment's stored run.
    const inProject = await data(`query($id: ID!) { runs(filter: { projectId: $id }) { nodes { id } } }`, { id: String(project.id) });
    expect(inProject.runs.nodes.map((r: any) => r.id).sort()).toEqual([startSweep.id, ...after.children.map((c: any) => c.id)].sort());
  });
});
