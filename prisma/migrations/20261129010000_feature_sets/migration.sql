-- CreateTable
CREATE TABLE "FeatureSet" (
    "id" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "encoderId" TEXT NOT NULL,
    "encoderVersion" TEXT NOT NULL,
    "variant" TEXT NOT NULL,
    "modality" TEXT NOT NULL,
    "dim" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "encoder" JSONB NOT NULL DEFAULT '{}',
    "seconds" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FeatureSet_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "FeatureSet_datasetId_encoderId_encoderVersion_variant_key" ON "FeatureSet"("datasetId", "encoderId", "encoderVersion", "variant");

-- AddForeignKey
ALTER TABLE "FeatureSet" ADD CONSTRAINT "FeatureSet_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "summary" JSONB;
