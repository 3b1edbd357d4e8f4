import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runIdOf } from '../artifacts/paths.js';
import { errors } from '../errors.js';
import type { ExportFormat } from '../export/format.js';
import type { ExportQuery } from '../export/query.js';
import type { ExportStream } from '../export/service.js';
import type { RunLifecycle } from '../runs/query.js';
import { withDirectApp } from './direct-app.js';
import { remoteExport } from './remote/export.js';
import { remoteApi } from './remote/target.js';

export interface ExportOptions {
  format: ExportFormat;
  project?: string;
  run?: string[];
  lifecycle?: string;
  out?: string;
}

/**
 * `tagfusion export runs|metrics`: the runs table or metric histories as CSV or JSON lines, on
 * stdout (data only: logs go to stderr) or into `--out`, written whole or not at all (a temporary
 * file renamed at the end). Beside a running server (which holds the data folder) the server's
 * export route makes it.
 */
export async function exportCommand(table: 'runs' | 'metrics', o: ExportOptions) {
  const runIds = (o.run ?? []).map((id) => runIdOf(id, '--run'));
  const api = remoteApi();
  if (api) return writeExport(table, o, await remoteExport(api, table, o, runIds));
  await withDirectApp(async (app) => {
    const query: ExportQuery = {};
    if (o.project !== undefined) query.projectIds = [(await app.services.projects.byNameOrId(o.project)).id];
    if (runIds.length) query.runIds = runIds;
    if (o.lifecycle !== undefined) query.lifecycle = o.lifecycle.toUpperCase() as RunLifecycle;
    // Imported here: the database client it needs is not loaded for commands sent to a server.
    const { ExportService } = await import('../export/service.js');
    const exporter = new ExportService(app.db);
    await writeExport(table, o, table === 'runs' ? await exporter.runs(query, o.format) : await exporter.metrics(query, o.format));
  });
}

/** Writes an export, made here or streamed from a server, to stdout or whole into `--out`. */
async function writeExport(table: 'runs' | 'metrics', o: ExportOptions, body: ExportStream) {
  if (!o.out) return toStdout(body);
  const tmp = `${o.out}.${process.pid}.tmp`;
  try {
    await pipeline(Readable.from(body), createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, o.out);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw errors.badInput(`--out: cannot write ${o.out} (${code})`, { field: '--out' });
    throw err;
  }
  process.stderr.write(`exported ${body.rows} ${table === 'runs' ? 'run' : 'metric point'}${body.rows === 1 ? '' : 's'} to ${o.out}\n`);
}

/** Streams to stdout; a reader that stops early (`| head`) ends the export quietly. */
async function toStdout(body: AsyncIterable<string>): Promise<void> {
  try {
    await pipeline(Readable.from(body), process.stdout, { end: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  }
}
