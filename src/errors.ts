/**
 * The catalogue of errors users may see. Each has a stable code and a message safe to show;
 * anything else reaching a client is masked as INTERNAL and logged with its request or job id.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

export const errors = {
  badInput: (message: string, details: Record<string, unknown> = {}) => new AppError('BAD_INPUT', message, details),
  datasetNotFound: (id: string) => new AppError('DATASET_NOT_FOUND', `Dataset ${id} does not exist.`, { id }),
  runNotFound: (id: string) => new AppError('RUN_NOT_FOUND', `Run ${id} does not exist.`, { id }),
  jobNotFound: (id: string) => new AppError('JOB_NOT_FOUND', `Job ${id} does not exist.`, { id }),
  jobFinished: (id: string, status: string) =>
    new AppError('JOB_FINISHED', `Job ${id} has already finished (${status}) and cannot be cancelled.`, { id, status }),
  pathNotFound: (what: string, path: string) => new AppError('PATH_NOT_FOUND', `${what} ${path} does not exist or cannot be read.`, { path }),
  invalidCsv: (path: string, reason: string) => new AppError('INVALID_CSV', `${path}: ${reason}`, { path }),
  emptyDataset: (path: string) => new AppError('EMPTY_DATASET', `${path} holds no usable record; see the rejected records.`, { path }),
  dataDirInUse: (dir: string, pid: number) =>
    new AppError(
      'DATA_DIR_IN_USE',
      `The embedded database in ${dir} is in use by process ${pid || 'unknown'}. Stop it, use another TAGFUSION_DATA_DIR, or use a PostgreSQL server (DATABASE_URL).`,
      { dir, pid },
    ),
  jobCancelled: (id: string) => new AppError('JOB_CANCELLED', `Job ${id} was cancelled.`, { id }),
  queryTooComplex: (message: string) => new AppError('QUERY_TOO_COMPLEX', message),
};
