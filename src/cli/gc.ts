import { InvalidArgumentError } from 'commander';
import type { GcReport } from '../gc/service.js';
import { errors } from '../errors.js';
import { cliActor } from '../registry/actor.js';
import { withDirectApp } from './direct-app.js';
import { remoteApi } from './remote/target.js';

/** `--older-than`: days as a number, 0 or more (commander prints the refusal without a stack). */
export function daysArgument(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of days, 0 or more.');
  return n;
}

/** 1536 → "1.5 KiB": binary units, as `du -h` prints them. */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** The report as a table: what was (or would be) removed, then what stays and why. */
export function gcTable(r: GcReport): string {
  const m = r.removed;
  const rows: [string, number, string][] = [
    ['runs', m.runs, ''],
    ['  params', m.rows.params, ''],
    ['  metric points', m.rows.metricPoints, ''],
    ['  class metrics', m.rows.classMetrics, ''],
    ['  tags', m.rows.tags, ''],
    ['  artifact rows', m.rows.artifacts, ''],
    ['projects', m.projects, ''],
    ['model versions', m.modelVersions, ''],
    ['  prediction sets', m.predictionSets, ''],
    ['files in the data folder', m.files, bytesText(m.bytes)],
    ['objects in the bucket', m.storeObjects, bytesText(m.storeBytes)],
  ];
  const head = `${r.dryRun ? 'gc dry run: would remove' : 'gc removed'} items deleted before ${r.cutoff} (--older-than ${r.olderThanDays})\n`;
  const table = rows.map(([what, n, size]) => `  ${what.padEnd(26)} ${String(n).padStart(10)}  ${size}`.trimEnd()).join('\n') + '\n';
  const kept = r.kept.length ? `kept:\n${r.kept.map((k) => `  ${k.kind} ${k.id}${k.name ? ` (${k.name})` : ''}: ${k.reason}`).join('\n')}\n` : '';
  const t = r.tooRecent;
  const recent = t.runs + t.projects + t.modelVersions ? `not yet old enough: ${t.runs} runs, ${t.projects} projects, ${t.modelVersions} model versions\n` : '';
  return head + table + kept + recent;
}

/**
 * `tagfusion gc`: removes soft-deleted runs, projects and model versions for good, with their
 * files. It acts on the database and data folder directly, as the local admin (like `token`):
 * whoever can run the CLI on the server owns its data anyway. It refuses to run beside a
 * server that holds the data folder (or TAGFUSION_URL).
 */
export async function gcCommand(o: { olderThan: number; dryRun?: boolean; json?: boolean }) {
  // No remote gc: a server holding the data folder may be serving a file gc would remove.
  const server = remoteApi();
  if (server) throw errors.gcBesideServer(server.url.replace(/\/graphql$/, ''));
  await withDirectApp(async (app) => {
    // Imported here: the database client it needs is not loaded for commands sent to a server.
    const { GcService } = await import('../gc/service.js');
    const report = await new GcService(app.db, app.config.dataDir).collect({ olderThanDays: o.olderThan, dryRun: Boolean(o.dryRun), actor: cliActor() });
    process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : gcTable(report));
  });
}
