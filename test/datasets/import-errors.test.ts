import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../support/databases.js';
import { jpeg, writeDataset } from '../support/fixtures.js';
import { IMPORT, importThroughApi, waitForJob } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const SECRET = 'abc123-not-for-you';
const REJECTED = `query($id: ID!) { dataset(id: $id) { sampleCount rejected { line imageId reason } } }`;
const JOB = `query($id: ID!) { job(id: $id) { status error attempts } }`;

/**
 * What an import tells its caller: what went wrong and where (file as given, line, ImageID,
 * field, limit), never the content of a file that is not a caption file, and never a
 * database's or library's own words.
 */
describe.each(DB_KINDS)('import errors on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterAll(async () => server?.close());

  it('repeats nothing of a file that is not a caption file', async () => {
    const fx = await writeDataset(`SECRET_TOKEN=${SECRET}\nDATABASE_URL=postgresql://admin:${SECRET}@db/prod\n`);
    const given = `${fx.dir}/./data.csv`; // named as the user wrote it, not as the server resolved it
    const job = await importThroughApi(server, { name: 'dotenv', csvPath: given });
    expect(job).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(job.error).toBe(`${given}: line 1: expected the header "ImageID,Labels,Caption" or "ImageID,Caption"; the file does not start with either`);
    expect(JSON.stringify(job)).not.toContain(SECRET);
  });

  it('repeats nothing of the lines that are not records, in the rejections', async () => {
    const fx = await writeDataset(`ImageID,Labels,Caption\n0.jpg,1,"a record"\nSECRET_TOKEN=${SECRET}\n# password ${SECRET}\n`);
    const job = await importThroughApi(server, { name: 'mixed', csvPath: fx.csvPath });
    expect(job.status, job.error).toBe('SUCCEEDED');
    const { dataset } = await server.data(REJECTED, { id: job.result.datasetId });
    expect(dataset).toEqual({
      sampleCount: 1,
      rejected: [
        { line: 3, imageId: null, reason: 'expected 3 comma-separated fields (imageid,labels,caption)' },
        { line: 4, imageId: null, reason: 'expected 3 comma-separated fields (imageid,labels,caption)' },
      ],
    });
    expect(JSON.stringify(job)).not.toContain(SECRET);
  });

  it('rejects the line of an out-of-range label, NUL characters and an overlong ImageID, and keeps the rest', async () => {
    const longId = `${'x'.repeat(150)}.jpg`;
    const fx = await writeDataset(
      [
        'ImageID,Labels,Caption',
        '0.jpg,99999999999999999999,"huge label"',
        '1.jpg,-1,"negative label"',
        '2.jpg,1,"fine"',
        '3.jpg,2,"a NUL \u0000 inside"',
        `${longId},1,"a long id, its image missing"`,
      ].join('\n') + '\n',
    );
    const job = await importThroughApi(server, { name: 'labels', csvPath: fx.csvPath });
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const { dataset } = await server.data(REJECTED, { id: job.result.datasetId });
    const range = '(label ids are whole numbers from 0 to 2147483647)';
    expect(dataset.rejected).toEqual([
      { line: 2, imageId: '0.jpg', reason: `label "99999999999999999999" is out of range ${range}` },
      { line: 3, imageId: '1.jpg', reason: `label "-1" is negative ${range}` },
      { line: 5, imageId: '3.jpg', reason: 'caption holds a NUL character' },
    ]);
    expect(dataset.sampleCount).toBe(2);
    // with an images folder, the long ImageID's missing image is rejected; the id is cut short
    writeFileSync(join(fx.imagesDir, '2.jpg'), await jpeg());
    const withImages = await importThroughApi(server, { name: 'labels-images', csvPath: fx.csvPath, imagesDir: fx.imagesDir });
    const rejected = (await server.data(REJECTED, { id: withImages.result.datasetId })).dataset.rejected;
    expect(rejected.find((r: any) => r.line === 6)).toEqual({ line: 6, imageId: `${'x'.repeat(100)}…`, reason: 'image file is missing' });
  });

  it('masks an error from outside the catalogue with an id, and retries the attempt', async () => {
    const prisma = server.app.db.prisma;
    await prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_datasets() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'internal detail: /srv/private/%', '${SECRET}'; END $$ LANGUAGE plpgsql`,
    );
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_datasets BEFORE INSERT ON "Dataset" FOR EACH ROW EXECUTE FUNCTION refuse_datasets()`);
    try {
      const fx = await writeDataset('ImageID,Labels,Caption\n0.jpg,1,"a"\n');
      const { importDataset } = await server.data(IMPORT, { input: { name: 'masked', csvPath: fx.csvPath } });
      const deadline = Date.now() + 30_000;
      let job;
      do {
        job = (await server.data(JOB, { id: importDataset.id })).job;
        if (job.error) break;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < deadline);
      expect(job.error).toMatch(/^attempt 1 failed: Internal error \(id [0-9a-f-]{36}\)\.$/);
      expect(job.error).not.toContain('internal detail');
      await prisma.$executeRawUnsafe(`DROP TRIGGER refuse_datasets ON "Dataset"`);
      // not a user's mistake: the queue retries it, and the retry succeeds
      const done = await waitForJob(server, importDataset.id, 60_000);
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS refuse_datasets ON "Dataset"`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION refuse_datasets()`);
    }
  });
});
