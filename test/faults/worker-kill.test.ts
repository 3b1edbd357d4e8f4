import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import { verifyArtifact } from '../../src/registry/snapshot.js';
import { captionDataset } from '../support/fixtures.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { freePort, poll, startServerProcess, type ServerProcess } from '../support/process.js';

const RUN = `query($id: ID!) { run(id: $id) { status error epochMetrics(split: "val", name: "loss") { epoch } artifacts { name uri sizeBytes checksum } } }`;
const JOBS = `{ jobs(kind: ["train"], status: [QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED]) { id status attempts error workerId } }`;


/**
 * SIGKILL of the process that trains (API server and job worker in one), mid-training: the next
 * process takes the stale job back; the run ends SUCCEEDED with an artifact whose file matches
 * its row (size and sha256), or FAILED with a reason and no artifact row.
 */
describe.each(DB_KINDS)('a worker killed mid-training (%s)', (kind) => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.kill('SIGTERM');
    await db?.drop();
  });

  it('retries the job; no artifact row points at a missing or partial file', async () => {
    db = await createTestDatabase(kind, { TAGFUSION_WORKER_THREADS: '1', TAGFUSION_JOB_STALE_SECONDS: '2' });
    const port = await freePort();
    server = await startServerProcess(db.env, port);
    const fx = await captionDataset(160);
    const { importDataset } = await server.gql(`mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id } }`, { input: { name: 'kill', csvPath: fx.csvPath, valFraction: 0.25 } });
    const imported = await poll(() => server!.gql(`query($id: ID!) { job(id: $id) { status result } }`, { id: importDataset.id }), (d) => ['SUCCEEDED', 'FAILED'].includes(d.job.status), 60_000, 'the import');
    expect(imported.job.status).toBe('SUCCEEDED');
    const { startTraining } = await server.gql(`mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`, {
      // enough epochs that the kill lands mid-training: a head trains much faster than its epochs are written
      input: { datasetId: imported.job.result.datasetId, head: 'TEXT', epochs: 300, batchSize: 1 },
    });
    const runId = startTraining.id;
    await poll(() => server!.gql(RUN, { id: runId }), (d) => d.run.epochMetrics.length >= 1, 120_000, 'the first epoch');
    const before = await server.gql(JOBS);
    const dead = before.jobs[0];
    expect(dead).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect((await server.gql(RUN, { id: runId })).run.status).toBe('RUNNING');
    await server.kill('SIGKILL');

    server = await startServerProcess(db.env, port);
    const done = await poll(() => server!.gql(JOBS), (d) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(d.jobs[0].status), 240_000, 'the job to end');
    const job = done.jobs[0];
    const { run } = await server.gql(RUN, { id: runId });
    expect(job.workerId).not.toBe(dead.workerId);
    expect(job.attempts).toBe(2);
    expect(run.status).toBe(job.status); // the run agrees with its job
    const root = artifactRoot(db.config);
    // The server holds the database (PGlite's folder): the rows come through the API.
    const rows = (run.artifacts as { uri: string; sizeBytes: string | number; checksum: string }[]).map((a) => ({ ...a, sizeBytes: BigInt(a.sizeBytes) }));
    if (job.status === 'FAILED') {
      expect(run.error).toBeTruthy();
      expect(rows).toEqual([]);
    } else {
      expect(job.status).toBe('SUCCEEDED');
      expect(run.epochMetrics.map((e: { epoch: number }) => e.epoch)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1)); // epochs count from 1
      expect(rows).toHaveLength(1);
      // Every artifact row's file is whole: its size and sha256 match.
      for (const row of rows) await verifyArtifact(root, runId, row);
      const registered = await server.gql(`mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created version { version artifactChecksum } } }`, {
        input: { runId, model: 'after-kill' },
      });
      expect(registered.registerModelVersion).toMatchObject({ created: true, version: { version: 1, artifactChecksum: rows[0]?.checksum } });
    }
    expect(existsSync(join(root, runId, 'model.json'))).toBe(rows.length > 0);
  }, 360_000);
});

