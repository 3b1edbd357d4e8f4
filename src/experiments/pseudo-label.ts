import { readFile } from 'node:fs/promises';
import type { Run } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { ensureFeatureSet, loadDatasetForExtraction } from '../features/extract.js';
import { artifactRoot, featureStoreRoot } from '../features/paths.js';
import { assignLabels } from '../ml/labels.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import { localArtifact, saveJson, saveText } from '../training/artifact.js';
import { loadTrainingDatasets } from '../training/datasets.js';
import { parseTrainingInput } from '../training/input.js';
import { submissionCsv } from '../prediction/submission.js';
import { PSEUDO_LABELS_ARTIFACT, PSEUDO_LABELS_FORMAT, type PseudoLabels } from '../training/pseudo-labels.js';
import type { ComponentLogitsInput } from '../workers/fusion.js';
import { minimised, ROUND_KIND, type PseudoLabelInput } from './input.js';
import { objectiveOf, type ExperimentOutcome } from './outcome.js';
import type { TrialRunner } from './trials.js';

/** The experiment run's artifact with the unlabelled samples' predictions (predictUnlabelled). */
export const SUBMISSION_ARTIFACT = 'submission';

interface RoundModels {
  text: Run;
  vision: Run;
  fused: Run;
  score: number;
}

/**
 * Semi-supervised pseudo-labelling. Round 0 trains text and vision on the labelled data and
 * fuses them (FM1). Each later round predicts the unlabelled samples with the best fused model so
 * far, keeps the (confident) pseudo-labels with the round, retrains each modality that can use
 * them on train + pseudo-labelled data, fuses, and scores on the held-out validation split. It
 * stops when a round does not beat the best score, or after `maxRounds` (the paper's rule).
 * Transductive, as the paper: the unlabelled dataset may be the one to predict (the test set),
 * and with `predictUnlabelled` the best round's fused model predicts it at the end.
 */
export async function runPseudoLabeling(t: TrialRunner, input: PseudoLabelInput): Promise<ExperimentOutcome> {
  const minimise = minimised(input.objective.metric);
  const unlabelled = await t.ctx.db.prisma.dataset.findUniqueOrThrow({ where: { id: input.unlabelledDatasetId } });
  const modality = (extra: Record<string, unknown>, head: string) => ({ ...input.base, ...extra, datasetId: input.datasetId, head: extra.head ?? head });

  const trainRound = async (round: number, previous: RoundModels | null): Promise<RoundModels> => {
    const roundRun = await ensureRound(t, round);
    const pseudo = previous ? { pseudoLabelRunId: (await ensurePseudoLabels(t, input, roundRun, previous.fused)).id } : {};
    const trials = [{ key: 'text', name: `round ${round}: text`, input: { ...modality(input.text, 'text'), ...pseudo, name: `round ${round}: text` } }];
    // Vision retrains only when the unlabelled samples have images; else the previous one stays.
    if (!previous || unlabelled.hasImages) trials.push({ key: 'vision', name: `round ${round}: vision`, input: { ...modality(input.vision, 'vision'), ...pseudo, name: `round ${round}: vision` } });
    const trained = await t.runAll(trials, input.parallelism, { parentId: roundRun.id });
    const failed = [...trained.values()].find((r) => r.status !== 'SUCCEEDED');
    if (failed) throw new RoundFailed(`round ${round}: run ${failed.id} (${failed.name}) ended ${failed.status}${failed.error ? `: ${failed.error}` : ''}`);
    const text = trained.get('text')!;
    const vision = trained.get('vision') ?? previous!.vision;
    const fusion = { key: 'fusion', name: `round ${round}: FM1`, input: { datasetId: input.datasetId, head: 'fm1', componentRunIds: [vision.id, text.id], name: `round ${round}: FM1` } };
    const fused = (await t.runAll([fusion], 1, { parentId: roundRun.id })).get('fusion')!;
    const score = fused.status === 'SUCCEEDED' ? objectiveOf(fused, input.objective) : undefined;
    if (score === undefined) throw new RoundFailed(`round ${round}: the fusion run ${fused.id} ended ${fused.status}${fused.error ? `: ${fused.error}` : ''}`);
    // Round 0 is the baseline without pseudo-labels; steps are numbered from 1 as epochs are.
    await t.runs.recordEpoch(t.experiment.id, round + 1, [{ name: input.objective.metric, split: input.objective.split, value: score }]);
    await t.ctx.db.prisma.run.update({ where: { id: roundRun.id }, data: { summary: { round, fusedRunId: fused.id, textRunId: text.id, visionRunId: vision.id, score, [input.objective.split]: { [input.objective.metric]: score } } } });
    if (roundRun.status !== 'SUCCEEDED') await t.runs.setStatus(roundRun.id, 'SUCCEEDED');
    return { text, vision, fused, score };
  };

  const rounds: { round: number; score: number; fusedRunId: string; improved: boolean }[] = [];
  let best: RoundModels;
  try {
    best = await trainRound(0, null);
    rounds.push({ round: 0, score: best.score, fusedRunId: best.fused.id, improved: true });
    for (let round = 1; round <= input.maxRounds; round++) {
      const next = await trainRound(round, best);
      const improved = minimise ? next.score < best.score - input.minImprovement : next.score > best.score + input.minImprovement;
      rounds.push({ round, score: next.score, fusedRunId: next.fused.id, improved });
      if (!improved) break;
      best = next;
    }
  } catch (err) {
    if (!(err instanceof RoundFailed)) throw err;
    return { plannedTrials: 0, trials: rounds.length, succeeded: rounds.length, best: null, rounds, error: err.message };
  }
  const baseline = rounds[0].score;
  const submission = input.predictUnlabelled ? { submission: await writeSubmission(t, input, best.fused) } : {};
  return {
    plannedTrials: 0,
    trials: rounds.length,
    succeeded: rounds.length,
    best: { runId: best.fused.id, key: `round${rounds.find((r) => r.fusedRunId === best.fused.id)!.round}`, value: best.score },
    rounds,
    baseline,
    gain: best.score - baseline,
    stoppedBecause: rounds.at(-1)!.improved ? `reached ${input.maxRounds} rounds` : `round ${rounds.at(-1)!.round} did not improve ${input.objective.split} ${input.objective.metric}`,
    ...submission,
  };
}

/** A round failed in a way retrying the controller cannot fix (a trial failed). */
class RoundFailed extends Error {}

/** The run of round `round`, created once (found again after a restart). */
async function ensureRound(t: TrialRunner, round: number): Promise<Run> {
  const existing = (await t.existing()).get(`round${round}`);
  if (existing) return existing;
  const run = await t.runs.create({ kind: ROUND_KIND, name: `round ${round}`, parentId: t.experiment.id, projectId: t.experiment.projectId, datasetId: t.experiment.datasetId, params: { trial: `round${round}`, round } });
  return t.runs.setStatus(run.id, 'RUNNING');
}

/**
 * Predicts the unlabelled samples with a fused run's components (those whose modalities the
 * samples have), assigns labels with the fused model's thresholds and the top-label fallback,
 * keeps the confident ones, and stores them as the round's `pseudo-labels` artifact.
 */
async function ensurePseudoLabels(t: TrialRunner, input: PseudoLabelInput, round: Run, fused: Run): Promise<Run> {
  const { prisma } = t.ctx.db;
  if (await prisma.artifact.findUnique({ where: { runId_name: { runId: round.id, name: PSEUDO_LABELS_ARTIFACT } } })) return round;
  const root = artifactRoot(t.ctx.config);
  const { dataset, rows, classIds, probs, assigned, used } = await fusedPredictions(t, input, fused);
  const classes = classIds.length;
  const doc: PseudoLabels = { format: PSEUDO_LABELS_FORMAT, datasetId: dataset.id, predictedBy: fused.id, rows: [], labels: [], confidence: [] };
  rows.forEach((row, i) => {
    const p = probs.subarray(i * classes, (i + 1) * classes);
    const confidence = Math.max(...p);
    if (confidence < input.minConfidence) return;
    doc.rows.push(row);
    doc.labels.push(classIds.filter((_, c) => assigned[i * classes + c]));
    doc.confidence.push(confidence);
  });
  if (!doc.rows.length) throw new RoundFailed(`no unlabelled sample reached the confidence ${input.minConfidence}`);
  const saved = await saveJson(root, round.id, doc, 'pseudo-labels.json');
  await prisma.artifact.create({
    data: { runId: round.id, name: PSEUDO_LABELS_ARTIFACT, kind: PSEUDO_LABELS_FORMAT, ...saved, metadata: { datasetId: dataset.id, kept: doc.rows.length, candidates: rows.length, predictedBy: fused.id, components: used } },
  });
  await t.runs.recordEpoch(round.id, 1, [
    { name: 'pseudoLabelled', split: 'unlabelled', value: doc.rows.length },
    { name: 'meanConfidence', split: 'unlabelled', value: doc.confidence.reduce((a, b) => a + b, 0) / doc.rows.length },
  ]);
  return round;
}

/**
 * The unlabelled samples (the experiment's split of them) as a fused run predicts them: its
 * components that can see them (those whose modalities the samples have), their logits averaged,
 * labels assigned with the fused model's thresholds and the top-label fallback.
 */
async function fusedPredictions(t: TrialRunner, input: PseudoLabelInput, fused: Run) {
  const { prisma } = t.ctx.db;
  const root = artifactRoot(t.ctx.config);
  const fusedArtifact = await prisma.artifact.findUniqueOrThrow({ where: { runId_name: { runId: fused.id, name: 'model' } } });
  const fusion = JSON.parse(await readFile(await localArtifact(root, fusedArtifact.uri), 'utf8')) as { classIds: number[]; thresholds: number[]; components: { runId: string; artifact: string; format: string }[] };
  const dataset = await loadDatasetForExtraction(prisma, input.unlabelledDatasetId);
  const rows = dataset.splits.flatMap((s, i) => (!input.unlabelledSplit || s === input.unlabelledSplit ? [i] : []));
  if (!rows.length) throw errors.badInput(`dataset ${input.unlabelledDatasetId} has no ${input.unlabelledSplit ?? ''} samples to pseudo-label`, { field: 'unlabelledSplit' });
  const classes = fusion.classIds.length;
  const sum = new Float32Array(rows.length * classes);
  const used: string[] = [];
  const extraction = { prisma, pool: t.ctx.pool, storeRoot: featureStoreRoot(t.ctx.config), device: t.ctx.config.device, signal: t.ctx.signal };
  for (const component of fusion.components) {
    // On a worker that has not seen it, the component comes from the shared store.
    const path = await localArtifact(root, component.artifact);
    const doc = JSON.parse(await readFile(path, 'utf8')) as { encoders?: Record<'text' | 'image', { spec: EncoderSpec; info: { version: string } } | undefined> };
    if (doc.encoders?.image && !dataset.imagesDir) continue; // no images to show this component
    const run = await t.runs.get(component.runId);
    const { fitCaptions } = await loadTrainingDatasets(prisma, root, parseTrainingInput(run.config));
    const features: Partial<Record<'text' | 'image', { dir: string; dim: number }>> = {};
    for (const which of ['text', 'image'] as const) {
      const enc = doc.encoders?.[which];
      if (!enc) continue;
      const set = await ensureFeatureSet(extraction, { ...dataset, fitCaptions }, enc.spec, 'original');
      if (set.encoder.version !== enc.info.version) throw new Error(`run ${component.runId}'s ${enc.spec.id} encoder could not be rebuilt (version ${set.encoder.version}, trained with ${enc.info.version})`);
      features[which] = { dir: set.dir, dim: set.dim };
    }
    const logits = await t.ctx.pool.run<ComponentLogitsInput, Float32Array>(
      'componentLogits',
      { device: t.ctx.config.device, artifactPath: path, count: dataset.samples.length, rows, ...features, captions: rows.map((r) => dataset.samples[r].caption) },
      { signal: t.ctx.signal },
    );
    for (let k = 0; k < sum.length; k++) sum[k] += logits[k];
    used.push(component.runId);
  }
  if (!used.length) throw errors.badInput(`no component of run ${fused.id} can predict dataset ${input.unlabelledDatasetId} (it has no images)`, { field: 'unlabelledDatasetId' });
  const probs = sum.map((v) => 1 / (1 + Math.exp(-v / used.length)));
  const assigned = assignLabels(probs, rows.length, classes, fusion.thresholds);
  return { dataset, rows, classIds: fusion.classIds, probs, assigned, used };
}

/**
 * Transductive prediction: the unlabelled samples, which the rounds pseudo-labelled, predicted
 * by the best round's fused model and kept as the experiment's `submission` artifact (the
 * competition's ImageID,Labels CSV).
 */
async function writeSubmission(t: TrialRunner, input: PseudoLabelInput, best: Run) {
  const { dataset, rows, classIds, assigned } = await fusedPredictions(t, input, best);
  const csv = submissionCsv(rows.map((row, i) => ({ imageId: dataset.samples[row].imageId ?? String(row), labels: classIds.filter((_, c) => assigned[i * classIds.length + c]) })));
  const saved = await saveText(artifactRoot(t.ctx.config), t.experiment.id, 'submission.csv', csv);
  await t.ctx.db.prisma.artifact.upsert({
    where: { runId_name: { runId: t.experiment.id, name: SUBMISSION_ARTIFACT } },
    create: { runId: t.experiment.id, name: SUBMISSION_ARTIFACT, kind: 'submission-csv', ...saved, metadata: { datasetId: dataset.id, predictedBy: best.id, samples: rows.length } },
    update: { ...saved, metadata: { datasetId: dataset.id, predictedBy: best.id, samples: rows.length } },
  });
  return { artifact: saved.uri, predictedBy: best.id, samples: rows.length };
}
