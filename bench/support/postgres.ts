export { withClient } from '../../test/support/databases.js';

/** The admin connection benchmarks create their databases with (BENCH_DATABASE_URL). */
export const benchAdminUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://tagfusion:tagfusion@127.0.0.1:5432/tagfusion';

/** The URL of the benchmark database `name` on the admin connection's server. */
export const benchDatabaseUrl = (name: string) => Object.assign(new URL(benchAdminUrl), { pathname: `/${name}` }).toString();

/** Runs a seeding step and prints how long it took. */
export async function timed(label: string, fn: () => Promise<unknown>) {
  const t0 = performance.now();
  await fn();
  console.log(`  ${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
