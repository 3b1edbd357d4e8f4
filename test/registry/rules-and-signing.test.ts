import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { promotionRefusal, promotionRuleSchema, ruleGuards } from '../../src/registry/promotion.js';
import { sign, verify } from '../../src/webhooks/signing.js';

const rule = (r: Record<string, unknown>) => promotionRuleSchema.parse(r);
const v = (version: number, macroF1?: number, loss?: number) => ({ version, metrics: { val: { ...(macroF1 === undefined ? {} : { macroF1 }), ...(loss === undefined ? {} : { loss }) } } });

describe('promotion rules', () => {
  it('compares with the version holding an alias, and passes when that alias is unset', () => {
    const r = rule({ metric: 'macroF1', comparison: 'GTE', againstAlias: 'champion' });
    expect(r).toEqual({ alias: null, metric: 'macroF1', split: 'val', comparison: 'GTE', againstAlias: 'champion', threshold: null });
    expect(promotionRefusal(r, v(2, 0.8), v(1, 0.8))).toBeNull();
    expect(promotionRefusal(r, v(2, 0.79), v(1, 0.8))).toBe('val macroF1 of version 2 is 0.7900 and must be ≥ 0.8000, the val macroF1 of version 1 (champion)');
    expect(promotionRefusal(r, v(2, 0.1), null)).toBeNull();
    expect(promotionRefusal(rule({ metric: 'macroF1', comparison: 'GT', againstAlias: 'champion' }), v(2, 0.8), v(1, 0.8))).toMatch(/must be > 0\.8000/);
  });

  it('compares with a fixed value, either way', () => {
    expect(promotionRefusal(rule({ metric: 'loss', comparison: 'LT', threshold: 0.3 }), v(3, undefined, 0.3), null)).toBe('val loss of version 3 is 0.3000 and must be < 0.3');
    expect(promotionRefusal(rule({ metric: 'loss', comparison: 'LTE', threshold: 0.3 }), v(3, undefined, 0.3), null)).toBeNull();
  });

  it('refuses a version without the metric, and a reference without it', () => {
    const r = rule({ metric: 'macroF1', split: 'test', comparison: 'GTE', threshold: 0.5 });
    expect(promotionRefusal(r, v(1, 0.9), null)).toBe('version 1 has no test macroF1 metric');
    const against = rule({ metric: 'loss', comparison: 'LTE', againstAlias: 'champion' });
    expect(promotionRefusal(against, v(2, 0.9, 0.1), v(1, 0.9))).toBe('version 1 (champion) has no val loss metric to compare with');
  });

  it('guards one alias or all, and needs exactly one reference', () => {
    expect(ruleGuards(rule({ alias: 'champion', metric: 'm', comparison: 'GT', threshold: 0 }), 'challenger')).toBe(false);
    expect(ruleGuards(rule({ alias: 'champion', metric: 'm', comparison: 'GT', threshold: 0 }), 'champion')).toBe(true);
    expect(ruleGuards(rule({ metric: 'm', comparison: 'GT', threshold: 0 }), 'anything')).toBe(true);
    expect(promotionRuleSchema.safeParse({ metric: 'm', comparison: 'GT' }).success).toBe(false);
    expect(promotionRuleSchema.safeParse({ metric: 'm', comparison: 'GT', threshold: 1, againstAlias: 'a' }).success).toBe(false);
    expect(promotionRuleSchema.safeParse({ metric: 'm', comparison: 'EQ', threshold: 1 }).success).toBe(false);
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"event":"PING"}';
  const now = 1_800_000_000_000;
  const ts = now / 1000;

  it('are HMAC-SHA256 over "<timestamp>.<raw body>"', () => {
    expect(sign(secret, ts, body)).toBe(`sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
  });

  it('verify only with the same secret, body and timestamp, within the tolerance', () => {
    const sig = sign(secret, ts, body);
    expect(verify(secret, body, sig, String(ts), 300, now)).toBe(true);
    expect(verify('whsec_other', body, sig, String(ts), 300, now)).toBe(false);
    expect(verify(secret, body + ' ', sig, String(ts), 300, now)).toBe(false);
    expect(verify(secret, body, sig, String(ts + 1), 300, now)).toBe(false);
    expect(verify(secret, body, sig, String(ts), 300, now + 301_000)).toBe(false);
    expect(verify(secret, body, undefined, String(ts), 300, now)).toBe(false);
    expect(verify(secret, body, 'sha256=00', String(ts), 300, now)).toBe(false);
  });
});
