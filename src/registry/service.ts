import type { Database } from '../db/database.js';
import { Prisma, type ModelVersion, type RegisteredModel } from '../db/generated/client.js';
import type { AppEvent, EventBus } from '../events/bus.js';
import { errors } from '../errors.js';
import type { WebhookService } from '../webhooks/service.js';
import { isAdmin, requireRole, type Actor } from './actor.js';
import { listAudit } from './audit.js';
import { RegistryChanges } from './changes.js';
import { editTags, moveAliasInput, parse, registerInput, setTagsInput, tagsOf } from './input.js';
import { ModelLifecycle } from './lifecycle.js';
import { checkMove } from './guards.js';
import { promotionRuleSchema, storedRule } from './promotion.js';
import * as repo from './repository.js';
import { headSignature } from './signature.js';
import { bestEpochOf, componentsOf, encodersOf, metricsOf, verifyArtifact } from './snapshot.js';
import { datasetLabelIds } from './sources.js';

type RegistryEvent = Extract<AppEvent, { topic: 'registry' }>;

/**
 * The model registry: models, immutable versions made from finished runs' artifacts, aliases
 * moved in one transaction (guarded by protection and the promotion rule), tags, and the audit
 * log. Every change takes the model's row lock, writes its audit entry and queues its webhook
 * deliveries in its own transaction, then publishes its event once committed.
 */
export class RegistryService {
  private readonly changes: RegistryChanges;
  /** models' and versions' lifecycle as MLflow has it: create, rename, describe, delete, versions from any folder */
  readonly lifecycle: ModelLifecycle;

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    webhooks: WebhookService,
    /** root of the artifact store (`<dataDir>/artifacts`) */
    private readonly artifactRoot: string,
  ) {
    this.changes = new RegistryChanges(db, events, webhooks);
    this.lifecycle = new ModelLifecycle(db, this.changes, artifactRoot);
  }

  // ---- reads

  async getModel(name: string): Promise<RegisteredModel> {
    const model = await repo.findModelByName(this.db.prisma, name);
    if (!model) throw errors.modelNotFound(name);
    return model;
  }

  findModel = (name: string) => repo.findModelByName(this.db.prisma, name);
  listModels = (search: string | undefined, first: number, offset: number) => repo.listModels(this.db.prisma, search, first, offset);
  modelsByIds = (ids: readonly string[]) => repo.findModelsByIds(this.db.prisma, ids);
  versions = (modelIds: readonly string[]) => repo.versionsOf(this.db.prisma, modelIds);
  aliases = (modelIds: readonly string[]) => repo.aliasesOf(this.db.prisma, modelIds);
  /** every model, for searches that filter in memory (MLflow's) */
  allModels = () => repo.allModels(this.db.prisma);
  /** live versions with their model's name, of one model or run or of all */
  liveVersions = (where: { modelId?: string; runId?: string } = {}) => repo.liveVersions(this.db.prisma, where);

  /** A version by number, by alias, or `latest`; exactly one of the two. */
  async getVersion(model: string, which: { version?: number | null; alias?: string | null }): Promise<ModelVersion> {
    if ((which.version == null) === (which.alias == null)) throw errors.badInput('give exactly one of version and alias', { field: 'version' });
    const m = await this.getModel(model);
    if (which.version != null) {
      const v = await repo.findVersion(this.db.prisma, m.id, which.version);
      if (!v) throw errors.versionNotFound(model, `version ${which.version}`);
      return v;
    }
    if (which.alias!.toLowerCase() === 'latest') {
      const [newest] = await repo.versionsOf(this.db.prisma, [m.id]);
      if (!newest) throw errors.versionNotFound(model, 'version yet');
      return newest;
    }
    const a = await repo.findAlias(this.db.prisma, m.id, which.alias!);
    if (!a) throw errors.aliasNotFound(model, which.alias!);
    return (await repo.findVersion(this.db.prisma, m.id, a.version.version))!;
  }

  /** Registry changes, newest first; `beforeId` is the last id of the previous page. */
  async auditLog(model: string | undefined, first: number, beforeId?: bigint) {
    if (!model) return listAudit(this.db.prisma, undefined, first, beforeId);
    // Entries outlive renames and deletions, so an unknown name is an empty log, not an error.
    const m = await repo.findModelByName(this.db.prisma, model);
    return m ? listAudit(this.db.prisma, m.id, first, beforeId) : { rows: [], hasMore: false };
  }

  /** Live registry events of one model (by name) or of all. */
  subscribe(model?: string, signal?: AbortSignal): AsyncGenerator<RegistryEvent> {
    return this.events.iterate((e): e is RegistryEvent => e.topic === 'registry' && (!model || e.modelName === model), signal);
  }

  // ---- changes

  /**
   * Registers a finished training run's model artifact as the model's next version, creating
   * the model when new. The artifact file is read and checked against its recorded size and
   * checksum first. The same artifact registered again returns its existing version.
   */
  async registerVersion(actor: Actor, raw: unknown): Promise<{ version: ModelVersion; created: boolean }> {
    requireRole(actor, 'editor', 'Registering a model version');
    const input = parse(registerInput, raw);
    const run = await repo.runForRegistration(this.db.prisma, input.runId);
    if (!run) throw errors.runNotFound(input.runId);
    if (run.kind !== 'train') throw errors.runNotRegistrable(run.id, `it is a ${run.kind} run, not a training run`);
    if (run.status !== 'SUCCEEDED') throw errors.runNotRegistrable(run.id, `it has not finished successfully (status ${run.status})`);
    const artifact = run.artifacts.find((a) => a.name === 'model');
    if (!artifact) throw errors.runNotRegistrable(run.id, 'it has no model artifact');
    await verifyArtifact(this.artifactRoot, run.id, artifact);
    const best = bestEpochOf(run.summary);
    const components = componentsOf(run.summary);
    const encoders = encodersOf(run.summary, components.length ? await repo.runSummaries(this.db.prisma, components) : []);
    const labels = run.datasetId ? ((await datasetLabelIds(this.db.prisma, run.datasetId)) ?? []) : [];
    const snapshot = {
      runId: run.id,
      artifactId: artifact.id,
      datasetId: run.datasetId,
      artifactChecksum: artifact.checksum,
      encoders: encoders as object[],
      metrics: metricsOf(run.summary, best === undefined ? [] : await repo.epochMetrics(this.db.prisma, run.id, best)),
      format: 'tagfusion-head',
      signature: headSignature(encoders, labels) as object,
    };
    const tags = Object.fromEntries((input.tags ?? []).map((t) => [t.key, t.value]));
    return this.changes.run(actor, async (tx, record) => {
      // The description describes this version; it describes the model too only when this
      // registration creates it, so registering version 2 never rewrites what the model is.
      const created = await repo.ensureModel(tx, input.model, input.description);
      const model = (await repo.lockModel(tx, input.model))!;
      const ref = { modelId: model.id, modelName: model.name };
      if (created) await record({ action: 'MODEL_CREATED', ...ref, to: { description: model.description } });
      const existing = await repo.versionOfArtifact(tx, model.id, run.id, artifact.checksum);
      if (existing) return { version: existing, created: false };
      const number = await repo.nextVersion(tx, model.id);
      const version = await repo.createVersion(tx, { modelId: model.id, version: number, ...snapshot, description: input.description ?? null, createdBy: actor.name, tags });
      await record({ action: 'VERSION_CREATED', ...ref, version: number, versionId: version.id, to: { runId: run.id, artifactChecksum: artifact.checksum, datasetId: run.datasetId } });
      return { version, created: true };
    });
  }

  /**
   * Points an alias at a version in one transaction. The caller's expected current version
   * (`expectedVersion`, 0 for unset; else the alias as read when the call began) must still hold
   * under the model's row lock: of two concurrent moves, one wins and the other gets CONFLICT
   * naming where the alias points now. A protected alias needs an admin; the model's promotion
   * rule, when it guards this alias, must accept the version. Moving it from a version to one
   * with another signature (what it eats, which labels it returns) needs `allowSignatureChange`.
   */
  async moveAlias(actor: Actor, raw: unknown) {
    requireRole(actor, 'editor', 'Moving an alias');
    const input = parse(moveAliasInput, raw);
    if (input.protect) requireRole(actor, 'admin', 'Protecting an alias');
    const { alias } = input;
    const start = await this.getModel(input.model);
    const expected = input.expectedVersion ?? (await repo.findAlias(this.db.prisma, start.id, alias))?.version.version ?? 0;
    return this.changes.run(actor, async (tx, record) => {
      const model = await this.changes.lock(tx, input.model);
      const ref = { modelId: model.id, modelName: model.name, alias };
      const target = await repo.findVersion(tx, model.id, input.version);
      if (!target) throw errors.versionNotFound(model.name, `version ${input.version}`);
      const current = await repo.findAlias(tx, model.id, alias);
      if (current?.protected && !isAdmin(actor)) throw errors.aliasProtected(model.name, alias, actor.role);
      const from = current?.version.version ?? 0;
      const protect = input.protect ?? current?.protected ?? false;
      if (current && from === target.version) {
        // Already there (the other side of a race that wanted the same version, or a repeat).
        const after = protect === current.protected ? current : await repo.setAliasProtected(tx, model.id, alias, protect);
        if (after !== current) await record({ action: 'ALIAS_PROTECTION_CHANGED', ...ref, from: { protected: current.protected }, to: { protected: protect } });
        return { model, alias: after, previousVersion: from, changed: false };
      }
      if (from !== expected) {
        const where = (v: number) => (v ? `version ${v}` : 'nothing');
        // Without an expectation the alias was read as this call began, so only a concurrent move
        // explains a difference; a given expectation may simply be stale, moved or not by a race.
        const what = input.expectedVersion == null ? `moved concurrently: it points at ${where(from)} now` : `points at ${where(from)} now`;
        throw errors.conflict(`Alias ${alias} of model ${model.name} ${what}, not ${where(expected)} as this call expected. Nothing was changed.`, {
          model: model.name,
          alias,
          currentVersion: from || null,
          expectedVersion: expected || null,
        });
      }
      await checkMove(tx, model, alias, from, target, input.allowSignatureChange ?? false);
      const moved = await repo.upsertAlias(tx, model.id, alias, target.id, protect);
      await record({ action: 'ALIAS_MOVED', ...ref, version: target.version, versionId: target.id, from: current ? { version: from } : null, to: { version: target.version } });
      if (protect !== (current?.protected ?? false)) await record({ action: 'ALIAS_PROTECTION_CHANGED', ...ref, from: { protected: !protect }, to: { protected: protect } });
      return { model, alias: moved, previousVersion: from || null, changed: true };
    });
  }

  async deleteAlias(actor: Actor, model: string, alias: string): Promise<RegisteredModel> {
    requireRole(actor, 'editor', 'Deleting an alias');
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, model);
      const current = await repo.findAlias(tx, m.id, alias);
      if (!current) throw errors.aliasNotFound(model, alias);
      if (current.protected && !isAdmin(actor)) throw errors.aliasProtected(model, alias, actor.role);
      await repo.deleteAlias(tx, m.id, alias);
      await record({ action: 'ALIAS_DELETED', modelId: m.id, modelName: m.name, alias, version: current.version.version, versionId: current.versionId, from: { version: current.version.version }, to: null });
      return m;
    });
  }

  /** Protects or unprotects an existing alias (admin only). */
  async setAliasProtected(actor: Actor, model: string, alias: string, protect: boolean) {
    requireRole(actor, 'admin', 'Protecting an alias');
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, model);
      const current = await repo.findAlias(tx, m.id, alias);
      if (!current) throw errors.aliasNotFound(model, alias);
      if (current.protected === protect) return current;
      const after = await repo.setAliasProtected(tx, m.id, alias, protect);
      await record({ action: 'ALIAS_PROTECTION_CHANGED', modelId: m.id, modelName: m.name, alias, from: { protected: current.protected }, to: { protected: protect } });
      return after;
    });
  }

  /** Sets and removes tags of a model, or of one version (the only thing of a version that may change). */
  async setTags(actor: Actor, raw: unknown): Promise<RegisteredModel> {
    requireRole(actor, 'editor', 'Editing tags');
    const input = parse(setTagsInput, raw);
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, input.model);
      const version = input.version == null ? null : await repo.findVersion(tx, m.id, input.version);
      if (input.version != null && !version) throw errors.versionNotFound(m.name, `version ${input.version}`);
      const before = tagsOf(version ? version.tags : m.tags);
      const after = editTags(before, input.set ?? [], input.remove ?? []);
      if (JSON.stringify(before) === JSON.stringify(after)) return m;
      const updated = version ? (await repo.setVersionTags(tx, version.id, after), m) : await repo.updateModel(tx, m.id, { tags: after });
      await record({ action: 'TAGS_CHANGED', modelId: m.id, modelName: m.name, version: version?.version, versionId: version?.id, from: before, to: after });
      return updated;
    });
  }

  /** Sets the model's promotion rule, or removes it (rule null); admin only. */
  async setPromotionRule(actor: Actor, model: string, rawRule: unknown): Promise<RegisteredModel> {
    requireRole(actor, 'admin', 'Changing a promotion rule');
    const rule = rawRule == null ? null : parse(promotionRuleSchema, rawRule);
    return this.changes.run(actor, async (tx, record) => {
      const m = await this.changes.lock(tx, model);
      const before = storedRule(m.promotionRule);
      const updated = await repo.updateModel(tx, m.id, { promotionRule: rule ?? Prisma.DbNull });
      await record({ action: 'PROMOTION_RULE_CHANGED', modelId: m.id, modelName: m.name, from: before, to: rule });
      return updated;
    });
  }
}
