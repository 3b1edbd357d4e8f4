import type { TaskMessage } from '../jobs/pool.js';

/** The last message every task posts on its port (see WorkerPool.run). */
export const TASK_DONE = '__tagfusion_task_done__';

/**
 * Wraps a task so that it posts TASK_DONE on its port when it ends. A port delivers its
 * messages in order, but not in order with the task's result, which piscina sends on another
 * channel: waiting for TASK_DONE is how the caller knows it has every progress message (the
 * last epoch's metrics) before it records the result.
 */
export function finishing<I, O>(task: (message: TaskMessage<I>) => Promise<O>): (message: TaskMessage<I>) => Promise<O> {
  return async (message) => {
    try {
      return await task(message);
    } finally {
      message.port.postMessage(TASK_DONE);
    }
  };
}
