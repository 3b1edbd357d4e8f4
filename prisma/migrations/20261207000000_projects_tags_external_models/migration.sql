-- Issue 13: runs from any training code. Projects (MLflow's experiments), run tags and notes,
-- metric values at any step and time, soft delete, and model versions made from any artifact folder.

-- CreateTable: Default is id 0, as MLflow's default experiment is "0": a client that names no
-- experiment logs into it.
CREATE TABLE "Project" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "tags" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Project_name_key" ON "Project"("name");
INSERT INTO "Project" ("id", "name", "description") VALUES (0, 'Default', 'Runs that name no project.');

-- Runs: project, note, creator, soft delete
ALTER TABLE "Run" ADD COLUMN "projectId" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "note" TEXT,
    ADD COLUMN "createdBy" TEXT,
    ADD COLUMN "deletedAt" TIMESTAMP(3);
ALTER TABLE "Run" ADD CONSTRAINT "Run_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "Run_projectId_createdAt_idx" ON "Run"("projectId", "createdAt");

-- CreateTable
CREATE TABLE "RunTag" (
    "runId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "RunTag_pkey" PRIMARY KEY ("runId", "key")
);
CREATE INDEX "RunTag_key_value_idx" ON "RunTag"("key", "value");
ALTER TABLE "RunTag" ADD CONSTRAINT "RunTag_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Metric values carry their time, and a step may hold several values (MLflow's log_metric
-- without a step logs every value at step 0). Existing values get the time of this migration.
ALTER TABLE "EpochMetric" ADD COLUMN "timestamp" BIGINT NOT NULL DEFAULT ((EXTRACT(epoch FROM CURRENT_TIMESTAMP) * 1000)::bigint);
ALTER TABLE "EpochMetric" ALTER COLUMN "timestamp" DROP DEFAULT;
ALTER TABLE "EpochMetric" DROP CONSTRAINT "EpochMetric_pkey";
ALTER TABLE "EpochMetric" ADD CONSTRAINT "EpochMetric_pkey" PRIMARY KEY ("runId", "name", "split", "epoch", "timestamp", "value");

-- Model versions made from any run's artifact folder, and whether tagfusion can serve them
ALTER TABLE "ModelVersion" ADD COLUMN "description" TEXT,
    ADD COLUMN "source" TEXT,
    ADD COLUMN "format" TEXT,
    ADD COLUMN "unservableReason" TEXT,
    ADD COLUMN "signature" JSONB,
    ADD COLUMN "deletedAt" TIMESTAMP(3),
    ADD COLUMN "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "ModelVersion" SET "format" = 'tagfusion-head' WHERE "artifactId" IS NOT NULL;
