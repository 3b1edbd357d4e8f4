import type { JobContext } from '../jobs/types.js';
import type { HeadKind } from '../ml/heads/kinds.js';
import { kFolds } from '../ml/stacker.js';
import { seededRandom } from '../util/random.js';
import type { FoldLogitsInput } from '../workers/fold-logits.js';
import { prepareOnFeatures } from './heads-job.js';
import { parseTrainingInput, type TrainingInput } from './input.js';

/** Folds of the training split that the stack's out-of-fold logits come from. */
export const STACK_FOLDS = 5;

/** Rows of the other folds that pick each refit's best epoch: never the held-out fold. */
const EPOCH_PICK_ROWS = 500;

/**
 * Out-of-fold logits of each component run on `trainRows` ([rows × classes] each, in the order
 * of `trainRows`): the training rows split into seeded folds, and for each fold every component's
 * head refitted with its own configuration on the other folds (for as many epochs as its
 * finished run kept) and asked for the held-out fold's logits. No logit is of a model that saw
 * its sample's labels, which is what a stacker fitted on them needs. Features come from the
 * cache the component runs filled.
 */
export async function outOfFoldLogits(ctx: JobContext, stack: TrainingInput, trainRows: number[], classes: number): Promise<Float32Array[]> {
  const folds = kFolds(trainRows, STACK_FOLDS, seededRandom(stack.seed));
  const position = new Map(trainRows.map((r, i) => [r, i]));
  const out: Float32Array[] = [];
  const total = stack.componentRunIds.length * folds.length;
  for (const [c, componentId] of stack.componentRunIds.entries()) {
    const run = await ctx.db.prisma.run.findUniqueOrThrow({ where: { id: componentId } });
    const input = parseTrainingInput(run.config) as TrainingInput & { head: HeadKind };
    const bestEpoch = (run.summary as { bestEpoch?: number } | null)?.bestEpoch ?? input.epochs;
    const { task } = await prepareOnFeatures(ctx, input, () => undefined);
    const logits = new Float32Array(trainRows.length * classes);
    for (const [f, fold] of folds.entries()) {
      const held = new Set(fold);
      const rest = task.sources[0].trainRows.filter((r) => !held.has(r));
      const train = {
        ...task,
        sources: [{ ...task.sources[0], trainRows: rest, valRows: rest.slice(0, EPOCH_PICK_ROWS) }, ...task.sources.slice(1)],
        config: { ...task.config, epochs: bestEpoch, earlyStopping: null, thresholds: 'fixed' as const },
      };
      const part = await ctx.pool.run<FoldLogitsInput, Float32Array>('foldLogits', { train, heldOut: fold }, { signal: ctx.signal });
      fold.forEach((row, i) => logits.set(part.subarray(i * classes, (i + 1) * classes), position.get(row)! * classes));
      ctx.progress((c * folds.length + f + 1) / total / 2, `stack: fold ${f + 1} of ${folds.length} of run ${c + 1} of ${stack.componentRunIds.length}`);
    }
    out.push(logits);
  }
  return out;
}
