import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Says once which databases the integration tests run against, and gives the run one temporary
 * folder: every fixture, data folder and spawned server below it (TMPDIR, inherited by the test
 * processes) is removed at the end, so runs do not pile up folders in /tmp.
 * TAGFUSION_KEEP_TEST_FILES=1 keeps it for a post-mortem.
 */
export default function setup() {
  const url = process.env.TEST_DATABASE_URL;
  if (!url && process.env.TAGFUSION_REQUIRE_POSTGRES) {
    throw new Error('TAGFUSION_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not: the PostgreSQL half of the suite cannot run.');
  }
  console.log(
    url
      ? 'integration tests: embedded PGlite and PostgreSQL (TEST_DATABASE_URL)'
      : 'integration tests: embedded PGlite only. Set TEST_DATABASE_URL=postgresql://… to run them against PostgreSQL too (.ci/run does).',
  );
  const root = mkdtempSync(join(tmpdir(), 'tagfusion-tests-'));
  // a test's own PostgreSQL cluster runs as the postgres user and must reach its folder below
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (process.env.TAGFUSION_KEEP_TEST_FILES) console.log(`test files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
