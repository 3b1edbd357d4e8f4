import type { Run } from '../db/generated/client.js';

/** What a controller leaves in the experiment's summary; `error` when it could not finish. */
export interface ExperimentOutcome {
  plannedTrials: number;
  trials: number;
  succeeded: number;
  best: { runId: string; key: string; value: number } | null;
  error?: string;
  [more: string]: unknown;
}

/** Value of a finished run's objective (its final validation metrics, after best-weight restore). */
export function objectiveOf(run: Run, objective: { metric: string; split: string }): number | undefined {
  const summary = run.summary as Record<string, Record<string, number> | undefined> | null;
  const v = summary?.[objective.split]?.[objective.metric];
  return typeof v === 'number' ? v : undefined;
}

/** Counts and the best run of a set of trials. */
export function outcomeOf(runs: Map<string, Run>, objective: { metric: string; split: string }, minimise: boolean, plannedTrials = runs.size): ExperimentOutcome {
  let best: ExperimentOutcome['best'] = null;
  for (const [key, run] of runs) {
    const value = run.status === 'SUCCEEDED' ? objectiveOf(run, objective) : undefined;
    if (value !== undefined && (!best || (minimise ? value < best.value : value > best.value))) best = { runId: run.id, key, value };
  }
  const succeeded = [...runs.values()].filter((r) => r.status === 'SUCCEEDED').length;
  return { plannedTrials, trials: runs.size, succeeded, best, ...(succeeded ? {} : { error: 'no trial succeeded' }) };
}
