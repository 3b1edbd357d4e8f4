import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { slowDataset } from '../support/fixtures.js';
import { freePort, poll, startServerProcess, type ServerProcess } from '../support/process.js';

// Each test starts server or CLI processes (each opens its database): slow on a busy machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const JOB = `query($id: ID!) { job(id: $id) { status progress attempts workerId error message result } }`;


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
    const { datasets } = await server.gql(`{ datasets(name: "crash") { version sampleCount } }`);
    expect(datasets).toEqual([{ version: 1, sampleCount: 600 }]);
  });
});
