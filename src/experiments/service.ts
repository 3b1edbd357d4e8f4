import type { Database } from '../db/database.js';
import type { Run } from '../db/generated/client.js';
import type { AppEvent, EventBus } from '../events/bus.js';
import { errors, isAppError } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import { ProjectService } from '../projects/service.js';
import { encodeParam, flattenConfig } from '../runs/params.js';
import { RunService } from '../runs/service.js';
import type { TrainingService } from '../training/service.js';
import { ablationConfigs, ablationFirstStage } from './ablation.js';
import { comparisonTrials } from './comparison.js';
import { EXPERIMENT_KINDS, parseExperimentInput, type ExperimentKind } from './input.js';
import { experimentJob, stopExperiment } from './job.js';
import { sweepTrials, type Trial } from './plan.js';
import { experimentTable, toCsv, toMarkdown } from './tables.js';
import { isTerminal, progressOf, type ExperimentProgress } from './tree.js';

/** Where an experiment's runs go: a project id (Default when none). */
export interface ExperimentPlacement {
  projectId?: unknown;
}

/**
 * The project is where runs go, not how they train: a training input that names one (a typo for
 * the experiment's own projectId) would be dropped silently, so it is refused.
 */
function rejectProjectInTrainingInputs(input: Record<string, unknown>): void {
  for (const field of ['base', 'text', 'vision']) {
    const value = input[field] as Record<string, unknown> | undefined;
    if (value && Object.hasOwn(value, 'projectId')) {
      throw errors.badInput(`${field}.projectId: the project is not a training input; give the experiment's projectId`, { field: `${field}.projectId` });
    }
  }
}

/** Experiments: a parent run whose children are training runs, started and controlled as one. */
export class ExperimentService {
  private readonly runs: RunService;
  private readonly projects: ProjectService;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
    private readonly events: EventBus,
    private readonly training: TrainingService,
  ) {
    this.runs = new RunService(db, events);
    this.projects = new ProjectService(db);
  }

  startSweep = (raw: unknown, placement?: ExperimentPlacement) => this.start('sweep', raw, placement);
  startModelComparison = (raw: unknown, placement?: ExperimentPlacement) => this.start('model-comparison', raw, placement);
  startAblation = (raw: unknown, placement?: ExperimentPlacement) => this.start('ablation', raw, placement);
  startPseudoLabeling = (raw: unknown, placement?: ExperimentPlacement) => this.start('pseudo-label', raw, placement);

  /**
   * Checks every trial the experiment will start (so a typo fails now, not an hour in), then
   * creates the experiment's run and its controller job in one transaction. The run holds the
   * project; trials and rounds, created later (after a restart too), take it from there.
   */
  private async start(kind: ExperimentKind, raw: unknown, placement: ExperimentPlacement = {}): Promise<Run> {
    const project = await this.projects.forNewRuns(placement.projectId);
    const input = parseExperimentInput(kind, raw);
    rejectProjectInTrainingInputs(input as Record<string, unknown>);
    const dataset = await this.db.prisma.dataset.findUnique({ where: { id: input.datasetId } });
    if (!dataset) throw errors.datasetNotFound(input.datasetId);
    let trials: Trial[];
    let planned: number;
    if (kind === 'pseudo-label') {
      const p = parseExperimentInput('pseudo-label', raw);
      const unlabelled = await this.db.prisma.dataset.findUnique({ where: { id: p.unlabelledDatasetId } });
      if (!unlabelled) throw errors.datasetNotFound(p.unlabelledDatasetId);
      if (p.unlabelledDatasetId === p.datasetId && (!p.unlabelledSplit || p.unlabelledSplit === 'VAL')) {
        throw errors.badInput('pseudo-labelling the labelled dataset needs unlabelledSplit, and not VAL (the validation split scores the rounds)', { field: 'unlabelledSplit' });
      }
      const modality = (extra: Record<string, unknown>, head: string) => ({ ...p.base, ...extra, datasetId: p.datasetId, head: extra.head ?? head });
      trials = [
        { key: 'text', name: 'text', input: modality(p.text, 'text') },
        { key: 'vision', name: 'vision', input: modality(p.vision, 'vision') },
      ];
      planned = 3;
    } else if (kind === 'sweep') {
      trials = sweepTrials(parseExperimentInput('sweep', raw));
      planned = trials.length;
    } else if (kind === 'model-comparison') {
      trials = comparisonTrials(parseExperimentInput('model-comparison', raw));
      planned = trials.length;
    } else {
      const a = parseExperimentInput('ablation', raw);
      trials = ablationFirstStage(a);
      planned = ablationConfigs(a).length;
    }
    for (const t of trials) {
      try {
        await this.training.validate(t.input);
      } catch (err) {
        if (!isAppError(err) || err.code !== 'BAD_INPUT') throw err;
        throw errors.badInput(`trial ${t.name}: ${err.message}`, err.details);
      }
    }
    const { base: _base, space: _space, encoders, text: _text, vision: _vision, ...settings } = input as Record<string, unknown>;
    const params = flattenConfig({ ...settings, encoders: Array.isArray(encoders) ? encoders.map((e) => (e as { id: string }).id).join(',') : undefined, plannedTrials: planned });
    const { run } = await this.jobs.enqueueWith(experimentJob.kind, async (tx) => {
      const created = await tx.run.create({
        data: {
          kind,
          name: input.name ?? `${kind} ${new Date().toISOString().slice(0, 19)}`,
          datasetId: input.datasetId,
          projectId: project.id,
          config: input as object,
          summary: { plannedTrials: planned },
          params: { create: Object.entries(params).map(([key, value]) => ({ key, ...encodeParam(value) })) },
        },
      });
      return { payload: { runId: created.id }, runId: created.id, run: created };
    });
    return run;
  }

  /** Cancels an experiment: its controller and every queued or running trial stop. */
  async cancel(id: string): Promise<Run> {
    const run = await this.experiment(id);
    if (isTerminal(run.status)) throw errors.runFinished(id, run.status);
    const controllers = await this.db.prisma.job.findMany({ where: { runId: id, kind: experimentJob.kind, status: { in: ['QUEUED', 'RUNNING'] } } });
    for (const job of controllers) await this.jobs.cancel(job.id).catch(() => undefined);
    // Also when no controller is alive (its worker died): nothing may keep training.
    await stopExperiment(this.db.prisma, this.jobs, this.runs, id, 'cancelled');
    return this.runs.get(id);
  }

  /** Progress of experiments, batched (non-experiments get null). */
  async progress(runs: readonly Run[]): Promise<(ExperimentProgress | null)[]> {
    const experiments = runs.filter(isExperiment);
    const byId = new Map((await progressOf(this.db.prisma, experiments)).map((p) => [p.runId, p]));
    return runs.map((r) => byId.get(r.id) ?? null);
  }

  /** The paper-style result table of an experiment, as Markdown or CSV. */
  async table(run: Run, format: 'MARKDOWN' | 'CSV'): Promise<string | null> {
    if (!isExperiment(run)) return null;
    // A run logged by an outside tool may be called a sweep without being one of ours.
    if (!startedByTagfusion(run)) return null;
    const t = await experimentTable(this.db.prisma, run);
    return format === 'CSV' ? toCsv(t) : toMarkdown(t);
  }

  /** Progress of one experiment whenever it changes (for GraphQL subscriptions). */
  async subscribe(id: string, signal?: AbortSignal): Promise<AsyncGenerator<Extract<AppEvent, { topic: 'experiment' }>>> {
    await this.experiment(id);
    return this.events.iterate((e): e is Extract<AppEvent, { topic: 'experiment' }> => e.topic === 'experiment' && e.runId === id, signal);
  }

  private async experiment(id: string): Promise<Run> {
    const run = await this.runs.get(id);
    if (!isExperiment(run)) throw errors.badInput(`run ${id} is a ${run.kind} run, not an experiment`, { field: 'id' });
    return run;
  }
}

const startedByTagfusion = (run: Run) => {
  try {
    parseExperimentInput(run.kind as ExperimentKind, run.config);
    return true;
  } catch {
    return false;
  }
};

export const isExperiment = (run: Run) => (EXPERIMENT_KINDS as readonly string[]).includes(run.kind);
