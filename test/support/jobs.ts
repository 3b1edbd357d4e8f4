import type { DbKind } from './databases.js';
import { captionDataset } from './fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const JOB = `query($id: ID!) { job(id: $id) { id status progress error message result attempts dataset { id version } } }`;

/** Polls a job through GraphQL until it has finished. */
export async function waitForJob(server: TestServer, id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job } = await server.data(JOB, { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const IMPORT = `mutation($input: ImportDatasetInput!) { importDataset(input: $input) { id status kind } }`;

/** Imports through GraphQL and returns the finished job. */
export async function importThroughApi(server: TestServer, input: Record<string, unknown>) {
  const { importDataset } = await server.data(IMPORT, { input });
  return waitForJob(server, importDataset.id);
}

/** A server with one worker thread and an imported caption dataset of `rows` (a quarter held out). */
export async function serverWithCaptions(kind: DbKind, rows: number) {
  const server = await startTestServer(kind, { env: { TAGFUSION_WORKER_THREADS: '1' } });
  const fx = await captionDataset(rows);
  const datasetId: string = (await importThroughApi(server, { name: 'captions', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
  return { server, datasetId };
}
