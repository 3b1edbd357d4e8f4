import type { Logger } from '../logger.js';

/**
 * Logs an error at most once per `intervalMs`, saying how many like it were dropped since: while
 * PostgreSQL is down every queue poll fails (about 12 a second per process), and a flood of
 * identical lines would hide the one that says what happened.
 */
export function throttledErrorLog(log: Logger, message: string, intervalMs = 10_000) {
  let last = -Infinity;
  let dropped = 0;
  return (err: unknown) => {
    const now = Date.now();
    if (now - last < intervalMs) {
      dropped++;
      return;
    }
    log.error({ err, ...(dropped ? { similarErrorsDropped: dropped } : {}) }, message);
    last = now;
    dropped = 0;
  };
}
