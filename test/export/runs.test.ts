import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import { DB_KINDS } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { parseCsv, parseJsonl, trackedRun } from './support.js';

describe.each(DB_KINDS)('runs export over HTTP on %s', (kind) => {
  let server: TestServer;
  let viewer: string;
  let vision: number;
  const ids = { formula: '', plain: '', deleted: '' };
  const get = (path: string, token: string | null = viewer) =>
    fetch(server.http.url.replace(/\/graphql$/, path), { headers: token ? { authorization: `Bearer ${token}` } : {} });

  beforeAll(async () => {
    server = await startTestServer(kind, { workJobs: false, env: { TAGFUSION_AUTH: 'required' } });
    const s = server.app.services;
    viewer = (await s.auth.create(cliActor(), { name: 'reader', role: 'viewer' })).secret;
    vision = (await s.projects.create({ name: 'vision' })).id;
    ids.plain = await trackedRun(s, { name: 'plain', params: { lr: '-0.5' }, tags: { team: 'text' }, points: [{ name: 'f1', split: 'val', step: 0, value: 0.4 }], finish: true });
    ids.formula = await trackedRun(s, {
      name: '=cmd()',
      projectId: vision,
      params: { lr: '0.01', note: 'a,b "c"\nnext' },
      points: [
        { name: 'f1', split: 'val', step: 0, value: 0.5 },
        { name: 'f1', split: 'val', step: 2, value: 0.8 },
        { name: 'f1', split: 'val', step: 1, value: 0.7 },
        { name: 'loss', step: 3, value: NaN },
      ],
      tags: { team: 'vision', formula: '@SUM(A1)' },
    });
    ids.deleted = await trackedRun(s, { name: 'gone', projectId: vision });
    await s.tracking.delete(ids.deleted);
  });
  afterAll(async () => server?.close());

  it('refuses a caller without a token, bad parameters and unknown ids before any row', async () => {
    const anonymous = await get('/export/runs.csv', null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await anonymous.json()) as any).error.code).toBe('UNAUTHENTICATED');
    const unknownToken = await get('/export/runs.jsonl', 'tf_nope');
    expect(unknownToken.status).toBe(401);
    for (const [query, field] of [['statu=FAILED', 'statu'], ['status=DONE', 'status'], ['projectId=x', 'projectId'], ['lifecycle=gone', 'lifecycle'], ['tag==v', 'tag']]) {
      const res = await get(`/export/runs.csv?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json(), query).toMatchObject({ error: { code: 'BAD_INPUT', message: expect.stringMatching(new RegExp(`^${field}(\\[0\\])?(\\.key)?: `)) } });
    }
    expect(await (await get('/export/runs.csv?projectId=999')).json()).toMatchObject({ error: { code: 'PROJECT_NOT_FOUND' } });
    const missing = await get('/export/metrics.csv?runId=00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('RUN_NOT_FOUND');
  });

  it('exports the runs table as CSV that reads back, with formula cells neutralised', async () => {
    const res = await get('/export/runs.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?runs\.csv"?$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text.split('\r\n')[0]).toBe(
      'id,name,projectId,project,status,kind,parentId,createdAt,startedAt,finishedAt,createdBy,deletedAt,params.lr,params.note,metrics.loss,metrics.val/f1,tags.formula,tags.team',
    );
    const rows = parseCsv(text);
    // newest first; the deleted run is left out, as in the runs table
    expect(rows.map((r) => r.id)).toEqual([ids.formula, ids.plain]);
    expect(rows[0]).toMatchObject({ name: "'=cmd()", project: 'vision', projectId: String(vision), status: 'RUNNING', kind: 'external', 'params.lr': '0.01' });
    expect(rows[0]).toMatchObject({ 'params.note': 'a,b "c"\nnext', 'metrics.val/f1': '0.8', 'metrics.loss': 'NaN', 'tags.formula': "'@SUM(A1)", 'tags.team': 'vision' });
    expect(new Date(rows[0]!.createdAt!).toISOString()).toBe(rows[0]!.createdAt);
    expect(rows[1]).toMatchObject({ name: 'plain', project: 'Default', status: 'SUCCEEDED', 'params.lr': '-0.5', 'metrics.val/f1': '0.4', 'metrics.loss': '', 'tags.formula': '', deletedAt: '' });
    expect(rows[1]!.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('exports JSON lines with the same columns, values as logged, NaN as text', async () => {
    const res = await get('/export/runs.jsonl');
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const [first, second, ...rest] = parseJsonl(await res.text());
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ id: ids.formula, name: '=cmd()', projectId: vision, 'metrics.val/f1': 0.8, 'metrics.loss': 'NaN', 'params.note': 'a,b "c"\nnext', 'tags.formula': '@SUM(A1)' });
    expect(second).toMatchObject({ id: ids.plain, name: 'plain', 'params.lr': '-0.5', 'metrics.val/f1': 0.4 });
    expect(second).not.toHaveProperty('metrics.loss');
  });

  it('filters as the runs query does: project, tags, status, lifecycle, run ids in either spelling', async () => {
    const idsOf = async (query: string) => parseJsonl(await (await get(`/export/runs.jsonl?${query}`)).text()).map((r) => r.id);
    expect(await idsOf(`projectId=${vision}`)).toEqual([ids.formula]);
    expect(await idsOf('tag=team=text')).toEqual([ids.plain]);
    expect(await idsOf('tag=formula')).toEqual([ids.formula]);
    expect(await idsOf('status=SUCCEEDED,FAILED')).toEqual([ids.plain]);
    expect(await idsOf('lifecycle=DELETED')).toEqual([ids.deleted]);
    expect(await idsOf('lifecycle=ALL&search=gon')).toEqual([ids.deleted]);
    // a run named by id is exported whatever its lifecycle; MLflow's 32 hex digits name it too
    expect(await idsOf(`runId=${ids.deleted.replace(/-/g, '')}&runId=${ids.plain}`)).toEqual([ids.deleted, ids.plain]);
    const empty = await (await get('/export/runs.csv?tag=team=nobody')).text();
    expect(empty).toBe('id,name,projectId,project,status,kind,parentId,createdAt,startedAt,finishedAt,createdBy,deletedAt\r\n');
  });
});
