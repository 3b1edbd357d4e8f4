import type { RunStatus } from '../db/generated/enums.js';

/**
 * The run state machine, in one place. QUEUED and RUNNING are open: the run takes metrics and
 * moves between them (a retried attempt waits QUEUED again) or to a finished status. SUCCEEDED,
 * FAILED and CANCELLED are finished: the record is what the run produced, so neither its status
 * nor its metrics change again. Only an admin's audited `reopenRun` makes a finished run RUNNING,
 * and never one a registered model version was made from.
 */
export const OPEN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING'];
export const FINISHED_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export const isFinished = (status: RunStatus): boolean => FINISHED_STATUSES.includes(status);

/** The timestamps a move to `status` sets: a start when it runs, an end when it finishes. */
export function statusTimes(status: RunStatus, now = new Date()): { startedAt?: Date; finishedAt?: Date | null } {
  if (status === 'RUNNING') return { startedAt: now, finishedAt: null };
  if (isFinished(status)) return { finishedAt: now };
  return {};
}
