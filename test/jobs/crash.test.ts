import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { labelledDataset, slowDataset } from '../support/fixtures.js';
import { freePort, poll, startServerProcess, type ServerProcess } from '../support/process.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const JOB = `query($id: ID!) { job(id: $id) { status progress attempts workerId error message result startedAt } }`;
const IMPORT = `mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`;
const FINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];


describe.each(DB_KINDS)('a server killed during a job (%s)', (kind) => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.kill('SIGTERM');
    await db?.drop();
  });

  it('leaves no job RUNNING after restart: the job is re-queued and completes', async () => {
    db = await createTestDatabase(kind, { TAGFUSION_WORKER_THREADS: '1', TAGFUSION_JOB_STALE_SECONDS: '2' });
    const port = await freePort();
    server = await startServerProcess(db.env, port);
    const fx = await slowDataset(600);
    const { importDataset } = await server.gql(`mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`, {
      input: { name: 'crash', csvPath: fx.csvPath, imagesDir: fx.imagesDir },
    });
    const id = importDataset.id;
    const running = await poll(() => server!.gql(JOB, { id }), (d) => d.job.status === 'RUNNING' && d.job.progress > 0.05, 30_000, 'the job to run');
    const deadWorker = running.job.workerId;
    await server.kill('SIGKILL');

    server = await startServerProcess(db.env, port);
    // Never left RUNNING on the dead worker: re-queued (then run again by the new server).
    const recovered = await poll(() => server!.gql(JOB, { id }), (d) => d.job.status !== 'RUNNING' || d.job.workerId !== deadWorker, 30_000, 'recovery');
    expect(['QUEUED', 'RUNNING', 'SUCCEEDED']).toContain(recovered.job.status);
    const done = await poll(() => server!.gql(JOB, { id }), (d) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(d.job.status), 60_000, 'completion');
    expect(done.job.status).toBe('SUCCEEDED');
    expect(done.job.attempts).toBe(2);
    expect(done.job.workerId).not.toBe(deadWorker);
    // startedAt is the second attempt's start, and no progress message outlives the success.
    expect(Date.parse(done.job.startedAt)).toBeGreaterThan(Date.parse(running.job.startedAt));
    expect(done.job.message).toBeNull();
    const { datasets } = await server.gql(`{ datasets(name: "crash") { version sampleCount } }`);
    expect(datasets).toEqual([{ version: 1, sampleCount: 600 }]);
  });

  it('recovers jobs still queued when it dies: each runs exactly once after restart', async () => {
    // One job at a time: while the slow import runs, the next ones wait in the queue.
    db = await createTestDatabase(kind, { TAGFUSION_WORKER_THREADS: '1', TAGFUSION_JOB_CONCURRENCY: '1', TAGFUSION_JOB_STALE_SECONDS: '2' });
    const port = await freePort();
    const [slow, small, smaller] = await Promise.all([slowDataset(600), labelledDataset(30), labelledDataset(20)]);
    server = await startServerProcess(db.env, port);
    const submit = async (name: string, fx: { csvPath: string; imagesDir: string }) => (await server!.gql(IMPORT, { input: { name, csvPath: fx.csvPath, imagesDir: fx.imagesDir } })).importDataset.id as string;
    const busy = await submit('busy', slow);
    await poll(() => server!.gql(JOB, { id: busy }), (d) => d.job.status === 'RUNNING', 30_000, 'the slow job to run');
    const queued = [await submit('queued-a', small), await submit('queued-b', smaller)];
    const states = await Promise.all([busy, ...queued].map(async (id) => (await server!.gql(JOB, { id })).job.status));
    expect(states).toEqual(['RUNNING', 'QUEUED', 'QUEUED']);
    await server.kill('SIGKILL');

    server = await startServerProcess(db.env, port);
    const done = await Promise.all([busy, ...queued].map((id) => poll(() => server!.gql(JOB, { id }), (d) => FINAL.includes(d.job.status), 120_000, `job ${id} to end`, 250)));
    expect(done.map((d) => [d.job.status, d.job.attempts])).toEqual([
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 1],
      ['SUCCEEDED', 1],
    ]);
    // Started once (attempts) and wrote its own dataset version (not reused from a twin run).
    for (const d of done.slice(1)) expect(d.job.result.reused).toBe(false);
    // Nothing left waiting or running, no other job appeared, and each dataset has one version.
    expect((await server.gql(`{ jobs(status: [QUEUED, RUNNING]) { id } }`)).jobs).toEqual([]);
    expect((await server.gql(`{ jobs { id } }`)).jobs).toHaveLength(3);
    const versions = async (name: string) => (await server!.gql(`query($name: String!) { datasets(name: $name) { version sampleCount } }`, { name })).datasets;
    expect(await versions('busy')).toEqual([{ version: 1, sampleCount: 600 }]);
    expect(await versions('queued-a')).toEqual([{ version: 1, sampleCount: 30 }]);
    expect(await versions('queued-b')).toEqual([{ version: 1, sampleCount: 20 }]);
  });
});
