import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { guardSchema } from '../auth/roles.js';
import { projectRoot } from '../paths.js';
import { artifactResolvers } from './artifacts.js';
import { authResolvers } from './auth.js';
import { compareResolvers } from './compare.js';
import { datasetResolvers } from './datasets.js';
import { experimentResolvers } from './experiments.js';
import { healthResolvers } from './health.js';
import { guardArguments } from './input-guard.js';
import { jobResolvers } from './jobs.js';
import { predictionResolvers } from './prediction.js';
import { projectResolvers } from './projects.js';
import { registryResolvers } from './registry.js';
import { runResolvers } from './runs.js';
import { trainingResolvers } from './training.js';

/** The public contract: every SDL file in src/schema, one per domain. */
export function loadTypeDefs(dir = join(projectRoot, 'src', 'schema')): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/**
 * The executable schema, every root field guarded by its role (src/auth/roles.ts), then every
 * field's arguments by the input rules (./input-guard.ts): a caller without the role is refused
 * before their input is looked at.
 */
export function buildSchema(): GraphQLSchema {
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: [healthResolvers, datasetResolvers, runResolvers, jobResolvers, trainingResolvers, experimentResolvers, compareResolvers, predictionResolvers, registryResolvers, authResolvers, projectResolvers, artifactResolvers] as never,
  });
  return guardSchema(guardArguments(schema));
}
