import { startApp, type App } from '../../src/app.js';
import { startHttpServer, type HttpServer } from '../../src/server/http.js';
import { createTestDatabase, type DbKind, type TestDatabase } from './databases.js';

export interface GraphQLResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown>; path?: string[] }[];
}

export interface TestServer {
  app: App;
  http: HttpServer;
  db: TestDatabase;
  /** POSTs a GraphQL operation and returns the parsed body */
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
  /** like gql, but fails the test on any error */
  data<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** gql and data sending `Authorization: Bearer <token>` (for servers with TAGFUSION_AUTH=required) */
  withToken(token: string): Pick<TestServer, 'gql' | 'data'>;
  close(): Promise<void>;
}

/** A real server on a free port, over a fresh database of the given kind. */
export async function startTestServer(kind: DbKind, options: { workJobs?: boolean; env?: Record<string, string> } = {}): Promise<TestServer> {
  const db = await createTestDatabase(kind, options.env);
  const app = await startApp(db.config, { workJobs: options.workJobs ?? true });
  const http = await startHttpServer(app, 0, '127.0.0.1');
  const client = (token?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const gql = async (query: string, variables?: Record<string, unknown>) => {
      const res = await fetch(http.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as GraphQLResult;
    };
    const data = async (query: string, variables?: Record<string, unknown>) => {
      const r = await gql(query, variables);
      if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
      return r.data;
    };
    return { gql, data };
  };
  return {
    app,
    http,
    db,
    ...client(),
    withToken: (token) => client(token),
    async close() {
      await http.close();
      await app.close();
      await db.drop();
    },
  };
}
