-- Issue 13: MLflow 3's logged models (mlflow.<flavor>.log_model). A logged model belongs to a
-- project (MLflow's experiment) and usually to the run that logged it; its files live in that
-- run's artifact tree under models/<id>/, so they follow the run's rules and its collection.

-- CreateTable: id is MLflow's model id, m-<32 hex digits>.
CREATE TABLE "LoggedModel" (
    "id" TEXT NOT NULL,
    "projectId" INTEGER NOT NULL,
    "sourceRunId" TEXT,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'LOGGED_MODEL_PENDING',
    "modelType" TEXT,
    "params" JSONB NOT NULL DEFAULT '{}',
    "tags" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "LoggedModel_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "LoggedModel_projectId_createdAt_idx" ON "LoggedModel"("projectId", "createdAt");
CREATE INDEX "LoggedModel_sourceRunId_idx" ON "LoggedModel"("sourceRunId");
ALTER TABLE "LoggedModel" ADD CONSTRAINT "LoggedModel_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LoggedModel" ADD CONSTRAINT "LoggedModel_sourceRunId_fkey" FOREIGN KEY ("sourceRunId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable: a run's model outputs (MLflow's runs/log-outputs), the step each was logged at.
CREATE TABLE "LoggedModelOutput" (
    "runId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "step" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "LoggedModelOutput_pkey" PRIMARY KEY ("runId", "modelId")
);
CREATE INDEX "LoggedModelOutput_modelId_idx" ON "LoggedModelOutput"("modelId");
ALTER TABLE "LoggedModelOutput" ADD CONSTRAINT "LoggedModelOutput_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LoggedModelOutput" ADD CONSTRAINT "LoggedModelOutput_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "LoggedModel"("id") ON DELETE CASCADE ON UPDATE CASCADE;
