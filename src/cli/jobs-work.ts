import type { App } from '../app.js';
import { loadConfig } from '../config.js';
import type { JobStatus } from '../db/generated/enums.js';
import { TERMINAL } from '../jobs/service.js';
import { startCliApp } from './direct-app.js';
import { Interrupted } from './interrupt.js';
import { printOutput, textTable } from './table.js';

/** How often the queue is looked at for the end of the work. */
const POLL_MS = 1_000;

/** Prints each job this process starts and finishes on stderr (the table goes to stdout at the end). */
function narrate(app: App, workerId: string): () => void {
  const mine = new Set<string>();
  return app.events.onEvent((e) => {
    if (e.topic !== 'job') return;
    if (e.type === 'STARTED') {
      void app.services.jobs.get(e.jobId).then((j) => {
        if (j.workerId !== workerId) return; // another worker's (a shared PostgreSQL)
        mine.add(j.id);
        process.stderr.write(`job ${j.id} ${j.kind}: started (attempt ${j.attempts})\n`);
      }, () => undefined);
    } else if ((TERMINAL as string[]).includes(e.status) && mine.delete(e.jobId)) {
      process.stderr.write(`job ${e.jobId}: ${e.status.toLowerCase()}${e.message ? ` (${e.message})` : ''}\n`);
    }
  });
}

/**
 * Resolves once no job waits in the queue and none runs here, or rejects with Interrupted on
 * Ctrl-C after handing the running jobs back to the queue (they stay QUEUED for the next worker).
 */
async function untilQueueEmpty(app: App): Promise<void> {
  const runner = app.runner!;
  let interrupted: Promise<string[]> | undefined;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    const running = runner.running;
    process.stderr.write(`\ntagfusion: interrupted: handing ${running.length} running job${running.length === 1 ? '' : 's'} back to the queue (Ctrl-C again to exit at once)\n`);
    interrupted = runner.drain(0).then(() => running);
  };
  process.on('SIGINT', onSigint);
  try {
    for (;;) {
      if (interrupted) {
        const ids = await interrupted;
        const states = await Promise.all(ids.map(async (id) => `job ${id} ${(await app.services.jobs.get(id)).status === 'QUEUED' ? 'left queued' : 'finished'}`));
        throw new Interrupted(`interrupted: ${states.length ? states.join(', ') : 'no job was running'}`);
      }
      const queued = await app.db.prisma.job.count({ where: { status: 'QUEUED' } });
      if (queued === 0 && runner.busy === 0) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** `tagfusion jobs work`: works every queued job, whoever queued it, until the queue is empty. */
export async function jobsWorkCommand(o: { json?: boolean }) {
  const app = await startCliApp(loadConfig(), { workJobs: true, allJobs: true });
  try {
    const workerId = app.runner!.workerId;
    const stop = narrate(app, workerId);
    try {
      await untilQueueEmpty(app);
    } finally {
      stop();
    }
    const worked = await app.db.prisma.job.findMany({ where: { workerId }, orderBy: { startedAt: 'asc' } });
    const rows = worked.map((j) => ({
      id: j.id,
      kind: j.kind,
      status: j.status,
      seconds: j.startedAt && j.finishedAt ? (j.finishedAt.getTime() - j.startedAt.getTime()) / 1000 : null,
      error: j.error,
    }));
    const text = rows.length ? textTable(['ID', 'KIND', 'STATUS', 'SECONDS'], rows.map((r) => [r.id, r.kind, r.status.toLowerCase(), r.seconds === null ? '-' : r.seconds.toFixed(1)])) : 'no queued jobs\n';
    printOutput(o.json, rows, text);
    if (rows.some((r) => (['FAILED', 'CANCELLED'] as JobStatus[]).includes(r.status))) process.exitCode = 2;
  } finally {
    await app.close();
  }
}
