#!/usr/bin/env node
// Entry point of the `tagfusion` command; the CLI is compiled to dist/ by `npm run build`.
// Unless told otherwise, run as production: graphql-js and Express skip development-only checks
// (graphql's instanceOf alone cost 4% of the server's time under load).
process.env.NODE_ENV ??= 'production';
await import('../dist/cli/index.js');
