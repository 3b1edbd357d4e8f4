import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { requireRole, type Role } from '../registry/actor.js';
import type { GraphQLContext } from '../resolvers/context.js';

/**
 * The role each mutation needs. Viewers read (queries and subscriptions); editors import,
 * extract, train, run experiments, predict, register versions, move unprotected aliases, edit
 * tags and cancel jobs; admins manage tokens, webhooks, alias protection and promotion rules,
 * and reopen finished runs.
 * A mutation missing here needs admin, so a new one is closed until someone decides
 * (test/auth/roles.test.ts fails until it is listed). Services keep their own finer checks,
 * such as a protected alias needing admin even through `moveAlias`.
 */
export const MUTATION_ROLES: Readonly<Record<string, Role>> = {
  // datasets, features, training, experiments, jobs
  importDataset: 'editor',
  extractFeatures: 'editor',
  startTraining: 'editor',
  startSweep: 'editor',
  startModelComparison: 'editor',
  startAblation: 'editor',
  startPseudoLabeling: 'editor',
  cancelExperiment: 'editor',
  cancelJob: 'editor',
  // run tracking from outside scripts
  createRun: 'editor',
  logMetrics: 'editor',
  setRunStatus: 'editor',
  setRunTags: 'editor',
  deleteRunTag: 'editor',
  setRunNote: 'editor',
  logParams: 'editor',
  logMetricPoints: 'editor',
  deleteRun: 'editor',
  restoreRun: 'editor',
  // projects (MLflow's experiments)
  createProject: 'editor',
  updateProject: 'editor',
  setProjectTag: 'editor',
  deleteProject: 'editor',
  restoreProject: 'editor',
  reopenRun: 'admin',
  // registry and prediction
  registerModelVersion: 'editor',
  moveAlias: 'editor',
  deleteAlias: 'editor',
  setTags: 'editor',
  predictDataset: 'editor',
  setAliasProtected: 'admin',
  setPromotionRule: 'admin',
  createWebhook: 'admin',
  deleteWebhook: 'admin',
  testWebhook: 'admin',
  // tokens
  createApiToken: 'admin',
  revokeApiToken: 'admin',
};

/** Root fields anyone may ask for, with or without a token: the health check of load balancers. */
export const OPEN_FIELDS: Readonly<Record<string, readonly string[]>> = { Query: ['health'], Mutation: [], Subscription: [] };

export const roleForMutation = (field: string): Role => (Object.hasOwn(MUTATION_ROLES, field) ? MUTATION_ROLES[field] : 'admin');

type Field = GraphQLFieldConfig<unknown, GraphQLContext> & { name: string };

/** Throws the request's authentication refusal, then FORBIDDEN unless its actor has `needed`. */
function authorize(ctx: GraphQLContext, needed: Role, action: string): void {
  if (ctx.unauthenticated) throw ctx.unauthenticated;
  requireRole(ctx.actor, needed, action);
}

/**
 * Wraps every root field of the schema (in place) in its check: a query or subscription needs a
 * valid token (any role), a mutation the role of MUTATION_ROLES. Guarding the schema rather than
 * each resolver means a new field cannot be forgotten; the HTTP layer refuses unauthenticated
 * requests before execution anyway (with status 401), so this is the second line.
 */
export function guardSchema(schema: GraphQLSchema): GraphQLSchema {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  for (const type of roots) {
    if (!type) continue;
    const open = OPEN_FIELDS[type.name] ?? [];
    for (const field of Object.values(type.getFields()) as unknown as Field[]) {
      if (open.includes(field.name)) continue;
      const needed = type.name === 'Mutation' ? roleForMutation(field.name) : 'viewer';
      const action = `The ${field.name} ${type.name === 'Mutation' ? 'mutation' : 'field'}`;
      if (type.name === 'Subscription') {
        const subscribe = field.subscribe;
        if (subscribe) field.subscribe = (src, args, ctx, info) => (authorize(ctx, needed, action), subscribe(src, args, ctx, info));
      } else {
        const resolve = field.resolve ?? defaultFieldResolver;
        field.resolve = (src, args, ctx, info) => (authorize(ctx, needed, action), resolve(src, args, ctx, info));
      }
    }
  }
  return schema;
}
