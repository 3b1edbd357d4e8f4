import { randomUUID } from 'node:crypto';

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

const errorIds = new WeakMap<object, string>();

/**
 * What a user may read of an error: a catalogue error's message, or for anything else (a
 * database's or a library's own words, which may hold paths, values or file content) an id that
 * finds it in the log. One error object keeps one id wherever it is reported (the run's error
 * and its job's error name the same log line).
 */
export function publicError(err: unknown): { message: string; errorId?: string } {
  if (isAppError(err)) return { message: err.message };
  const key = typeof err === 'object' && err !== null ? err : {};
  let errorId = errorIds.get(key);
  if (!errorId) errorIds.set(key, (errorId = randomUUID()));
  return { message: `Internal error (id ${errorId}).`, errorId };
}

export const errors = {
  badInput: (message: string, details: Record<string, unknown> = {}) => new AppError('BAD_INPUT', message, details),
  datasetNotFound: (id: string) => new AppError('DATASET_NOT_FOUND', `Dataset ${id} does not exist.`, { id }),
  runNotFound: (id: string) => new AppError('RUN_NOT_FOUND', `Run ${id} does not exist.`, { id }),
  /** A dataset typed by id, name or name@version that names nothing; `known`: names to suggest (undefined: none exist). */
  datasetRefNotFound: (ref: string, known?: string[]) =>
    new AppError(
      'DATASET_NOT_FOUND',
      `No dataset "${ref}"; ${known === undefined ? 'none imported yet (tagfusion import)' : known.length ? `known: ${known.join(', ')}` : 'list them with `tagfusion datasets`'}.`,
      { id: ref },
    ),
  runRefNotFound: (ref: string) => new AppError('RUN_NOT_FOUND', `No run "${ref}" (by id, name or id start); list them with \`tagfusion runs\`.`, { id: ref }),
  runAmbiguous: (ref: string, ids: string[], more: boolean) =>
    new AppError('RUN_AMBIGUOUS', `"${ref}" names several runs: ${ids.join(', ')}${more ? ', …' : ''}; give one's id.`, { ref, ids }),
  jobNotFound: (id: string) => new AppError('JOB_NOT_FOUND', `Job ${id} does not exist.`, { id }),
  jobFinished: (id: string, status: string) =>
    new AppError('JOB_FINISHED', `Job ${id} has already finished (${status}) and cannot be cancelled.`, { id, status }),
  pathNotFound: (what: string, path: string) => new AppError('PATH_NOT_FOUND', `${what} ${path} does not exist or cannot be read.`, { path }),
  invalidCsv: (path: string, reason: string) => new AppError('INVALID_CSV', `${path}: ${reason}`, { path }),
  emptyDataset: (path: string) => new AppError('EMPTY_DATASET', `${path} holds no usable record; see the rejected records.`, { path }),
  portInUse: (port: number, host: string, setting: string) =>
    new AppError('PORT_IN_USE', `port ${port} on ${host} is in use (set ${setting} or stop the other server)`, { port, host }),
  dataDirInUse: (dir: string, pid: number) =>
    new AppError(
      'DATA_DIR_IN_USE',
      `The embedded database in ${dir} is in use by process ${pid || 'unknown'}. Stop it, use another TAGFUSION_DATA_DIR, or use a PostgreSQL server (DATABASE_URL).`,
      { dir, pid },
    ),
  gcBesideServer: (url: string) =>
    new AppError('SERVER_RUNNING', `gc removes files that the running server at ${url} may read: stop the server, then run gc again.`, { url }),
  projectNotFound: (which: string) => new AppError('PROJECT_NOT_FOUND', `Project ${which} does not exist.`, { project: which }),
  projectExists: (name: string) =>
    new AppError('PROJECT_EXISTS', `A project named ${name} exists already (perhaps deleted: restore it, or pick another name).`, { project: name }),
  projectDeleted: (which: string) => new AppError('PROJECT_DELETED', `Project ${which} is deleted; restore it first.`, { project: which }),
  tagNotFound: (runId: string, key: string) => new AppError('TAG_NOT_FOUND', `Run ${runId} has no tag ${key}.`, { runId, key }),
  paramChanged: (runId: string, key: string) =>
    new AppError('PARAM_CHANGED', `Param ${key} of run ${runId} was logged with another value; a param is written once (log it under another key).`, { runId, key }),
  runDeleted: (id: string) => new AppError('RUN_DELETED', `Run ${id} is deleted; restore it first.`, { id }),
  runFinished: (id: string, status: string) => new AppError('RUN_FINISHED', `Run ${id} has already finished (${status}).`, { id, status }),
  runRegistered: (id: string, versions: string[]) =>
    new AppError('RUN_REGISTERED', `Run ${id} is the source of the registered model version${versions.length === 1 ? '' : 's'} ${versions.join(', ')}: it never changes, even for an admin.`, { id, versions }),
  jobCancelled: (id: string) => new AppError('JOB_CANCELLED', `Job ${id} was cancelled.`, { id }),
  queryTooComplex: (message: string) => new AppError('QUERY_TOO_COMPLEX', message),
  // Model registry and webhooks (src/registry, src/webhooks)
  modelNotFound: (name: string) => new AppError('MODEL_NOT_FOUND', `Model ${name} is not registered.`, { model: name }),
  versionNotFound: (model: string, which: string) => new AppError('VERSION_NOT_FOUND', `Model ${model} has no ${which}.`, { model, which }),
  aliasNotFound: (model: string, alias: string) => new AppError('ALIAS_NOT_FOUND', `Model ${model} has no alias ${alias}.`, { model, alias }),
  forbidden: (action: string, needed: string, role: string) =>
    new AppError('FORBIDDEN', `${action} needs the ${needed} role; you act as ${role}.`, { needed, role }),
  aliasProtected: (model: string, alias: string, role: string) =>
    new AppError('ALIAS_PROTECTED', `Alias ${alias} of model ${model} is protected: moving or deleting it needs the admin role; you act as ${role}.`, { model, alias, role }),
  promotionRejected: (model: string, alias: string, version: number, reason: string) =>
    new AppError('PROMOTION_REJECTED', `Moving ${alias} of model ${model} to version ${version} is rejected by the model's promotion rule: ${reason}.`, { model, alias, version, reason }),
  conflict: (message: string, details: Record<string, unknown> = {}) => new AppError('CONFLICT', message, details),
  runNotRegistrable: (id: string, reason: string) => new AppError('RUN_NOT_REGISTRABLE', `Run ${id} cannot be registered: ${reason}.`, { runId: id }),
  artifactInvalid: (runId: string, uri: string, reason: string) =>
    new AppError('ARTIFACT_INVALID', `The model artifact ${uri} of run ${runId} ${reason}; it is not registered.`, { runId, uri }),
  modelExists: (name: string) => new AppError('MODEL_EXISTS', `Model ${name} is registered already.`, { model: name }),
  signatureChanged: (model: string, alias: string, from: number, to: number, change: string) =>
    new AppError(
      'SIGNATURE_CHANGED',
      `Moving alias ${alias} of model ${model} from version ${from} to version ${to} changes what it eats or returns: ${change}. Confirm with allowSignatureChange: true (GraphQL), --allow-signature-change (tagfusion promote) or the model tag tagfusion.allow_signature_change=true (MLflow REST).`,
      { model, alias, from, to },
    ),
  // Artifact files of any run (src/artifacts)
  loggedModelNotFound: (id: string) => new AppError('LOGGED_MODEL_NOT_FOUND', `Logged model ${id} does not exist.`, { id }),
  artifactNotFound: (runId: string, path: string) => new AppError('ARTIFACT_NOT_FOUND', `Run ${runId} has no artifact file ${path}.`, { runId, path }),
  artifactTooLarge: (runId: string, path: string, maxBytes: number) =>
    new AppError('ARTIFACT_TOO_LARGE', `The artifact ${path} of run ${runId} is larger than this server accepts (TAGFUSION_ARTIFACT_MAX_BYTES: ${maxBytes} bytes); nothing was stored.`, { runId, path, maxBytes }),
  // Feature extraction (src/features)
  encoderFailed: (encoder: string, datasetId: string, sample: { imageId?: string; item: string; line?: number; row: number }, error: string, others: number) =>
    new AppError(
      'ENCODER_FAILED',
      `Encoder ${encoder} failed on sample ${sample.imageId ?? `#${sample.row}`} (${sample.item}${sample.line ? `, line ${sample.line}` : ''}) of dataset ${datasetId}: ${error}` +
        `${others ? ` (and on ${others} more sample${others === 1 ? '' : 's'})` : ''}. Fix or remove it, or train with onEncoderError: SKIP to leave such samples out.`,
      { encoder, datasetId, imageId: sample.imageId, item: sample.item, line: sample.line, others },
    ),
  featuresUnavailable: (datasetId: string, runId: string, reason: string) =>
    new AppError('FEATURES_UNAVAILABLE', `The features of dataset ${datasetId} by the encoder of run ${runId} cannot be exported: ${reason}.`, { datasetId, runId }),
  artifactWriteFailed: (runId: string, what: string, bytes: number, code: string, reason: string) =>
    new AppError(
      'ARTIFACT_WRITE_FAILED',
      `${reason} while writing the ${what} artifact of run ${runId} (${bytes} bytes); nothing was saved. Free space in the artifact store (TAGFUSION_DATA_DIR) and start the run again.`,
      { runId, bytes, code },
    ),
  // Shared store of artifacts, feature caches and submissions (src/storage)
  storeObjectMissing: (key: string, location: string) =>
    new AppError('STORE_OBJECT_MISSING', `${key} is missing from the store ${location}.`, { key, location }),
  storeRequestFailed: (action: 'upload' | 'download' | 'list' | 'delete', key: string, location: string, reason: string) =>
    new AppError(
      'STORE_UNAVAILABLE',
      `Could not ${action} ${key} ${action === 'upload' ? 'to' : 'from'} the store ${location}: ${reason}. Check TAGFUSION_STORE, TAGFUSION_S3_ENDPOINT and the AWS credentials of this machine.`,
      { key, location, action },
    ),
  webhookNotFound: (id: string) => new AppError('WEBHOOK_NOT_FOUND', `Webhook ${id} does not exist.`, { id }),
  /** `reason` names the address range, never the URL (it may carry a token). */
  webhookTargetRefused: (id: string, reason: string) => new AppError('WEBHOOK_TARGET_REFUSED', `Webhook ${id} was not sent: ${reason}.`, { id }),
  // Prediction (src/prediction)
  modelUnavailable: (reference: string, reason: string) => new AppError('MODEL_UNAVAILABLE', `Model ${reference} cannot be loaded: ${reason}.`, { model: reference }),
  pathNotAllowed: (what: string, path: string, roots = 'its data roots: see TAGFUSION_DATA_ROOTS') =>
    new AppError('PATH_NOT_ALLOWED', `${what} ${path} is outside the folders this server may read (${roots}).`, { path }),
  predictionSetNotFound: (id: string) => new AppError('PREDICTION_SET_NOT_FOUND', `Prediction set ${id} does not exist.`, { id }),
  submissionNotReady: (id: string) => new AppError('SUBMISSION_NOT_READY', `Prediction set ${id} has no submission file yet: its job has not finished.`, { id }),
  // Authentication (src/auth)
  unauthenticated: (reason: string) =>
    new AppError('UNAUTHENTICATED', `${reason} This server needs "Authorization: Bearer <token>" (an admin creates one: tagfusion token create).`),
  serverBusy: (reason: string) => new AppError('SERVER_BUSY', `The server is busy (${reason}); retry in a moment.`, { retryAfterSeconds: 1 }),
  tokenNotFound: (id: string) => new AppError('TOKEN_NOT_FOUND', `API token ${id} does not exist.`, { id }),
};
