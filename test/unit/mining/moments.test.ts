import fc from 'fast-check';
import { computeFeatures, dayNumber } from '../../../layers/core/src/mining/features.js';
import { momentFlag, naiveNextPurchaseDay, nextPurchaseDay, reorderFlag } from '../../../layers/core/src/mining/moments.js';
import type { PurchaseModel } from '../../../layers/core/src/mining/purchase-model.js';
import type { CustomerHistory, Lifecycle } from '../../../layers/core/src/mining/types.js';
import { DAY_MS } from '../../../layers/core/src/time.js';

const asOf = new Date(Date.UTC(2026, 10, 30));
const asOfDay = dayNumber(asOf);
const ago = (days: number) => new Date(asOf.getTime() - days * DAY_MS);
/** A customer who buys every `gap` days, last `sinceLast` days ago, `n` purchases. */
const rhythm = (gap: number, sinceLast: number, n = 6): CustomerHistory => ({
  customerId: 'c1',
  purchases: Array.from({ length: n }, (_, i) => ({
    date: ago(sinceLast + (n - 1 - i) * gap),
    amountMinor: 2500,
    categories: { coffee: 1 },
  })),
  currency: 'EUR',
});
const model: PurchaseModel = { name: 'bgnbd', r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const reorder = (h: CustomerHistory, lifecycle: Lifecycle = 'loyal', withModel = true) =>
  reorderFlag({
    features: computeFeatures(h, asOf, 'weeks'),
    lifecycle,
    asOfDay,
    unit: 'weeks',
    model: withModel ? model : undefined,
    pAlive: 0.9,
    hasAmounts: true,
    currency: 'EUR',
  });

describe('reorder-due', () => {
  it('flags a customer 20 days into a 30-day rhythm, dated at their usual reorder point', () => {
    const flag = reorder(rhythm(30, 20))!;
    expect(flag.type).toBe('reorder-due');
    expect(flag.date).toBe(new Date((asOfDay + 10) * DAY_MS).toISOString().slice(0, 10));
    expect(flag.reasons[0]).toBe(`usual reorder point ${flag.date}: last purchase 20 days ago, usual gap 30 days`);
    expect(flag.reasons[1]).toMatch(/^P\(a purchase in the next 14 days\) 0\.\d\d$/);
    expect(flag.expectedValueMinor).toBe(Math.round(flag.score * 2500));
  });

  it('says P(alive) under the recency rule, and is not raised too early, once overdue, or for lapsing customers', () => {
    expect(reorder(rhythm(30, 20), 'loyal', false)!.reasons[1]).toBe('P(alive) 0.90 (recency rule)');
    expect(reorder(rhythm(60, 20))).toBeNull(); // due in 40 days
    expect(reorder(rhythm(30, 31))).toBeNull(); // overdue: churn-risk's, not a reminder
    expect(reorder(rhythm(30, 20), 'lapsing')).toBeNull();
    expect(reorder(rhythm(30, 20, 1))).toBeNull(); // one purchase: no rhythm yet
  });

  it('is due within the window exactly when last purchase + usual gap is (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 120 }), fc.integer({ min: 0, max: 200 }), (gap, since) => {
        const flag = reorder(rhythm(gap, since));
        const due = gap - since;
        expect(flag !== null).toBe(due >= 0 && due <= 14);
      }),
    );
  });
});

describe('next purchase date', () => {
  it('is the model median for repeat buyers and none for one-time buyers, prospects or lapsed customers', () => {
    const f = computeFeatures(rhythm(30, 20), asOf, 'weeks');
    expect(nextPurchaseDay(f, 'loyal', asOfDay, 'weeks', model)).toBeGreaterThanOrEqual(asOfDay);
    expect(nextPurchaseDay(f, 'lapsed', asOfDay, 'weeks', model)).toBeNull();
    expect(nextPurchaseDay(computeFeatures(rhythm(30, 20, 1), asOf, 'weeks'), 'first-time', asOfDay, 'weeks', model)).toBeNull();
    // Without a model: last purchase + usual gap, never before asOf.
    expect(nextPurchaseDay(f, 'loyal', asOfDay, 'weeks', undefined)).toBe(asOfDay + 10);
    expect(naiveNextPurchaseDay(computeFeatures(rhythm(30, 45), asOf, 'weeks'), asOfDay)).toBe(asOfDay);
  });
});

describe('moment', () => {
  it('flags the anniversary of the first purchase within 14 days, for customers who are not lapsed', () => {
    const h: CustomerHistory = {
      customerId: 'c2',
      purchases: [
        { date: ago(365 * 2 - 5), amountMinor: 1000, categories: { tea: 1 } },
        { date: ago(40), amountMinor: 1000, categories: { tea: 1 } },
      ],
    };
    const f = computeFeatures(h, asOf, 'weeks');
    const flag = momentFlag(h, f, 'repeat', 0.8, asOfDay)!;
    expect(flag).toMatchObject({ type: 'moment', score: 0.8, expectedValueMinor: 0 });
    expect(flag.reasons[0]).toMatch(/^2 years since their first purchase: the anniversary is \d{4}-\d{2}-\d{2}$/);
    expect(dayNumber(new Date(flag.date!)) - asOfDay).toBeLessThanOrEqual(14);
    expect(momentFlag(h, f, 'lapsed', 0.8, asOfDay)).toBeNull();
  });
});
