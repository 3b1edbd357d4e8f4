import { allowsSignatureChange } from './registry-models.js';
import { modelVersionJson, required, versionNumber } from './registry-shapes.js';
import { canonicalStage, latestPerStage, STAGE_ALIAS, STAGES } from './registry-stages.js';
import { oneVersion } from './registry-versions.js';
import type { MlflowCall } from './routes.js';

/** The stage endpoints of model_registry.proto, over aliases (./registry-stages.ts). */
/** `registered-models/get-latest-versions`: the latest version in each asked stage (all four when none is asked). */
export async function getLatestVersions({ input, app }: MlflowCall) {
  const name = required(input, 'name');
  const raw = input.stages ?? [];
  const stages = (Array.isArray(raw) ? raw : [raw]).map(canonicalStage);
  const { registry } = app.services;
  const model = await registry.getModel(name);
  const [versions, aliases] = await Promise.all([registry.versions([model.id]), registry.aliases([model.id])]);
  const latest = latestPerStage(versions, aliases, stages.length ? stages : STAGES);
  const json = latest.map((v) => modelVersionJson(v, name, aliases.filter((a) => a.versionId === v.id).map((a) => a.alias)));
  return json.length ? { model_versions: json } : {};
}

/**
 * `model-versions/transition-stage`: moves the stage's alias to the version (Staging, Production),
 * and takes the other stage's alias off it, since a version is in one stage; None and Archived
 * take both off. `archive_existing_versions` is what always happens: an alias holds one version.
 */
export async function transitionStage({ input, actor, app }: MlflowCall) {
  const name = required(input, 'name');
  const number = versionNumber(input);
  const stage = canonicalStage(required(input, 'stage'));
  const { registry } = app.services;
  const version = await registry.getVersion(name, { version: number });
  const target = STAGE_ALIAS[stage];
  if (target) await registry.moveAlias(actor, { model: name, alias: target, version: number, allowSignatureChange: await allowsSignatureChange(app, name) });
  const held = (await registry.aliases([version.modelId])).filter((a) => a.versionId === version.id).map((a) => a.alias);
  for (const alias of held) if (alias !== target && Object.values(STAGE_ALIAS).includes(alias)) await registry.deleteAlias(actor, name, alias);
  return oneVersion(app, name, version);
}
