import { waitCancellingOnInterrupt } from '../interrupt.js';
import { ProgressLine } from '../progress-line.js';
import type { RemoteApi, RemoteJob } from './api.js';

/**
 * Waits for a server's job, drawing its progress on stderr (unless quiet), as the in-process wait
 * does; Ctrl-C cancels the job on the server, as it does in-process.
 */
export async function waitRemote(api: RemoteApi, jobId: string, quiet: boolean): Promise<RemoteJob> {
  const bar = quiet ? undefined : new ProgressLine(process.stderr);
  try {
    const jobs = {
      cancel: (id: string) => api.request(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id }),
      waitFor: (id: string) => api.waitForJob(id, (progress, message) => bar?.update(progress, message)),
    };
    return await waitCancellingOnInterrupt(jobs, jobId);
  } finally {
    bar?.finish();
  }
}
