import type { RequestHandler } from 'express';
import { isAppError } from '../errors.js';
import type { PredictionService } from './service.js';

const STATUS: Record<string, number> = { PREDICTION_SET_NOT_FOUND: 404, PATH_NOT_FOUND: 404, SUBMISSION_NOT_READY: 409 };

/**
 * `GET /predictions/:id/submission.csv`: a finished prediction set's submission file, streamed
 * (sendFile: ranges and conditional requests included). Catalogue errors answer as JSON with
 * their code; anything else goes to Express's handler.
 */
export function submissionRoute(predictions: PredictionService): RequestHandler<{ id: string }> {
  return async (req, res, next) => {
    try {
      const file = await predictions.submissionFile(req.params.id);
      res.attachment(file.filename);
      res.type('text/csv');
      // The path is the server's own, never the caller's: the default data folder is ./.tagfusion,
      // and sendFile's default refuses any path through a dot-folder (404).
      res.sendFile(file.path, { dotfiles: 'allow' }, (err) => err && !res.headersSent && next(err));
    } catch (err) {
      if (!isAppError(err)) return next(err);
      res.status(STATUS[err.code] ?? 400).json({ code: err.code, message: err.message });
    }
  };
}
