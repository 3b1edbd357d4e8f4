#!/usr/bin/env node
// Entry point of the `tagfusion` command; the CLI is compiled to dist/ by `npm run build`.
import '../dist/cli/index.js';
