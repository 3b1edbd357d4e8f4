/** Says once which databases the integration tests run against. */
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
}
