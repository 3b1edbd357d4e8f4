import { ProgressLine } from '../progress-line.js';
import type { RemoteApi, RemoteJob } from './api.js';

/** Waits for a server's job, drawing its progress on stderr (unless quiet), as the in-process wait does. */
export async function waitRemote(api: RemoteApi, jobId: string, quiet: boolean): Promise<RemoteJob> {
  const bar = quiet ? undefined : new ProgressLine(process.stderr);
  try {
    return await api.waitForJob(jobId, (progress, message) => bar?.update(progress, message));
  } finally {
    bar?.finish();
  }
}
