import { join } from 'node:path';
import { z } from 'zod';
import { ensureFeatureSet, loadDatasetForExtraction, type DatasetForExtraction } from '../features/extract.js';
import { artifactRoot, featureStoreRoot } from '../features/paths.js';
import { fetchFeatureSet } from '../features/shared-store.js';
import { existingParts, partCount } from '../features/store.js';
import { errors } from '../errors.js';
import type { JobContext, JobDefinition } from '../jobs/types.js';
import { multiLabelMetrics } from '../ml/metrics.js';
import { fitCaptions, runPredictTask } from './fit.js';
import { resolveVersionId } from './model-ref.js';
import { planLabels } from './label-policy.js';
import { planEncoders, type PredictorPlan } from './plan.js';
import type { ProgressMessage } from './predictor.js';
import * as repo from './repository.js';
import { submissionCsv, writeSubmission } from './submission.js';
import { versionPlan } from './version-plan.js';

const payloadSchema = z.object({
  /** the PredictionSet this job fills; it names the model version, dataset and split */
  predictionSetId: z.string(),
});

/** Share of the progress bar for computing features that are not cached yet. */
const FEATURE_SHARE = 0.6;

/**
 * predictDataset's work: the pinned model version on every sample of the dataset (or of one
 * split), from cached features (computed first when missing), labels assigned with the model's
 * thresholds, a submission CSV, and the rows recorded. Idempotent: a retry rewrites both.
 */
export const predictDatasetJob: JobDefinition<z.infer<typeof payloadSchema>, Record<string, unknown>> = {
  kind: 'predict-dataset',
  retryLimit: 1,
  retryDelaySeconds: 5,
  expireInSeconds: 12 * 3600,
  parsePayload: (p) => payloadSchema.parse(p),
  async run(ctx, { predictionSetId }) {
    const prisma = ctx.db.prisma;
    const set = await repo.findSet(prisma, predictionSetId);
    if (!set) throw errors.predictionSetNotFound(predictionSetId);
    await repo.setJob(prisma, set.id, ctx.jobId);
    const model = await resolveVersionId(prisma, set.modelVersionId);
    const plan = await versionPlan(prisma, artifactRoot(ctx.config), model);
    const dataset = await loadDatasetForExtraction(prisma, set.datasetId);
    const rows = dataset.splits.flatMap((s, i) => (!set.split || s === set.split ? [i] : []));
    const imageIds = await repo.sampleImageIds(prisma, set.datasetId);

    const features = await featuresFor(ctx, plan, dataset);
    const started = performance.now();
    const out = await runPredictTask(
      ctx.pool,
      prisma,
      ctx.config.device,
      plan,
      {
        dataset: {
          count: dataset.samples.length,
          rows,
          features,
          captions: readsRaw(plan, 'tokens') || plan.components.some((c) => c.kind === 'bert') ? rows.map((r) => dataset.samples[r].caption) : undefined,
          images: readsRaw(plan, 'image') ? rows.map((r) => join(dataset.imagesDir!, dataset.samples[r].imagePath!)) : undefined,
        },
      },
      {
        signal: ctx.signal,
        onMessage: (m) => {
          const { done, total } = m as ProgressMessage;
          ctx.progress(FEATURE_SHARE + (0.95 - FEATURE_SHARE) * (done / total), `predicted ${done} of ${total} samples`);
        },
      },
    );
    if (out.status === 'unavailable') throw errors.modelUnavailable(plan.label, out.reason);
    if (out.status !== 'ok') throw new Error(`prediction failed: ${out.status}`);
    const predictSeconds = (performance.now() - started) / 1000;

    const c = plan.classIds.length;
    const assigned = planLabels(plan, out.probs, rows.length);
    const results = rows.map((r, i) => ({
      imageId: imageIds[r],
      labels: plan.classIds.filter((_, j) => assigned[i * c + j] === 1),
      probabilities: Array.from(out.probs.subarray(i * c, (i + 1) * c)),
    }));
    const csvPath = await writeSubmission(ctx.config.dataDir, set.id, submissionCsv(results));
    const metrics = scores(plan, dataset, rows, assigned);
    await repo.saveResults(prisma, set.id, { csvPath, metrics, rows: results });
    ctx.progress(1, `${rows.length} predictions by ${plan.label}`);
    return { predictionSetId: set.id, datasetId: set.datasetId, modelVersionId: model.versionId, model: plan.label, count: rows.length, csvPath, predictSeconds, workerSeconds: out.seconds, metrics };
  },
};

/**
 * The model's features of every sample, by encoder key: read from the cache when the dataset's
 * features for the model's encoder versions are complete, else computed (and cached) first.
 * Fitted encoders are fitted on the model's training captions, not on this dataset's.
 */
async function featuresFor(ctx: JobContext, plan: PredictorPlan, dataset: DatasetForExtraction): Promise<Record<string, { dir: string; dim: number }>> {
  const storeRoot = featureStoreRoot(ctx.config);
  const out: Record<string, { dir: string; dim: number }> = {};
  const encoders = planEncoders(plan);
  for (const [k, e] of encoders.entries()) {
    // An encoder a card names without pinning its version: whatever it builds now, cached or not.
    const cached = e.version === null ? null : await ctx.db.prisma.featureSet.findUnique({
      where: { datasetId_encoderId_encoderVersion_variant: { datasetId: dataset.id, encoderId: e.spec.id, encoderVersion: e.version, variant: 'original' } },
    });
    // A set extracted on another machine: its parts come from the bucket (when there is one).
    if (cached) await fetchFeatureSet(join(storeRoot, cached.path));
    if (cached && (await existingParts(join(storeRoot, cached.path))).size === partCount(dataset.samples.length)) {
      out[e.key] = { dir: join(storeRoot, cached.path), dim: cached.dim };
      continue;
    }
    const fitted = { ...dataset, fitCaptions: e.fit ? await fitCaptions(ctx.db.prisma, e.fit) : dataset.fitCaptions };
    const onProgress = (f: number) => ctx.progress((FEATURE_SHARE * (k + f)) / encoders.length, `features ${e.spec.id}: ${Math.round(f * 100)}%`);
    const made = await ensureFeatureSet({ prisma: ctx.db.prisma, pool: ctx.pool, storeRoot, device: ctx.config.device, signal: ctx.signal, onProgress }, fitted, e.spec, 'original');
    if (e.version !== null && made.encoder.version !== e.version) {
      throw errors.modelUnavailable(plan.label, `its ${e.spec.id} encoder now builds as version ${made.encoder.version}, but the model was trained on version ${e.version}`);
    }
    out[e.key] = { dir: made.dir, dim: made.dim };
  }
  return out;
}

/** Scores against the known labels when every predicted sample has them. */
function scores(plan: PredictorPlan, dataset: Awaited<ReturnType<typeof loadDatasetForExtraction>>, rows: number[], assigned: Uint8Array) {
  if (!rows.length || rows.some((r) => dataset.splits[r] === 'UNLABELLED')) return null;
  const c = plan.classIds.length;
  const index = new Map(plan.classIds.map((id, j) => [id, j]));
  const truth = new Uint8Array(rows.length * c);
  // A label the model was not trained on cannot be predicted; it is left out of the score.
  rows.forEach((r, i) => dataset.labels[r].forEach((l) => index.has(l) && (truth[i * c + index.get(l)!] = 1)));
  const m = multiLabelMetrics(assigned, truth, rows.length, c);
  return { microF1: m.microF1, macroF1: m.macroF1, samplesF1: m.samplesF1, meanAccuracy: m.meanAccuracy, subsetAccuracy: m.subsetAccuracy, samples: rows.length };
}

/** Whether an external model reads raw images or token ids, which the job gives it per row. */
const readsRaw = (plan: PredictorPlan, kind: 'image' | 'tokens') => plan.components.some((c) => c.kind === 'onnx' && c.inputs.some((i) => i.kind === kind));
