import type { Database } from '../db/database.js';
import type { ModelVersion, RegisteredModel } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { isAdmin, requireRole, type Actor } from './actor.js';
import type { RegistryChanges } from './changes.js';
import { inspectFolder, type FolderVersion } from './folder.js';
import { createModelInput, createVersionInput, modelName, parse } from './input.js';
import { versionLocation } from './location.js';
import * as repo from './repository.js';
import { parseSource } from './source-uri.js';
import { loggedModelFolder, runFolderOrModel } from './logged-sources.js';
import { lastMetrics, runForFolder, runUuid } from './sources.js';

const tagMap = (tags: { key: string; value: string }[] | null | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));

const elsewhere: FolderVersion = {
  format: null,
  unservableReason: 'the source is not an artifact folder of this server (runs:/… or mlflow-artifacts:/…)',
  signature: null,
  artifactId: null,
  artifactChecksum: null,
  datasetId: null,
  encoders: [],
};

/**
 * Models and versions through their whole life, as MLflow's registry has it: models created,
 * renamed, described and deleted; versions made from any run's artifact folder (servable or
 * not), described and soft-deleted. Each change is audited like every registry change. Renaming
 * or deleting a model breaks its `name@alias` references, so with a protected alias it takes an
 * admin, as moving that alias would.
 */
export class ModelLifecycle {
  constructor(
    private readonly db: Database,
    private readonly changes: RegistryChanges,
    private readonly artifactRoot: string,
  ) {}

  async createModel(actor: Actor, raw: unknown): Promise<RegisteredModel> {
    requireRole(actor, 'editor', 'Creating a model');
    const input = parse(createModelInput, raw);
    return this.changes.run(actor, async (tx, record) => {
      if (!(await repo.ensureModel(tx, input.name, input.description))) throw errors.modelExists(input.name);
      const model = (await repo.lockModel(tx, input.name))!;
      const tags = tagMap(input.tags);
      const created = Object.keys(tags).length ? await repo.updateModel(tx, model.id, { tags }) : model;
      await record({ action: 'MODEL_CREATED', modelId: model.id, modelName: model.name, to: { description: model.description, tags } });
      return created;
    });
  }

  async renameModel(actor: Actor, name: string, newName: string): Promise<RegisteredModel> {
    requireRole(actor, 'editor', 'Renaming a model');
    parse(modelName, newName);
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.guarded(tx, actor, name, `Renaming model ${name}`);
      if (newName === m.name) return m;
      if (await repo.findModelByName(tx, newName)) throw errors.modelExists(newName);
      const renamed = await repo.updateModel(tx, m.id, { name: newName });
      await record({ action: 'MODEL_RENAMED', modelId: m.id, modelName: newName, from: { name: m.name }, to: { name: newName } });
      return renamed;
    });
  }

  async describeModel(actor: Actor, name: string, description: string): Promise<RegisteredModel> {
    requireRole(actor, 'editor', 'Describing a model');
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, name);
      const updated = await repo.updateModel(tx, m.id, { description });
      await record({ action: 'MODEL_UPDATED', modelId: m.id, modelName: m.name, from: { description: m.description }, to: { description } });
      return updated;
    });
  }

  /** Deletes the model with its versions and aliases for good (MLflow does too); the audit log keeps its history. */
  async deleteModel(actor: Actor, name: string): Promise<void> {
    requireRole(actor, 'editor', 'Deleting a model');
    await this.changes.run(actor, async (tx, record) => {
      const m = await this.guarded(tx, actor, name, `Deleting model ${name}`);
      const versions = (await repo.versionsOf(tx, [m.id])).map((v) => v.version);
      await repo.deleteModelRow(tx, m.id);
      await record({ action: 'MODEL_DELETED', modelId: m.id, modelName: m.name, from: { versions }, to: null });
    });
  }

  /**
   * Makes the model's next version from a source (src/registry/source-uri.ts). A folder of one of
   * this server's runs, or an MLflow 3 logged model's (./logged-sources.ts), is read for an ONNX
   * model and its card (./folder.ts); any other source, or
   * a folder tagfusion cannot serve, is still registered, with the reason. The run's last metric
   * values are frozen into the version, for promotion rules.
   */
  async createVersion(actor: Actor, raw: unknown): Promise<ModelVersion> {
    requireRole(actor, 'editor', 'Registering a model version');
    const input = parse(createVersionInput, raw);
    const parsed = parseSource(input.source);
    const source = parsed.kind === 'logged' ? await loggedModelFolder(this.db.prisma, parsed) : parsed;
    const runId = input.runId ? runUuid(input.runId) : source.kind === 'run' ? runUuid(source.runId) : null;
    if (source.kind === 'run' && runUuid(source.runId) !== runId) throw errors.badInput(`source: names another run than run_id ${input.runId}`, { field: 'source' });
    if (!(await repo.findModelByName(this.db.prisma, input.model))) throw errors.modelNotFound(input.model);
    const run = runId ? await runForFolder(this.db.prisma, runId) : null;
    if (runId && !run) throw errors.runNotFound(runId);
    if (run?.deletedAt) throw errors.runDeleted(run.id);
    if (run && source.kind === 'run' && source.experimentId !== null && source.experimentId !== String(run.projectId))
      throw errors.badInput(`source: run ${run.id} belongs to experiment ${run.projectId}, not ${source.experimentId}`, { field: 'source' });
    const found =
      run && source.kind === 'run'
        ? await inspectFolder(this.db.prisma, this.artifactRoot, run.id, await runFolderOrModel(this.db.prisma, run.id, source.folder))
        : { ...elsewhere, unservableReason: (source.kind === 'elsewhere' && source.reason) || elsewhere.unservableReason };
    const metrics = run ? await lastMetrics(this.db.prisma, run.id) : {};
    return this.changes.run(actor, async (tx, record) => {
      const model = await this.changes.lock(tx, input.model);
      const number = await repo.nextVersion(tx, model.id);
      const { encoders, signature, ...rest } = found;
      const version = await repo.createVersion(tx, {
        ...rest,
        modelId: model.id,
        version: number,
        runId: run?.id ?? null,
        encoders: encoders as object[],
        signature: signature ? (signature as object) : undefined,
        metrics,
        source: input.source,
        description: input.description ?? null,
        tags: tagMap(input.tags),
        createdBy: actor.name,
      });
      await record({ action: 'VERSION_CREATED', modelId: model.id, modelName: model.name, version: number, versionId: version.id, to: { runId: version.runId, source: input.source, format: found.format } });
      return version;
    });
  }

  /** Where the version's files can be downloaded from (./location.ts). */
  async downloadUri(model: string, number: number): Promise<string | null> {
    const m = await repo.findModelByName(this.db.prisma, model);
    if (!m) throw errors.modelNotFound(model);
    const v = await repo.findVersion(this.db.prisma, m.id, number);
    if (!v) throw errors.versionNotFound(model, `version ${number}`);
    return versionLocation(this.db.prisma, v);
  }

  async describeVersion(actor: Actor, model: string, number: number, description: string): Promise<ModelVersion> {
    requireRole(actor, 'editor', 'Describing a model version');
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, model);
      const v = await repo.findVersion(tx, m.id, number);
      if (!v) throw errors.versionNotFound(m.name, `version ${number}`);
      const updated = await repo.setVersionFields(tx, v.id, { description });
      await record({ action: 'VERSION_UPDATED', modelId: m.id, modelName: m.name, version: number, versionId: v.id, from: { description: v.description }, to: { description } });
      return updated;
    });
  }

  /**
   * Soft-deletes a version (`tagfusion gc` removes it for good): it disappears from every read,
   * and the aliases pointing at it are deleted (a protected one needs an admin). Its number is
   * never given again.
   */
  async deleteVersion(actor: Actor, model: string, number: number): Promise<void> {
    requireRole(actor, 'editor', 'Deleting a model version');
    await this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, model);
      const v = await repo.findVersion(tx, m.id, number);
      if (!v) throw errors.versionNotFound(m.name, `version ${number}`);
      const aliases = await repo.aliasesOfVersion(tx, v.id);
      const held = aliases.find((a) => a.protected);
      if (held && !isAdmin(actor)) throw errors.aliasProtected(m.name, held.alias, actor.role);
      const ref = { modelId: m.id, modelName: m.name, version: number, versionId: v.id };
      for (const a of aliases) {
        await repo.deleteAlias(tx, m.id, a.alias);
        await record({ action: 'ALIAS_DELETED', ...ref, alias: a.alias, from: { version: number }, to: null });
      }
      await repo.setVersionFields(tx, v.id, { deletedAt: new Date() });
      await record({ action: 'VERSION_DELETED', ...ref, from: { version: number }, to: null });
    });
  }

  /** Locks the model; a model holding a protected alias takes an admin to rename or delete. */
  private async guarded(tx: repo.Tx, actor: Actor, name: string, action: string): Promise<RegisteredModel> {
    const m = await this.changes.lock(tx, name);
    const held = (await repo.aliasesOf(tx, [m.id])).filter((a) => a.protected).map((a) => a.alias);
    if (held.length) requireRole(actor, 'admin', `${action}, which has the protected alias${held.length === 1 ? '' : 'es'} ${held.join(', ')},`);
    return m;
  }
}
