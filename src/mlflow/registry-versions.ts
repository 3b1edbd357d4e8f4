import type { App } from '../app.js';
import type { ModelVersion } from '../db/generated/client.js';
import { loggedModelSource } from '../logged-models/location.js';
import { tagsOf } from '../registry/input.js';
import { invalidParameter } from './errors.js';
import { sortBy } from './registry-models.js';
import type { MlflowCall } from './routes.js';
import { maxResults, meets, page, pageOffset, parseFilter, parseOrderBy, type Condition } from './registry-search.js';
import { mlflowRunId, modelVersionJson, optional, required, sourceOf, tagsInput, versionNumber } from './registry-shapes.js';

/**
 * MLflow's `model-versions/*` endpoints (model_registry.proto). A version is made from any
 * source; tagfusion reads a folder of its own runs for an ONNX model and its model card and
 * records whether it can serve it (docs/MODEL_CARD.md). Every version is READY at once: the
 * folder is read before the answer, so `mlflow.register_model`'s polling ends at its first look.
 */

type Named = ModelVersion & { model: { name: string } };

/** Versions in proto JSON with their aliases, read in one query. */
async function versionsJson(app: App, versions: Named[]) {
  const aliases = await app.services.registry.aliases([...new Set(versions.map((v) => v.modelId))]);
  return versions.map((v) =>
    modelVersionJson(
      v,
      v.model.name,
      aliases.filter((a) => a.versionId === v.id).map((a) => a.alias),
    ),
  );
}

export async function oneVersion(app: App, name: string, version: ModelVersion) {
  return { model_version: (await versionsJson(app, [{ ...version, model: { name } }]))[0] };
}

/**
 * MLflow 3 sends the logged model's id beside a source that names it (`models:/m-…`); one that
 * names another model is refused rather than registered from the wrong files.
 */
export async function createVersion({ input, actor, app }: MlflowCall) {
  const name = required(input, 'name');
  const runId = optional(input, 'run_id');
  const source = required(input, 'source');
  const modelId = optional(input, 'model_id');
  const named = loggedModelSource(source)?.modelId;
  if (modelId && named && modelId !== named) throw invalidParameter("'model_id' names another logged model than 'source'.");
  const version = await app.services.registry.lifecycle.createVersion(actor, {
    model: name,
    source,
    runId: runId || undefined,
    description: optional(input, 'description'),
    tags: tagsInput(input),
  });
  return oneVersion(app, name, version);
}

export async function getVersion({ input, app }: MlflowCall) {
  const name = required(input, 'name');
  return oneVersion(app, name, await app.services.registry.getVersion(name, { version: versionNumber(input) }));
}

const VERSION_ORDER: Record<string, (v: Named) => string | number> = {
  name: (v) => v.model.name,
  version_number: (v) => v.version,
  creation_timestamp: (v) => v.createdAt.getTime(),
  last_updated_timestamp: (v) => v.updatedAt.getTime(),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The value a condition tests; run ids compare in MLflow's spelling, either spelling accepted. */
function field(v: Named, c: Condition): string | undefined {
  if (c.key === 'tags') return tagsOf(v.tags)[c.tag!];
  if (c.key === 'name') return v.model.name;
  if (c.key === 'version_number') return String(v.version);
  if (c.key === 'source_path') return sourceOf(v) ?? undefined;
  return v.runId ? mlflowRunId(v.runId) : undefined;
}

export async function searchVersions({ input, app }: MlflowCall) {
  const conditions = parseFilter(input.filter, ['name', 'run_id', 'source_path', 'version_number']).map((c) =>
    c.key === 'run_id' && c.comparator !== 'LIKE' && c.comparator !== 'ILIKE' ? { ...c, values: c.values.map((x) => (UUID.test(x) ? mlflowRunId(x) : x.toLowerCase())) } : c,
  );
  const order = parseOrderBy(input.order_by, Object.keys(VERSION_ORDER));
  const size = maxResults(input.max_results, 10_000, 200_000);
  const offset = pageOffset(input.page_token);
  const matching = (await app.services.registry.liveVersions()).filter((v) => conditions.every((c) => meets(field(v, c), c)));
  const sorted = sortBy(matching, order, VERSION_ORDER, [
    ['name', false],
    ['version_number', true],
  ]);
  const { rows, next } = page(sorted, offset, size);
  return { ...(rows.length ? { model_versions: await versionsJson(app, rows) } : {}), ...(next ? { next_page_token: next } : {}) };
}

export async function updateVersion({ input, actor, app }: MlflowCall) {
  const name = required(input, 'name');
  const number = versionNumber(input);
  const description = optional(input, 'description');
  const { registry } = app.services;
  const v = description === undefined ? await registry.getVersion(name, { version: number }) : await registry.lifecycle.describeVersion(actor, name, number, description);
  return oneVersion(app, name, v);
}

export async function deleteVersion({ input, actor, app }: MlflowCall) {
  await app.services.registry.lifecycle.deleteVersion(actor, required(input, 'name'), versionNumber(input));
  return {};
}

export async function downloadUri({ input, app }: MlflowCall) {
  const uri = await app.services.registry.lifecycle.downloadUri(required(input, 'name'), versionNumber(input));
  return uri ? { artifact_uri: uri } : {};
}
