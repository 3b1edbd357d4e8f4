import type { PrismaClient } from '../db/generated/client.js';
import { loadDatasetForExtraction } from '../features/extract.js';
import type { RunTaskOptions } from '../jobs/pool.js';
import type { DevicePreference } from '../ml/backend.js';
import { planEncoders, type FitSource, type PredictorPlan } from './plan.js';
import type { PredictTaskInput, PredictTaskOutput } from './predictor.js';
import type { TaskRunner } from './warm-pool.js';

/**
 * The captions a fitted encoder was fitted on, rebuilt as training built them
 * (src/training/heads-job.ts): the main dataset's training split, then every sample of each
 * extra training dataset. Dataset versions are immutable, so this is the same vocabulary; the
 * worker still checks the rebuilt encoder's version against the model's.
 */
export async function fitCaptions(prisma: PrismaClient, source: FitSource): Promise<string[]> {
  const main = await loadDatasetForExtraction(prisma, source.datasetId);
  const extras = await Promise.all(source.extraTrainDatasetIds.map((id) => loadDatasetForExtraction(prisma, id)));
  return [...main.fitCaptions, ...extras.flatMap((d) => d.samples.map((s) => s.caption))];
}

/** Fit captions of the plan's fitted encoders named by `keys`. */
export async function fitCaptionsByKey(prisma: PrismaClient, plan: PredictorPlan, keys: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const e of planEncoders(plan)) if (e.fit && keys.includes(e.key)) out[e.key] = await fitCaptions(prisma, e.fit);
  return out;
}

/**
 * Runs the `predict` task; when the thread has yet to build a fitted encoder it asks for the
 * captions, and the task runs again with them (once per thread and model version).
 */
export async function runPredictTask(
  runner: TaskRunner,
  prisma: PrismaClient,
  device: DevicePreference,
  plan: PredictorPlan,
  work: Pick<PredictTaskInput, 'samples' | 'dataset'>,
  options: RunTaskOptions = {},
): Promise<Exclude<PredictTaskOutput, { status: 'needs-fit' }>> {
  let input: PredictTaskInput = { device, plan, ...work };
  for (let attempt = 0; ; attempt++) {
    const out = await runner.run<PredictTaskInput, PredictTaskOutput>('predict', input, options);
    if (out.status !== 'needs-fit') return out;
    if (attempt > 0) throw new Error(`the prediction thread still lacks the fitted encoders ${out.keys.join(', ')}`);
    input = { ...input, fitCaptions: await fitCaptionsByKey(prisma, plan, out.keys) };
  }
}
