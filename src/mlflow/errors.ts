import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * MLflow's error codes (databricks.proto ErrorCode) and the HTTP status its server gives each,
 * for tagfusion's catalogue codes. A client reads `error_code`: the Python client turns
 * RESOURCE_DOES_NOT_EXIST into its "not found" paths (`get_experiment_by_name` returning None).
 */
const BY_CODE: Record<string, [string, number]> = {
  BAD_INPUT: ['INVALID_PARAMETER_VALUE', 400],
  PARAM_CHANGED: ['INVALID_PARAMETER_VALUE', 400],
  PATH_NOT_ALLOWED: ['INVALID_PARAMETER_VALUE', 400],
  PATH_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  PROJECT_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  RUN_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  DATASET_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  TAG_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  MODEL_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  VERSION_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  ALIAS_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  ARTIFACT_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  LOGGED_MODEL_NOT_FOUND: ['RESOURCE_DOES_NOT_EXIST', 404],
  STORE_OBJECT_MISSING: ['RESOURCE_DOES_NOT_EXIST', 404],
  PROJECT_EXISTS: ['RESOURCE_ALREADY_EXISTS', 400],
  MODEL_EXISTS: ['RESOURCE_ALREADY_EXISTS', 400],
  CONFLICT: ['INVALID_STATE', 400],
  RUN_FINISHED: ['INVALID_STATE', 400],
  RUN_DELETED: ['INVALID_STATE', 400],
  RUN_REGISTERED: ['INVALID_STATE', 400],
  PROJECT_DELETED: ['INVALID_STATE', 400],
  RUN_NOT_REGISTRABLE: ['INVALID_STATE', 400],
  ARTIFACT_INVALID: ['INVALID_PARAMETER_VALUE', 400],
  ARTIFACT_TOO_LARGE: ['INVALID_PARAMETER_VALUE', 400],
  SIGNATURE_CHANGED: ['INVALID_PARAMETER_VALUE', 400],
  FORBIDDEN: ['PERMISSION_DENIED', 403],
  ALIAS_PROTECTED: ['PERMISSION_DENIED', 403],
  PROMOTION_REJECTED: ['PERMISSION_DENIED', 403],
  UNAUTHENTICATED: ['UNAUTHENTICATED', 401],
  SERVER_BUSY: ['TEMPORARILY_UNAVAILABLE', 503],
  STORE_UNAVAILABLE: ['TEMPORARILY_UNAVAILABLE', 503],
  ARTIFACT_WRITE_FAILED: ['INTERNAL_ERROR', 500],
};

/** body-parser's errors, which are the caller's: code, status, a fixed message. */
const BODY_ERRORS: Record<string, [string, number, string]> = {
  'entity.parse.failed': ['MALFORMED_REQUEST', 400, 'The request body is not valid JSON.'],
  'entity.too.large': ['INVALID_PARAMETER_VALUE', 413, 'The request body is larger than this server accepts (2 MiB).'],
  'encoding.unsupported': ['MALFORMED_REQUEST', 415, 'The request body has an unsupported content encoding.'],
  'charset.unsupported': ['MALFORMED_REQUEST', 415, 'The request body has an unsupported charset.'],
  'request.aborted': ['MALFORMED_REQUEST', 400, 'The request was aborted.'],
};

/** An error raised by the MLflow layer itself, already in MLflow's terms. */
export class MlflowError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message, 400);
export const notFound = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message, 404);

/**
 * Answers an error as MLflow's server does: `{"error_code": …, "message": …}` with its status.
 * Catalogue errors keep their message (safe for users); anything else is masked with an id and
 * logged, as on every other transport.
 */
export function sendMlflowError(res: Response, err: unknown, log: Logger): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof MlflowError) return void res.status(err.status).json({ error_code: err.errorCode, message: err.message });
  const bodyProblem = BODY_ERRORS[(err as { type?: string }).type ?? ''];
  if (bodyProblem) return void res.status(bodyProblem[1]).json({ error_code: bodyProblem[0], message: bodyProblem[2] });
  if (isAppError(err)) {
    const [errorCode, status] = BY_CODE[err.code] ?? ['INVALID_PARAMETER_VALUE', 400];
    return void res.status(status).json({ error_code: errorCode, message: err.message });
  }
  const errorId = randomUUID();
  log.error({ err, errorId }, 'internal error in an MLflow API request');
  res.status(500).json({ error_code: 'INTERNAL_ERROR', message: `Internal server error (id ${errorId}).` });
}
