import { expect } from 'vitest';
import { cliActor } from '../../src/registry/actor.js';
import type { TestServer } from '../support/server.js';

export interface Answer {
  status: number;
  body: any;
}

/**
 * The registry's REST calls as MLflow's Python client makes them (rest_utils.call_endpoint): GET
 * fields in the query string (a list repeats its name), POST, PATCH and DELETE fields as a JSON
 * body, the token as `Authorization: Bearer` (MLFLOW_TRACKING_TOKEN).
 */
export function registryClient(server: TestServer, token?: string) {
  const base = server.http.url.replace('/graphql', '/api/2.0/mlflow');
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, fields: Record<string, unknown> = {}): Promise<Answer> => {
    let res: Response;
    if (method === 'GET') {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
      res = await fetch(`${base}/${path}?${qs}`, { headers: auth });
    } else res = await fetch(`${base}/${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(fields) });
    return { status: res.status, body: await res.json() };
  };
}

export type RegistryClient = ReturnType<typeof registryClient>;

/** Clients acting as an admin, an editor and a viewer, on a server that requires tokens. */
export async function clients(server: TestServer) {
  const token = async (role: 'admin' | 'editor' | 'viewer') => (await server.app.services.auth.create(cliActor(), { name: `mlflow-${role}`, role })).secret;
  return { admin: registryClient(server, await token('admin')), editor: registryClient(server, await token('editor')), viewer: registryClient(server, await token('viewer')), anonymous: registryClient(server) };
}

/** MLflow's error answer for a catalogue code. */
export const mlflowError = (status: number, error_code: string) => ({ status, body: { error_code, message: expect.any(String) } });
