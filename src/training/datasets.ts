import type { PrismaClient } from '../db/generated/client.js';
import { loadDatasetForExtraction } from '../features/extract.js';
import type { TrainingInput } from './input.js';
import { readPseudoLabels } from './pseudo-labels.js';

export type LoadedDataset = Awaited<ReturnType<typeof loadDatasetForExtraction>>;

/** A dataset that only adds training rows: every row of an extra dataset, or the kept pseudo-labelled ones. */
export interface ExtraTrainingData {
  dataset: LoadedDataset;
  rows: number[];
  labels: number[][];
}

export interface TrainingDatasets {
  main: LoadedDataset;
  extras: ExtraTrainingData[];
  /** captions fitted encoders (tfidf, bert without weights) learn their vocabulary from */
  fitCaptions: string[];
}

/**
 * The data of a training input: the main dataset (its TRAIN split trains, VAL validates), every
 * row of each extra dataset, and the rows a pseudo-labelling round kept, with its labels. Fitted
 * encoders see one vocabulary across all of them, in this fixed order, so that anyone computing
 * a run's features again (prediction, the next pseudo-labelling round) gets the same version.
 */
export async function loadTrainingDatasets(prisma: PrismaClient, artifactRoot: string, input: Pick<TrainingInput, 'datasetId' | 'extraTrainDatasetIds' | 'pseudoLabelRunId'>): Promise<TrainingDatasets> {
  const main = await loadDatasetForExtraction(prisma, input.datasetId);
  const extras: ExtraTrainingData[] = [];
  for (const id of input.extraTrainDatasetIds) {
    const dataset = await loadDatasetForExtraction(prisma, id);
    extras.push({ dataset, rows: dataset.samples.map((_, i) => i), labels: dataset.labels });
  }
  if (input.pseudoLabelRunId) {
    const pseudo = await readPseudoLabels(prisma, artifactRoot, input.pseudoLabelRunId);
    const dataset = await loadDatasetForExtraction(prisma, pseudo.datasetId);
    extras.push({ dataset, rows: pseudo.rows, labels: pseudo.labels });
  }
  return { main, extras, fitCaptions: fitCaptionsOf(main, extras.map((e) => e.dataset)) };
}

/** Training captions of the main dataset, then every caption of each further dataset. */
export function fitCaptionsOf(main: LoadedDataset, further: LoadedDataset[]): string[] {
  return [...main.fitCaptions, ...further.flatMap((d) => d.samples.map((s) => s.caption))];
}
