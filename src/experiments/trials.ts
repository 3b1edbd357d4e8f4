import type { Run } from '../db/generated/client.js';
import type { JobContext } from '../jobs/types.js';
import { RunService } from '../runs/service.js';
import { TrainingService } from '../training/service.js';
import type { Trial } from './plan.js';
import { experimentProgress, isTerminal } from './tree.js';

/** Polling backstop when no event arrives (a missed NOTIFY, a run on another server). */
const WAKE_MS = 2000;
/** Events come in bursts (an epoch writes train and val): gather them before looking again. */
const SETTLE_MS = 100;

/**
 * What an experiment's controller uses to run its trials: each trial is a normal training run
 * under the experiment, found again by its key, so that a controller restarted after a crash
 * picks up the runs it had started instead of starting them twice.
 */
export class TrialRunner {
  readonly training: TrainingService;
  readonly runs: RunService;
  private lastProgress = '';

  constructor(
    readonly ctx: JobContext,
    readonly experiment: Run,
  ) {
    this.training = new TrainingService(ctx.db, ctx.jobs, ctx.config);
    this.runs = new RunService(ctx.db, ctx.events);
  }

  /** Trial runs already under `parentId`, by trial key. */
  async existing(parentId = this.experiment.id): Promise<Map<string, Run>> {
    const rows = await this.ctx.db.prisma.run.findMany({
      where: { parentId, params: { some: { key: 'trial' } } },
      include: { params: { where: { key: 'trial' } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return new Map(rows.map(({ params, ...run }) => [params[0].valueText, run]));
  }

  /**
   * Runs the trials under `parentId`, at most `parallelism` at a time, and resolves with their
   * finished runs by key. `onTick` sees the runs after every change (the median rule uses it).
   */
  async runAll(trials: Trial[], parallelism: number, options: { parentId?: string; onTick?: (runs: Map<string, Run>) => Promise<void> } = {}): Promise<Map<string, Run>> {
    const parentId = options.parentId ?? this.experiment.id;
    for (;;) {
      this.ctx.signal.throwIfAborted();
      const runs = await this.existing(parentId);
      let slots = parallelism - [...runs.values()].filter((r) => !isTerminal(r.status)).length;
      for (const t of trials) {
        if (slots <= 0) break;
        if (runs.has(t.key)) continue;
        this.ctx.signal.throwIfAborted();
        runs.set(t.key, await this.training.startTraining(t.input, { projectId: this.experiment.projectId, parentId, trial: t.key }));
        slots--;
      }
      await options.onTick?.(runs);
      await this.publishProgress();
      const open = trials.filter((t) => !runs.has(t.key) || !isTerminal(runs.get(t.key)!.status));
      if (!open.length) return new Map(trials.map((t) => [t.key, runs.get(t.key)!]));
      const done = trials.filter((t) => runs.has(t.key) && isTerminal(runs.get(t.key)!.status)).length;
      this.ctx.progress(done / trials.length, `${done} of ${trials.length} trials finished`);
      await this.wake(new Set([...runs.values()].filter((r) => !isTerminal(r.status)).map((r) => r.id)));
    }
  }

  /** Publishes the experiment's progress when it changed. */
  async publishProgress(): Promise<void> {
    const experiment = await this.runs.get(this.experiment.id);
    const p = await experimentProgress(this.ctx.db.prisma, experiment);
    const text = JSON.stringify(p);
    if (text === this.lastProgress) return;
    this.lastProgress = text;
    await this.ctx.events.publish({ topic: 'experiment', ...p });
  }

  /** Resolves on the next event of one of `runIds`, after WAKE_MS, or when the job is aborted. */
  private wake(runIds: Set<string>): Promise<void> {
    const { signal, events } = this.ctx;
    return new Promise((resolve) => {
      let timer = setTimeout(done, WAKE_MS);
      let settling = false;
      const stop = events.onEvent((e) => {
        if (e.topic === 'run' && runIds.has(e.runId) && !settling) {
          settling = true;
          clearTimeout(timer);
          timer = setTimeout(done, SETTLE_MS);
        }
      });
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        stop();
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
