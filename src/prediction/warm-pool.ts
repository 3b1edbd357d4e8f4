import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { RunTaskOptions, TaskMessage } from '../jobs/pool.js';
import { workerScript } from '../paths.js';

/** What runs worker tasks: the job pool (WorkerPool) or the prediction pool below. */
export interface TaskRunner {
  run<I, O>(task: string, input: I, options?: RunTaskOptions): Promise<O>;
}

/**
 * Worker threads for single predictions, apart from the job pool: their threads never idle out
 * (the job pool's leave after 30 s, which would drop every loaded model), and a long training
 * job does not queue a request behind it. Started on the first prediction, so a server that never
 * predicts pays nothing.
 */
export class WarmPool implements TaskRunner {
  private piscina: Piscina | undefined;

  constructor(private readonly threads: number) {}

  /** true once a prediction has started the threads */
  get started(): boolean {
    return this.piscina !== undefined;
  }

  async run<I, O>(task: string, input: I, options: RunTaskOptions = {}): Promise<O> {
    // minThreads = maxThreads: piscina only retires threads above the minimum.
    this.piscina ??= new Piscina({ filename: workerScript('index'), minThreads: this.threads, maxThreads: this.threads });
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
    await this.piscina?.destroy();
    this.piscina = undefined;
  }
}
