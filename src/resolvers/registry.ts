import DataLoader from 'dataloader';
import { resolveRefs } from '../refs/input.js';
import type { Services } from '../app.js';
import type { AuditLog, ModelAlias, RegisteredModel, WebhookDelivery } from '../db/generated/client.js';
import type { AppEvent } from '../events/bus.js';
import { errors } from '../errors.js';
import { storedRule } from '../registry/promotion.js';
import { urlFor } from '../webhooks/url.js';
import type { Resolvers } from './__generated__/types.js';
import type { GraphQLContext } from './context.js';

type RegistryEvent = Extract<AppEvent, { topic: 'registry' }>;

const MAX_PAGE = 500;

function pageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw errors.badInput(`first must be between 1 and ${MAX_PAGE}`, { field: 'first' });
  return n;
}

/**
 * Opaque cursors: "o:<offset>" for pages by offset, "a:<id>" for the audit log's keyset pages.
 * Offsets stay below 10⁹ (a Postgres int) and ids below 10¹⁸ (a bigint): a longer number is no
 * cursor of ours and would fail in the database rather than as bad input.
 */
const cursor = (kind: 'o' | 'a', value: number | bigint) => Buffer.from(`${kind}:${value}`).toString('base64url');
const CURSOR_DIGITS = { o: 9, a: 18 } as const;
function readCursor(kind: 'o' | 'a', raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  const m = new RegExp(`^${kind}:(\\d{1,${CURSOR_DIGITS[kind]}})$`).exec(Buffer.from(raw, 'base64url').toString());
  if (!m) throw errors.badInput('after is not a cursor returned by this query', { field: 'after' });
  return m[1];
}

function offsetPage<T>(page: { rows: T[]; hasMore: boolean }, offset: number, map: (row: T) => unknown) {
  return { nodes: page.rows.map(map), pageInfo: { hasNextPage: page.hasMore, endCursor: page.rows.length ? cursor('o', offset + page.rows.length) : null } };
}

// GraphQL shapes of registry rows (relations are resolved by the field resolvers below).
const model = (m: RegisteredModel) => ({ ...m, promotionRule: storedRule(m.promotionRule) });
const alias = (a: ModelAlias & { version: { version: number } }) => ({ alias: a.alias, version: a.version.version, versionId: a.versionId, protected: a.protected, updatedAt: a.updatedAt });
const audit = (e: AuditLog) => ({ ...e, id: String(e.id), from: e.before, to: e.after });
const delivery = (d: WebhookDelivery) => ({ ...d, payload: JSON.parse(d.body) as unknown });

/** Per-request batch loaders of the registry (kept beside the request's context). */
const loadersOf = new WeakMap<object, ReturnType<typeof createRegistryLoaders>>();
function createRegistryLoaders(s: Services) {
  const byKey = <T>(keys: readonly string[], rows: T[], key: (r: T) => string) => keys.map((k) => rows.filter((r) => key(r) === k));
  return {
    model: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map((await s.registry.modelsByIds(ids)).map((m) => [m.id, m]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    versions: new DataLoader(async (ids: readonly string[]) => byKey(ids, await s.registry.versions(ids), (v) => v.modelId)),
    aliases: new DataLoader(async (ids: readonly string[]) => byKey(ids, await s.registry.aliases(ids), (a) => a.modelId)),
    attempts: new DataLoader(async (ids: readonly string[]) => byKey(ids, await s.webhooks.attempts(ids), (a) => a.deliveryId)),
  };
}
function registryLoaders(ctx: GraphQLContext) {
  let l = loadersOf.get(ctx);
  if (!l) loadersOf.set(ctx, (l = createRegistryLoaders(ctx.services)));
  return l;
}

export const registryResolvers: Resolvers = {
  Query: {
    registeredModels: async (_, { search, first, after }, { services }) => {
      const offset = Number(readCursor('o', after) ?? 0);
      const page = await services.registry.listModels(search ?? undefined, pageSize(first, 50), offset);
      return offsetPage(page, offset, model) as never;
    },
    registeredModel: async (_, { name }, { services }) => {
      const m = await services.registry.findModel(name);
      return (m && model(m)) as never;
    },
    modelVersion: (_, { model: name, version, alias: a }, { services }) => services.registry.getVersion(name, { version, alias: a }) as never,
    auditLog: async (_, { model: name, first, after }, { services }) => {
      const before = readCursor('a', after);
      const page = await services.registry.auditLog(name ?? undefined, pageSize(first, 50), before === undefined ? undefined : BigInt(before));
      const last = page.rows.at(-1);
      return { nodes: page.rows.map(audit), pageInfo: { hasNextPage: page.hasMore, endCursor: last ? cursor('a', last.id) : null } } as never;
    },
    webhooks: (_, { model: name }, { services }) => services.webhooks.list(name ?? undefined) as never,
    webhook: (_, { id }, { services }) => services.webhooks.get(id).catch(() => null) as never,
  },
  Mutation: {
    registerModelVersion: async (_, { input }, { services, actor }) => services.registry.registerVersion(actor, await resolveRefs(services, input)) as never,
    moveAlias: async (_, { input }, { services, actor }) => {
      const move = await services.registry.moveAlias(actor, input);
      return { ...move, model: model(move.model), alias: alias(move.alias) } as never;
    },
    deleteAlias: async (_, args, { services, actor }) => model(await services.registry.deleteAlias(actor, args.model, args.alias)) as never,
    setAliasProtected: async (_, args, { services, actor }) => alias(await services.registry.setAliasProtected(actor, args.model, args.alias, args.protected)),
    setTags: async (_, { input }, { services, actor }) => model(await services.registry.setTags(actor, input)) as never,
    setPromotionRule: async (_, args, { services, actor }) => model(await services.registry.setPromotionRule(actor, args.model, args.rule)) as never,
    createWebhook: (_, { input }, { services, actor }) => services.webhooks.create(actor, input) as never,
    deleteWebhook: (_, { id }, { services, actor }) => services.webhooks.delete(actor, id),
    testWebhook: async (_, { id }, { services, actor }) => delivery(await services.webhooks.test(actor, id)) as never,
  },
  Subscription: {
    registryEvents: {
      subscribe: (_, { model: name }, { services }) => services.registry.subscribe(name ?? undefined) as never,
      resolve: (e: RegistryEvent) => e as never,
    },
  },
  RegisteredModel: {
    versions: (m, _, ctx) => registryLoaders(ctx).versions.load(m.id) as never,
    latestVersion: async (m, _, ctx) => ((await registryLoaders(ctx).versions.load(m.id))[0] ?? null) as never,
    aliases: async (m, _, ctx) => (await registryLoaders(ctx).aliases.load(m.id)).map(alias),
  },
  ModelVersion: {
    modelName: async (v, _, ctx) => (await registryLoaders(ctx).model.load(v.modelId))?.name ?? '',
    run: (v, _, { loaders }) => (v.runId ? loaders.run.load(v.runId) : null) as never,
    dataset: (v, _, { loaders }) => (v.datasetId ? loaders.dataset.load(v.datasetId) : null) as never,
    aliases: async (v, _, ctx) => (await registryLoaders(ctx).aliases.load(v.modelId)).filter((a) => a.versionId === v.id).map((a) => a.alias),
    servable: (v) => v.format != null,
  },
  Webhook: {
    url: (w, _, { actor }) => urlFor(actor, w.url),
    modelName: async (w, _, ctx) => (w.modelId ? ((await registryLoaders(ctx).model.load(w.modelId))?.name ?? null) : null),
    deliveries: async (w, { first, after }, { services }) => {
      const offset = Number(readCursor('o', after) ?? 0);
      return offsetPage(await services.webhooks.deliveries(w.id, pageSize(first, 20), offset), offset, delivery) as never;
    },
  },
  WebhookDelivery: {
    attemptLog: (d, _, ctx) => registryLoaders(ctx).attempts.load(d.id),
  },
};
