// Generates the Prisma client and the GraphQL resolver types (run on install and on demand).
// Both outputs are git-ignored: they are derived from prisma/schema.prisma and src/schema/*.graphql.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = (name) => join('node_modules', '.bin', name);
if (!existsSync(bin('prisma'))) {
  // Production installs (npm ci --omit=dev) have no generators; the build they run has its output.
  console.log('generate: dev dependencies absent, skipping');
  process.exit(0);
}

// `prisma generate` does not use the schema engine, but the CLI insists that a binary exists.
// Offline installs cannot download it (postinstall scripts of dependencies do not run), so point
// the CLI at a placeholder unless the user has a real one.
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  const placeholder = join(mkdtempSync(join(tmpdir(), 'tagfusion-')), 'schema-engine');
  writeFileSync(placeholder, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  env.PRISMA_SCHEMA_ENGINE_BINARY = placeholder;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
execFileSync(bin('prisma'), ['generate', '--schema', 'prisma/schema.prisma'], { stdio: 'inherit', env });
await generateResolverTypes();

/**
 * The resolver types from the public SDL, as codegen.yml describes them, through
 * @graphql-codegen/core and its two plugins. Its CLI (@graphql-codegen/cli) would bring loaders
 * for URLs, GitHub and Apollo Studio that need Node 22 (npm ci warned EBADENGINE 31 times); a
 * folder of local .graphql files needs none of them.
 */
async function generateResolverTypes() {
  const { readFileSync, readdirSync, mkdirSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  const { parse: parseYaml } = await import('yaml');
  const { buildASTSchema, lexicographicSortSchema, parse, printSchema } = await import('graphql');
  const { codegen } = await import('@graphql-codegen/core');
  const plugins = { typescript: await import('@graphql-codegen/typescript'), 'typescript-resolvers': await import('@graphql-codegen/typescript-resolvers') };
  const config = parseYaml(readFileSync('codegen.yml', 'utf8'));
  const folder = dirname(config.schema);
  const files = readdirSync(folder).filter((f) => f.endsWith('.graphql')).sort();
  // Sorted by name, as the CLI's schema loader gives it (the same types file, in the same order).
  const schemaAst = lexicographicSortSchema(buildASTSchema(parse(files.map((f) => readFileSync(join(folder, f), 'utf8')).join('\n'))));
  for (const [filename, target] of Object.entries(config.generates)) {
    const output = await codegen({
      filename,
      schema: parse(printSchema(schemaAst)),
      schemaAst,
      documents: [],
      config: target.config ?? {},
      plugins: target.plugins.map((name) => ({ [name]: {} })),
      pluginMap: plugins,
    });
    mkdirSync(dirname(filename), { recursive: true });
    writeFileSync(filename, output);
  }
}
