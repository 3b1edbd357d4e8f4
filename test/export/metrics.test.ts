import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { ExportService } from '../../src/export/service.js';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '../support/databases.js';
import { parseCsv, parseJsonl, trackedRun } from './support.js';

const text = async (body: AsyncIterable<string>) => {
  let out = '';
  for await (const chunk of body) out += chunk;
  return out;
};

describe.each(DB_KINDS)('metric history export on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let exporter: ExportService;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    app = await startApp(db.config, { workJobs: false });
    // Pages of 3 points and 2 runs: every export below crosses several keyset pages.
    exporter = new ExportService(app.db, { runs: 2, points: 3 });
    runA = await trackedRun(app.services, {
      name: 'a',
      points: [
        { name: 'loss', split: 'train', step: 0, value: 1.5 },
        { name: 'loss', split: 'train', step: 1, value: NaN },
        { name: 'loss', split: 'train', step: 1, value: 0.9 },
        { name: 'loss', split: 'train', step: 2, value: Infinity },
        { name: 'top/1', split: 'val', step: 0, value: -0.25 },
      ],
    });
    runB = await trackedRun(app.services, { name: 'b', points: [{ name: 'acc', step: 5, value: 0.75 }] });
    for (let i = 0; i < 5; i++) await trackedRun(app.services, { name: `filler ${i}`, params: { i: String(i) } });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('exports every point of the chosen runs, in key order, NaN and Infinity included', async () => {
    const csv = await text(await exporter.metrics({ runIds: [runA] }, 'csv'));
    expect(csv.split('\r\n')[0]).toBe('run_id,key,name,split,step,timestamp,value');
    const rows = parseCsv(csv);
    expect(rows.map((r) => [r.key, r.name, r.split, r.step, r.value])).toEqual([
      ['train/loss', 'loss', 'train', '0', '1.5'],
      // one step, two times: by time (NaN was logged first)
      ['train/loss', 'loss', 'train', '1', 'NaN'],
      ['train/loss', 'loss', 'train', '1', '0.9'],
      ['train/loss', 'loss', 'train', '2', 'Infinity'],
      ['val/top/1', 'top/1', 'val', '0', '-0.25'],
    ]);
    expect(rows.every((r) => r.run_id === runA && /^\d{13}$/.test(r.timestamp!))).toBe(true);
    const lines = parseJsonl(await text(await exporter.metrics({ runIds: [runA, runB] }, 'jsonl')));
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.run_id === runA).map((l) => l.value)).toEqual([1.5, 'NaN', 0.9, 'Infinity', -0.25]);
    expect(lines.find((l) => l.run_id === runB)).toEqual({ run_id: runB, key: 'acc', name: 'acc', split: '', step: 5, timestamp: expect.any(Number), value: 0.75 });
  });

  it('pages through every run once, newest first, with the header known before the first row', async () => {
    const body = await exporter.runs({}, 'csv');
    const rows = parseCsv(await text(body));
    expect(body.rows).toBe(7);
    expect(rows.map((r) => r.name)).toEqual(['filler 4', 'filler 3', 'filler 2', 'filler 1', 'filler 0', 'b', 'a']);
    expect(rows.find((r) => r.name === 'a')).toMatchObject({ 'metrics.train/loss': 'Infinity', 'metrics.val/top/1': '-0.25', 'metrics.acc': '', 'params.i': '' });
    expect(rows.find((r) => r.name === 'filler 2')).toMatchObject({ 'params.i': '2' });
  });
});
