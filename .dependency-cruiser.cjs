// The allowed import directions between folders of src/ (npm run lint:deps; issue 15).
// Not in CI yet: today's code breaks both rules, and the thread-boundary refactor fixes them.
// Type-only imports count: a folder that needs another's types depends on it as much.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'A folder of src/ must not reach itself through other folders: src/a → src/b → … → src/a. ' +
        'Top-level files (src/app.ts, src/config.ts…) are no folder and take part in no cycle.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/[^/]+$' },
      to: { path: '^src/[^/]+$', circular: true },
    },
    {
      name: 'workers-stand-on-ml-and-util',
      comment: 'Thread entry points (src/workers/) load only src/ml, src/util, each other and packages, ' +
        'so a worker thread never pulls in a domain, its database or its job queue.',
      severity: 'error',
      from: { path: '^src/workers/' },
      to: { path: '^src/', pathNot: '^src/(workers|ml|util)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '__generated__' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Sources import './x.js' and the file is x.ts.
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
