import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { serverWithCaptions, waitForJob } from '../support/jobs.js';
import type { TestServer } from '../support/server.js';

/**
 * A fast head sends its epochs faster than they are written. PGlite answers on the server's own
 * thread without I/O, so a backlog written as one chain of promises held the event loop for the
 * whole training (7.5 s here): requests waited, and kept-alive connections were reset.
 */
describe.each(DB_KINDS)('the API while a fast head writes hundreds of epochs on %s', (kind) => {
  let server: TestServer;
  let datasetId: string;
  beforeAll(async () => {
    ({ server, datasetId } = await serverWithCaptions(kind, 200));
  }, 120_000);
  afterAll(async () => server?.close());

  it('keeps the event loop turning: no pause of a second while the epochs are written', async () => {
    let last = performance.now();
    let worst = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    try {
      const { startTraining } = await server.data(`mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`, {
        input: { datasetId, head: 'TEXT', epochs: 500, batchSize: 8, earlyStopping: { patience: 500 } },
      });
      const [job] = await server.app.services.jobs.list({ runId: startTraining.id }, 1);
      expect((await waitForJob(server, job.id, 120_000)).status).toBe('SUCCEEDED');
      expect(await server.app.db.prisma.epochMetric.count({ where: { runId: startTraining.id, name: 'loss', split: 'train' } })).toBe(500);
    } finally {
      clearInterval(timer);
    }
    expect(worst).toBeLessThan(1000);
  }, 180_000);
});
