import { AppError, isAppError } from '../../errors.js';
import type { ShownToken } from '../token.js';
import type { RemoteApi } from './api.js';

const FIELDS = 'id name role prefix createdBy createdAt lastUsedAt revokedAt';

/** A token as the API answers it (role VIEWER…), as the CLI shows it (viewer…, as stored). */
const shown = (t: ShownToken): ShownToken => ({ id: t.id, name: t.name, role: t.role.toLowerCase(), prefix: t.prefix, createdBy: t.createdBy, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt });

/** The server refused: say how to get past it (the first admin token is made with the server stopped). */
const withHint = (api: RemoteApi) => (err: unknown): never => {
  if (isAppError(err) && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN'))
    throw new AppError(err.code, `${err.message} Token commands went to the server at ${api.url}, which holds this data folder: set TAGFUSION_TOKEN to an admin token, or stop the server to act on the database directly.`);
  throw err;
};

/** `tagfusion token …` through a running server: its admin-only token mutations and query, as TAGFUSION_TOKEN's holder. */
export const remoteTokens = (api: RemoteApi) => ({
  async create(name: string, role: string): Promise<{ token: ShownToken; secret: string }> {
    const { createApiToken: c } = await api.request<{ createApiToken: { token: ShownToken; secret: string } }>(`mutation($n: String!, $r: ApiRole!) { createApiToken(name: $n, role: $r) { token { ${FIELDS} } secret } }`, {
      n: name,
      r: role.toUpperCase(),
    }).catch(withHint(api));
    return { token: shown(c.token), secret: c.secret };
  },
  async list(): Promise<ShownToken[]> {
    return (await api.request<{ apiTokens: ShownToken[] }>(`{ apiTokens { ${FIELDS} } }`).catch(withHint(api))).apiTokens.map(shown);
  },
  async revoke(id: string): Promise<ShownToken> {
    return shown((await api.request<{ revokeApiToken: ShownToken }>(`mutation($id: ID!) { revokeApiToken(id: $id) { ${FIELDS} } }`, { id }).catch(withHint(api))).revokeApiToken);
  },
});
