import { z } from 'zod';
import { isAdmin, type Actor } from '../registry/actor.js';

const parsed = (u: string) => (URL.canParse(u) ? new URL(u) : null);

/** True when the URL carries a user name or password (`https://user:pass@host/`). */
export const hasUserinfo = (url: URL) => url.username !== '' || url.password !== '';

/**
 * A webhook URL as `createWebhook` accepts it. Credentials in the URL are refused: they would be
 * stored and shown like the rest of it; a receiver that needs a token takes it in the path or
 * query, which only admins read, or checks the signature.
 */
export const webhookUrl = z
  .string()
  .max(2000)
  .refine((u) => ['http:', 'https:'].includes(parsed(u)?.protocol ?? ''), 'must be an http:// or https:// URL')
  .refine((u) => !parsed(u) || !hasUserinfo(parsed(u)!), 'must not hold a user name or password (user:pass@)');

/**
 * The URL as someone who is not an admin reads it: scheme, host and port. Paths and queries of
 * chat and CI webhooks carry tokens (`/services/T0/B0/XXXX`, `?token=`), and viewers read webhooks.
 */
export function redactedUrl(url: string): string {
  const u = parsed(url);
  return u ? `${u.origin}/…` : '…';
}

/** The URL as `actor` may read it: whole for admins, redacted for everyone else. */
export const urlFor = (actor: Actor, url: string) => (isAdmin(actor) ? url : redactedUrl(url));
