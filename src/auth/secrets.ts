import { createHash, randomBytes } from 'node:crypto';

/** Every secret starts so; scanners and people can tell a tagfusion token at a glance. */
export const TOKEN_PREFIX = 'tf_';

/** Characters of the secret kept in the clear (`tf_` and 7 more), to tell tokens apart in lists. */
const SHOWN = 10;

/**
 * A new API token: 32 random bytes (256 bits, so the unsalted sha256 below cannot be brute
 * forced, unlike a password) as base64url after `tf_`.
 */
export function newTokenSecret(): { secret: string; hash: string; prefix: string } {
  const secret = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { secret, hash: hashToken(secret), prefix: secret.slice(0, SHOWN) };
}

/** What the database stores and looks tokens up by: the hex sha256 of the whole secret. */
export const hashToken = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** The token of an `Authorization: Bearer <token>` value; undefined when it is not one. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
