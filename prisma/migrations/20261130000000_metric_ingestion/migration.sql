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
