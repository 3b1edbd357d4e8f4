import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** body-parser's error types that are the caller's doing, with the answer each gets. */
const REQUEST_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this server accepts (2 MiB with an API token, 64 KiB without).' },
  'entity.parse.failed': { status: 400, code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' },
  'encoding.unsupported': { status: 415, code: 'BAD_REQUEST', message: 'The request body has an unsupported content encoding.' },
  'charset.unsupported': { status: 415, code: 'BAD_REQUEST', message: 'The request body has an unsupported charset.' },
  'request.aborted': { status: 400, code: 'BAD_REQUEST', message: 'The request was aborted.' },
};

/**
 * The last Express handler: a request error gets its status and a fixed message, anything else
 * a masked 500 with an id that the log carries. Express's own handler would send the stack
 * outside production, and body-parser's messages.
 */
export function httpErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = REQUEST_ERRORS[(err as { type?: string }).type ?? ''];
    if (res.headersSent) return void res.destroy();
    if (known) return void res.status(known.status).json({ error: { code: known.code, message: known.message } });
    const errorId = randomUUID();
    log.error({ err, errorId }, 'internal error in an HTTP request');
    res.status(500).json({ error: { code: 'INTERNAL', message: `Internal server error (id ${errorId}).`, errorId } });
  };
}
