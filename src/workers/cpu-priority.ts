import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * How job threads share the CPU with the rest of the machine: `normal`; `low` (nice 19);
 * `idle` (Linux SCHED_IDLE: they run only on CPU time nothing else wants, so the API thread and
 * PostgreSQL are never kept waiting by training on the same cores).
 */
export const CPU_PRIORITIES = ['normal', 'low', 'idle'] as const;
export type CpuPriority = (typeof CPU_PRIORITIES)[number];

/**
 * Lowers the calling thread's priority, not its process's: on Linux nice values and scheduling
 * policies belong to threads, so a server's main thread keeps its own. Node has no call for
 * SCHED_IDLE, so `idle` runs util-linux's chrt on this thread's id; where that fails (no chrt,
 * not Linux) the thread gets nice 19.
 */
export function lowerThreadPriority(priority: CpuPriority): void {
  if (priority === 'normal') return;
  if (priority === 'idle') {
    try {
      const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
      execFileSync('chrt', ['--idle', '--pid', '0', tid], { stdio: 'ignore', timeout: 5_000 });
      return;
    } catch {
      // fall through to nice, which every platform Node runs on has
    }
  }
  try {
    setPriority(0, 19);
  } catch {
    // not permitted here: the thread keeps its priority
  }
}

/** Whether `idle` can be had here: Linux with util-linux's chrt. */
export function schedIdleAvailable(): boolean {
  try {
    execFileSync('chrt', ['--version'], { stdio: 'ignore', timeout: 5_000 });
    return process.platform === 'linux';
  } catch {
    return false;
  }
}
