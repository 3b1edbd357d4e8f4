import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { workerScript } from '../paths.js';
import type { CpuPriority } from '../workers/cpu-priority.js';
import { TASK_DONE } from '../workers/finishing.js';

/** Longest wait for a finished task's last messages (they are normally a tick behind). */
const MESSAGE_DRAIN_MS = 5_000;

/** What a worker task receives: its input and a port for progress messages. */
export interface TaskMessage<I> {
  input: I;
  port: import('node:worker_threads').MessagePort;
}

export interface RunTaskOptions {
  signal?: AbortSignal;
  onMessage?: (message: unknown) => void;
}

/**
 * The piscina pool of worker threads. Tasks are the named exports of src/workers/index.ts;
 * they compute and report progress through a MessagePort, and never touch the database.
 */
export class WorkerPool {
  private readonly piscina: Piscina;

  constructor(threads: number, cpuPriority: CpuPriority = 'normal') {
    this.piscina = new Piscina({
      filename: workerScript('index'),
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 30_000,
      workerData: { cpuPriority },
    });
  }

  get threads(): number {
    return this.piscina.options.maxThreads;
  }

  /** Runs a task; resolves once its result and every message it posted have arrived. */
  async run<I, O>(task: string, input: I, options: RunTaskOptions = {}): Promise<O> {
    const { port1, port2 } = new MessageChannel();
    let allMessages!: () => void;
    const finished = new Promise<void>((resolve) => (allMessages = resolve));
    port1.on('message', (m) => (m === TASK_DONE ? allMessages() : options.onMessage?.(m)));
    try {
      const message: TaskMessage<I> = { input, port: port2 };
      const result = (await this.piscina.run(message, { name: task, transferList: [port2], signal: options.signal ?? null })) as O;
      // The result travels on piscina's channel, the messages on ours: wait for the last one.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, MESSAGE_DRAIN_MS)))]);
      clearTimeout(timer);
      return result;
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
