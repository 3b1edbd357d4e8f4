// Checks the public GraphQL schema for breaking changes against a base revision (npm run
// check:schema, in CI). The head is src/schema/*.graphql as checked out; the base is the same
// folder read with `git show` at SCHEMA_BASE_REF, else origin/main, else main's merge-base with
// HEAD, else (on main itself) the previous commit. A breaking change passes only when the field,
// argument or enum value it touches was marked @deprecated in the base: retire fields in two steps.
// Changes are printed on stdout; it exits 1 on a breaking change, 2 when it cannot run.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildASTSchema, concatAST, isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse } from 'graphql';

const SCHEMA_DIR = 'src/schema';

/** One schema from SDL files that extend each other's types (as the server loads them). */
export function schemaFromSources(sources) {
  return buildASTSchema(concatAST(sources.map((s) => parse(s))));
}

/** Whether the element a change path names ("Type.field.arg", "Enum.VALUE") was deprecated in `schema`. */
export function deprecatedIn(schema, path) {
  const [typeName, member, argName] = (path ?? '').split('.');
  const type = schema.getType(typeName);
  if (!type || !member) return false;
  if (isEnumType(type)) return Boolean(type.getValue(member)?.deprecationReason);
  if (!isObjectType(type) && !isInterfaceType(type) && !isInputObjectType(type)) return false;
  const field = type.getFields()[member];
  if (!field) return false;
  if (field.deprecationReason) return true;
  return Boolean(argName && field.args?.find((a) => a.name === argName)?.deprecationReason);
}

/** Every change from base to head, each with `blocking` set for breaking ones not deprecated first. */
export async function compareSchemas(baseSources, headSources) {
  const base = schemaFromSources(baseSources);
  const changes = await diff(base, schemaFromSources(headSources));
  return changes.map((c) => {
    const breaking = c.criticality.level === CriticalityLevel.Breaking;
    return { level: c.criticality.level, path: c.path ?? '', message: c.message, blocking: breaking && !deprecatedIn(base, c.path) };
  });
}

const git = (...args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const tryGit = (...args) => {
  try {
    return git(...args);
  } catch {
    return null;
  }
};

/** The revision to compare with and why, or null with a reason when there is none. */
export function baseRevision(env = process.env) {
  if (env.SCHEMA_BASE_REF) return { rev: env.SCHEMA_BASE_REF, why: 'SCHEMA_BASE_REF' };
  const head = tryGit('rev-parse', 'HEAD');
  // In a fresh clone of main (as CI makes), origin/main is HEAD itself: comparing with it checks nothing.
  const origin = tryGit('rev-parse', '--verify', '-q', 'origin/main^{commit}');
  if (origin && origin !== head) return { rev: 'origin/main', why: 'origin/main' };
  const main = tryGit('rev-parse', '--verify', '-q', 'main^{commit}');
  if (head && main && head !== main) return { rev: git('merge-base', 'HEAD', 'main'), why: "main's merge-base" };
  const previous = tryGit('rev-parse', '--verify', '-q', 'HEAD~1^{commit}');
  if (previous) return { rev: previous, why: 'the previous commit (HEAD is main)' };
  return { rev: null, why: 'no earlier commit to compare with' };
}

function sourcesAt(rev) {
  const files = git('ls-tree', '--name-only', `${rev}:${SCHEMA_DIR}`).split('\n').filter((f) => f.endsWith('.graphql'));
  return files.map((f) => git('show', `${rev}:${SCHEMA_DIR}/${f}`));
}

function headSources() {
  return readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.graphql')).map((f) => readFileSync(join(SCHEMA_DIR, f), 'utf8'));
}

async function main() {
  const { rev, why } = baseRevision();
  if (!rev) {
    console.error(`check:schema: skipped, ${why}`);
    return 0;
  }
  const label = tryGit('rev-parse', '--short', rev) ?? rev;
  console.error(`check:schema: comparing ${SCHEMA_DIR} with ${label} (${why})`);
  const changes = await compareSchemas(sourcesAt(rev), headSources());
  // A breaking change to something deprecated in the base is a retirement: listed, not failed.
  const tag = (c) => (c.blocking ? 'BREAKING' : c.level === CriticalityLevel.Breaking ? 'RETIRED' : c.level);
  for (const c of changes) console.log(`${tag(c).padEnd(12)}  ${c.path.padEnd(40)}  ${c.message}`);
  const blocking = changes.filter((c) => c.blocking);
  if (blocking.length) {
    console.error(`check:schema: ${blocking.length} breaking change(s); mark the field @deprecated in one commit, remove it in a later one`);
    return 1;
  }
  console.error(`check:schema: ${changes.length} change(s), none breaking`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`check:schema: ${err.message}`);
      process.exit(2);
    },
  );
}
