import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { serverWithCaptions, waitForJob } from '../support/jobs.js';
import type { TestServer } from '../support/server.js';

const START = `mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`;

/**
 * The database refuses a run's epoch rows while it trains (a trigger raises, as a full disk or a
 * quota would). Before, the failed write was left unhandled until the training task ended, and
 * Node ends a process on that: every job of the worker died with it.
 */
describe.each(DB_KINDS)('an epoch write refused mid-training on %s', (kind) => {
  let server: TestServer;
  let datasetId: string;
  beforeAll(async () => {
    ({ server, datasetId } = await serverWithCaptions(kind, 200));
  });
  afterAll(async () => server?.close());

  it('fails the attempt with the database’s reason, retries, then fails the run; the process goes on', async () => {
    const prisma = server.app.db.prisma;
    const { startTraining } = await server.data(START, { input: { datasetId, head: 'TEXT', epochs: 1000, batchSize: 8, earlyStopping: { patience: 1000 } } });
    const runId = startTraining.id as string;
    await expect.poll(() => prisma.epochMetric.count({ where: { runId } }), { timeout: 60_000, interval: 50 }).toBeGreaterThan(0);
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_epochs() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no space left for epoch rows (test)'; END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_epochs BEFORE INSERT ON "EpochMetric" FOR EACH STATEMENT EXECUTE FUNCTION refuse_epochs()`);
    const recorded = await prisma.epochMetric.count({ where: { runId } });

    const [job] = await server.app.services.jobs.list({ runId }, 1);
    const done = await waitForJob(server, job.id, 120_000);
    expect(done.status).toBe('FAILED');
    expect(done.attempts).toBe(2); // the first failed attempt was retried
    // the database's own words are not the user's business: the job names the logged error by id
    expect(done.error).toMatch(/^Internal error \(id [0-9a-f-]{36}\)\.$/);
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.status).toBe('FAILED');
    // the run says the same, with the same id: one log line holds the database's reason
    expect(run.error).toBe(done.error);
    expect(await prisma.artifact.count({ where: { runId } })).toBe(0);
    // what was written before stays; nothing after
    expect(await prisma.epochMetric.count({ where: { runId } })).toBe(recorded);

    await prisma.$executeRawUnsafe(`DROP TRIGGER refuse_epochs ON "EpochMetric"`);
    await prisma.$executeRawUnsafe(`DROP FUNCTION refuse_epochs()`);
    expect(await server.data('{ health { status } }')).toEqual({ health: { status: 'ok' } });
  });
});
