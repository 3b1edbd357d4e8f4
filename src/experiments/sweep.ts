import type { Run } from '../db/generated/client.js';
import { minimised, type SweepInput } from './input.js';
import { medianStop, type Curve, type MedianRule } from './median-stopping.js';
import { outcomeOf, type ExperimentOutcome } from './outcome.js';
import { sweepTrials } from './plan.js';
import type { TrialRunner } from './trials.js';

/** Param of a trial the median rule stopped: why, for the table and the run page. */
export const STOPPED_EARLY = 'stoppedEarly';

/** A grid or random search: every trial a training run, weak ones optionally stopped early. */
export async function runSweep(t: TrialRunner, input: SweepInput): Promise<ExperimentOutcome> {
  const trials = sweepTrials(input);
  const minimise = minimised(input.objective.metric);
  const rule = input.earlyTermination ? { ...input.earlyTermination, minimise } : null;
  const runs = await t.runAll(trials, input.parallelism, { onTick: rule ? (r) => stopWeakTrials(t, r, input.objective, rule) : undefined });
  return outcomeOf(runs, input.objective, minimise, trials.length);
}

/**
 * Applies the median rule to the running trials: a weak one gets a `stoppedEarly` param with the
 * reason, and its job is cancelled; once it has stopped, the reason replaces its error.
 */
async function stopWeakTrials(t: TrialRunner, runs: Map<string, Run>, objective: { metric: string; split: string }, rule: MedianRule): Promise<void> {
  const { prisma } = t.ctx.db;
  const ids = [...runs.values()].map((r) => r.id);
  const [points, stopped] = await Promise.all([
    prisma.epochMetric.findMany({ where: { runId: { in: ids }, name: objective.metric, split: objective.split }, select: { runId: true, epoch: true, value: true } }),
    prisma.runParam.findMany({ where: { runId: { in: ids }, key: STOPPED_EARLY } }),
  ]);
  const reasons = new Map(stopped.map((p) => [p.runId, p.valueText]));
  const curves = new Map<string, Curve>(ids.map((id) => [id, new Map()]));
  for (const p of points) curves.get(p.runId)!.set(p.epoch, p.value);
  for (const run of runs.values()) {
    const reason = reasons.get(run.id);
    if (reason && run.status === 'CANCELLED' && run.error !== reason) await prisma.run.update({ where: { id: run.id }, data: { error: reason } });
    if (reason || run.status !== 'RUNNING') continue;
    const others = [...curves].filter(([id]) => id !== run.id).map(([, c]) => c);
    const stop = medianStop(curves.get(run.id)!, others, rule);
    if (!stop) continue;
    const why = `stopped by the median rule at epoch ${stop.epoch}: best ${objective.split} ${objective.metric} ${stop.value.toFixed(4)} is ${rule.minimise ? 'above' : 'below'} the median ${stop.median.toFixed(4)} of the other trials`;
    await prisma.runParam.create({ data: { runId: run.id, key: STOPPED_EARLY, valueText: why } });
    const jobs = await prisma.job.findMany({ where: { runId: run.id, status: { in: ['QUEUED', 'RUNNING'] } } });
    for (const job of jobs) await t.ctx.jobs.cancel(job.id).catch(() => undefined);
    t.ctx.log.info({ runId: run.id }, why);
  }
}
