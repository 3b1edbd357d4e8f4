// ESLint lints the public GraphQL schema only (npm run lint:schema); TypeScript is checked by tsc.
// The rules and why each is on or off are listed in docs/ARCHITECTURE.md ("Schema lint").
import graphql from '@graphql-eslint/eslint-plugin';

export default [
  {
    files: ['src/schema/**/*.graphql'],
    languageOptions: {
      parser: graphql.parser,
      parserOptions: { graphQLConfig: { schema: 'src/schema/*.graphql' } },
    },
    plugins: { '@graphql-eslint': graphql },
    rules: {
      ...graphql.configs['flat/schema-recommended'].rules,
      // Value objects (Health, PageInfo, MetricCurve…) have no identity of their own.
      '@graphql-eslint/strict-id-in-types': 'off',
      // The house describes what a client calls (root fields), not every type.
      '@graphql-eslint/require-description': ['error', { rootField: true }],
      // Connections page forward only; no Node interface (ids are per type).
      '@graphql-eslint/relay-arguments': ['error', { includeBoth: false }],
      '@graphql-eslint/relay-edge-types': ['error', { withEdgeSuffix: true, shouldImplementNode: false, listTypeCanWrapOnlyEdgeType: false }],
    },
  },
];
