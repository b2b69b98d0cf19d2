import { DEFAULT_RULES, parseRuleSet } from '../../../layers/core/src/offers/config.js';
import { effectiveStatus, factsWindowDays, percentileOf, recentExtras, stableJson } from '../../../layers/core/src/offers/offer-service.js';
import { pooledPercentiles } from '../../../layers/core/src/mining-job/job.js';
import { quantileGrid } from '../../../layers/core/src/mining/segments.js';

const tp = (type: string, occurredAt: string, data: Record<string, unknown> = {}, id = `${type}-${occurredAt}`) => ({
  id,
  type,
  occurredAt,
  data,
});

describe('recentExtras: what the window of touchpoints tells the rules', () => {
  it('keeps the latest complaint, low rating, payment failure, cancellation and profile update', () => {
    const extras = recentExtras(
      [
        tp('ticket_opened', '2026-11-01T00:00:00Z', { complaint: true }),
        tp('ticket_opened', '2026-11-20T00:00:00Z', { complaint: false }),
        tp('ticket_opened', '2026-11-10T00:00:00Z', { complaint: true }),
        tp('satisfaction_rated', '2026-11-12T00:00:00Z', { score: 2 }),
        tp('satisfaction_rated', '2026-11-15T00:00:00Z', { score: 3 }),
        tp('payment_failed', '2026-11-05T00:00:00Z'),
        tp('subscription_cancelled', '2026-11-06T00:00:00Z'),
        tp('profile_updated', '2026-11-07T00:00:00Z'),
      ],
      DEFAULT_RULES,
    );
    expect(extras).toMatchObject({
      lastComplaintAt: '2026-11-10T00:00:00Z',
      lastLowRatingAt: '2026-11-12T00:00:00Z',
      lastPaymentFailureAt: '2026-11-05T00:00:00Z',
      lastCancellationAt: '2026-11-06T00:00:00Z',
      profileUpdatedAt: '2026-11-07T00:00:00Z',
    });
  });

  it('follows the configured low-rating threshold', () => {
    const rules = parseRuleSet({ rules: { 'sell-after-complaint': { satisfactionAtMost: 3 } } });
    expect(recentExtras([tp('satisfaction_rated', '2026-11-15T00:00:00Z', { score: 3 })], rules).lastLowRatingAt).toBe(
      '2026-11-15T00:00:00Z',
    );
    expect(recentExtras([tp('satisfaction_rated', '2026-11-15T00:00:00Z', { score: 3 })], DEFAULT_RULES).lastLowRatingAt).toBeUndefined();
  });

  it('counts one email contact per message however often it was opened or clicked, dated by the first', () => {
    const { recentContacts } = recentExtras(
      [
        tp('email_opened', '2026-11-02T00:00:00Z', { messageId: 'm1' }),
        tp('email_clicked', '2026-11-01T00:00:00Z', { messageId: 'm1' }),
        tp('email_opened', '2026-11-03T00:00:00Z', { campaignId: 'spring' }),
        tp('web_visit', '2026-11-03T00:00:00Z'),
      ],
      DEFAULT_RULES,
    );
    expect(recentContacts).toEqual([
      { channel: 'email', at: '2026-11-01T00:00:00Z', kind: 'message', ref: 'm1' },
      { channel: 'email', at: '2026-11-03T00:00:00Z', kind: 'message', ref: 'spring' },
    ]);
  });
});

describe('factsWindowDays', () => {
  it('is the longest rule window plus a day', () => {
    expect(factsWindowDays(DEFAULT_RULES)).toBe(31);
    expect(factsWindowDays(parseRuleSet({ rules: { 'quiet-period': { days: 90 } } }))).toBe(91);
  });
});

describe('effectiveStatus', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('reads an active offer past its last valid day as expired, and only then', () => {
    expect(effectiveStatus({ status: 'active', validUntil: '2026-11-22' }, now)).toBe('expired');
    expect(effectiveStatus({ status: 'active', validUntil: '2026-11-23' }, now)).toBe('active');
    expect(effectiveStatus({ status: 'active' }, now)).toBe('active');
    expect(effectiveStatus({ status: 'accepted', validUntil: '2026-01-01' }, now)).toBe('accepted');
  });
});

describe('stableJson (the Idempotency-Key request hash input)', () => {
  it('ignores key order and undefined fields, keeps array order', () => {
    expect(stableJson({ b: 1, a: { d: [2, 1], c: undefined } })).toBe(stableJson({ a: { d: [2, 1] }, b: 1 }));
    expect(stableJson({ a: [1, 2] })).not.toBe(stableJson({ a: [2, 1] }));
  });
});

describe('CLV percentiles for the top tier', () => {
  it('percentileOf interpolates in a 101-point grid', () => {
    const grid = Array.from({ length: 101 }, (_, i) => i * 10);
    expect(percentileOf(grid, 90)).toBe(900);
    expect(percentileOf(grid, 90.5)).toBeCloseTo(905, 9);
    expect(percentileOf(grid, 150)).toBe(1000);
  });

  it('pooling shard grids weighted by shard size lands within a grid step of the exact percentile', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const shards = [3000, 500, 1500].map((n, s) => Array.from({ length: n }, () => Math.round(-Math.log(rand()) * 10_000 * (s + 1))));
    const pooled = pooledPercentiles(shards.map((values) => ({ customers: values.length, clvGrid: quantileGrid(values, 101) })))!;
    const exact = quantileGrid(shards.flat(), 101);
    expect(pooled).toHaveLength(101);
    for (const pct of [50, 80, 90, 95]) {
      expect(Math.abs(pooled[pct]! - exact[pct]!) / exact[pct]!).toBeLessThan(0.05);
    }
    expect(pooledPercentiles([{ customers: 4 }])).toBeUndefined();
  });
});

describe('ago (messages)', () => {
  it('counts calendar days, not 24-hour periods', async () => {
    const { ago } = await import('../../../layers/core/src/offers/rules/shared.js');
    const now = new Date('2026-11-28T09:00:00Z');
    expect(ago('2026-11-26T20:00:00Z', now)).toBe('2 days ago');
    expect(ago('2026-11-27T23:00:00Z', now)).toBe('yesterday');
    expect(ago('2026-11-28T01:00:00Z', now)).toBe('today');
  });
});
