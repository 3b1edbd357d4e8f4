import type { TestServer } from './server.js';

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
