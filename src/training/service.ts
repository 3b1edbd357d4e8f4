import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Run } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { confineEncoderSpec, modelRoots } from '../features/model-roots.js';
import type { JobService } from '../jobs/service.js';
import { validateEncoderSpec } from '../ml/encoders/registry.js';
import { isRunFusion, modalitiesOf } from '../ml/heads/kinds.js';
import { ProjectService } from '../projects/service.js';
import { encodeParam, flattenConfig, type ParamValue } from '../runs/params.js';
import { DEFAULT_ENCODERS, parseTrainingInput, type TrainingInput } from './input.js';
import { PSEUDO_LABELS_ARTIFACT } from './pseudo-labels.js';
import { checkRunFusion } from './run-fusion-checks.js';
import { trainJob } from './job.js';

/**
 * Where a run goes: its project (Default when none; an id, checked here), and for an experiment's
 * trial its parent and the key that names the trial. None of it is a training input, so none of
 * it reaches the run's config, its params or the feature cache.
 */
export interface TrialPlacement {
  projectId?: unknown;
  parentId?: string;
  trial?: string;
}

/** Starts training runs: checks the input against the dataset, then queues the run's job. */
export class TrainingService {
  private readonly projects: ProjectService;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
    private readonly config: Pick<Config, 'modelRoots' | 'dataDir'>,
  ) {
    this.projects = new ProjectService(db);
  }

  /**
   * Creates the run (QUEUED) and its job in one transaction and returns the run. Experiments
   * place their trials under the experiment's run, in its project, each with a key that names it
   * (`trial`).
   */
  async startTraining(raw: unknown, placement: TrialPlacement = {}): Promise<Run> {
    const project = await this.projects.forNewRuns(placement.projectId);
    const { input, params } = await this.validate(raw);
    const trial = placement.trial ? { trial: placement.trial } : {};
    const { run } = await this.jobs.enqueueWith(trainJob.kind, async (tx) => {
      const created = await tx.run.create({
        data: {
          kind: 'train',
          name: input.name ?? `${input.head} ${new Date().toISOString().slice(0, 19)}`,
          datasetId: input.datasetId,
          parentId: placement.parentId ?? null,
          projectId: project.id,
          seed: input.seed,
          config: input as object,
          params: { create: Object.entries({ ...params, ...trial }).map(([key, value]) => ({ key, ...encodeParam(value) })) },
        },
      });
      return { payload: { runId: created.id }, runId: created.id, run: created };
    });
    return run;
  }

  /** Checks a training input against the datasets, encoders and runs it names; nothing is written. */
  async validate(raw: unknown): Promise<{ input: TrainingInput; params: Record<string, ParamValue> }> {
    const input = parseTrainingInput(raw);
    // The run's config keeps the real paths checked here, so its job loads exactly those folders.
    const roots = modelRoots(this.config);
    if (input.visionEncoder) input.visionEncoder = await confineEncoderSpec(input.visionEncoder, 'visionEncoder.path', roots);
    if (input.textEncoder) input.textEncoder = await confineEncoderSpec(input.textEncoder, 'textEncoder.path', roots);
    const dataset = await this.db.prisma.dataset.findUnique({ where: { id: input.datasetId } });
    if (!dataset) throw errors.datasetNotFound(input.datasetId);
    if (!dataset.labelled) throw errors.badInput(`dataset ${dataset.name} v${dataset.version} has no labels to train on`, { field: 'datasetId' });
    // Fusing finished runs trains nothing: the components were checked when they trained.
    const uses = input.componentRunIds.length ? { image: false, text: false } : modalitiesOf(input.head);
    if (isRunFusion(input.head) && !input.componentRunIds.length) throw errors.badInput(`${input.head} fuses finished runs: give their ids in componentRunIds`, { field: 'componentRunIds' });
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
    if (input.pseudoLabelRunId) await this.checkPseudoLabels(input, uses.image);
    const { head, name, datasetId, seed, extraTrainDatasetIds, componentRunIds, pseudoLabelRunId, ...hyper } = input;
    const params = flattenConfig({
      head,
      ...hyper,
      extraTrainDatasets: extraTrainDatasetIds.length,
      fusedRuns: componentRunIds.length || undefined,
      pseudoLabels: pseudoLabelRunId ? true : undefined,
      visionEncoder: uses.image ? (input.visionEncoder?.id ?? DEFAULT_ENCODERS.vision) : undefined,
      textEncoder: head === 'text-finetune' ? 'bert' : uses.text ? (input.textEncoder?.id ?? DEFAULT_ENCODERS.text) : undefined,
    });
    return { input, params };
  }

  /** Pseudo-labels come from a finished round; heads on features use them (not BERT fine-tuning). */
  private async checkPseudoLabels(input: TrainingInput, needsImages: boolean): Promise<void> {
    if (input.head === 'text-finetune' || input.componentRunIds.length) {
      throw errors.badInput(`pseudoLabelRunId applies to heads trained on features, not ${input.componentRunIds.length ? 'a fusion of runs' : 'text-finetune'}`, { field: 'pseudoLabelRunId' });
    }
    const id = input.pseudoLabelRunId!;
    const run = await this.db.prisma.run.findUnique({ where: { id }, include: { artifacts: { where: { name: PSEUDO_LABELS_ARTIFACT } } } });
    if (!run) throw errors.runNotFound(id);
    const artifact = run.artifacts[0];
    if (!artifact) throw errors.badInput(`run ${id} has no pseudo-labels (it is not a finished pseudo-labelling round)`, { field: 'pseudoLabelRunId' });
    const datasetId = (artifact.metadata as { datasetId?: string }).datasetId;
    const dataset = datasetId ? await this.db.prisma.dataset.findUnique({ where: { id: datasetId } }) : null;
    if (!dataset) throw errors.badInput(`the pseudo-labelled dataset of run ${id} no longer exists`, { field: 'pseudoLabelRunId' });
    if (needsImages && !dataset.hasImages) throw errors.badInput(`head ${input.head} needs images, and the pseudo-labelled dataset ${dataset.name} v${dataset.version} is text only`, { field: 'pseudoLabelRunId' });
  }

  /** A fusion of runs needs finished runs of its components, on the same dataset. */
  private async checkComponents(head: string, datasetId: string, ids: string[]): Promise<void> {
    const needed = FUSION_COMPONENTS[head];
    if (!needed && !isRunFusion(head)) throw errors.badInput(`componentRunIds applies to fm1, fm2, fm3, stack and ensemble, not ${head}`, { field: 'componentRunIds' });
    const heads: string[] = [];
    const configs: Record<string, unknown>[] = [];
    for (const id of ids) {
      const run = await this.db.prisma.run.findUnique({ where: { id }, include: { artifacts: true } });
      if (!run) throw errors.runNotFound(id);
      const runHead = (run.config as { head?: string }).head;
      if (run.kind !== 'train' || run.status !== 'SUCCEEDED' || !run.artifacts.some((a) => a.name === 'model')) {
        throw errors.badInput(`run ${id} is not a finished training run with a model (kind ${run.kind}, status ${run.status})`, { field: 'componentRunIds' });
      }
      if (run.datasetId !== datasetId) throw errors.badInput(`run ${id} was trained on another dataset; fused runs share the validation split`, { field: 'componentRunIds' });
      heads.push(runHead === 'text-finetune' ? 'text' : String(runHead));
      configs.push(run.config as Record<string, unknown>);
    }
    if (isRunFusion(head)) return checkRunFusion(head, ids, configs);
    if ([...heads].sort().join(',') !== [...needed].sort().join(',')) {
      throw errors.badInput(`${head} fuses one run of each of ${needed.join(', ')}; got ${heads.join(', ')}`, { field: 'componentRunIds' });
    }
  }
}

/** The heads whose runs each fusion averages (a fine-tuned BERT counts as text). */
const FUSION_COMPONENTS: Record<string, string[]> = { fm1: ['vision', 'text'], fm2: ['vision', 'text', 'fcnn'], fm3: ['vision', 'text', 'xattn'] };
