import fc from 'fast-check';
import {
  assignmentsToCredit,
  creditOf,
  creditStands,
  matchedRevenue,
  netRevenueOf,
  offerToConvert,
  type AttributablePurchase,
} from '../../../layers/core/src/campaigns/attribution.js';
import { campaignResults, type AssignmentOutcome } from '../../../layers/core/src/campaigns/results.js';
import { normalizeCampaignId } from '../../../layers/core/src/campaigns/schema.js';

const purchase = (over: Partial<AttributablePurchase> = {}): AttributablePurchase => ({
  touchpointId: 'generic:evt-1',
  orderKey: 'generic:o-1',
  occurredAt: '2026-06-10T12:00:00.000Z',
  currency: 'EUR',
  totalMinor: 5_000,
  items: [
    { sku: 'COF-1', productId: 'p-coffee', category: 'Coffee', quantity: 2, unitPriceMinor: 1_500 },
    { sku: 'TEA-1', productId: 'p-tea', category: 'tea', quantity: 1, unitPriceMinor: 2_000 },
  ],
  ...over,
});
const offer = (over: Record<string, unknown> = {}) => ({
  id: 'o1',
  kind: 'offer',
  status: 'active',
  createdAt: '2026-06-01T00:00:00.000Z',
  productId: 'p-coffee',
  ...over,
});
const thirty = () => 30;

describe('what a purchase answers', () => {
  it('credits the matching lines (product id or sku; family as category in any case), capped by the order total', () => {
    expect(matchedRevenue({ productId: 'p-coffee' }, purchase())).toBe(3_000);
    expect(matchedRevenue({ productId: 'COF-1' }, purchase())).toBe(3_000);
    expect(matchedRevenue({ productFamily: 'coffee' }, purchase())).toBe(3_000);
    expect(matchedRevenue({ productId: 'p-none' }, purchase())).toBeUndefined();
    expect(matchedRevenue({}, purchase())).toBe(5_000);
    expect(matchedRevenue({ productId: 'p-coffee' }, purchase({ totalMinor: 1_000 }))).toBe(1_000); // a discounted order
  });

  it('converts the earliest open offer it answers, within its window, and never a fee or a closed offer', () => {
    const offers = [
      offer({ id: 'late', createdAt: '2026-06-05T00:00:00.000Z' }),
      offer({ id: 'early' }),
      offer({ id: 'declined', status: 'declined', createdAt: '2026-05-30T00:00:00.000Z' }),
      offer({ id: 'fee', kind: 'fee', productId: undefined, createdAt: '2026-05-29T00:00:00.000Z' }),
    ];
    expect(offerToConvert(offers, purchase(), thirty)?.offer.id).toBe('early');
    // After the window (30 days from registration), or before the offer existed: no response.
    expect(offerToConvert([offer()], purchase({ occurredAt: '2026-07-02T00:00:00.000Z' }), thirty)).toBeUndefined();
    expect(offerToConvert([offer()], purchase({ occurredAt: '2026-05-31T00:00:00.000Z' }), thirty)).toBeUndefined();
    // validFrom later than the registration starts the window.
    expect(offerToConvert([offer({ validFrom: '2026-06-11' })], purchase(), thirty)).toBeUndefined();
    expect(offerToConvert([offer({ kind: 'penalty', productId: undefined })], purchase(), thirty)).toBeUndefined();
  });

  it('credits an assignment from its assignment date, with the campaign’s product', () => {
    const campaign = { attributionDays: 7, productFamily: 'tea' };
    const a = { campaignId: 'c1', assignedAt: '2026-06-05T00:00:00.000Z' };
    expect(assignmentsToCredit([a], purchase(), () => campaign)).toEqual([{ assignment: a, revenueMinor: 2_000 }]);
    expect(assignmentsToCredit([a], purchase({ occurredAt: '2026-06-13T00:00:00.000Z' }), () => campaign)).toEqual([]);
    expect(assignmentsToCredit([a], purchase(), () => undefined)).toEqual([]);
  });

  it('takes a refund back by its share of the order, never below zero, all of it when refunded in full (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: 2e9 }),
        (total, share, refunded) => {
          const revenue = Math.min(share, total);
          const c = { ...creditOf(purchase({ totalMinor: total }), revenue), refundedMinor: refunded };
          const net = netRevenueOf(c);
          expect(net).toBeGreaterThanOrEqual(0);
          expect(net).toBeLessThanOrEqual(revenue);
          expect(creditStands(c)).toBe(refunded < total);
          if (refunded >= total) expect(net).toBe(0);
          if (refunded === 0) expect(net).toBe(revenue);
        },
      ),
    );
  });
});

describe('campaign results', () => {
  const credit = (currency: string, revenueMinor: number, refundedMinor = 0) => ({
    ...creditOf(purchase({ currency, totalMinor: revenueMinor }), revenueMinor),
    refundedMinor,
  });
  const outcome = (
    group: 'treatment' | 'control',
    conversions: AssignmentOutcome['conversions'] = {},
    segment = 'A',
  ): AssignmentOutcome => ({
    group,
    segment,
    conversions,
  });

  it('counts customers and conversions by group, revenue in one currency with the others apart', () => {
    const r = campaignResults([
      outcome('treatment', { a: credit('EUR', 1_000), b: credit('EUR', 500) }),
      outcome('treatment', { c: credit('USD', 777) }),
      outcome('treatment', { d: credit('EUR', 300, 300) }), // refunded in full: no conversion
      outcome('treatment'),
      outcome('control', { e: credit('EUR', 200) }, 'B'),
      outcome('control', {}, 'B'),
    ]);
    expect(r.currency).toBe('EUR');
    expect(r.treatment).toMatchObject({ customers: 4, converted: 2, revenueMinor: 1_500 });
    expect(r.control).toMatchObject({ customers: 2, converted: 1, revenueMinor: 200 });
    expect(r.otherCurrencies).toEqual({ USD: { treatmentMinor: 777, controlMinor: 0 } });
    expect(r.uplift.absolute).toBeCloseTo(0.5 - 0.5, 12);
    expect(r.bySegment.map((s) => [s.segment, s.treatment.customers, s.control.customers])).toEqual([
      ['A', 4, 0],
      ['B', 0, 2],
    ]);
  });

  it('gives no relative interval when everyone in both groups bought (it would claim certainty)', () => {
    const all = (group: 'treatment' | 'control', n: number) =>
      Array.from({ length: n }, (_, i) => outcome(group, { [`o${i}`]: credit('EUR', 100) }));
    const r = campaignResults([...all('treatment', 37), ...all('control', 43)]);
    expect(r.uplift.relative).toBe(0);
    expect(r.uplift.relativeCi95).toBeNull();
    expect(r.uplift.ci95![0]).toBeLessThan(0);
  });
});

describe('campaign ids as Crockford base32 reads them', () => {
  const id = '01M8NYZ6SFZQ48EN3BA4EQW3N2';
  it('reads O as 0, I and L as 1, any case, and ignores invisible characters', () => {
    expect(normalizeCampaignId('O1M8NYZ6SFZQ48EN3BA4EQW3N2')).toBe(id);
    expect(normalizeCampaignId(id.toLowerCase())).toBe(id);
    expect(normalizeCampaignId(`\u200b${id}`)).toBe(id);
    expect(normalizeCampaignId('0IM8NYZ6SFZQ48EN3BA4EQW3N2')).toBe('01M8NYZ6SFZQ48EN3BA4EQW3N2');
    expect(normalizeCampaignId('spring sale')).toBe('spring sale');
  });
});
