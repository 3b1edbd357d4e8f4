-- Predictions: batch prediction sets (one model version on a dataset or split) and their rows.

-- CreateTable
CREATE TABLE "PredictionSet" (
    "id" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "split" "Split",
    "jobId" TEXT,
    "classIds" INTEGER[],
    "count" INTEGER NOT NULL DEFAULT 0,
    "csvPath" TEXT,
    "metrics" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "PredictionSet_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Prediction" (
    "setId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "labels" INTEGER[],
    "probabilities" DOUBLE PRECISION[],

    CONSTRAINT "Prediction_pkey" PRIMARY KEY ("setId","imageId")
);

-- CreateIndex
CREATE INDEX "PredictionSet_modelVersionId_idx" ON "PredictionSet"("modelVersionId");

-- CreateIndex
CREATE INDEX "PredictionSet_datasetId_createdAt_idx" ON "PredictionSet"("datasetId", "createdAt");

-- AddForeignKey
ALTER TABLE "PredictionSet" ADD CONSTRAINT "PredictionSet_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PredictionSet" ADD CONSTRAINT "PredictionSet_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Prediction" ADD CONSTRAINT "Prediction_setId_fkey" FOREIGN KEY ("setId") REFERENCES "PredictionSet"("id") ON DELETE CASCADE ON UPDATE CASCADE;
