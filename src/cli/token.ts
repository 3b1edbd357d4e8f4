import type { ApiTokenInfo } from '../auth/service.js';
import { cliActor } from '../registry/actor.js';
import { withDirectApp } from './direct-app.js';

/**
 * Token commands act on the database directly, as the local admin: whoever can run the CLI on
 * the server owns its data anyway. That is how the first admin token of a server is made.
 * Logs go to stderr (withDirectApp), so `--json` output stays parseable even when the start applies migrations.
 */

const print = (json: boolean, value: unknown, text: string) => process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text);
const day = (d: Date | null) => (d ? d.toISOString().slice(0, 19).replace('T', ' ') : 'never');
const shown = (t: ApiTokenInfo) => ({ ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null, revokedAt: t.revokedAt?.toISOString() ?? null });

/** `tagfusion token create`: prints the new token's secret, the only time it is shown. */
export async function tokenCreateCommand(o: { name: string; role: string; json?: boolean }) {
  await withDirectApp(async (app) => {
    const { token, secret } = await app.services.auth.create(cliActor(), { name: o.name, role: o.role });
    const text =
      `created ${token.role} token ${token.id} "${token.name}"\n${secret}\n` +
      `This secret is shown once: store it now. Send it as "Authorization: Bearer <secret>".\n`;
    print(Boolean(o.json), { ...shown(token), secret }, text);
  });
}

/** `tagfusion token list`: every token (never a secret or hash), newest first. */
export async function tokenListCommand(o: { json?: boolean }) {
  await withDirectApp(async (app) => {
    const tokens = await app.services.auth.list(cliActor());
    const line = (t: ApiTokenInfo) =>
      `${t.id}  ${t.prefix}…  ${t.role.padEnd(6)}  ${t.name}  created ${day(t.createdAt)} by ${t.createdBy}  last used ${day(t.lastUsedAt)}${t.revokedAt ? `  REVOKED ${day(t.revokedAt)}` : ''}\n`;
    print(Boolean(o.json), tokens.map(shown), tokens.length ? tokens.map(line).join('') : 'no API tokens\n');
  });
}

/** `tagfusion token revoke`: the token's next request is refused. */
export async function tokenRevokeCommand(id: string, o: { json?: boolean }) {
  await withDirectApp(async (app) => {
    const token = await app.services.auth.revoke(cliActor(), id);
    print(Boolean(o.json), shown(token), `revoked token ${token.id} "${token.name}" (${token.role})\n`);
  });
}
