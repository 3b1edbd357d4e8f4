import type { ModelVersion, RegisteredModel } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { promotionRefusal, ruleGuards, storedRule, type MetricSnapshot } from './promotion.js';
import * as repo from './repository.js';
import { describeSignature, signaturesDiffer } from './signature.js';

/**
 * The rules an alias move obeys beyond protection, checked under the model's row lock: a move
 * from a version to one with another signature (what it eats, which labels it returns) needs the
 * caller's explicit consent, since every caller of `name@alias` would meet the new interface at
 * once; and the model's promotion rule, when it guards this alias, must accept the version.
 */
export async function checkMove(tx: repo.Tx, model: RegisteredModel, alias: string, from: number, target: ModelVersion, allowSignatureChange: boolean): Promise<void> {
  if (from && !allowSignatureChange) {
    const holder = (await repo.findVersion(tx, model.id, from))!;
    if (signaturesDiffer(holder, target)) {
      const [was, next] = [describeSignature(holder), describeSignature(target)];
      const change = `version ${from} ${was}; version ${target.version} ${next}${was === next ? ' (other label ids)' : ''}`;
      throw errors.signatureChanged(model.name, alias, from, target.version, change);
    }
  }
  const rule = storedRule(model.promotionRule);
  if (rule && ruleGuards(rule, alias)) {
    const holder = rule.againstAlias ? await repo.findAlias(tx, model.id, rule.againstAlias) : null;
    const reference = holder ? await repo.findVersion(tx, model.id, holder.version.version) : null;
    const candidate = (v: ModelVersion) => ({ version: v.version, metrics: v.metrics as MetricSnapshot });
    const reason = promotionRefusal(rule, candidate(target), reference && candidate(reference));
    if (reason) throw errors.promotionRejected(model.name, alias, target.version, reason);
  }
}
