import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactRoot } from '../../src/features/paths.js';
import { saveJson } from '../../src/training/artifact.js';
import { captionDataset } from '../registry/fixtures.js';
import { waitFor } from '../experiments/support.js';
import { DB_KINDS } from '../support/databases.js';
import { importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

// A real full disk without root: on Linux every write to /dev/full fails with ENOSPC. The
// artifact's temporary file (model.json.<pid>.tmp) is made a link to it before the write.
const fullDevice = existsSync('/dev/full');
const fillDisk = (root: string, runId: string, file = 'model.json') => {
  mkdirSync(join(root, runId), { recursive: true });
  symlinkSync('/dev/full', join(root, runId, `${file}.${process.pid}.tmp`));
};

describe.skipIf(!fullDevice)('a full disk while writing an artifact', () => {
  it('the device really is full', () => {
    expect(() => writeFileSync('/dev/full', 'x')).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
  });

  it('saveJson removes its temporary file and throws the catalogue error', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tagfusion-full-'));
    fillDisk(root, 'run-x');
    const doc = { format: 'tagfusion-model/1', weights: 'w'.repeat(5000) };
    const err = await saveJson(root, 'run-x', doc).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ARTIFACT_WRITE_FAILED', details: { runId: 'run-x', code: 'ENOSPC', bytes: JSON.stringify(doc).length } });
    expect((err as Error).message).toBe(
      `no space left on device while writing the model artifact of run run-x (${JSON.stringify(doc).length} bytes); nothing was saved. Free space in the artifact store (TAGFUSION_DATA_DIR) and start the run again.`,
    );
    expect(readdirSync(join(root, 'run-x'))).toEqual([]); // no temporary file, no model.json
    // Space again: the same call writes the artifact.
    expect(await saveJson(root, 'run-x', doc)).toMatchObject({ uri: 'run-x/model.json', sizeBytes: JSON.stringify(doc).length });
  });

  describe.each(DB_KINDS)('a training run (%s)', (kind) => {
    let server: TestServer;
    let datasetId: string;
    beforeAll(async () => {
      server = await startTestServer(kind);
      const fx = await captionDataset(160);
      datasetId = (await importThroughApi(server, { name: 'full', csvPath: fx.csvPath, valFraction: 0.25 })).result.datasetId;
    });
    afterAll(async () => server?.close());

    it('ends FAILED with the reason, registers no Artifact row and cannot be registered', async () => {
      const { startTraining } = await server.data(`mutation($input: TrainingInput!) { startTraining(input: $input) { id } }`, {
        input: { datasetId, head: 'TEXT', epochs: 4, batchSize: 8 },
      });
      const runId = startTraining.id;
      // The job runs in this process: its temporary artifact file is model.json.<our pid>.tmp.
      fillDisk(artifactRoot(server.app.config), runId);
      const run = await waitFor(async () => {
        const { run } = await server.data(`query($id: ID!) { run(id: $id) { status error epochMetrics(split: "val") { epoch } artifacts { name } } }`, { id: runId });
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status) && run;
      }, 120_000);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(new RegExp(`^no space left on device while writing the model artifact of run ${runId} \\(\\d+ bytes\\)`));
      expect(run.epochMetrics.length).toBeGreaterThan(0); // it trained; only the save failed
      expect(run.artifacts).toEqual([]);
      expect(await server.app.db.prisma.artifact.count({ where: { runId } })).toBe(0);
      expect(readdirSync(join(artifactRoot(server.app.config), runId))).toEqual([]);
      const job = await server.app.db.prisma.job.findFirstOrThrow({ where: { runId } });
      expect(job).toMatchObject({ status: 'FAILED', attempts: 1 }); // a catalogue error: not retried
      expect(job.error).toMatch(/no space left on device/);
      const r = await server.gql(`mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { created } }`, { input: { runId, model: 'full' } });
      expect(r.errors?.[0].extensions?.code).toBe('RUN_NOT_REGISTRABLE');
    });
  });
});
