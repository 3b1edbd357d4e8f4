import type { JobContext } from '../jobs/types.js';
import type { SplitReport, EpochReport } from '../ml/train.js';
import type { ClassMetricInput, EpochMetricInput } from '../runs/repository.js';
import type { RunService } from '../runs/service.js';

/** The scalar metrics of a split, as stored per epoch and in the summary. */
export function flatMetrics(r: SplitReport) {
  const m = r.metrics;
  return { loss: r.loss, microF1: m.microF1, macroF1: m.macroF1, samplesF1: m.samplesF1, meanAccuracy: m.meanAccuracy, subsetAccuracy: m.subsetAccuracy };
}

/** Writes one epoch's scalar and per-class metrics for train and val (and publishes them). */
export async function recordEpoch(runs: RunService, runId: string, r: EpochReport, classIds: number[]) {
  const metrics: EpochMetricInput[] = [{ name: 'epochSeconds', split: 'train', value: r.seconds }];
  const classMetrics: ClassMetricInput[] = [];
  for (const split of ['train', 'val'] as const) {
    for (const [name, value] of Object.entries(flatMetrics(r[split]))) metrics.push({ name, split, value });
    for (const c of r[split].metrics.perClass) {
      classMetrics.push({ split, classId: classIds[c.index], precision: c.precision, recall: c.recall, f1: c.f1, accuracy: c.accuracy, support: c.support });
    }
  }
  await runs.recordEpoch(runId, r.epoch, metrics, classMetrics);
}

/**
 * Writes a run's epochs in order while its training task goes on. A failed write must not be
 * left unhandled until the task ends (Node ends the process on that): it is kept, later epochs
 * are not written, `signal` aborts so that the caller can stop the task, and `done()` throws it.
 */
export class EpochWriter {
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  private readonly stop = new AbortController();

  constructor(private readonly write: (report: EpochReport) => Promise<void>) {}

  /** aborts when a write failed */
  get signal(): AbortSignal {
    return this.stop.signal;
  }

  push(report: EpochReport): void {
    this.chain = this.chain.then(async () => {
      // PGlite runs its queries on this thread and resolves them without I/O, so a backlog of
      // epochs (a fast head sends hundreds at once) would be written in one unbroken run of
      // microtasks: the API answered nothing for seconds. Each write waits its turn in the loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.failure) return;
      try {
        await this.write(report);
      } catch (error) {
        this.failure = { error };
        this.stop.abort(error);
      }
    });
  }

  /** Waits for every write; throws the first failure. */
  async done(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
  }

  /**
   * Runs `task` (the pool task that reports the epochs) with a signal that aborts on `outer` or
   * on a failed write, then waits for the writes. When a write failed, that failure is what is
   * thrown, not the abort it caused.
   */
  async run<T>(outer: AbortSignal, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await task(AbortSignal.any([outer, this.stop.signal]));
    } catch (err) {
      await this.done();
      throw err;
    }
    await this.done();
    return result;
  }
}

/** Records the artifact row, the summary and the final status. */
export async function finishRun(ctx: JobContext, runs: RunService, runId: string, backend: string, saved: { uri: string; sizeBytes: number; checksum: string }, summary: Record<string, unknown>) {
  await ctx.db.prisma.artifact.upsert({
    where: { runId_name: { runId, name: 'model' } },
    create: { runId, name: 'model', kind: 'tagfusion-model', ...saved },
    update: saved,
  });
  await ctx.db.prisma.run.update({ where: { id: runId }, data: { summary: { ...summary, artifactBytes: saved.sizeBytes } as object, backend } });
  await runs.setStatus(runId, 'SUCCEEDED', { backend });
}

