import { afterEach, describe, expect, it, vi } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { labelledDataset } from '../support/fixtures.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const LONG_AGO = new Date(Date.now() - 3600_000);

describe.each(DB_KINDS)('cancelled jobs stay cancelled across restarts (%s)', (kind) => {
  let db: TestDatabase;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db?.drop();
  });

  /** Queues an import, then makes its row look like a job a dead worker was running. */
  async function orphanedJob(heartbeatAt: Date) {
    const fx = await labelledDataset(3);
    const job = await app!.services.datasets.importDataset({ name: 'orphan', csvPath: fx.csvPath });
    await app!.db.prisma.job.update({ where: { id: job.id }, data: { status: 'RUNNING', attempts: 1, startedAt: LONG_AGO, heartbeatAt, workerId: 'dead-worker' } });
    return job.id;
  }

  /** Stops this process's app and starts another on the same database, working jobs. */
  async function restart() {
    await app!.close();
    app = await startApp(db.config, { workJobs: true });
  }

  it('a running job whose worker stopped ends CANCELLED at once, in the table and the queue, and no restart runs it', async () => {
    db = await createTestDatabase(kind);
    app = await startApp(db.config, { workJobs: false });
    const id = await orphanedJob(LONG_AGO);
    const cancelled = await app.services.jobs.cancel(id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancelRequested: true, message: 'cancelled; its worker dead-worker had stopped' });
    expect(cancelled.finishedAt).not.toBeNull();
    await restart();
    await new Promise((r) => setTimeout(r, 2000)); // time to claim it, were it still queued
    expect(await app.services.jobs.get(id)).toMatchObject({ status: 'CANCELLED', attempts: 1, message: 'cancelled; its worker dead-worker had stopped' });
    expect(await app.db.prisma.dataset.count()).toBe(0);
    await expect(app.services.jobs.cancel(id)).rejects.toMatchObject({ code: 'JOB_FINISHED' });
  });

  it('orphan recovery ends a job whose cancel was asked of a worker that then died: CANCELLED, not re-queued', async () => {
    db = await createTestDatabase(kind);
    app = await startApp(db.config, { workJobs: false });
    const id = await orphanedJob(new Date()); // its worker looks alive: the cancel is only asked
    expect(await app.services.jobs.cancel(id)).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    await app.db.prisma.job.update({ where: { id }, data: { heartbeatAt: LONG_AGO } }); // …and then it died
    await restart();
    const job = await app.services.jobs.get(id);
    expect(job).toMatchObject({ status: 'CANCELLED', attempts: 1, message: 'cancelled; its worker dead-worker stopped before the job did' });
    expect(job.message).not.toMatch(/before it started/);
  });

  it('a queued job that had run says so when cancelled', async () => {
    db = await createTestDatabase(kind);
    app = await startApp(db.config, { workJobs: false });
    const fx = await labelledDataset(3);
    const fresh = await app.services.datasets.importDataset({ name: 'fresh', csvPath: fx.csvPath });
    expect((await app.services.jobs.cancel(fresh.id)).message).toBe('cancelled before it started');
    const retried = await app.services.datasets.importDataset({ name: 'retried', csvPath: fx.csvPath });
    await app.db.prisma.job.update({ where: { id: retried.id }, data: { attempts: 2 } });
    expect((await app.services.jobs.cancel(retried.id)).message).toBe('cancelled while queued for attempt 3 (it had run 2 times)');
  });

  it('a process that works only its own jobs leaves older queued ones alone; one working all takes them', async () => {
    db = await createTestDatabase(kind);
    app = await startApp(db.config, { workJobs: false });
    const fx = await labelledDataset(3);
    const old = await app.services.datasets.importDataset({ name: 'left-behind', csvPath: fx.csvPath });
    await app.close();
    app = await startApp(db.config, { workJobs: true, ownJobsOnly: true });
    const mine = await app.services.datasets.importDataset({ name: 'mine', csvPath: fx.csvPath });
    expect((await app.services.jobs.waitFor(mine.id, 60_000)).status).toBe('SUCCEEDED');
    await new Promise((r) => setTimeout(r, 1500)); // several polls of the queue
    expect(await app.services.jobs.get(old.id)).toMatchObject({ status: 'QUEUED', attempts: 0 });
    await restart(); // works every job
    expect((await app.services.jobs.waitFor(old.id, 60_000)).status).toBe('SUCCEEDED');
  });
});
