import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/jobs/pool.js';
import { schedIdleAvailable, type CpuPriority } from '../../src/workers/cpu-priority.js';
import { loadConfig } from '../../src/config.js';
import { SCHED_IDLE, threadsOf } from '../support/process.js';

const threads = () => threadsOf(process.pid);

describe.skipIf(process.platform !== 'linux')('job threads’ CPU priority', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  /** Starts a pool at `priority`, runs a task so a thread exists, and returns the threads that appeared. */
  async function poolThreads(priority: CpuPriority) {
    const before = new Set(threads().map((t) => t.tid));
    pool = new WorkerPool(1, priority);
    await pool.run('imageCheck', { images: [] });
    return threads().filter((t) => !before.has(t.tid));
  }

  it.skipIf(!schedIdleAvailable())('idle: the job thread is SCHED_IDLE, the main thread keeps its priority', async () => {
    const started = await poolThreads('idle');
    expect(started.filter((t) => t.policy === SCHED_IDLE)).toHaveLength(1);
    expect(threads().find((t) => t.tid === process.pid)).toMatchObject({ nice: 0, policy: 0 });
  });

  it('low: the job thread runs at nice 19, the main thread keeps its priority', async () => {
    const started = await poolThreads('low');
    expect(started.filter((t) => t.nice === 19)).toHaveLength(1);
    expect(started.every((t) => t.policy !== SCHED_IDLE)).toBe(true);
    expect(threads().find((t) => t.tid === process.pid)).toMatchObject({ nice: 0, policy: 0 });
  });

  it('normal (a pool’s default): nothing changes', async () => {
    const started = await poolThreads('normal');
    expect(started.length).toBeGreaterThan(0);
    expect(started.every((t) => t.nice === 0 && t.policy === 0)).toBe(true);
  });

  it('refuses an unknown priority, naming the variable', () => {
    expect(() => loadConfig({ TAGFUSION_JOB_CPU_PRIORITY: 'lowest' })).toThrow(/TAGFUSION_JOB_CPU_PRIORITY must be normal, low or idle/);
  });
});
