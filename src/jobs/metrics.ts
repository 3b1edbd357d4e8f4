import { Histogram } from 'prom-client';
import type { Database } from '../db/database.js';
import { JobStatus } from '../db/generated/enums.js';

/**
 * How long jobs take, from claim to final status, by kind and that status. Kept per process (like
 * Node's own metrics): the runner observes it, the /metrics endpoint exposes it. Buckets span a
 * text-only import (well under a second) to a fine-tuning run (hours).
 */
export const jobDuration = new Histogram({
  name: 'tagfusion_job_duration_seconds',
  help: 'Time from a job attempt starting to the job finishing, by kind and final status.',
  labelNames: ['kind', 'status'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
  registers: [],
});

/**
 * Jobs by kind and status, from the Job table: the queue depth every worker process sees alike.
 * Every known kind × status is present, zero included, so that an alert on a series that has not
 * happened yet still has a series to watch.
 */
export async function jobCounts(db: Database, kinds: Iterable<string>): Promise<{ kind: string; status: JobStatus; count: number }[]> {
  const rows = await db.prisma.job.groupBy({ by: ['kind', 'status'], _count: { _all: true } });
  const counts = new Map(rows.map((r) => [`${r.kind}\t${r.status}`, r._count._all]));
  const allKinds = new Set([...kinds, ...rows.map((r) => r.kind)]);
  return [...allKinds].flatMap((kind) => Object.values(JobStatus).map((status) => ({ kind, status, count: counts.get(`${kind}\t${status}`) ?? 0 })));
}
