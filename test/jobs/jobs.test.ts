import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { labelledDataset, slowDataset } from '../support/fixtures.js';
import { IMPORT, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { subscribe } from '../support/ws.js';

describe.each(DB_KINDS)('jobs on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_WORKER_THREADS: '1' } });
  });
  afterAll(async () => server?.close());

  it('streams a job from queued through progress to success over graphql-ws', async () => {
    const sub = subscribe(server.http.url, `subscription { jobEvents { type jobId status progress message job { kind } } }`);
    await sub.ready;
    const fx = await slowDataset(200);
    const { importDataset } = await server.data(IMPORT, { input: { name: 'watched', csvPath: fx.csvPath, imagesDir: fx.imagesDir } });
    const mine = (events: any[]) => events.map((e) => e.jobEvents).filter((e) => e.jobId === importDataset.id);
    await sub.until((events) => mine(events).some((e) => e.type === 'SUCCEEDED'));
    await sub.close();
    expect(sub.errors).toEqual([]);
    const events = mine(sub.events);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('QUEUED');
    expect(types).toContain('STARTED');
    expect(types.at(-1)).toBe('SUCCEEDED');
    const progress = events.filter((e) => e.type === 'PROGRESS');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.some((e) => /checked \d+ of 200 images/.test(e.message))).toBe(true);
    const values = events.map((e) => e.progress);
    expect([...values].sort((a, b) => a - b)).toEqual(values); // never goes backwards
    expect(events[0].job.kind).toBe('dataset-import');
  });

  it('streams a run’s epochs to runEvents subscribers and refuses unknown runs', async () => {
    const run = await server.app.services.runs.create({ kind: 'train', name: 'live' }); // open: a finished run takes no metrics
    const sub = subscribe(server.http.url, `subscription($id: ID!) { runEvents(runId: $id) { type runId epoch metrics { name split value epoch } status } }`, { id: run.id });
    await sub.ready;
    await new Promise((r) => setTimeout(r, 200)); // the subscription is registered after connect
    await server.data(`mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }`, {
      input: { runId: run.id, epoch: 3, metrics: [{ name: 'f1', split: 'val', value: 0.42 }] },
    });
    await sub.until((events) => events.length >= 1);
    await sub.close();
    expect(sub.events[0].runEvents).toEqual({ type: 'EPOCH', runId: run.id, epoch: 3, metrics: [{ name: 'f1', split: 'val', value: 0.42, epoch: 3 }], status: null });

    const missing = subscribe(server.http.url, `subscription { runEvents(runId: "nope") { type } }`);
    await missing.until(() => false, 5000).catch(() => {});
    await missing.close();
    expect(JSON.stringify(missing.errors)).toMatch(/Run nope does not exist/);
  });

  it('cancels a running job: the pool task stops and no dataset is written', async () => {
    const fx = await slowDataset();
    const { importDataset } = await server.data(IMPORT, { input: { name: 'cancelled', csvPath: fx.csvPath, imagesDir: fx.imagesDir } });
    const id = importDataset.id;
    for (let i = 0; i < 200; i++) {
      const { job } = await server.data(`query($id: ID!) { job(id: $id) { status progress } }`, { id });
      if (job.status === 'RUNNING' && job.progress > 0.05) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { cancelJob } = await server.data(`mutation($id: ID!) { cancelJob(id: $id) { status cancelRequested } }`, { id });
    expect(cancelJob.cancelRequested).toBe(true);
    const job = await waitForJob(server, id);
    expect(job.status).toBe('CANCELLED');
    expect(job.progress).toBeLessThan(1);
    expect((await server.data(`{ datasets(name: "cancelled") { id } }`)).datasets).toEqual([]);
    const again = await server.gql(`mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id });
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'JOB_FINISHED' } });
  });

  it('lists jobs newest first with filters', async () => {
    const { jobs } = await server.data(`{ jobs(status: [CANCELLED]) { status kind } }`);
    expect(jobs).toEqual([{ status: 'CANCELLED', kind: 'dataset-import' }]);
    const all = (await server.data(`{ jobs(first: 2) { id createdAt } }`)).jobs;
    expect(all).toHaveLength(2);
    expect(new Date(all[0].createdAt) >= new Date(all[1].createdAt)).toBe(true);
  });
});

describe.each(DB_KINDS)('queued jobs on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false }); // nothing works the queue
  });
  afterAll(async () => server?.close());

  it('cancels a queued job at once', async () => {
    const fx = await labelledDataset(3);
    const { importDataset } = await server.data(IMPORT, { input: { name: 'never', csvPath: fx.csvPath } });
    expect(importDataset.status).toBe('QUEUED');
    const { health } = await server.data(`{ health { queuedJobs } }`);
    expect(health.queuedJobs).toBe(1);
    const { cancelJob } = await server.data(`mutation($id: ID!) { cancelJob(id: $id) { status finishedAt } }`, { id: importDataset.id });
    expect(cancelJob.status).toBe('CANCELLED');
    expect(cancelJob.finishedAt).not.toBeNull();
  });
});
