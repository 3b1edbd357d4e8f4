-- tagfusion's own training numbered epochs from 0 while its CLI's progress counted from 1 and
-- MLflow clients log steps from 1, so curves of the two were shifted against each other in
-- comparisons. The first epoch is now epoch 1 (src/ml/train.ts, src/ml/finetune.ts). This shifts
-- by one what tagfusion's own jobs wrote: training runs (a train job's run, or a summary that
-- training finished with epochsRun) and pseudo-labelling experiments and their rounds. Points
-- that clients logged (logMetrics, MLflow) keep their steps. Artifact files are immutable and
-- keep the bestEpoch they were written with.
CREATE TEMP TABLE "_EpochShift" ("id" TEXT PRIMARY KEY);
INSERT INTO "_EpochShift"
  SELECT r."id" FROM "Run" r
  WHERE r."kind" IN ('pseudo-label', 'pseudo-label-round')
     OR (r."kind" = 'train' AND (r."summary" -> 'epochsRun' IS NOT NULL OR EXISTS (SELECT 1 FROM "Job" j WHERE j."runId" = r."id" AND j."kind" = 'train')));

-- Through negative numbers, so that no row meets a neighbour's key half-way through the update.
UPDATE "EpochMetric" SET "epoch" = -("epoch" + 1) WHERE "runId" IN (SELECT "id" FROM "_EpochShift");
UPDATE "EpochMetric" SET "epoch" = -"epoch" WHERE "epoch" < 0 AND "runId" IN (SELECT "id" FROM "_EpochShift");
UPDATE "ClassMetric" SET "epoch" = -("epoch" + 1) WHERE "runId" IN (SELECT "id" FROM "_EpochShift");
UPDATE "ClassMetric" SET "epoch" = -"epoch" WHERE "epoch" < 0 AND "runId" IN (SELECT "id" FROM "_EpochShift");

UPDATE "MetricSummary" SET "lastEpoch" = "lastEpoch" + 1, "minEpoch" = "minEpoch" + 1, "maxEpoch" = "maxEpoch" + 1
  WHERE "runId" IN (SELECT "id" FROM "_EpochShift");

UPDATE "Run" SET "summary" = jsonb_set("summary", '{bestEpoch}', to_jsonb(("summary" ->> 'bestEpoch')::numeric + 1))
  WHERE "id" IN (SELECT "id" FROM "_EpochShift") AND jsonb_typeof("summary" -> 'bestEpoch') = 'number';

DROP TABLE "_EpochShift";
