import type { Database } from '../db/database.js';
import type { Run } from '../db/generated/client.js';
import { errors } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import { validateEncoderSpec } from '../ml/encoders/registry.js';
import { modalitiesOf } from '../ml/heads/kinds.js';
import { encodeParam, flattenConfig } from '../runs/params.js';
import { DEFAULT_ENCODERS, parseTrainingInput } from './input.js';
import { trainJob } from './job.js';

/** Starts training runs: checks the input against the dataset, then queues the run's job. */
export class TrainingService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
  ) {}

  /** Creates the run (QUEUED) and its job in one transaction and returns the run. */
  async startTraining(raw: unknown): Promise<Run> {
    const input = parseTrainingInput(raw);
    const dataset = await this.db.prisma.dataset.findUnique({ where: { id: input.datasetId } });
    if (!dataset) throw errors.datasetNotFound(input.datasetId);
    if (!dataset.labelled) throw errors.badInput(`dataset ${dataset.name} v${dataset.version} has no labels to train on`, { field: 'datasetId' });
    const uses = modalitiesOf(input.head);
    if (input.head === 'text-finetune' && input.textEncoder && input.textEncoder.id !== 'bert') {
      throw errors.badInput(`text-finetune fine-tunes bert; textEncoder "${input.textEncoder.id}" cannot be fine-tuned`, { field: 'textEncoder.id' });
    }
    if (uses.image) {
      if (!dataset.hasImages) throw errors.badInput(`head ${input.head} needs images, and dataset ${dataset.name} v${dataset.version} is text only`, { field: 'head' });
      validateEncoderSpec(input.visionEncoder ?? { id: DEFAULT_ENCODERS.vision }, 'image');
    }
    if (uses.text && input.head !== 'text-finetune') validateEncoderSpec(input.textEncoder ?? { id: DEFAULT_ENCODERS.text }, 'text');
    for (const id of input.extraTrainDatasetIds) {
      const extra = await this.db.prisma.dataset.findUnique({ where: { id } });
      if (!extra) throw errors.datasetNotFound(id);
      if (!extra.labelled) throw errors.badInput(`extra training dataset ${extra.name} v${extra.version} has no labels`, { field: 'extraTrainDatasetIds' });
      if (uses.image && !extra.hasImages) throw errors.badInput(`head ${input.head} needs images, and extra training dataset ${extra.name} v${extra.version} is text only`, { field: 'extraTrainDatasetIds' });
    }
    const { head, name, datasetId, seed, extraTrainDatasetIds, ...hyper } = input;
    const params = flattenConfig({ head, ...hyper, extraTrainDatasets: extraTrainDatasetIds.length, visionEncoder: uses.image ? (input.visionEncoder?.id ?? DEFAULT_ENCODERS.vision) : undefined, textEncoder: head === 'text-finetune' ? 'bert' : uses.text ? (input.textEncoder?.id ?? DEFAULT_ENCODERS.text) : undefined });
    const { run } = await this.jobs.enqueueWith(trainJob.kind, async (tx) => {
      const created = await tx.run.create({
        data: { kind: 'train', name: name ?? `${head} ${new Date().toISOString().slice(0, 19)}`, datasetId, seed, config: input as object, params: { create: Object.entries(params).map(([key, value]) => ({ key, ...encodeParam(value) })) } },
      });
      return { payload: { runId: created.id }, runId: created.id, run: created };
    });
    return run;
  }
}
