import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/logger.js';
import { throttledErrorLog } from '../../src/util/log-throttle.js';

describe('throttledErrorLog', () => {
  afterEach(() => vi.useRealTimers());

  it('logs the first error, drops repeats within the interval, then logs one with the count dropped', () => {
    vi.useFakeTimers();
    const lines: [Record<string, unknown>, string][] = [];
    const log = { error: (obj: Record<string, unknown>, msg: string) => lines.push([obj, msg]) } as unknown as Logger;
    const report = throttledErrorLog(log, 'queue error', 10_000);
    report(new Error('connection refused'));
    for (let i = 0; i < 11; i++) report(new Error('connection refused'));
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    report(new Error('the database system is starting up'));
    expect(lines).toHaveLength(2);
    expect(lines[1][0]).toMatchObject({ similarErrorsDropped: 11 });
    expect((lines[1][0].err as Error).message).toBe('the database system is starting up');
    vi.advanceTimersByTime(10_000);
    report(new Error('x'));
    expect(lines[2][0].similarErrorsDropped).toBeUndefined();
  });
});
