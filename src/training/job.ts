import { z } from 'zod';
import { ensureFeatureSet, loadDatasetForExtraction, type ExtractedSet } from '../features/extract.js';
import { artifactRoot, featureStoreRoot } from '../features/paths.js';
import type { JobContext, JobDefinition } from '../jobs/types.js';
import { needsImage, needsText, type HeadKind } from '../ml/heads/kinds.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import type { EpochReport, SplitReport, TrainedModel } from '../ml/train.js';
import { RunService } from '../runs/service.js';
import type { EpochMetricInput, ClassMetricInput } from '../runs/repository.js';
import type { EpochMessage, TrainModelInput, TrainingSource } from '../workers/training.js';
import type { FinetuneInput } from '../workers/finetune.js';
import type { FinetunedModel } from '../ml/finetune.js';
import { join } from 'node:path';
import { saveArtifact, saveJson, toArtifact } from './artifact.js';
import { DEFAULT_ENCODERS, parseTrainingInput, type TrainingInput } from './input.js';

const payloadSchema = z.object({ runId: z.string() });

/** Share of the progress bar given to feature extraction (cached features make it instant). */
const EXTRACTION_SHARE = 0.3;

/**
 * Trains the run's head: features from the cache (computed if missing), training in the pool
 * with each epoch recorded and published as it ends, then the artifact and the run's summary.
 */
export const trainJob: JobDefinition<{ runId: string }, { runId: string; artifact: string }> = {
  kind: 'train',
  retryLimit: 1,
  retryDelaySeconds: 5,
  expireInSeconds: 24 * 3600,
  parsePayload: (p) => payloadSchema.parse(p),
  async run(ctx, { runId }) {
    const runs = new RunService(ctx.db, ctx.events);
    const run = await runs.get(runId);
    const input = parseTrainingInput(run.config);
    await runs.setStatus(runId, 'RUNNING');
    try {
      if (input.head === 'text-finetune') return await finetune(ctx, runs, runId, input);
      return await train(ctx, runs, runId, input as TrainingInput & { head: HeadKind });
    } catch (err) {
      await runs.setStatus(runId, ctx.signal.aborted ? 'CANCELLED' : 'FAILED', { error: ctx.signal.aborted ? 'cancelled' : (err as Error).message });
      throw err;
    }
  },
};

async function train(ctx: JobContext, runs: RunService, runId: string, input: TrainingInput & { head: HeadKind }) {
  const started = performance.now();
  const main = await loadDatasetForExtraction(ctx.db.prisma, input.datasetId);
  const extras = await Promise.all(input.extraTrainDatasetIds.map((id) => loadDatasetForExtraction(ctx.db.prisma, id)));
  // Fitted encoders (tfidf, bert without weights) must see one vocabulary across all datasets.
  const fitCaptions = [...main.fitCaptions, ...extras.flatMap((d) => d.samples.map((s) => s.caption))];
  const datasets = [main, ...extras].map((d) => ({ ...d, fitCaptions }));
  const visionSpec = input.visionEncoder ?? { id: DEFAULT_ENCODERS.vision };
  const textSpec = input.textEncoder ?? { id: DEFAULT_ENCODERS.text };
  const wanted: ['vision' | 'text', EncoderSpec, string][] = [];
  if (needsImage(input.head)) {
    wanted.push(['vision', visionSpec, 'original']);
    if (input.augmentation.flip) wanted.push(['vision', visionSpec, 'flip']);
  }
  if (needsText(input.head)) {
    wanted.push(['text', textSpec, 'original']);
    for (let k = 1; k <= input.augmentation.synonymRounds; k++) wanted.push(['text', textSpec, `syn${k}`]);
  }
  const extraction = { prisma: ctx.db.prisma, pool: ctx.pool, storeRoot: featureStoreRoot(ctx.config), device: ctx.config.device, signal: ctx.signal };
  const steps = wanted.length * datasets.length;
  const sets = datasets.map(() => ({}) as Record<string, ExtractedSet>);
  let step = 0;
  for (const [modality, spec, variant] of wanted) {
    for (const [d, dataset] of datasets.entries()) {
      const at = step++;
      sets[d][`${modality}:${variant}`] = await ensureFeatureSet(
        { ...extraction, onProgress: (f) => ctx.progress((EXTRACTION_SHARE * (at + f)) / steps, `features ${spec.id} ${variant}: ${Math.round(f * 100)}%`) },
        dataset,
        spec,
        variant,
      );
    }
  }

  const classes = main.classIds.length;
  const index = new Map(main.classIds.map((id, i) => [id, i]));
  const sources: TrainingSource[] = datasets.map((dataset, d) => {
    const labels = new Uint8Array(dataset.samples.length * classes);
    // Labels outside the validated dataset's vocabulary cannot be scored; they are left out.
    dataset.labels.forEach((ls, row) => ls.forEach((l) => index.has(l) && (labels[row * classes + index.get(l)!] = 1)));
    const rowsOf = (split: string) => dataset.splits.flatMap((s, i) => (s === split ? [i] : []));
    const set = sets[d];
    return {
      count: dataset.samples.length,
      labels,
      trainRows: d === 0 ? rowsOf('TRAIN') : dataset.splits.map((_, i) => i),
      valRows: d === 0 ? rowsOf('VAL') : [],
      text: set['text:original'] && {
        dir: set['text:original'].dir,
        dim: set['text:original'].dim,
        variants: Object.entries(set).filter(([k]) => k.startsWith('text:syn')).map(([, s]) => ({ dir: s.dir, dim: s.dim })),
      },
      image: set['vision:original'] && { dir: set['vision:original'].dir, dim: set['vision:original'].dim, flip: set['vision:flip'] && { dir: set['vision:flip'].dir, dim: set['vision:flip'].dim } },
    };
  });
  const image = sets[0]['vision:original'];
  const text = sets[0]['text:original'];
  const imageTokens = input.imageTokens ?? defaultImageTokens(image);
  const task: TrainModelInput = {
    device: ctx.config.device,
    classes,
    textDim: text?.dim ?? 0,
    imageDim: image?.dim ?? 0,
    sources,
    config: { ...input, imageTokens, earlyStopping: input.earlyStopping ?? null, flipAugment: input.augmentation.flip },
  };

  // Epochs are written in order: each waits for the previous write.
  let writing = Promise.resolve();
  const { model, backend } = await ctx.pool.run<TrainModelInput, { model: TrainedModel; backend: string }>('trainModel', task, {
    signal: ctx.signal,
    onMessage: (m) => {
      const { report } = m as EpochMessage;
      writing = writing.then(() => recordEpoch(runs, runId, report, main.classIds));
      ctx.progress(EXTRACTION_SHARE + (1 - EXTRACTION_SHARE) * ((report.epoch + 1) / input.epochs), `epoch ${report.epoch + 1}: val micro-F1 ${report.val.metrics.microF1.toFixed(4)}`);
    },
  });
  await writing;

  const artifact = toArtifact(
    {
      runId,
      datasetId: input.datasetId,
      classIds: main.classIds,
      encoders: {
        ...(text ? { text: { spec: textSpec, info: text.encoder } } : {}),
        ...(image ? { image: { spec: visionSpec, info: image.encoder } } : {}),
      },
      training: input,
    },
    model,
  );
  const saved = await saveArtifact(artifactRoot(ctx.config), artifact);
  await finishRun(ctx, runs, runId, backend, saved, {
    bestEpoch: model.bestEpoch,
    epochsRun: model.epochsRun,
    parameters: model.parameterCount,
    encoderParameters: (text?.encoder.parameters ?? 0) + (image?.encoder.parameters ?? 0),
    seconds: (performance.now() - started) / 1000,
    trainSamples: sources.reduce((n, s) => n + s.trainRows.length, 0),
    thresholds: model.thresholds,
    val: flatMetrics(model.val),
    encoders: { text: text && { id: text.encoder.id, version: text.encoder.version }, image: image && { id: image.encoder.id, version: image.encoder.version } },
  });
  return { runId, artifact: saved.uri };
}

/**
 * BERT fine-tuned end to end with its classifier (the paper's text module). Captions of the
 * main dataset's training split and of every extra dataset train it; validation is the main
 * dataset's. The fine-tuned BERT is saved beside model.json in the artifact folder.
 */
async function finetune(ctx: JobContext, runs: RunService, runId: string, input: TrainingInput) {
  const started = performance.now();
  const main = await loadDatasetForExtraction(ctx.db.prisma, input.datasetId);
  const extras = await Promise.all(input.extraTrainDatasetIds.map((id) => loadDatasetForExtraction(ctx.db.prisma, id)));
  const classes = main.classIds.length;
  const index = new Map(main.classIds.map((id, i) => [id, i]));
  const split = (picks: { d: typeof main; rows: number[] }[]) => {
    const captions = picks.flatMap(({ d, rows }) => rows.map((r) => d.samples[r].caption));
    const labels = new Uint8Array(captions.length * classes);
    let at = 0;
    for (const { d, rows } of picks) for (const r of rows) d.labels[r].forEach((l) => index.has(l) && (labels[at * classes + index.get(l)!] = 1)), at++;
    return { captions, labels };
  };
  const rowsOf = (d: typeof main, s: string) => d.splits.flatMap((x, i) => (x === s ? [i] : []));
  const train = split([{ d: main, rows: rowsOf(main, 'TRAIN') }, ...extras.map((d) => ({ d, rows: d.splits.map((_, i) => i) }))]);
  const val = split([{ d: main, rows: rowsOf(main, 'VAL') }]);
  const dir = join(artifactRoot(ctx.config), runId);
  ctx.progress(0.02, `fine-tuning bert on ${train.captions.length} captions`);
  let writing = Promise.resolve();
  const result = await ctx.pool.run<FinetuneInput, { model: FinetunedModel; backend: string; bertSource: string; vocabSize: number }>(
    'finetuneText',
    {
      device: ctx.config.device,
      source: { path: input.textEncoder?.path, hubId: input.textEncoder?.hubId },
      maxLength: input.maxLength,
      classes,
      train,
      val,
      saveDir: join(dir, 'bert'),
      config: { ...input, earlyStopping: input.earlyStopping ?? null, synonymRounds: input.augmentation.synonymRounds },
    },
    {
      signal: ctx.signal,
      onMessage: (m) => {
        const { report } = m as EpochMessage;
        writing = writing.then(() => recordEpoch(runs, runId, report, main.classIds));
        ctx.progress((report.epoch + 1) / input.epochs, `epoch ${report.epoch + 1}: val micro-F1 ${report.val.metrics.microF1.toFixed(4)}`);
      },
    },
  );
  await writing;
  const { model, backend } = result;
  const artifact = {
    format: 'tagfusion-bert-finetune/1',
    runId,
    datasetId: input.datasetId,
    classIds: main.classIds,
    bert: { dir: 'bert', source: result.bertSource, vocabSize: result.vocabSize, maxLength: input.maxLength },
    training: input,
    model,
  };
  const saved = await saveJson(artifactRoot(ctx.config), runId, artifact);
  await finishRun(ctx, runs, runId, backend, saved, {
    bestEpoch: model.bestEpoch,
    epochsRun: model.epochsRun,
    parameters: model.parameterCount,
    encoderParameters: 0,
    seconds: (performance.now() - started) / 1000,
    trainSamples: train.captions.length,
    thresholds: model.thresholds,
    val: flatMetrics(model.val),
    encoders: { text: { id: 'bert', source: result.bertSource } },
  });
  return { runId, artifact: saved.uri };
}

/** Records the artifact row, the summary and the final status. */
async function finishRun(ctx: JobContext, runs: RunService, runId: string, backend: string, saved: { uri: string; sizeBytes: number; checksum: string }, summary: Record<string, unknown>) {
  await ctx.db.prisma.artifact.upsert({
    where: { runId_name: { runId, name: 'model' } },
    create: { runId, name: 'model', kind: 'tagfusion-model', ...saved },
    update: saved,
  });
  await ctx.db.prisma.run.update({ where: { id: runId }, data: { summary: { ...summary, artifactBytes: saved.sizeBytes } as object, backend } });
  await runs.setStatus(runId, 'SUCCEEDED', { backend });
}

/** Cross-attention tokens: one per COCO class for centernet-coco, else the largest small divisor. */
function defaultImageTokens(image: ExtractedSet | undefined): number {
  if (!image) return 1;
  if (image.encoder.id === 'centernet-coco' && image.dim % 80 === 0) return 80;
  return [16, 8, 4, 2, 1].find((t) => image.dim % t === 0) ?? 1;
}

/** The scalar metrics of a split, as stored per epoch and in the summary. */
export function flatMetrics(r: SplitReport) {
  const m = r.metrics;
  return { loss: r.loss, microF1: m.microF1, macroF1: m.macroF1, samplesF1: m.samplesF1, meanAccuracy: m.meanAccuracy, subsetAccuracy: m.subsetAccuracy };
}

async function recordEpoch(runs: RunService, runId: string, r: EpochReport, classIds: number[]) {
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
