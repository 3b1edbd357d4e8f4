import { Prisma } from '../db/generated/client.js';

/**
 * How a metric summary row takes new values (recordEpoch, recordPoints): last is the value at
 * the highest step (a later write at the same step wins), min and max keep the step they were
 * reached at. Both writers insert one candidate row per metric, and this merges it.
 */
export const MERGE_SUMMARY = Prisma.sql`
      ON CONFLICT ("runId", "name", "split") DO UPDATE SET
        "lastValue" = CASE WHEN EXCLUDED."lastEpoch" >= "MetricSummary"."lastEpoch" THEN EXCLUDED."lastValue" ELSE "MetricSummary"."lastValue" END,
        "lastEpoch" = GREATEST(EXCLUDED."lastEpoch", "MetricSummary"."lastEpoch"),
        "minEpoch" = CASE WHEN EXCLUDED."minValue" < "MetricSummary"."minValue" THEN EXCLUDED."minEpoch" ELSE "MetricSummary"."minEpoch" END,
        "minValue" = LEAST(EXCLUDED."minValue", "MetricSummary"."minValue"),
        "maxEpoch" = CASE WHEN EXCLUDED."maxValue" > "MetricSummary"."maxValue" THEN EXCLUDED."maxEpoch" ELSE "MetricSummary"."maxEpoch" END,
        "maxValue" = GREATEST(EXCLUDED."maxValue", "MetricSummary"."maxValue")`;
