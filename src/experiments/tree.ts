import type { PrismaClient, Run } from '../db/generated/client.js';
import type { RunStatus } from '../db/generated/enums.js';
import type { JobService } from '../jobs/service.js';
import { minimised } from './input.js';

export const TERMINAL_RUN: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const isTerminal = (status: RunStatus) => TERMINAL_RUN.includes(status);

/** Runs below an experiment: its children and, for pseudo-labelling, its rounds' children. */
export async function descendants(prisma: PrismaClient, experimentId: string): Promise<Run[]> {
  const children = await prisma.run.findMany({ where: { parentId: experimentId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const parents = children.filter((c) => c.kind !== 'train').map((c) => c.id);
  const grandchildren = parents.length ? await prisma.run.findMany({ where: { parentId: { in: parents } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }) : [];
  return [...children, ...grandchildren];
}

/** Asks every queued or running job of the experiment's runs to stop. */
export async function cancelDescendantJobs(prisma: PrismaClient, jobs: JobService, experimentId: string): Promise<number> {
  const ids = (await descendants(prisma, experimentId)).map((r) => r.id);
  const open = await prisma.job.findMany({ where: { runId: { in: ids }, status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  for (const job of open) await jobs.cancel(job.id).catch(() => undefined); // it may finish meanwhile
  return open.length;
}

export interface ExperimentProgress {
  runId: string;
  status: RunStatus;
  total: number;
  done: number;
  running: number;
  queued: number;
  failed: number;
  best: { runId: string; value: number } | null;
}

/**
 * Where experiments stand: their training runs by status (total includes the ones planned but
 * not started) and the best finished one on each experiment's objective. Four queries for any
 * number of experiments, so a page of them costs no more than one.
 */
export async function progressOf(prisma: PrismaClient, experiments: Run[]): Promise<ExperimentProgress[]> {
  const ids = experiments.map((e) => e.id);
  const select = { id: true, parentId: true, kind: true, status: true } as const;
  const children = ids.length ? await prisma.run.findMany({ where: { parentId: { in: ids } }, select }) : [];
  const rounds = children.filter((c) => c.kind !== 'train');
  const grandchildren = rounds.length ? await prisma.run.findMany({ where: { parentId: { in: rounds.map((r) => r.id) } }, select }) : [];
  const experimentOf = new Map<string, string>(children.map((c) => [c.id, c.parentId!]));
  const trials = new Map<string, { id: string; status: RunStatus }[]>(ids.map((id) => [id, []]));
  for (const r of [...children, ...grandchildren]) {
    if (r.kind !== 'train') continue;
    // a trial's parent is the experiment, or one of its pseudo-labelling rounds
    trials.get(experimentOf.get(r.parentId!) ?? r.parentId!)?.push(r);
  }
  const objectiveOf = (e: Run) => {
    const config = e.config as { objective?: { metric?: string; split?: string } };
    return { metric: config.objective?.metric ?? 'microF1', split: config.objective?.split ?? 'val' };
  };
  const finished = [...trials.values()].flat().filter((r) => r.status === 'SUCCEEDED').map((r) => r.id);
  const objectives = experiments.map(objectiveOf);
  const summaries = finished.length
    ? await prisma.metricSummary.findMany({ where: { runId: { in: finished }, name: { in: [...new Set(objectives.map((o) => o.metric))] }, split: { in: [...new Set(objectives.map((o) => o.split))] } } })
    : [];
  return experiments.map((e, i) => {
    const own = trials.get(e.id)!;
    const count = (...s: RunStatus[]) => own.filter((r) => s.includes(r.status)).length;
    const { metric, split } = objectives[i];
    const low = minimised(metric);
    const mine = new Set(own.map((r) => r.id));
    let best: ExperimentProgress['best'] = null;
    for (const s of summaries) {
      if (!mine.has(s.runId) || s.name !== metric || s.split !== split) continue;
      const value = low ? s.minValue : s.maxValue;
      if (!best || (low ? value < best.value : value > best.value)) best = { runId: s.runId, value };
    }
    const planned = (e.summary as { plannedTrials?: number } | null)?.plannedTrials ?? 0;
    return { runId: e.id, status: e.status, total: Math.max(planned, own.length), done: count('SUCCEEDED'), running: count('RUNNING'), queued: count('QUEUED'), failed: count('FAILED', 'CANCELLED'), best };
  });
}

export const experimentProgress = async (prisma: PrismaClient, experiment: Run) => (await progressOf(prisma, [experiment]))[0];
