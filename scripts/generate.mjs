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
execFileSync(bin('graphql-codegen'), ['--config', 'codegen.yml'], { stdio: 'inherit', env });
