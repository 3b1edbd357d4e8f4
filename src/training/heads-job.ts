import { ensureFeatureSet, type ExtractedSet } from '../features/extract.js';
import { artifactRoot, featureStoreRoot } from '../features/paths.js';
import type { JobContext } from '../jobs/types.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import { needsImage, needsText, type HeadKind } from '../ml/heads/kinds.js';
import type { TrainedModel } from '../ml/train.js';
import type { RunService } from '../runs/service.js';
import type { EpochMessage, TrainModelInput, TrainingSource } from '../workers/training.js';
import { saveArtifact, toArtifact } from './artifact.js';
import { loadTrainingDatasets, type ExtraTrainingData } from './datasets.js';
import { DEFAULT_ENCODERS, type TrainingInput } from './input.js';
import { EpochWriter, finishRun, flatMetrics, recordEpoch } from './record.js';

/** Share of the progress bar given to feature extraction (cached features make it instant). */
const EXTRACTION_SHARE = 0.3;

/**
 * A head or fusion module on cached features: features from the cache (computed if missing),
 * training in the pool with each epoch recorded as it ends, then the artifact and summary.
 */
export async function trainOnFeatures(ctx: JobContext, runs: RunService, runId: string, input: TrainingInput & { head: HeadKind }) {
  const started = performance.now();
  const { main, task, text, image, textSpec, visionSpec, sources, skippedSamples } = await prepareOnFeatures(ctx, input, (f, m) => ctx.progress(f, m));

  // Epochs are written in order; a failed write stops the training task and fails the attempt.
  const epochs = new EpochWriter((report) => recordEpoch(runs, runId, report, main.classIds));
  const { model, backend } = await epochs.run(ctx.signal, (signal) =>
    ctx.pool.run<TrainModelInput, { model: TrainedModel; backend: string }>('trainModel', task, {
      signal,
      onMessage: (m) => {
        const { report } = m as EpochMessage;
        epochs.push(report);
        ctx.progress(EXTRACTION_SHARE + (1 - EXTRACTION_SHARE) * (report.epoch / input.epochs), `epoch ${report.epoch}: val micro-F1 ${report.val.metrics.microF1.toFixed(4)}`);
      },
    }),
  );
  // Epochs may be written after the pool finished; a cancel that came meanwhile still wins.
  ctx.signal.throwIfAborted();

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
    ...(skippedSamples.length ? { skippedSamples } : {}),
  });
  return { runId, artifact: saved.uri, ...(skippedSamples.length ? { skippedSamples } : {}) };
}

/**
 * The training task of a head on features: its datasets and their cached features (computed if
 * missing, with progress), as the pool's trainModel task takes them. Stacking (stack-oof.ts)
 * refits a finished run's head from the same preparation on parts of the training split.
 */
export async function prepareOnFeatures(ctx: JobContext, input: TrainingInput & { head: HeadKind }, progress: (fraction: number, message: string) => void) {
  const { main, extras, fitCaptions } = await loadTrainingDatasets(ctx.db.prisma, artifactRoot(ctx.config), input);
  const datasets = [main, ...extras.map((e) => e.dataset)].map((d) => ({ ...d, fitCaptions }));
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
  const extraction = { prisma: ctx.db.prisma, pool: ctx.pool, storeRoot: featureStoreRoot(ctx.config), device: ctx.config.device, signal: ctx.signal, onEncoderError: input.onEncoderError ?? 'fail' };
  const steps = wanted.length * datasets.length;
  const sets = datasets.map(() => ({}) as Record<string, ExtractedSet>);
  let step = 0;
  for (const [modality, spec, variant] of wanted) {
    for (const [d, dataset] of datasets.entries()) {
      const at = step++;
      sets[d][`${modality}:${variant}`] = await ensureFeatureSet(
        { ...extraction, onProgress: (f) => progress((EXTRACTION_SHARE * (at + f)) / steps, `features ${spec.id} ${variant}: ${Math.round(f * 100)}%`) },
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
    const labelRows = d === 0 ? dataset.labels : labelsByRow(extras[d - 1], dataset.samples.length);
    labelRows.forEach((ls, row) => ls.forEach((l) => index.has(l) && (labels[row * classes + index.get(l)!] = 1)));
    const set = sets[d];
    // Samples an encoder could not encode (onEncoderError 'skip') have zero features: left out.
    const skipped = new Set(Object.values(set).flatMap((s) => s.skipped.map((k) => k.row)));
    const rowsOf = (split: string) => dataset.splits.flatMap((s, i) => (s === split && !skipped.has(i) ? [i] : []));
    return {
      count: dataset.samples.length,
      labels,
      trainRows: d === 0 ? rowsOf('TRAIN') : extras[d - 1].rows.filter((r) => !skipped.has(r)),
      valRows: d === 0 ? rowsOf('VAL') : [],
      text: set['text:original'] && {
        dir: set['text:original'].dir,
        dim: set['text:original'].dim,
        variants: Object.entries(set).filter(([k]) => k.startsWith('text:syn')).map(([, s]) => ({ dir: s.dir, dim: s.dim })),
      },
      image: set['vision:original'] && { dir: set['vision:original'].dir, dim: set['vision:original'].dim, flip: set['vision:flip'] && { dir: set['vision:flip'].dir, dim: set['vision:flip'].dim } },
    };
  });
  const skippedSamples = sets.flatMap((set, d) => {
    const rows = new Map<number, { datasetId: string; row: number; imageId?: string; line?: number; encoder: string; variant: string; error: string }>();
    for (const [key, s] of Object.entries(set)) for (const k of s.skipped) if (!rows.has(k.row)) rows.set(k.row, { datasetId: datasets[d].id, row: k.row, imageId: k.imageId, line: k.line, encoder: s.encoder.id, variant: key.split(':')[1], error: k.error });
    return [...rows.values()];
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
  return { main, task, text, image, textSpec, visionSpec, sources, skippedSamples };
}

/** An extra dataset's labels per sample row: its own, or the pseudo-labels of the kept rows. */
function labelsByRow(extra: ExtraTrainingData, count: number): number[][] {
  const out: number[][] = Array.from({ length: count }, () => []);
  extra.rows.forEach((row, i) => (out[row] = extra.labels[i]));
  return out;
}

/** Cross-attention tokens: one per COCO class for centernet-coco, else the largest small divisor. */
function defaultImageTokens(image: ExtractedSet | undefined): number {
  if (!image) return 1;
  if (image.encoder.id === 'centernet-coco' && image.dim % 80 === 0) return 80;
  return [16, 8, 4, 2, 1].find((t) => image.dim % t === 0) ?? 1;
}
