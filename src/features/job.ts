import { z } from 'zod';
import { errors } from '../errors.js';
import type { JobDefinition } from '../jobs/types.js';
import { ensureFeatureSet, loadDatasetForExtraction, type SkippedSample } from './extract.js';
import { featureStoreRoot } from './paths.js';

export const extractPayload = z.object({
  datasetId: z.string(),
  encoder: z.object({ id: z.string(), path: z.string().nullish(), hubId: z.string().nullish(), options: z.record(z.string(), z.unknown()).nullish() }),
  /** original, flip, syn1, syn2, … */
  variants: z.array(z.string().regex(/^(original|flip|syn[1-9]\d?)$/)).min(1),
  /** a sample the encoder throws on: fail the job (default), or skip it and list it */
  onEncoderError: z.enum(['fail', 'skip']).default('fail'),
});
export type ExtractPayload = z.infer<typeof extractPayload>;

/** Computes (or finds cached) features of a dataset for one encoder and its variants. */
export const extractFeaturesJob: JobDefinition<ExtractPayload, { featureSets: { variant: string; dim: number; count: number; cached: boolean; encoderVersion: string; skipped: SkippedSample[] }[] }> = {
  kind: 'extract-features',
  retryLimit: 2,
  retryDelaySeconds: 5,
  expireInSeconds: 12 * 3600,
  parsePayload: (p) => extractPayload.parse(p),
  async run(ctx, payload) {
    const dataset = await loadDatasetForExtraction(ctx.db.prisma, payload.datasetId).catch(() => {
      throw errors.datasetNotFound(payload.datasetId);
    });
    const out = [];
    for (const [i, variant] of payload.variants.entries()) {
      const set = await ensureFeatureSet(
        {
          prisma: ctx.db.prisma,
          pool: ctx.pool,
          storeRoot: featureStoreRoot(ctx.config),
          device: ctx.config.device,
          signal: ctx.signal,
          onEncoderError: payload.onEncoderError,
          // "n of N unit": the CLI's progress line reads the rate (images/s) from it
          onProgress: (f, s) => ctx.progress((i + f) / payload.variants.length, `${payload.encoder.id} ${variant}: ${s.done} of ${s.total} ${s.unit}`),
        },
        dataset,
        payload.encoder,
        variant,
      );
      out.push({ variant, dim: set.dim, count: set.count, cached: set.cached, encoderVersion: set.encoder.version, skipped: set.skipped });
    }
    return { featureSets: out };
  },
};
