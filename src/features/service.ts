import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Job } from '../db/generated/client.js';
import { errors } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import type { Prisma } from '../db/generated/client.js';
import { ENCODER_KINDS, validateEncoderSpec, type EncoderSpec } from '../ml/encoders/registry.js';
import { extractFeaturesJob, extractPayload } from './job.js';
import { confineEncoderSpec, modelRoots } from './model-roots.js';

/** Feature extraction: queue it, list what is cached. */
export class FeatureService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
    private readonly config: Pick<Config, 'modelRoots' | 'dataDir'>,
  ) {}

  /** Queues extraction of a dataset's features for one encoder (cached parts are reused). */
  async extractFeatures(raw: { datasetId: string; encoder: EncoderSpec; flip?: boolean | null; synonymRounds?: number | null; onEncoderError?: string | null }): Promise<Job> {
    const kind = ENCODER_KINDS[raw.encoder.id];
    if (!kind) throw errors.badInput(`unknown encoder "${raw.encoder.id}"; known: ${Object.keys(ENCODER_KINDS).join(', ')}`, { field: 'encoder.id' });
    validateEncoderSpec(raw.encoder, kind.modality);
    const encoder = await confineEncoderSpec(raw.encoder, 'encoder.path', modelRoots(this.config));
    const dataset = await this.db.prisma.dataset.findUnique({ where: { id: raw.datasetId } });
    if (!dataset) throw errors.datasetNotFound(raw.datasetId);
    if (kind.modality === 'image' && !dataset.hasImages) throw errors.badInput(`dataset ${dataset.name} v${dataset.version} is text only; ${raw.encoder.id} encodes images`, { field: 'encoder.id' });
    if (raw.flip && kind.modality !== 'image') throw errors.badInput('flip applies to image encoders only', { field: 'flip' });
    const rounds = raw.synonymRounds ?? 0;
    if (rounds && kind.modality !== 'text') throw errors.badInput('synonymRounds applies to text encoders only', { field: 'synonymRounds' });
    if (rounds < 0 || rounds > 10) throw errors.badInput('synonymRounds must be between 0 and 10', { field: 'synonymRounds' });
    const variants = ['original', ...(raw.flip ? ['flip'] : []), ...Array.from({ length: rounds }, (_, k) => `syn${k + 1}`)];
    const onEncoderError = (raw.onEncoderError ?? 'FAIL').toLowerCase();
    if (onEncoderError !== 'fail' && onEncoderError !== 'skip') throw errors.badInput('onEncoderError must be FAIL or SKIP', { field: 'onEncoderError' });
    return this.jobs.enqueue(extractFeaturesJob.kind, extractPayload.parse({ datasetId: raw.datasetId, encoder, variants, onEncoderError }) as Prisma.InputJsonObject);
  }

  list = (datasetIds: readonly string[]) =>
    this.db.prisma.featureSet.findMany({ where: { datasetId: { in: [...datasetIds] } }, orderBy: [{ datasetId: 'asc' }, { createdAt: 'asc' }] });
}
