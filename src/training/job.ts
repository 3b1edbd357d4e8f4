import { z } from 'zod';
import { isAppError, publicError } from '../errors.js';
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
      // The same masked id as the job's error (src/jobs/runner.ts logs the details under it).
      const { message } = publicError(err);
      const job = await ctx.db.prisma.job.findUnique({ where: { id: ctx.jobId }, select: { cancelRequested: true } });
      if (job?.cancelRequested) await runs.setStatus(runId, 'CANCELLED', { error: 'cancelled' });
      // The runner retries other failures (a worker thread that died, a lost claim) while
      // attempts remain: the run waits for that attempt instead of ending FAILED now.
      else if (isAppError(err) || ctx.attempt > trainJob.retryLimit) await runs.setStatus(runId, 'FAILED', { error: message });
      else await runs.setStatus(runId, 'QUEUED', { error: `attempt ${ctx.attempt} failed: ${message}; retrying` });
      throw err;
    }
  },
};

