import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { ProgressReporter } from '../../src/jobs/progress.js';
import type { AppEvent } from '../../src/events/bus.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DB_KINDS)('job progress on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  const lines: Record<string, any>[] = [];
  const events: AppEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    const logger = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s)) });
    app = await startApp(db.config, { workJobs: false, logger });
    app.events.onEvent((e) => void events.push(e));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const runningJob = () => app.db.prisma.job.create({ data: { kind: 'dataset-import', status: 'RUNNING' } });

  it('writes the latest of many reports once per interval and publishes it', async () => {
    const job = await runningJob();
    const reporter = new ProgressReporter(app.db.prisma, app.events, job.id, app.log);
    for (let i = 1; i <= 50; i++) reporter.report(i / 100, `step ${i}`);
    await settle(600);
    const row = await app.db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ progress: 0.5, message: 'step 50' });
    await expect.poll(() => events.filter((e) => e.topic === 'job' && e.jobId === job.id).length).toBe(1);
    await reporter.flush(); // nothing pending: no second write
    expect(events.filter((e) => e.topic === 'job' && e.jobId === job.id)).toHaveLength(1);
  });

  // Last: it closes the database under the app.
  it('logs a progress write the database refuses, never leaves it unhandled, and flush() reports it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const job = await runningJob();
      const reporter = new ProgressReporter(app.db.prisma, app.events, job.id, app.log.child({ jobId: job.id }));
      await app.db.prisma.$disconnect();
      await app.db.close();
      reporter.report(0.7, 'after the database went away');
      await settle(600);
      expect(lines.find((l) => l.msg === 'job progress update failed')).toMatchObject({ level: 40, jobId: job.id, err: { message: expect.any(String) } });
      // the failed value is still pending: flush() tries it again and says it failed
      await expect(reporter.flush()).rejects.toThrow();
      await settle(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
