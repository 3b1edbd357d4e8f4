import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../config.js';

/**
 * Who may reach the server from a browser. Open mode hands the local admin role to any caller,
 * so a web page the user visits must not be one: browsers let any page open a WebSocket to
 * 127.0.0.1 (no same-origin rule for WebSockets) and, through DNS rebinding, send HTTP requests
 * to it under a name of the attacker's. The two checks close both doors, as Jupyter and MLflow
 * did for the same class of bug.
 */
export interface OriginPolicy {
  /** open mode: only loopback Host names are answered */
  loopbackHostsOnly: boolean;
  /** origins besides the server's own that may open WebSockets and send writes (TAGFUSION_ALLOWED_ORIGINS) */
  allowedOrigins: readonly string[];
}

export type Refusal = { status: 403; code: 'HOST_NOT_ALLOWED' | 'ORIGIN_NOT_ALLOWED'; message: string };

/** The host name of a Host header value (`localhost:4000`, `[::1]:4000`), lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/** An Origin value in its canonical `scheme://host[:port]` form, or undefined when it is not a URL origin. */
function canonicalOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a request must be refused, or undefined. The Host check applies in open mode; the Origin
 * check to every request that carries one when `checkOrigin` (WebSocket upgrades and writes).
 * Same origin means the Origin's host:port equals the Host header: a TLS proxy in front changes
 * the scheme, not the host. Clients that are not browsers send no Origin and are not affected.
 */
export function refusal(req: Pick<IncomingMessage, 'headers'>, policy: OriginPolicy, checkOrigin: boolean): Refusal | undefined {
  const host = req.headers.host ?? '';
  if (policy.loopbackHostsOnly && !isLoopbackHost(hostName(host))) {
    return { status: 403, code: 'HOST_NOT_ALLOWED', message: 'This server runs without API tokens (open mode) and answers only loopback host names (localhost, 127.0.0.1, [::1]).' };
  }
  const origin = req.headers.origin;
  if (!checkOrigin || origin === undefined) return undefined;
  const canonical = canonicalOrigin(origin);
  const same = canonical !== undefined && new URL(canonical).host === host.trim().toLowerCase();
  if (same || (canonical !== undefined && policy.allowedOrigins.includes(canonical))) return undefined;
  return { status: 403, code: 'ORIGIN_NOT_ALLOWED', message: 'Requests from another web origin are refused; an operator may allow one with TAGFUSION_ALLOWED_ORIGINS.' };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Express middleware: the Host check on every request, the Origin check on writes. */
export function guardRequests(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    const refused = refusal(req, policy, !SAFE_METHODS.has(req.method));
    if (!refused) return next();
    res.status(refused.status).json({ error: { code: refused.code, message: refused.message } });
  };
}
