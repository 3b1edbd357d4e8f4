import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadDatasetForExtraction } from '../features/extract.js';
import { artifactRoot, featureStoreRoot } from '../features/paths.js';
import type { JobContext } from '../jobs/types.js';
import { recipeClassWeights } from '../ml/class-weights.js';
import { assignLabels, tuneThresholds } from '../ml/labels.js';
import { multiLabelMetrics } from '../ml/metrics.js';
import { weightedBce } from '../ml/predict.js';
import type { RunService } from '../runs/service.js';
import type { ComponentLogitsInput } from '../workers/fusion.js';
import { fetchFeatureSet } from '../features/shared-store.js';
import { combineLogits, fitStacker, withF1Offset } from '../ml/stacker.js';
import { localArtifact, localArtifactFolder, saveJson } from './artifact.js';
import type { TrainingInput } from './input.js';
import { finishRun, flatMetrics, recordEpoch } from './record.js';
import { outOfFoldLogits, STACK_FOLDS } from './stack-oof.js';

interface ComponentArtifact {
  format: string;
  bert?: { dir: string };
  encoders?: { text?: { info: { id: string; version: string } }; image?: { info: { id: string; version: string } } };
}

/**
 * The paper's logits fusion of finished runs (FM1: vision + text; FM2: + FCNN; FM3:
 * + cross-attention FCNN) and a seed ensemble (runs of one configuration): each component's
 * logits on the dataset, averaged. Nothing is trained; the fused model is evaluated as one
 * epoch, and its artifact names its components. A stack weighs the logits per class instead,
 * with a stacker fitted on out-of-fold logits (src/ml/stacker.ts), kept in the artifact.
 */
export async function fuseRuns(ctx: JobContext, runs: RunService, runId: string, input: TrainingInput) {
  const started = performance.now();
  const main = await loadDatasetForExtraction(ctx.db.prisma, input.datasetId);
  const classes = main.classIds.length;
  const index = new Map(main.classIds.map((id, i) => [id, i]));
  const rowsOf = (s: string) => main.splits.flatMap((x, i) => (x === s ? [i] : []));
  const labelsOf = (rows: number[]) => {
    const out = new Uint8Array(rows.length * classes);
    rows.forEach((r, i) => main.labels[r].forEach((l) => index.has(l) && (out[i * classes + index.get(l)!] = 1)));
    return out;
  };
  const split = { train: rowsOf('TRAIN'), val: rowsOf('VAL') };
  const root = artifactRoot(ctx.config);
  const components = [];
  const parts: Record<'train' | 'val', Float32Array[]> = { train: [], val: [] };
  // A stack first learns its per-class weights from out-of-fold logits of the components' heads.
  const fitOnFolds = async () => {
    const oof = await outOfFoldLogits(ctx, input, split.train, classes);
    const labels = labelsOf(split.train);
    return withF1Offset(fitStacker(oof, labels, split.train.length, classes), oof, labels, split.train.length, classes);
  };
  const stacker = input.head === 'stack' ? await fitOnFolds() : undefined;
  const done = (i: number) => (stacker ? 0.5 : 0) + ((stacker ? 0.5 : 1) * (i + 1)) / input.componentRunIds.length;
  for (const [i, componentId] of input.componentRunIds.entries()) {
    const artifact = await ctx.db.prisma.artifact.findUniqueOrThrow({ where: { runId_name: { runId: componentId, name: 'model' } } });
    // Components may have trained on other machines: their files come from the bucket if need be.
    const path = await localArtifact(root, artifact.uri);
    const doc = JSON.parse(await readFile(path, 'utf8')) as ComponentArtifact;
    if (doc.bert) await localArtifactFolder(join(dirname(path), doc.bert.dir));
    // The component's features on this dataset were cached when it trained: find them by version.
    const ref = async (which: 'text' | 'image') => {
      const info = doc.encoders?.[which]?.info;
      if (!info) return undefined;
      const set = await ctx.db.prisma.featureSet.findUnique({
        where: { datasetId_encoderId_encoderVersion_variant: { datasetId: input.datasetId, encoderId: info.id, encoderVersion: info.version, variant: 'original' } },
      });
      if (!set) throw new Error(`run ${componentId}'s ${info.id} features (version ${info.version}) are not cached for dataset ${input.datasetId}`);
      const dir = join(featureStoreRoot(ctx.config), set.path);
      await fetchFeatureSet(dir);
      return { dir, dim: set.dim };
    };
    const [text, image] = [await ref('text'), await ref('image')];
    for (const s of ['train', 'val'] as const) {
      const logits = await ctx.pool.run<ComponentLogitsInput, Float32Array>(
        'componentLogits',
        { device: ctx.config.device, artifactPath: path, count: main.samples.length, rows: split[s], text, image, captions: split[s].map((r) => main.samples[r].caption) },
        { signal: ctx.signal },
      );
      parts[s].push(logits);
    }
    components.push({ runId: componentId, artifact: artifact.uri, format: doc.format });
    ctx.progress(done(i), `fused ${i + 1} of ${input.componentRunIds.length} runs`);
  }
  const sums = { train: combineLogits(parts.train, split.train.length, classes, stacker), val: combineLogits(parts.val, split.val.length, classes, stacker) };
  const trainLabels = labelsOf(split.train);
  const counts = new Array<number>(classes).fill(0);
  for (let k = 0; k < trainLabels.length; k++) counts[k % classes] += trainLabels[k];
  const classWeights = input.lossWeighting === 'recipe' ? recipeClassWeights(counts) : new Array<number>(classes).fill(1);
  const evaluate = (s: 'train' | 'val', thresholds: number | number[]) => {
    const n = split[s].length;
    const labels = s === 'train' ? trainLabels : labelsOf(split.val);
    const { loss, probs } = weightedBce(sums[s], labels, n, classes, classWeights);
    return { loss, probs, labels, metrics: multiLabelMetrics(assignLabels(probs, n, classes, thresholds), labels, n, classes) };
  };
  let thresholds = new Array<number>(classes).fill(0.5);
  const val = evaluate('val', thresholds);
  if (input.thresholds === 'tuned') thresholds = tuneThresholds(val.probs, val.labels, split.val.length, classes);
  const finalVal = evaluate('val', thresholds);
  const train = evaluate('train', thresholds);
  const seconds = (performance.now() - started) / 1000;
  await recordEpoch(runs, runId, { epoch: 1, seconds, train: { loss: train.loss, metrics: train.metrics }, val: { loss: finalVal.loss, metrics: finalVal.metrics } }, main.classIds);
  const saved = await saveJson(root, runId, { format: 'tagfusion-fusion/1', runId, datasetId: input.datasetId, head: input.head, classIds: main.classIds, components, thresholds, classWeights, ...(stacker ? { stacker } : {}) });
  const componentRuns = await ctx.db.prisma.run.findMany({ where: { id: { in: input.componentRunIds } }, select: { summary: true } });
  await finishRun(ctx, runs, runId, stacker ? 'logits-stack' : 'logits-average', saved, {
    bestEpoch: 1,
    epochsRun: 1,
    // the fused model is its components: their trained parameters together
    parameters: componentRuns.reduce((n, r) => n + ((r.summary as { parameters?: number } | null)?.parameters ?? 0), 0) + (stacker ? classes * (input.componentRunIds.length + 1) : 0),
    ...(stacker ? { stackFolds: STACK_FOLDS, stackOffset: stacker.offset } : {}),
    seconds,
    thresholds,
    components: input.componentRunIds,
    val: flatMetrics({ loss: finalVal.loss, metrics: finalVal.metrics }),
  });
  return { runId, artifact: saved.uri };
}
