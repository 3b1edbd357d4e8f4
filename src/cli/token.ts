import type { ApiTokenInfo } from '../auth/service.js';
import { cliActor } from '../registry/actor.js';
import { withDirectApp } from './direct-app.js';
import { remoteApi } from './remote/target.js';
import { remoteTokens } from './remote/tokens.js';

/**
 * Token commands act on the database directly, as the local admin: whoever can run the CLI on
 * the server owns its data anyway. That is how the first admin token of a server is made.
 * Beside a running server (which holds the data folder) they go through its admin-only token
 * API instead, as TAGFUSION_TOKEN's holder.
 * Logs go to stderr (withDirectApp), so `--json` output stays parseable even when the start applies migrations.
 */

/** A token as the commands print it (never a secret or hash), the same through a server or in-process. */
export interface ShownToken {
  id: string;
  name: string;
  role: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const print = (json: boolean, value: unknown, text: string) => process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text);
const day = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : 'never');
const shown = (t: ApiTokenInfo): ShownToken => ({
  id: t.id,
  name: t.name,
  role: t.role,
  prefix: t.prefix,
  createdBy: t.createdBy,
  createdAt: t.createdAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

/** The token operations, through the server that holds the data folder or on the database here. */
async function withTokens<T>(fn: (tokens: ReturnType<typeof remoteTokens>) => Promise<T>): Promise<T> {
  const api = remoteApi();
  if (api) return fn(remoteTokens(api));
  return withDirectApp((app) =>
    fn({
      create: async (name, role) => {
        const { token, secret } = await app.services.auth.create(cliActor(), { name, role });
        return { token: shown(token), secret };
      },
      list: async () => (await app.services.auth.list(cliActor())).map(shown),
      revoke: async (id) => shown(await app.services.auth.revoke(cliActor(), id)),
    }),
  );
}

/** `tagfusion token create`: prints the new token's secret, the only time it is shown. */
export async function tokenCreateCommand(o: { name: string; role: string; json?: boolean }) {
  const { token, secret } = await withTokens((t) => t.create(o.name, o.role));
  const text =
    `created ${token.role} token ${token.id} "${token.name}"\n${secret}\n` +
    `This secret is shown once: store it now. Send it as "Authorization: Bearer <secret>".\n`;
  print(Boolean(o.json), { ...token, secret }, text);
}

/** `tagfusion token list`: every token (never a secret or hash), newest first. */
export async function tokenListCommand(o: { json?: boolean }) {
  const tokens = await withTokens((t) => t.list());
  const line = (t: ShownToken) =>
    `${t.id}  ${t.prefix}…  ${t.role.padEnd(6)}  ${t.name}  created ${day(t.createdAt)} by ${t.createdBy}  last used ${day(t.lastUsedAt)}${t.revokedAt ? `  REVOKED ${day(t.revokedAt)}` : ''}\n`;
  print(Boolean(o.json), tokens, tokens.length ? tokens.map(line).join('') : 'no API tokens\n');
}

/** `tagfusion token revoke`: the token's next request is refused. */
export async function tokenRevokeCommand(id: string, o: { json?: boolean }) {
  const token = await withTokens((t) => t.revoke(id));
  print(Boolean(o.json), token, `revoked token ${token.id} "${token.name}" (${token.role})\n`);
}
