import type { TaskMessage } from '../jobs/pool.js';
import { runPrediction, type PredictTaskInput, type PredictTaskOutput } from '../prediction/predictor.js';

/**
 * Probabilities of a registered model's classes for raw samples or a dataset's cached features.
 * The thread keeps the model warm (see src/prediction/predictor.ts); dataset progress goes
 * through the port.
 */
export async function predict({ input, port }: TaskMessage<PredictTaskInput>): Promise<PredictTaskOutput> {
  return runPrediction(input, (m) => port.postMessage(m));
}
