import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliImportRoots, importRoots } from '../../src/datasets/paths.js';
import { DB_KINDS } from '../support/databases.js';
import { IMPORT, importThroughApi } from '../support/jobs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CSV = 'ImageID,Labels,Caption\n0.jpg,1,"a"\n';

describe('import roots', () => {
  const config = { dataDir: '/srv/tagfusion', dataRoots: undefined };

  it('a server reads its data folder by default, never the working directory or the temporary folder', () => {
    const roots = importRoots(config);
    expect(roots[0]).toBe('/srv/tagfusion');
    expect(roots).not.toContain(process.cwd());
    expect(roots).not.toContain(tmpdir());
  });

  it('the CLI working in-process also reads the working directory and the temporary folder', () => {
    expect(cliImportRoots(config)).toEqual([...importRoots(config), process.cwd(), tmpdir()]);
  });

  it('TAGFUSION_DATA_ROOTS is the whole list, for both', () => {
    const configured = { dataDir: '/srv/tagfusion', dataRoots: ['/datasets'] };
    expect(importRoots(configured)).toEqual(['/datasets']);
    expect(cliImportRoots(configured)).toEqual(['/datasets']);
  });
});

describe.each(DB_KINDS)('a server with the default import roots on %s', (kind) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(kind, { env: { TAGFUSION_DATA_ROOTS: '' } }); // '' is unset
  });
  afterAll(async () => server?.close());

  it('refuses a file in the temporary folder and imports one from its data folder', async () => {
    const inTmp = join(mkdtempSync(join(tmpdir(), 'tagfusion-download-')), 'data.csv');
    writeFileSync(inTmp, CSV);
    const refused = await server.gql(IMPORT, { input: { name: 'tmp', csvPath: inTmp } });
    expect(refused.errors?.[0]).toMatchObject({ message: `CSV file ${inTmp} is outside the folders this server may read (its data roots: see TAGFUSION_DATA_ROOTS).`, extensions: { code: 'PATH_NOT_ALLOWED' } });
    const inData = join(mkdtempSync(join(server.app.config.dataDir, 'datasets-')), 'data.csv');
    writeFileSync(inData, CSV);
    const job = await importThroughApi(server, { name: 'data', csvPath: inData });
    expect(job.status, job.error).toBe('SUCCEEDED');
  });
});
