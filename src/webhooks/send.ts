import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { HEADERS, sign } from './signing.js';
import { resolveTarget, type Address } from './target.js';
import { hasUserinfo } from './url.js';

/** A receiver that does not answer in this time counts as failed (the attempt is retried). */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendOutcome {
  ok: boolean;
  /** why the target is not allowed (its address, credentials in its URL): retrying cannot help */
  refused: string | null;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs one signed delivery. Any 2xx answer is success; redirects are not followed (a webhook
 * that moved must be registered again), so a 3xx fails like a 4xx or 5xx. The host is resolved
 * and every address checked (src/webhooks/target.ts) on each attempt, and the connection goes to
 * the checked address: a name that resolves elsewhere a moment later (DNS rebinding) cannot
 * redirect it. The error text never holds the URL (it may carry a token) nor the secret: it is
 * stored and logged.
 */
export async function sendDelivery(
  target: { url: string; secret: string },
  delivery: { id: string; event: string; body: string },
  options: { signal: AbortSignal; allowPrivate: boolean },
): Promise<SendOutcome> {
  const started = performance.now();
  const failed = (error: string, refused: string | null = null): SendOutcome => ({ ok: false, refused, statusCode: null, error, durationMs: Math.round(performance.now() - started) });
  const refuse = (reason: string) => failed(`refused: ${reason}`, reason);
  const url = new URL(target.url);
  // Refused at creation; a row from before that rule is not sent with its credentials dropped.
  if (hasUserinfo(url)) return refuse('its URL holds a user name or password');
  const resolved = await resolveTarget(url, options.allowPrivate);
  if (!resolved.ok) return resolved.refused ? refuse(resolved.reason) : failed(`could not be reached: ${resolved.reason}`);
  const timeout = AbortSignal.timeout(DELIVERY_TIMEOUT_MS);
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const statusCode = await postPinned(url, resolved.addresses, AbortSignal.any([options.signal, timeout]), delivery.body, {
      'content-type': 'application/json',
      'user-agent': 'tagfusion-webhooks',
      [HEADERS.event]: delivery.event,
      [HEADERS.delivery]: delivery.id,
      [HEADERS.timestamp]: String(timestamp),
      [HEADERS.signature]: sign(target.secret, timestamp, delivery.body),
    });
    const ok = statusCode >= 200 && statusCode < 300;
    return { ok, refused: null, statusCode, error: ok ? null : `answered HTTP ${statusCode}`, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    if (timeout.aborted) return failed(`could not be reached: no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`);
    // Only the error code (ECONNREFUSED, CERT_HAS_EXPIRED…): Node's messages name the host and port.
    const code = (err as { code?: unknown }).code;
    return failed(`could not be reached: ${typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'the connection failed'}`);
  }
}

/**
 * One POST to `url` over a connection to one of the `pinned` addresses, resolving with the
 * answer's status. Node asks for all of them when it tries both families (happy eyeballs), else
 * for one. TLS still checks the certificate against the URL's host name: only the address lookup
 * is replaced. `agent: false` gives every delivery its own connection, never one from another check.
 */
export function postPinned(url: URL, pinned: Address[], signal: AbortSignal, body: string, headers: Record<string, string>): Promise<number> {
  const lookup: LookupFunction = (_host, opts, callback) => {
    if (opts.all) callback(null, pinned);
    else callback(null, pinned[0].address, pinned[0].family);
  };
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request({
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: false,
      lookup,
      signal,
    });
    req.on('response', (res) => {
      // The body is not needed; it is drained so that the receiver can finish, and the timeout
      // still ends a connection that trickles it forever.
      res.on('error', () => undefined);
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}
