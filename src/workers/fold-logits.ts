import type { MessagePort } from 'node:worker_threads';
import type { TaskMessage } from '../jobs/pool.js';
import { gatherRows } from '../ml/features-matrix.js';
import { readFeatureSet } from '../features/store.js';
import { toArtifact } from '../training/artifact.js';
import type { TrainingInput } from '../training/input.js';
import { loadModel } from '../training/model.js';
import { trainModel, type TrainModelInput } from './training.js';

export interface FoldLogitsInput {
  /** the head's training task, its first source's training rows being the other folds */
  train: TrainModelInput;
  /** rows of the first source to predict: the held-out fold */
  heldOut: number[];
}

/** Epoch reports of a fold's training are not recorded anywhere: this port drops them. */
const silent = { postMessage: () => undefined } as unknown as MessagePort;

/**
 * Trains a head on some folds of the training split and returns its logits [heldOut × classes]
 * on the held-out fold: out-of-fold logits, which a stacker may be fitted on.
 */
export async function foldLogits({ input }: TaskMessage<FoldLogitsInput>): Promise<Float32Array> {
  const { model } = await trainModel({ input: input.train, port: silent });
  const source = input.train.sources[0];
  const loaded = loadModel(toArtifact({ runId: 'fold', datasetId: '', classIds: [], encoders: {}, training: {} as TrainingInput }, model));
  try {
    const read = async (ref?: { dir: string; dim: number }) => (ref ? gatherRows(await readFeatureSet(ref.dir, source.count, ref.dim), ref.dim, input.heldOut) : undefined);
    return loaded.logits({ text: await read(source.text), image: await read(source.image) }, input.heldOut.length);
  } finally {
    loaded.dispose();
  }
}
