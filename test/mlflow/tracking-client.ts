import { cliActor } from '../../src/registry/actor.js';
import type { TestServer } from '../support/server.js';

export interface MlflowAnswer {
  status: number;
  body: any;
}

/**
 * An MLflow REST client as MLflow's Python client calls the server (rest_utils.call_endpoint): a
 * GET sends its fields as the query string (a list repeats the name), a POST as a JSON body,
 * with the token as `Authorization: Bearer` (MLFLOW_TRACKING_TOKEN).
 */
export function mlflowClient(server: TestServer, token?: string, prefix = '/api/2.0/mlflow') {
  const base = server.http.url.replace('/graphql', prefix);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const answer = async (res: Response): Promise<MlflowAnswer> => ({ status: res.status, body: await res.json() });
  return {
    get: async (path: string, query: Record<string, unknown> = {}) => {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
      return answer(await fetch(`${base}${path}?${qs}`, { headers }));
    },
    post: async (path: string, body: unknown = {}) =>
      answer(await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })),
  };
}

export type MlflowClient = ReturnType<typeof mlflowClient>;

/** An editor's and a viewer's MLflow clients on a server that requires tokens. */
export async function editorAndViewer(server: TestServer): Promise<{ editor: MlflowClient; viewer: MlflowClient; editorToken: string }> {
  const make = async (role: 'editor' | 'viewer') => (await server.app.services.auth.create(cliActor(), { name: role, role })).secret;
  const editorToken = await make('editor');
  return { editor: mlflowClient(server, editorToken), viewer: mlflowClient(server, await make('viewer')), editorToken };
}

/** tagfusion's spelling (a UUID) of an MLflow run id (32 hex digits). */
export const dashed = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** MLflow's error answer: its status and error_code. */
export const mlflowError = (a: MlflowAnswer) => ({ status: a.status, error_code: a.body.error_code });

/** Expects a 200 and returns the body; otherwise fails with what the server said. */
export function ok(a: MlflowAnswer): any {
  if (a.status !== 200) throw new Error(`expected 200, got ${a.status}: ${JSON.stringify(a.body)}`);
  return a.body;
}
