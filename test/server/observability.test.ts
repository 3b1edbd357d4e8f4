import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { startHttpServer, type HttpServer } from '../../src/server/http.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { writeDataset } from '../support/fixtures.js';
import { waitForJob } from '../support/jobs.js';
import type { TestServer } from '../support/server.js';

/** Parses Prometheus text into `name{labels}` → value (labels as written, in order). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

/**
 * Logs and metrics of a real server on the embedded database, with its log lines captured
 * (JSON, one per line) through a pino destination.
 */
describe('observability', () => {
  let db: TestDatabase;
  let app: App;
  let http: HttpServer;
  let base: string;
  const lines: Record<string, any>[] = [];
  const post = (query: string, variables?: Record<string, unknown>) =>
    fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  /** what waitForJob needs of a test server */
  const client = { data: async (q: string, v: any) => ((await (await post(q, v)).json()) as any).data } as unknown as TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    const logger = createLogger('info', { write: (s: string) => void lines.push(JSON.parse(s)) });
    app = await startApp(db.config, { workJobs: true, logger });
    http = await startHttpServer(app, 0, '127.0.0.1');
    base = http.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await http?.close();
    await app?.close();
    await db?.drop();
  });

  it('logs a failed GraphQL request with the request id the response carries', async () => {
    const res = await post('mutation { cancelJob(id: "00000000-0000-0000-0000-000000000000") { id } }');
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('JOB_NOT_FOUND');
    const logged = lines.filter((l) => l.requestId === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'GraphQL request answered with errors', errors: [{ code: 'JOB_NOT_FOUND', path: ['cancelJob'] }] });
    // another request has another id; a successful one logs nothing
    const ok = await post('{ health { status } }');
    expect(ok.headers.get('x-request-id')).not.toBe(requestId);
    expect(lines.filter((l) => l.requestId === ok.headers.get('x-request-id'))).toEqual([]);
  });

  it('logs job lines with the job id', async () => {
    const fx = await writeDataset('ImageID,Labels,Caption\n1.jpg,1,"a"\n2.jpg,2,"b"\n');
    const { data } = (await (await post(`mutation($i: ImportDatasetInput!) { importDataset(input: $i) { id } }`, { i: { name: 'observed', csvPath: fx.csvPath } })).json()) as any;
    const job = await waitForJob(client, data.importDataset.id);
    expect(job.status).toBe('SUCCEEDED');
    expect(lines.find((l) => l.jobId === job.id && l.msg === 'job succeeded')).toMatchObject({ kind: 'dataset-import', attempt: 1 });
  });

  it('redacts credentials and secrets wherever they sit', () => {
    app.log.info({ databaseUrl: 'postgresql://u:hunter2@h/db', req: { headers: { authorization: 'Bearer tf_hunter2', 'x-tagfusion-signature': 'sha256=hunter2', host: 'h' } }, webhook: { secret: 'hunter2' } }, 'with secrets');
    const line = lines.find((l) => l.msg === 'with secrets')!;
    expect(JSON.stringify(line)).not.toContain('hunter2');
    expect(line.req.headers).toEqual({ authorization: '[redacted]', 'x-tagfusion-signature': '[redacted]', host: 'h' });
  });

  it('serves Prometheus metrics: job counts, job durations, request latency and Node metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE tagfusion_jobs gauge');
    expect(text).toContain('# TYPE tagfusion_job_duration_seconds histogram');
    const m = parseMetrics(text);
    expect(m.get('tagfusion_jobs{kind="dataset-import",status="SUCCEEDED"}')).toBe(1);
    expect(m.get('tagfusion_jobs{kind="dataset-import",status="QUEUED"}')).toBe(0);
    expect(m.get('tagfusion_jobs{kind="dataset-import",status="RUNNING"}')).toBe(0);
    expect(m.get('tagfusion_metric_writes_waiting')).toBe(0);
    expect(m.get('tagfusion_job_duration_seconds_count{kind="dataset-import",status="SUCCEEDED"}')).toBe(1);
    const seconds = m.get('tagfusion_job_duration_seconds_sum{kind="dataset-import",status="SUCCEEDED"}')!;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(60);
    expect(m.get('tagfusion_job_duration_seconds_bucket{le="+Inf",kind="dataset-import",status="SUCCEEDED"}')).toBe(1);
    expect(m.get('tagfusion_graphql_request_duration_seconds_count{operation="query",outcome="ok"}')).toBeGreaterThanOrEqual(2);
    expect(m.get('tagfusion_graphql_request_duration_seconds_count{operation="mutation",outcome="error"}')).toBe(1);
    expect(m.get('tagfusion_graphql_request_duration_seconds_sum{operation="query",outcome="ok"}')).toBeGreaterThan(0);
    expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    // the gauge is read from the database on each scrape
    const fx = await writeDataset('ImageID,Labels,Caption\n1.jpg,1,"a"\n');
    const second = (await (await post(`mutation($i: ImportDatasetInput!) { importDataset(input: $i) { id } }`, { i: { name: 'second', csvPath: fx.csvPath } })).json()) as any;
    const after = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const imports = ['QUEUED', 'RUNNING', 'SUCCEEDED'].map((s) => after.get(`tagfusion_jobs{kind="dataset-import",status="${s}"}`)!);
    expect(imports.reduce((a, b) => a + b, 0)).toBe(2);
    // finished before the next test takes the database away from under the runner
    expect((await waitForJob(client, second.data.importDataset.id)).status).toBe('SUCCEEDED');
  });

  // Last: it stops the runner and breaks the database connection under the running server.
  it('logs an internal error with its request id and the error id the client sees', async () => {
    await app.runner?.stop();
    await app.db.prisma.$disconnect();
    await app.db.close();
    const res = await post('{ datasets { id } }');
    const requestId = res.headers.get('x-request-id');
    const body = (await res.json()) as any;
    expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(/^Internal server error \(id [0-9a-f-]{36}\)\.$/), extensions: { code: 'INTERNAL' } });
    const logged = lines.find((l) => l.msg === 'internal error in a GraphQL request' && l.errorId === body.errors[0].extensions.errorId);
    expect(logged).toMatchObject({ level: 50, requestId, err: { stack: expect.any(String) } });
  });
});
