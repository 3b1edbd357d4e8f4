import type { ModelVersion } from '../db/generated/client.js';
import type { AliasRow } from '../registry/repository.js';
import { invalidParameter } from './errors.js';

/**
 * MLflow's model stages (None, Staging, Production, Archived), deprecated since MLflow 2.9 in
 * favour of aliases, carried on tagfusion's aliases: a version is in Production while the alias
 * `production` points at it, in Staging while `staging` does, else in None. An alias points at one
 * version, so a transition always archives the stage's previous holder (it goes back to None:
 * tagfusion records no Archived state; docs/MLFLOW.md). Moving a stage is moving an alias, so
 * protected aliases, promotion rules, the audit log and webhooks apply.
 */

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

/** The alias that holds a stage, for the two stages that are held. */
export const STAGE_ALIAS: Partial<Record<Stage, string>> = { Staging: 'staging', Production: 'production' };

/** A stage as MLflow accepts it: any case (`get_canonical_stage`). */
export function canonicalStage(raw: unknown): Stage {
  const found = typeof raw === 'string' ? STAGES.find((s) => s.toLowerCase() === raw.toLowerCase()) : undefined;
  if (!found) throw invalidParameter(`Invalid Model Version stage: ${String(raw).slice(0, 40)}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

/** The stage of a version with these aliases. */
export function stageOf(aliases: readonly string[]): Stage {
  if (aliases.includes('production')) return 'Production';
  if (aliases.includes('staging')) return 'Staging';
  return 'None';
}

/**
 * The latest version in each stage (GetLatestVersions, RegisteredModel.latest_versions): the
 * holder of each held stage and the newest version in None. `versions` are one model's live
 * versions, newest first.
 */
export function latestPerStage<V extends ModelVersion>(versions: readonly V[], aliases: readonly AliasRow[], stages: readonly Stage[] = STAGES): V[] {
  const aliasesOf = (v: V) => aliases.filter((a) => a.versionId === v.id).map((a) => a.alias);
  const latest: V[] = [];
  for (const stage of stages) {
    const v = versions.find((x) => stageOf(aliasesOf(x)) === stage);
    if (v && !latest.includes(v)) latest.push(v);
  }
  return latest.sort((a, b) => a.version - b.version);
}
