import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { PredictionSet } from '../db/generated/client.js';
import type { Split } from '../db/generated/enums.js';
import { errors, isAppError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { artifactRoot } from '../features/paths.js';
import type { JobService } from '../jobs/service.js';
import type { Logger } from '../logger.js';
import { requireRole, type Actor } from '../registry/actor.js';
import { runPredictTask } from './fit.js';
import { checkInputs } from './inputs.js';
import { predictDatasetJob } from './job.js';
import { Lru } from './lru.js';
import { parseModelRef, resolveModelRef, resolveVersionId, type ResolvedModel } from './model-ref.js';
import { planLabels } from './label-policy.js';
import type { PredictorPlan } from './plan.js';
import * as repo from './repository.js';
import { localSubmission } from './submission.js';
import { versionPlan } from './version-plan.js';
import { WarmPool } from './warm-pool.js';

/** The model version that answered a prediction. */
export interface PredictedModel {
  reference: string;
  name: string;
  version: number;
  versionId: string;
  alias: string | null;
  runId: string | null;
  head: string;
}

export interface PredictionResult {
  model: PredictedModel;
  predictions: { labels: number[]; probabilities: { classId: number; probability: number; threshold: number }[] }[];
}

const SPLITS: readonly Split[] = ['TRAIN', 'VAL', 'UNLABELLED'];

/**
 * Prediction with registered models: single samples answered by warm worker threads, and whole
 * datasets as a job that writes a submission file. References are resolved on every call; what
 * a version loads is cached under its immutable id, so a moved alias reloads by itself.
 */
export class PredictionService {
  private readonly plans = new Lru<string, Promise<PredictorPlan>>(32);
  private readonly pool: WarmPool;
  private readonly stopListening: () => void;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
    events: EventBus,
    private readonly config: Config,
    private readonly log: Logger,
  ) {
    this.pool = new WarmPool(config.predictThreads);
    // A moved alias will be asked for next: load its version before the first request does,
    // on servers that already predict (others would start threads for nothing).
    this.stopListening = events.onEvent((e) => {
      if (e.topic === 'registry' && e.type === 'ALIAS_MOVED' && e.versionId && this.pool.started) void this.preload(e.versionId);
    });
  }

  /** Labels and probabilities of `inputs` by the version `model` names now. */
  async predict(reference: string, inputs: unknown): Promise<PredictionResult> {
    const model = await resolveModelRef(this.db.prisma, reference);
    const plan = await this.planFor(model);
    const samples = await checkInputs(inputs, plan, () => this.imageRoots(), this.config.imageMaxPixels);
    const out = await runPredictTask(this.pool, this.db.prisma, this.config.device, plan, { samples });
    if (out.status === 'bad-input') throw errors.badInput(`inputs.${out.index}.image: ${out.message}`, { field: `inputs.${out.index}.image` });
    if (out.status === 'unavailable') throw errors.modelUnavailable(reference, out.reason);
    const c = plan.classIds.length;
    const labels = planLabels(plan, out.probs, out.n);
    return {
      model: describe(model, plan),
      predictions: Array.from({ length: out.n }, (_, i) => ({
        labels: plan.classIds.filter((_, j) => labels[i * c + j] === 1),
        probabilities: plan.classIds.map((classId, j) => ({ classId, probability: out.probs[i * c + j], threshold: plan.thresholds[j] })),
      })),
    };
  }

  /**
   * Queues the prediction of a dataset (or one split) by the version `model` names now, which
   * the set pins. Checks model, dataset, split and modalities before anything is queued.
   */
  async predictDataset(input: { model: string; datasetId: string; split?: Split | null }, actor: Actor): Promise<PredictionSet> {
    requireRole(actor, 'editor', 'predictDataset');
    const model = await resolveModelRef(this.db.prisma, input.model);
    const plan = await this.planFor(model);
    const dataset = await this.db.prisma.dataset.findUnique({ where: { id: input.datasetId } });
    if (!dataset) throw errors.datasetNotFound(input.datasetId);
    const split = input.split ?? null;
    if (split && !SPLITS.includes(split)) throw errors.badInput(`split must be one of ${SPLITS.join(', ')}`, { field: 'split' });
    if (plan.needs.image && !dataset.hasImages) {
      throw errors.badInput(`model ${plan.label} (head ${plan.head}) reads images, and dataset ${dataset.name} v${dataset.version} is text only`, { field: 'datasetId' });
    }
    const count = await this.db.prisma.sample.count({ where: { datasetId: dataset.id, ...(split ? { split } : {}) } });
    if (!count) throw errors.badInput(`dataset ${dataset.name} v${dataset.version} has no ${split ? `${split} ` : ''}samples`, { field: 'split' });
    const { set, job } = await this.jobs.enqueueWith(predictDatasetJob.kind, async (tx) => {
      const created = await repo.createSet(tx, { modelVersionId: model.versionId, reference: input.model, datasetId: dataset.id, split, classIds: plan.classIds });
      return { payload: { predictionSetId: created.id }, set: created };
    });
    // The job records itself too when it starts; this makes the link visible while it waits.
    return repo.setJob(this.db.prisma, set.id, job.id);
  }

  async getSet(id: string): Promise<PredictionSet> {
    const set = await repo.findSet(this.db.prisma, id);
    if (!set) throw errors.predictionSetNotFound(id);
    return set;
  }

  findSet = (id: string) => repo.findSet(this.db.prisma, id);
  listSets = (filter: { datasetId?: string }, first: number, offset: number) => repo.listSets(this.db.prisma, filter, first, offset);
  predictions = (setId: string, first: number, offset: number) => repo.listPredictions(this.db.prisma, setId, first, offset);

  /** The model version a set pinned, described as `predict` describes the one that answered. */
  async setModel(set: PredictionSet): Promise<PredictedModel> {
    const model = await resolveVersionId(this.db.prisma, set.modelVersionId);
    const ref = parseModelRef(set.reference);
    return describe({ ...model, reference: set.reference, alias: ref.alias ?? null }, await this.planFor(model));
  }

  /** The absolute path of a finished set's submission CSV, and a file name for downloads. */
  async submissionFile(id: string): Promise<{ path: string; filename: string }> {
    const set = await this.getSet(id);
    if (!set.csvPath) throw errors.submissionNotReady(id);
    const path = await localSubmission(this.config.dataDir, set.csvPath).catch((err) => {
      if (isAppError(err) && err.code === 'STORE_OBJECT_MISSING') return join(this.config.dataDir, set.csvPath!);
      throw err;
    });
    if (!existsSync(path)) throw errors.pathNotFound('Submission file', set.csvPath);
    return { path, filename: `submission-${id}.csv` };
  }

  async close(): Promise<void> {
    this.stopListening();
    await this.pool.close();
  }

  private planFor(model: ResolvedModel): Promise<PredictorPlan> {
    let plan = this.plans.get(model.versionId);
    if (!plan) {
      plan = versionPlan(this.db.prisma, artifactRoot(this.config), model);
      this.plans.set(model.versionId, plan);
      plan.catch(() => this.plans.delete(model.versionId));
    }
    return plan;
  }

  private async imageRoots(): Promise<string[]> {
    return this.config.dataRoots ?? [this.config.dataDir, ...(await repo.datasetImageDirs(this.db.prisma))];
  }

  private async preload(versionId: string): Promise<void> {
    try {
      const plan = await this.planFor(await resolveVersionId(this.db.prisma, versionId));
      await runPredictTask(this.pool, this.db.prisma, this.config.device, plan, { samples: [] });
      this.log.info({ model: plan.label }, 'preloaded the model an alias moved to');
    } catch (err) {
      this.log.warn({ err, versionId }, 'could not preload the model an alias moved to');
    }
  }
}

function describe(model: ResolvedModel, plan: PredictorPlan): PredictedModel {
  return { reference: model.reference, name: model.modelName, version: model.version, versionId: model.versionId, alias: model.alias, runId: model.runId, head: plan.head };
}
