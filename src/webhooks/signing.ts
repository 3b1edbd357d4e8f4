import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Headers of every delivery (lower case, as Node's http module hands them to receivers). */
export const HEADERS = {
  signature: 'x-tagfusion-signature',
  timestamp: 'x-tagfusion-timestamp',
  event: 'x-tagfusion-event',
  delivery: 'x-tagfusion-delivery',
} as const;

/** A new signing secret: 32 random bytes. */
export const newSecret = () => `whsec_${randomBytes(32).toString('hex')}`;

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<raw body>"). The timestamp (Unix seconds,
 * also sent in X-Tagfusion-Timestamp) is inside the signed text so that a captured delivery
 * cannot be replayed later with a fresh timestamp; receivers should refuse old timestamps.
 */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the signature over the raw body, compare in constant time,
 * and refuse a timestamp further than `toleranceSeconds` from now.
 */
export function verify(secret: string, body: string, signature: string | undefined, timestamp: string | undefined, toleranceSeconds = 300, now = Date.now()): boolean {
  const ts = Number(timestamp);
  if (!signature || !Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
