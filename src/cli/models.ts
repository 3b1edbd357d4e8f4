import { startCliApp } from './direct-app.js';
import type { App } from '../app.js';
import { loadConfig } from '../config.js';
import { cliActor } from '../registry/actor.js';
import { resolveRefs } from '../refs/input.js';
import { remotePromote, remoteModels, remoteRegister, type AliasMoved, type ModelListing, type Registered } from './remote/models.js';
import { remoteApi } from './remote/target.js';

/** Opens the app without working jobs: webhook deliveries queued here are sent by a server or worker. */
async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await startCliApp(loadConfig(), { workJobs: false });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

const print = (json: boolean, value: unknown, text: string) => process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text);
const f4 = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '-');

/** `tagfusion models`: every registered model with its versions and aliases, through a running server when there is one. */
export async function modelsCommand(o: { json?: boolean }) {
  const api = remoteApi();
  const out = api ? await remoteModels(api) : await withApp(localModels);
  print(Boolean(o.json), out, modelsText(out));
}

/** The listing read from the services in this process. */
async function localModels(app: App): Promise<ModelListing[]> {
  const { registry } = app.services;
  const models = [];
  for (let offset = 0; ; offset += 500) {
    const page = await registry.listModels(undefined, 500, offset);
    models.push(...page.rows);
    if (!page.hasMore) break;
  }
  const ids = models.map((m) => m.id);
  const [versions, aliases] = await Promise.all([registry.versions(ids), registry.aliases(ids)]);
  return models.map((m) => ({
    name: m.name,
    description: m.description,
    tags: m.tags,
    aliases: aliases.filter((a) => a.modelId === m.id).map((a) => ({ alias: a.alias, version: a.version.version, protected: a.protected })),
    versions: versions
      .filter((v) => v.modelId === m.id)
      .map((v) => ({ version: v.version, description: v.description, runId: v.runId, createdAt: v.createdAt, createdBy: v.createdBy, val: (v.metrics as { val?: Record<string, number> }).val ?? {}, tags: v.tags })),
  }));
}

/** The text form of the listing. */
export function modelsText(out: ModelListing[]): string {
  return out.length
    ? out
        .map((m) => {
          const head = `${m.name}${m.description ? ` (${m.description})` : ''}: ${m.versions.length} version${m.versions.length === 1 ? '' : 's'}`;
          const aliasLine = m.aliases.length ? `\n  aliases: ${m.aliases.map((a) => `${a.alias} → v${a.version}${a.protected ? ' (protected)' : ''}`).join(', ')}` : '';
          const rows = m.versions.map((v) => `\n  v${v.version}  run ${v.runId ?? '-'}  val macro-F1 ${f4(v.val.macroF1)}  micro-F1 ${f4(v.val.microF1)}  ${new Date(v.createdAt).toISOString().slice(0, 19)}  by ${v.createdBy ?? '-'}`);
          return head + aliasLine + rows.join('');
        })
        .join('\n') + '\n'
    : 'no registered models\n';
}

/** `tagfusion register`: a finished run's artifact becomes the model's next version. */
export async function registerCommand(o: RegisterFlags) {
  const api = remoteApi();
  if (api) return printRegistered(o, await remoteRegister(api, o));
  await withApp(async (app) =>
    printRegistered(o, await app.services.registry.registerVersion(cliActor(), await resolveRefs(app.services, { runId: o.run, model: o.model, description: o.description }))),
  );
}

export interface RegisterFlags {
  run: string;
  model: string;
  description?: string;
  json?: boolean;
}

/** Prints a registration as JSON (--json) or text, the same through a server or in-process. */
function printRegistered(o: RegisterFlags, { version, created }: Registered) {
  const val = (version.metrics as { val?: Record<string, number> }).val ?? {};
  const text = created
    ? `registered ${o.model} version ${version.version} from run ${o.run}  (val macro-F1 ${f4(val.macroF1)}, sha256 ${version.artifactChecksum?.slice(0, 12)}…)\n`
    : `run ${o.run}'s artifact is already ${o.model} version ${version.version}\n`;
  print(Boolean(o.json), { model: o.model, version: version.version, versionId: version.id, created, runId: version.runId, artifactChecksum: version.artifactChecksum, metrics: version.metrics, encoders: version.encoders }, text);
}

export interface PromoteFlags {
  model: string;
  version: number;
  alias: string;
  expect?: number;
  allowSignatureChange?: boolean;
  json?: boolean;
}

/** `tagfusion promote`: moves an alias to a version (protection and the promotion rule apply), through a running server when there is one. */
export async function promoteCommand(o: PromoteFlags) {
  const input = { model: o.model, alias: o.alias, version: o.version, expectedVersion: o.expect, allowSignatureChange: o.allowSignatureChange ?? false };
  const api = remoteApi();
  if (api) return printMove(o, await remotePromote(api, input));
  await withApp(async (app) => {
    const move = await app.services.registry.moveAlias(cliActor(), input);
    printMove(o, { version: move.alias.version.version, protected: move.alias.protected, previousVersion: move.previousVersion, changed: move.changed });
  });
}

/** Prints an alias move as JSON (--json) or text, the same through a server or in-process. */
function printMove(o: PromoteFlags, move: AliasMoved) {
  const text = move.changed
    ? `${o.model}@${o.alias} → version ${o.version}${move.previousVersion ? ` (was version ${move.previousVersion})` : ' (new alias)'}\n`
    : `${o.model}@${o.alias} already points at version ${o.version}\n`;
  print(Boolean(o.json), { model: o.model, alias: o.alias, version: move.version, previousVersion: move.previousVersion, changed: move.changed, protected: move.protected }, text);
}
