import { readFile } from 'node:fs/promises';
import type { PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { localArtifact } from './artifact.js';

export const PSEUDO_LABELS_FORMAT = 'tagfusion-pseudo-labels/1';
export const PSEUDO_LABELS_ARTIFACT = 'pseudo-labels';

/** Labels a model predicted for unlabelled samples, kept as a pseudo-labelling round's artifact. */
export interface PseudoLabels {
  format: typeof PSEUDO_LABELS_FORMAT;
  /** the dataset whose samples were labelled */
  datasetId: string;
  /** the fused run that predicted them */
  predictedBy: string;
  /** sample rows (in dataset order, by sample id) that were kept */
  rows: number[];
  /** label ids of each kept row */
  labels: number[][];
  /** highest class probability of each kept row */
  confidence: number[];
}

/** Reads the pseudo-labels stored with run `runId`, with a clear error when it has none. */
export async function readPseudoLabels(prisma: PrismaClient, artifactRoot: string, runId: string): Promise<PseudoLabels> {
  const artifact = await prisma.artifact.findUnique({ where: { runId_name: { runId, name: PSEUDO_LABELS_ARTIFACT } } });
  if (!artifact) throw errors.badInput(`run ${runId} has no pseudo-labels (it is not a finished pseudo-labelling round)`, { field: 'pseudoLabelRunId' });
  const doc = JSON.parse(await readFile(await localArtifact(artifactRoot, artifact.uri), 'utf8')) as PseudoLabels;
  if (doc.format !== PSEUDO_LABELS_FORMAT) throw new Error(`${artifact.uri} is not a ${PSEUDO_LABELS_FORMAT} document`);
  return doc;
}
