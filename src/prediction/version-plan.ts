import type { PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';
import type { ResolvedModel } from './model-ref.js';
import { buildOnnxPlan } from './onnx-plan.js';
import { buildPlan, type PredictorPlan } from './plan.js';

/**
 * The plan of any model version, by the format the registry recorded: an external ONNX model
 * with its card, or a tagfusion head (also the format of versions registered before formats
 * existed, which have none). A version the registry found unservable is refused with its reason.
 */
export async function versionPlan(prisma: PrismaClient, artifactRoot: string, model: ResolvedModel): Promise<PredictorPlan> {
  if (model.unservableReason) throw errors.modelUnavailable(model.reference, model.unservableReason.replace(/\.$/, ''));
  if (model.format === 'onnx') return buildOnnxPlan(prisma, artifactRoot, model);
  if (model.format && model.format !== 'tagfusion-head') throw errors.modelUnavailable(model.reference, `its format ${model.format} is not one this server serves`);
  return buildPlan(artifactRoot, model);
}
