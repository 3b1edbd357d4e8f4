import { describe, expect, it } from 'vitest';
import { WriteGate } from '../../src/runs/write-gate.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('the metric write gate', () => {
  it('runs at most `writers` writes at once and the rest in order', async () => {
    const gate = new WriteGate({ writers: 2, maxWaiting: 10 });
    let active = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const writes = Array.from({ length: 5 }, (_, i) =>
      gate.run(async () => {
        active++;
        most = Math.max(most, active);
        await new Promise<void>((r) => releases.push(r));
        order.push(i);
        active--;
        return i;
      }),
    );
    await tick();
    expect(active).toBe(2);
    expect(gate.waiting).toBe(3);
    while (order.length < 5) {
      releases.shift()?.();
      await tick();
    }
    expect(await Promise.all(writes)).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });

  it('tells writers to retry (SERVER_BUSY) once too many are waiting, and takes them again after', async () => {
    const gate = new WriteGate({ writers: 1, maxWaiting: 2 });
    let release!: () => void;
    const first = gate.run(() => new Promise<void>((r) => (release = r)));
    await tick();
    const waiting = [gate.run(async () => 1), gate.run(async () => 2)];
    await tick();
    await expect(gate.run(async () => 3)).rejects.toMatchObject({ code: 'SERVER_BUSY' });
    // The server's own writes (training epochs) wait instead of failing their job.
    const own = gate.run(async () => 'own', { refuseWhenBusy: false });
    release();
    await first;
    expect(await Promise.all(waiting)).toEqual([1, 2]);
    expect(await own).toBe('own');
    expect(await gate.run(async () => 4)).toBe(4);
  });

  it('lets a failed write fail its caller only', async () => {
    const gate = new WriteGate({ writers: 1, maxWaiting: 10 });
    const failed = gate.run(async () => {
      throw new Error('disk full');
    });
    const next = gate.run(async () => 'ok');
    await expect(failed).rejects.toThrow('disk full');
    expect(await next).toBe('ok');
  });
});
