import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import { latestPoints } from '../runs/points.js';
import { tagsOf } from '../runs/annotations.js';
import { paramsOf } from '../runs/repository.js';
import { csvHeader, csvRecord, jsonLine, type ExportFormat, type Row } from './format.js';
import type { ExportQuery } from './query.js';
import * as repo from './repository.js';
import { POINT_COLUMNS, pointRow, runColumns, runRow } from './rows.js';

/**
 * Rows per database page. A page of runs costs four queries (runs, params, tags, latest points);
 * 500 keeps each under a few MB of memory while the round trips stay a small share of the time.
 */
const RUNS_PAGE = 500;
/** Metric points are small rows read by one index range scan each page. */
const POINTS_PAGE = 5_000;

/** An export ready to stream: text chunks (a page of rows each) and the rows written so far. */
export interface ExportStream extends AsyncIterable<string> {
  readonly rows: number;
}

/**
 * Exports the runs table and metric histories as CSV or JSON lines, streamed: rows are read a
 * keyset page at a time and written as they come, so memory stays flat however many runs there
 * are. Everything a caller can get wrong (an unknown run or project) is checked before the first
 * byte, so it can still be answered with an error status.
 */
export class ExportService {
  constructor(
    private readonly db: Database,
    private readonly pageSizes = { runs: RUNS_PAGE, points: POINTS_PAGE },
  ) {}

  /** The runs a query selects; RUN_NOT_FOUND or PROJECT_NOT_FOUND for ids that name nothing. */
  async select(q: ExportQuery): Promise<repo.RunSelection> {
    const prisma = this.db.prisma;
    if (q.projectIds?.length) {
      const known = await repo.existingProjectIds(prisma, q.projectIds);
      const missing = q.projectIds.find((id) => !known.has(id));
      if (missing !== undefined) throw errors.projectNotFound(String(missing));
    }
    if (q.runIds?.length) {
      const known = await repo.existingRunIds(prisma, q.runIds);
      const missing = q.runIds.find((id) => !known.has(id));
      if (missing !== undefined) throw errors.runNotFound(missing);
    }
    return {
      runIds: q.runIds,
      filter: {
        projectIds: q.projectIds,
        // A run named by id is wanted whatever its lifecycle; otherwise deleted runs stay out, as in the runs table.
        lifecycle: q.lifecycle ?? (q.runIds?.length ? 'ALL' : 'ACTIVE'),
        status: q.status,
        kind: q.kind,
        tags: q.tags?.map((t) => ({ key: t.key, equals: t.value ?? null })),
        search: q.search,
      },
    };
  }

  /** One row per run: its columns, params, each metric's latest value and tags. */
  async runs(q: ExportQuery, format: ExportFormat): Promise<ExportStream> {
    const selection = await this.select(q);
    const columns = format === 'csv' ? runColumns(await repo.columnKeys(this.db.prisma, selection)) : null;
    const prisma = this.db.prisma;
    const take = this.pageSizes.runs;
    async function* pages(): AsyncGenerator<Row[]> {
      for (let after: repo.RunCursor | null = null; ; ) {
        const page = await repo.runPage(prisma, selection, after, take);
        if (!page.length) return;
        const ids = page.map((p) => p.id);
        const [runs, params, tags, latest] = await Promise.all([repo.runsWithProject(prisma, ids), paramsOf(prisma, ids), tagsOf(prisma, ids), latestPoints(prisma, ids)]);
        const byId = new Map(runs.map((r) => [r.id, r]));
        const [paramsBy, tagsBy, latestBy] = [byRun(params), byRun(tags), byRun(latest)];
        // A run removed between the two reads (by `tagfusion gc`) is simply left out.
        yield ids.flatMap((id) => {
          const run = byId.get(id);
          return run ? [runRow({ run, params: paramsBy.get(id) ?? [], tags: tagsBy.get(id) ?? [], latest: latestBy.get(id) ?? [] })] : [];
        });
        if (page.length < take) return;
        after = page[page.length - 1]!;
      }
    }
    return stream(pages(), format, columns);
  }

  /** Every metric point of the selected runs: run_id, key, name, split, step, timestamp, value. */
  async metrics(q: ExportQuery, format: ExportFormat): Promise<ExportStream> {
    const selection = await this.select(q);
    const prisma = this.db.prisma;
    const take = this.pageSizes.points;
    async function* pages(): AsyncGenerator<Row[]> {
      for (let after: repo.PointRow | null = null; ; ) {
        const page = await repo.pointPage(prisma, selection, after, take);
        if (!page.length) return;
        yield page.map(pointRow);
        if (page.length < take) return;
        after = page[page.length - 1]!;
      }
    }
    return stream(pages(), format, [...POINT_COLUMNS]);
  }
}

function byRun<T extends { runId: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.runId);
    if (list) list.push(r);
    else out.set(r.runId, [r]);
  }
  return out;
}

/** Pages of rows as text chunks: a CSV header first (always, even with no rows), then a chunk per page. */
function stream(pages: AsyncGenerator<Row[]>, format: ExportFormat, columns: string[] | null): ExportStream {
  let rows = 0;
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'csv') yield csvHeader(columns!);
    for await (const page of pages) {
      rows += page.length;
      if (page.length) yield page.map((row) => (format === 'csv' ? csvRecord(columns!, row) : jsonLine(row))).join('');
    }
  }
  const it = chunks();
  return {
    get rows() {
      return rows;
    },
    [Symbol.asyncIterator]: () => it,
  };
}
