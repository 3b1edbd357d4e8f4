import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Fields every log line written inside a scope carries (a GraphQL request's `requestId`). A
 * request is served across many async hops; the store follows them, so a service or the error
 * formatter logs the id without being handed it.
 */
export const logScope = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Keys whose values never reach a log: connection strings, credentials, webhook secrets and
 * signatures, wherever they sit one level down (an options object, `headers`, `req.headers`).
 * pino matches paths exactly, so each depth is listed.
 */
const SECRET_KEYS = ['databaseUrl', 'authorization', 'cookie', 'token', 'password', 'secret', 'apiKey'];
const SECRET_HEADERS = ['authorization', 'cookie', '"set-cookie"', '"x-tagfusion-signature"', '"x-api-key"'];
const member = (key: string) => (key.startsWith('"') ? `[${key}]` : `.${key}`);
export const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`]),
  ...SECRET_HEADERS.flatMap((h) => [`headers${member(h)}`, `*.headers${member(h)}`, `*.*.headers${member(h)}`]),
];

/** Structured JSON logs; secrets are redacted before they are written. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tagfusion' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => logScope.getStore() ?? {},
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Hides the password of a connection string, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
