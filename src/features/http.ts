import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Router } from 'express';
import type { App } from '../app.js';
import { requireToken } from '../auth/transport.js';
import { isAppError } from '../errors.js';
import { FeatureExportService, type FeatureExport } from './export.js';

const STATUS: Record<string, number> = { DATASET_NOT_FOUND: 404, RUN_NOT_FOUND: 404, FEATURES_UNAVAILABLE: 409 };

/**
 * `GET /datasets/:id/features?encoderRun=<run id>&modality=text|image`: the features a run's
 * encoder made of every sample of the dataset, for training code outside tagfusion (any token:
 * viewers read them, as they read the dataset). The body is one line of JSON (the header of
 * src/features/export.ts: encoder, shape, and each row's image id, split and labels), then the
 * float32 matrix, streamed part by part with its exact Content-Length, so a cut is never taken
 * for a whole file. Errors before the first byte answer `{ error: { code, message } }`.
 */
export function featureExportRoutes(app: App): Router {
  const exporter = new FeatureExportService(app.db, app.config);
  const router = express.Router();
  router.get('/datasets/:id/features', requireToken(app.services.auth), (req, res, next) => {
    const query = req.query as Record<string, unknown>;
    exporter
      .open({ datasetId: String(req.params.id), encoderRun: query.encoderRun, modality: query.modality })
      .then(
        (found) => send(app, res, found),
        (err: unknown) => {
          if (!isAppError(err)) return next(err);
          res.status(STATUS[err.code] ?? 400).json({ error: { code: err.code, message: err.message } });
        },
      )
      .catch(next);
  });
  return router;
}

async function send(app: App, res: express.Response, found: FeatureExport): Promise<void> {
  const head = Buffer.from(`${JSON.stringify(found.header)}\n`, 'utf8');
  const { count, dim, datasetId, encoder } = found.header;
  res.status(200).attachment(`${datasetId}-${encoder.id}.features`);
  res.set({
    'content-type': 'application/octet-stream',
    'content-length': String(head.byteLength + count * dim * 4),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.write(head);
  try {
    await pipeline(Readable.from(found.matrix()), res);
  } catch (err) {
    // A client that hangs up ends the export; that is no error.
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    app.log.error({ err, datasetId }, 'feature export failed after its first byte; the response was cut short');
    res.destroy();
  }
}
