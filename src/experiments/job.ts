import { z } from 'zod';
import type { PrismaClient } from '../db/generated/client.js';
import { isAppError, publicError } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import type { JobDefinition } from '../jobs/types.js';
import { RunService } from '../runs/service.js';
import { runAblation } from './ablation.js';
import { runModelComparison } from './comparison.js';
import { EXPERIMENT_KINDS, parseExperimentInput, type ExperimentKind } from './input.js';
import type { ExperimentOutcome } from './outcome.js';
import { runPseudoLabeling } from './pseudo-label.js';
import { runSweep } from './sweep.js';
import { cancelDescendantJobs, descendants, isTerminal } from './tree.js';
import { TrialRunner } from './trials.js';

const payloadSchema = z.object({ runId: z.string() });

const CONTROLLERS: Record<ExperimentKind, (t: TrialRunner, raw: unknown) => Promise<ExperimentOutcome>> = {
  sweep: (t, raw) => runSweep(t, parseExperimentInput('sweep', raw)),
  'model-comparison': (t, raw) => runModelComparison(t, parseExperimentInput('model-comparison', raw)),
  ablation: (t, raw) => runAblation(t, parseExperimentInput('ablation', raw)),
  'pseudo-label': (t, raw) => runPseudoLabeling(t, parseExperimentInput('pseudo-label', raw)),
};

/**
 * An experiment's controller: starts its trials (each a queued training job), waits for them,
 * and records the outcome. It holds no state the database does not: a controller restarted
 * after a crash (the queue retries it) finds the trials it had started and carries on.
 */
export const experimentJob: JobDefinition<{ runId: string }, Record<string, unknown>> = {
  kind: 'experiment',
  retryLimit: 5,
  retryDelaySeconds: 2,
  // pg-boss's longest; a longer experiment's controller is expired, retried, and resumes.
  expireInSeconds: 24 * 3600,
  parsePayload: (p) => payloadSchema.parse(p),
  async run(ctx, { runId }) {
    const runs = new RunService(ctx.db, ctx.events);
    const experiment = await runs.get(runId);
    if (isTerminal(experiment.status)) return { runId, status: experiment.status };
    if (!(EXPERIMENT_KINDS as readonly string[]).includes(experiment.kind)) throw new Error(`run ${runId} is a ${experiment.kind} run, not an experiment`);
    const t = new TrialRunner(ctx, experiment.status === 'RUNNING' ? experiment : await runs.setStatus(runId, 'RUNNING'));
    try {
      const outcome = await CONTROLLERS[experiment.kind as ExperimentKind](t, experiment.config);
      await ctx.db.prisma.run.update({ where: { id: runId }, data: { summary: outcome as object } });
      await runs.setStatus(runId, outcome.error ? 'FAILED' : 'SUCCEEDED', { error: outcome.error ?? null });
      await t.publishProgress();
      return { runId, best: outcome.best, error: outcome.error };
    } catch (err) {
      const job = await ctx.db.prisma.job.findUnique({ where: { id: ctx.jobId } });
      if (job?.cancelRequested) await stopExperiment(ctx.db.prisma, ctx.jobs, runs, runId, 'cancelled');
      // A bad input cannot get better by retrying; anything else (a lost connection, a crash
      // of this process) is retried by the queue and the controller carries on.
      else if (isAppError(err) || ctx.attempt > experimentJob.retryLimit) await stopExperiment(ctx.db.prisma, ctx.jobs, runs, runId, publicError(err).message, 'FAILED');
      throw err;
    }
  },
};

/** Stops an experiment: its queued and running trials are cancelled, its rounds and itself end. */
export async function stopExperiment(prisma: PrismaClient, jobs: JobService, runs: RunService, runId: string, reason: string, status: 'CANCELLED' | 'FAILED' = 'CANCELLED') {
  await cancelDescendantJobs(prisma, jobs, runId);
  for (const run of await descendants(prisma, runId)) {
    // Trials end through their jobs; the rounds of pseudo-labelling have none.
    if (run.kind !== 'train' && !isTerminal(run.status)) await runs.setStatus(run.id, 'CANCELLED', { error: reason });
  }
  const experiment = await runs.get(runId);
  if (!isTerminal(experiment.status)) await runs.setStatus(runId, status, { error: reason });
}
