import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { workerScript } from '../paths.js';

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

  constructor(threads: number) {
    this.piscina = new Piscina({
      filename: workerScript('index'),
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 30_000,
    });
  }

  get threads(): number {
    return this.piscina.options.maxThreads;
  }

  async run<I, O>(task: string, input: I, options: RunTaskOptions = {}): Promise<O> {
    const { port1, port2 } = new MessageChannel();
    if (options.onMessage) port1.on('message', options.onMessage);
    try {
      const message: TaskMessage<I> = { input, port: port2 };
      return (await this.piscina.run(message, { name: task, transferList: [port2], signal: options.signal ?? null })) as O;
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
