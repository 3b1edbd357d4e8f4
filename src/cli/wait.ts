import type { App } from '../app.js';
import type { Job } from '../db/generated/client.js';
import { waitCancellingOnInterrupt } from './interrupt.js';
import { ProgressLine } from './progress-line.js';

/**
 * Waits for a job, drawing its progress on stderr (unless quiet), and returns the finished job.
 * Ctrl-C cancels the job and ends the command with Interrupted (see interrupt.ts).
 */
export async function waitWithProgress(app: App, jobId: string, quiet: boolean): Promise<Job> {
  const bar = quiet ? undefined : new ProgressLine(process.stderr);
  const stop = app.events.onEvent((e) => {
    if (e.topic === 'job' && e.jobId === jobId) bar?.update(e.progress, e.message ?? '');
  });
  try {
    return await waitCancellingOnInterrupt(app.services.jobs, jobId);
  } finally {
    stop();
    bar?.finish();
  }
}

/** Reports a job that did not succeed and sets the exit code; returns false then. */
export function succeeded(job: Pick<Job, 'status' | 'error' | 'message'>, what: string): boolean {
  if (job.status === 'SUCCEEDED') return true;
  process.stderr.write(`tagfusion: ${what} ${job.status.toLowerCase()}: ${job.error ?? job.message ?? ''}\n`);
  process.exitCode = 2;
  return false;
}
