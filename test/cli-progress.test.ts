import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../src/cli/progress-line.js';
import { formatDuration, ProgressRate } from '../src/cli/progress-rate.js';

/** A stream that keeps what is written, as a file or a terminal. */
function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, s: { isTTY, columns: 160, write: (c: string) => chunks.push(c) } as unknown as NodeJS.WriteStream };
}

describe('ProgressRate', () => {
  it('gives the rate from the counts in the messages and the time left from the fraction', () => {
    const rate = new ProgressRate();
    expect(rate.update(0, 0.1, 'centernet original: 500 of 5000 images')).toEqual({}); // too early to tell
    const e = rate.update(10_000, 0.14, 'centernet original: 700 of 5000 images');
    expect(e.rate).toEqual({ perSecond: 20, unit: 'images' });
    expect(e.secondsLeft).toBeCloseTo(215, 5); // 0.86 left at 0.004 per second
  });

  it('starts again when the count is of something else (the next variant)', () => {
    const rate = new ProgressRate();
    rate.update(0, 0, 'x original: 0 of 100 images');
    rate.update(5_000, 0.5, 'x original: 100 of 100 images');
    expect(rate.update(6_000, 0.5, 'x flip: 0 of 50 images')).toEqual({});
    expect(rate.update(11_000, 0.75, 'x flip: 25 of 50 images').rate).toEqual({ perSecond: 5, unit: 'images' });
  });

  it('estimates time left without counts (epochs)', () => {
    const rate = new ProgressRate();
    rate.update(0, 0.2, 'epoch 2: val micro-F1 0.5');
    const e = rate.update(60_000, 0.4, 'epoch 4: val micro-F1 0.6');
    expect(e.rate).toBeUndefined();
    expect(e.secondsLeft).toBeCloseTo(180, 5);
  });

  it('formats durations', () => {
    expect([formatDuration(42), formatDuration(75), formatDuration(4000)]).toEqual(['42s', '1m 15s', '1h 06m']);
  });
});

describe('ProgressLine', () => {
  it('off a terminal prints at most one line every few seconds, and always the last', () => {
    let now = 0;
    const out = stream(false);
    const line = new ProgressLine(out.s, () => now);
    for (let done = 0; done <= 1000; done += 10) {
      now = done * 100; // 10 images a second, a report each second
      line.update(done / 1000, `enc original: ${done} of 1000 images`);
    }
    // 100 s of reports: the first, one each 5 s, and the last
    expect(out.chunks.length).toBe(21);
    expect(out.chunks[0]).toBe('0% enc original: 0 of 1000 images\n');
    expect(out.chunks[2]).toBe('10% enc original: 100 of 1000 images · 10 images/s · 1m 30s left\n');
    expect(out.chunks.at(-1)).toMatch(/^100% enc original: 1000 of 1000 images · 10 images\/s · 0s left\n$/);
  });

  it('on a terminal redraws every report in place', () => {
    let now = 0;
    const out = stream(true);
    const line = new ProgressLine(out.s, () => now);
    line.update(0.25, 'a: 25 of 100 images');
    now = 5_000;
    line.update(0.5, 'a: 50 of 100 images');
    line.finish();
    expect(out.chunks).toHaveLength(3);
    expect(out.chunks[1]).toMatch(/^\r\[#{15}\.{15}\]  50% a: 50 of 100 images · 5\.0 images\/s · 10s left/);
  });
});
