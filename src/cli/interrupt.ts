/** What waiting on a job needs, in-process (JobService) or through a server (RemoteApi). */
export interface JobWaiter<J extends { status: string }> {
  cancel(id: string): Promise<unknown>;
  waitFor(id: string): Promise<J>;
}

/** Exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT_CODE = 130;

/** A command stopped by Ctrl-C: the message says what became of its job; the CLI exits 130. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

const outcome = (job: { status: string }) => (job.status === 'CANCELLED' ? 'cancelled' : job.status === 'QUEUED' ? 'left queued' : `ended ${job.status.toLowerCase()}`);

/**
 * Waits for a job the command queued. Ctrl-C (SIGINT) cancels it, waits until it has stopped,
 * and throws Interrupted ("interrupted: job <id> cancelled"), so that the command closes the app
 * before the CLI exits 130. A second Ctrl-C exits at once.
 */
export async function waitCancellingOnInterrupt<J extends { status: string }>(jobs: JobWaiter<J>, jobId: string): Promise<J> {
  let interrupted = false;
  let cancelFailed = false;
  const onSigint = () => {
    if (interrupted) process.exit(INTERRUPTED_EXIT_CODE);
    interrupted = true;
    process.stderr.write(`\ntagfusion: interrupted: cancelling job ${jobId} (Ctrl-C again to exit at once)\n`);
    // A job that finished meanwhile cannot be cancelled; the wait below sees how it ended.
    jobs.cancel(jobId).catch(() => (cancelFailed = true));
  };
  process.on('SIGINT', onSigint);
  try {
    const job = await jobs.waitFor(jobId);
    if (interrupted) throw new Interrupted(`interrupted: job ${jobId} ${outcome(job)}${cancelFailed && job.status !== 'CANCELLED' ? ' (it could not be cancelled)' : ''}`);
    return job;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
