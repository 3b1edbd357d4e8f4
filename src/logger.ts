import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; secrets in connection strings are redacted before they are written. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'tagfusion' },
    redact: { paths: ['databaseUrl', '*.databaseUrl', 'authorization', '*.authorization', 'token', '*.token'], censor: '[redacted]' },
  });
}

/** Hides the password of a connection string, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
