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
    // Fusing finished runs trains nothing: the components were checked when they trained.
    const uses = input.componentRunIds.length ? { image: false, text: false } : modalitiesOf(input.head);
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
    if (input.componentRunIds.length) await this.checkComponents(input.head, input.datasetId, input.componentRunIds);
    const { head, name, datasetId, seed, extraTrainDatasetIds, componentRunIds, ...hyper } = input;
    const params = flattenConfig({ head, ...hyper, extraTrainDatasets: extraTrainDatasetIds.length, fusedRuns: componentRunIds.length || undefined, visionEncoder: uses.image ? (input.visionEncoder?.id ?? DEFAULT_ENCODERS.vision) : undefined, textEncoder: head === 'text-finetune' ? 'bert' : uses.text ? (input.textEncoder?.id ?? DEFAULT_ENCODERS.text) : undefined });
    const { run } = await this.jobs.enqueueWith(trainJob.kind, async (tx) => {
      const created = await tx.run.create({
        data: { kind: 'train', name: name ?? `${head} ${new Date().toISOString().slice(0, 19)}`, datasetId, seed, config: input as object, params: { create: Object.entries(params).map(([key, value]) => ({ key, ...encodeParam(value) })) } },
      });
      return { payload: { runId: created.id }, runId: created.id, run: created };
    });
    return run;
  }

  /** A fusion of runs needs finished runs of its components, on the same dataset. */
  private async checkComponents(head: string, datasetId: string, ids: string[]): Promise<void> {
    const needed = FUSION_COMPONENTS[head];
    if (!needed) throw errors.badInput(`componentRunIds applies to fm1, fm2 and fm3, not ${head}`, { field: 'componentRunIds' });
    const heads: string[] = [];
    for (const id of ids) {
      const run = await this.db.prisma.run.findUnique({ where: { id }, include: { artifacts: true } });
      if (!run) throw errors.runNotFound(id);
      const runHead = (run.config as { head?: string }).head;
      if (run.kind !== 'train' || run.status !== 'SUCCEEDED' || !run.artifacts.some((a) => a.name === 'model')) {
        throw errors.badInput(`run ${id} is not a finished training run with a model (kind ${run.kind}, status ${run.status})`, { field: 'componentRunIds' });
      }
      if (run.datasetId !== datasetId) throw errors.badInput(`run ${id} was trained on another dataset; fused runs share the validation split`, { field: 'componentRunIds' });
      heads.push(runHead === 'text-finetune' ? 'text' : String(runHead));
    }
    if ([...heads].sort().join(',') !== [...needed].sort().join(',')) {
      throw errors.badInput(`${head} fuses one run of each of ${needed.join(', ')}; got ${heads.join(', ')}`, { field: 'componentRunIds' });
    }
  }
}

/** The heads whose runs each fusion averages (a fine-tuned BERT counts as text). */
const FUSION_COMPONENTS: Record<string, string[]> = { fm1: ['vision', 'text'], fm2: ['vision', 'text', 'fcnn'], fm3: ['vision', 'text', 'xattn'] };
