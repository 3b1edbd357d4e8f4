-- No query reads epoch metrics by (name, split, value): curves and comparisons go through the
-- (runId, name, split, epoch) key, and run filters and orderings use MetricSummary. The index
-- only cost every logged value one more index insertion (bench/load.ts).
DROP INDEX "EpochMetric_name_split_value_idx";

-- An epoch metric is identified by (run, name, split, epoch): that key, already unique, becomes
-- the primary key, and the surrogate id (never read) with its sequence and index goes.
ALTER TABLE "EpochMetric" DROP CONSTRAINT "EpochMetric_pkey";
ALTER TABLE "EpochMetric" DROP COLUMN "id";
DROP INDEX "EpochMetric_runId_name_split_epoch_key";
ALTER TABLE "EpochMetric" ADD CONSTRAINT "EpochMetric_pkey" PRIMARY KEY ("runId", "name", "split", "epoch");

-- A summary row is rewritten by every epoch of its metric. Indexes over its values made each
-- rewrite insert four index entries; with only (name, split) beside the key, no indexed column
-- changes and PostgreSQL updates the row in place (HOT), in the page room fillfactor leaves.
-- Run filters and orderings reach a metric's summaries by (name, split) or by run: 1,000-value
-- epochs are written twice as fast (37 → 19 ms), and bench/query-scale.ts keeps its targets.
DROP INDEX "MetricSummary_name_split_lastValue_idx";
DROP INDEX "MetricSummary_name_split_maxValue_idx";
DROP INDEX "MetricSummary_name_split_minValue_idx";
CREATE INDEX "MetricSummary_name_split_idx" ON "MetricSummary"("name", "split");
ALTER TABLE "MetricSummary" SET (fillfactor = 70);
