// Types of scripts/schema-diff.mjs for the tests that import it.
import type { GraphQLSchema } from 'graphql';

export interface SchemaChange {
  level: 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';
  path: string;
  message: string;
  /** breaking, and what it touches was not deprecated in the base */
  blocking: boolean;
}
export function schemaFromSources(sources: string[]): GraphQLSchema;
export function deprecatedIn(schema: GraphQLSchema, path: string | undefined): boolean;
export function compareSchemas(baseSources: string[], headSources: string[]): Promise<SchemaChange[]>;
export function baseRevision(env?: NodeJS.ProcessEnv): { rev: string | null; why: string };
