import { z } from 'zod';
import type { JobDefinition } from '../jobs/types.js';
import type { HeadKind } from '../ml/heads/kinds.js';
import { RunService } from '../runs/service.js';
import { finetuneText } from './finetune-job.js';
import { trainOnFeatures } from './heads-job.js';
import { fuseRuns } from './fusion-job.js';
import { parseTrainingInput, type TrainingInput } from './input.js';

const payloadSchema = z.object({ runId: z.string() });

/**
 * A training run: a head on cached features, BERT fine-tuned end to end, or the logit fusion of
 * finished component runs. Marks the run FAILED or CANCELLED when the work stops short.
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
      if (input.head === 'text-finetune') return await finetuneText(ctx, runs, runId, input);
      if (input.componentRunIds.length) return await fuseRuns(ctx, runs, runId, input);
      return await trainOnFeatures(ctx, runs, runId, input as TrainingInput & { head: HeadKind });
    } catch (err) {
      await runs.setStatus(runId, ctx.signal.aborted ? 'CANCELLED' : 'FAILED', { error: ctx.signal.aborted ? 'cancelled' : (err as Error).message });
      throw err;
    }
  },
};

