import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EpochReport } from '../../src/ml/train.js';
import { EpochWriter } from '../../src/training/record.js';

const report = (epoch: number) => ({ epoch }) as EpochReport;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EpochWriter', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => void process.off('unhandledRejection', onUnhandled));

  it('writes epochs one at a time, in the order they came', async () => {
    const written: number[] = [];
    let inFlight = 0;
    const writer = new EpochWriter(async (r) => {
      inFlight++;
      expect(inFlight).toBe(1);
      await sleep(5 - (r.epoch % 3)); // later epochs would overtake earlier ones if not chained
      written.push(r.epoch);
      inFlight--;
    });
    for (let e = 0; e < 6; e++) writer.push(report(e));
    await writer.done();
    expect(written).toEqual([0, 1, 2, 3, 4, 5]);
    expect(writer.signal.aborted).toBe(false);
  });

  it('keeps a failed write for done(), writes nothing after it and aborts its signal; nothing is left unhandled', async () => {
    const written: number[] = [];
    const refused = new Error('connection terminated');
    const writer = new EpochWriter(async (r) => {
      if (r.epoch === 2) throw refused;
      written.push(r.epoch);
    });
    for (let e = 0; e < 5; e++) writer.push(report(e));
    await sleep(100); // the task goes on for a while before anyone awaits the writes
    expect(writer.signal.aborted).toBe(true);
    expect(writer.signal.reason).toBe(refused);
    await expect(writer.done()).rejects.toBe(refused);
    expect(written).toEqual([0, 1]);
    expect(unhandled).toEqual([]);
  });

  it('run(): the task’s result once every epoch is written; the write’s failure rather than the abort it caused', async () => {
    const ok = new EpochWriter(async () => {
      await sleep(5);
    });
    ok.push(report(0));
    await expect(ok.run(new AbortController().signal, async () => 'model')).resolves.toBe('model');

    const refused = new Error('connection terminated');
    const failing = new EpochWriter(async () => {
      throw refused;
    });
    // a task that stops when its signal aborts, as a pool task does
    const task = (signal: AbortSignal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('The operation was aborted', 'AbortError'))));
    failing.push(report(0));
    await expect(failing.run(new AbortController().signal, task)).rejects.toBe(refused);

    // a task that fails by itself is reported as it failed
    const broken = new EpochWriter(async () => undefined);
    await expect(broken.run(new AbortController().signal, () => Promise.reject(new Error('out of memory')))).rejects.toThrow('out of memory');
    expect(unhandled).toEqual([]);
  });
});
