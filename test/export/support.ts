import type { Services } from '../../src/app.js';

/** An RFC 4180 reader (quoted fields, doubled quotes, CRLF), to read exports back as a spreadsheet would. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field), records.push(record), (field = ''), (record = []), i++;
    } else field += c;
  }
  if (field || record.length) throw new Error('the last record does not end with CRLF');
  const [header, ...rows] = records;
  return rows.map((r) => {
    if (r.length !== header!.length) throw new Error(`a record has ${r.length} fields, the header ${header!.length}`);
    return Object.fromEntries(header!.map((h, i) => [h, r[i]!]));
  });
}

export const parseJsonl = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** A run with params, metric points (any step) and tags, logged as training code outside tagfusion logs them. */
export async function trackedRun(
  services: Services,
  o: { name: string; projectId?: number; params?: Record<string, string>; points?: { name: string; split?: string; step: number; value: number }[]; tags?: Record<string, string>; finish?: boolean },
) {
  const run = await services.runs.create({ kind: 'external', name: o.name, projectId: o.projectId ?? 0, status: 'RUNNING' });
  if (o.params) await services.tracking.logParams(run.id, Object.entries(o.params).map(([key, value]) => ({ key, value })));
  if (o.points) await services.tracking.logPoints(run.id, o.points.map((p, i) => ({ split: '', timestamp: 1_700_000_000_000 + i, ...p })));
  if (o.tags) await services.tracking.setTags(run.id, Object.entries(o.tags).map(([key, value]) => ({ key, value })));
  if (o.finish) await services.runs.setStatus(run.id, 'SUCCEEDED');
  return run.id;
}
