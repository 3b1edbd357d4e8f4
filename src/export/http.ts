import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, type Router } from 'express';
import type { App } from '../app.js';
import { identify } from '../auth/transport.js';
import { isAppError } from '../errors.js';
import { requireRole } from '../registry/actor.js';
import type { ExportFormat } from './format.js';
import { exportQueryOf } from './query.js';
import { ExportService, type ExportStream } from './service.js';

const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, RUN_NOT_FOUND: 404, PROJECT_NOT_FOUND: 404 };
const TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8; header=present', jsonl: 'application/x-ndjson; charset=utf-8' };

/**
 * The export routes, read by any token (viewers included), as the runs query is:
 * - `GET /export/runs.csv`, `/export/runs.jsonl`: the runs table, one row per run;
 * - `GET /export/metrics.csv`, `/export/metrics.jsonl`: every metric point of the runs.
 * Both take the filters of src/export/query.ts as query parameters. Errors found before the
 * first byte answer `{ error: { code, message } }` with their status; a failure mid-stream can
 * only cut the response short (the chunked body then never ends properly, so no client takes a
 * truncated file for a whole one).
 */
export function exportRoutes(app: App): Router {
  const exporter = new ExportService(app.db);
  const router = express.Router();
  for (const table of ['runs', 'metrics'] as const) {
    for (const format of ['csv', 'jsonl'] as const) {
      router.get(`/export/${table}.${format}`, (req, res, next) => {
        answer(app, req, res, async () => {
          const query = exportQueryOf(req.query as Record<string, unknown>);
          return table === 'runs' ? exporter.runs(query, format) : exporter.metrics(query, format);
        }).catch(next);
      });
    }
  }
  return router;
}

async function answer(app: App, req: Request, res: Response, open: () => Promise<ExportStream>): Promise<void> {
  let body: ExportStream;
  try {
    const { actor, unauthenticated } = await identify(app.services.auth, req.headers.authorization);
    if (unauthenticated) {
      res.set('www-authenticate', 'Bearer');
      throw unauthenticated;
    }
    requireRole(actor, 'viewer', `GET ${req.path}`);
    body = await open();
  } catch (err) {
    if (!isAppError(err)) throw err;
    res.status(STATUS[err.code] ?? 400).json({ error: { code: err.code, message: err.message } });
    return;
  }
  const format = req.path.endsWith('.csv') ? 'csv' : 'jsonl';
  res.status(200);
  // attachment() first: it sets a content type from the file name, which ours then replaces.
  res.attachment(req.path.slice(req.path.lastIndexOf('/') + 1));
  res.set({ 'content-type': TYPES[format], 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  try {
    await pipeline(Readable.from(body), res);
  } catch (err) {
    // A client that hangs up ends the export (the generator stops reading pages); that is no error.
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    app.log.error({ err, path: req.path }, 'export failed after its first byte; the response was cut short');
    res.destroy();
  }
}
