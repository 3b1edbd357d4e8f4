import { HEADERS, sign } from './signing.js';

/** A receiver that does not answer in this time counts as failed (the attempt is retried). */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs one signed delivery. Any 2xx answer is success; redirects are not followed (a webhook
 * that moved must be registered again), so a 3xx fails like a 4xx or 5xx. The error text never
 * holds the URL (it may carry a token) nor the secret: it is stored and logged.
 */
export async function sendDelivery(
  target: { url: string; secret: string },
  delivery: { id: string; event: string; body: string },
  signal: AbortSignal,
): Promise<SendOutcome> {
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tagfusion-webhooks',
        [HEADERS.event]: delivery.event,
        [HEADERS.delivery]: delivery.id,
        [HEADERS.timestamp]: String(timestamp),
        [HEADERS.signature]: sign(target.secret, timestamp, delivery.body),
      },
      body: delivery.body,
    });
    // The body is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, statusCode: res.status, error: ok ? null : `answered HTTP ${res.status}`, durationMs: elapsed() };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, statusCode: null, error: `could not be reached: ${reason}`, durationMs: elapsed() };
  }
}
