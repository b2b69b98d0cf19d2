import { computeFeatures, historiesFromTransactions } from '../../../layers/core/src/mining/features.js';
import type { CustomerHistory } from '../../../layers/core/src/mining/types.js';

const d = (s: string) => new Date(`${s}T00:00:00Z`);
const asOf = d('2024-03-31'); // day 0 = 2024-01-01 is 90 days earlier

const history: CustomerHistory = {
  customerId: 'A',
  currency: 'EUR',
  purchases: [
    { date: d('2024-01-01'), amountMinor: 1000, categories: { coffee: 2 } },
    // a second order the same day: one transaction with the first
    { date: new Date('2024-01-01T18:30:00Z'), amountMinor: 500, categories: { filters: 1 } },
    { date: d('2024-01-15'), amountMinor: 2000, categories: { coffee: 1 } },
    { date: d('2024-02-26'), amountMinor: 3000, categories: { tea: 1 } },
    // after asOf: ignored
    { date: d('2024-04-05'), amountMinor: 9999, categories: { grinder: 1 } },
  ],
  refunds: [
    { date: d('2024-03-01'), amountMinor: 500 },
    { date: d('2023-12-01'), amountMinor: 500 }, // 121 days before asOf
    { date: d('2024-04-01'), amountMinor: 500 }, // after asOf
  ],
  tickets: [
    { date: d('2024-03-30'), complaint: true },
    { date: d('2024-01-10'), complaint: false },
    { date: d('2024-01-01'), complaint: true }, // 90 days before asOf: outside the window
    { date: d('2024-04-01'), complaint: true }, // after asOf
  ],
  ratings: [
    { date: d('2024-02-01'), score: 4 },
    { date: d('2024-03-01'), score: 2 },
    { date: d('2024-04-02'), score: 5 }, // after asOf
  ],
  paymentFailures: [d('2024-01-02')], // 89 days before asOf: inside
  subscriptionsStarted: [
    { date: d('2023-06-01'), productId: 'basic' },
    { date: d('2024-02-01'), productId: 'plus' },
  ],
  subscriptionsCancelled: [{ date: d('2024-02-01'), productId: 'basic' }],
  emailEvents: [
    { date: d('2024-03-15'), kind: 'opened' },
    { date: d('2024-03-16'), kind: 'clicked' },
    { date: d('2023-10-01'), kind: 'opened' },
  ],
};

describe('computeFeatures', () => {
  it('computes BG/NBD inputs, money, gaps, 90-day service counts and category shares exactly (weeks)', () => {
    const f = computeFeatures(history, asOf);
    expect(f).toEqual({
      customerId: 'A',
      frequency: 2, // 3 purchase days
      recency: 56 / 7, // Jan 1 → Feb 26
      T: 90 / 7, // Jan 1 → Mar 31
      monetary: (2000 + 3000) / 2, // repeat transactions only
      averageOrderValue: 6500 / 3,
      totalSpend: 6500,
      tenureDays: 90,
      daysSinceLastPurchase: 34,
      typicalGapDays: 28, // median of 14 and 42
      refunds90d: 1,
      tickets90d: 2,
      complaints90d: 1,
      averageSatisfaction: 3,
      paymentFailures90d: 1,
      activeSubscriptions: 1,
      emailEngagement90d: 2,
      cancellations90d: 1,
      transactions: 3,
      complaintsToDate: 2, // the whole history up to asOf
      refundsToDate: 2,
      discountedShare: 0, // no discount data
      categoryShares: { coffee: 0.6, filters: 0.2, tea: 0.2 },
    });
  });

  it('measures times in days with unit = days', () => {
    const f = computeFeatures(history, asOf, 'days');
    expect([f.frequency, f.recency, f.T]).toEqual([2, 56, 90]);
  });

  it('ignores everything after asOf', () => {
    const f = computeFeatures(history, d('2024-01-10'));
    expect(f).toMatchObject({
      frequency: 0,
      recency: 0,
      T: 9 / 7,
      monetary: 0,
      totalSpend: 1500,
      typicalGapDays: null,
      averageSatisfaction: null,
    });
    expect(f.categoryShares).toEqual({ coffee: 2 / 3, filters: 1 / 3 });
  });

  it('gives customers without purchases zero purchase features and ages from their first event', () => {
    const f = computeFeatures({ customerId: 'B', purchases: [], tickets: [{ date: d('2024-03-01'), complaint: true }] }, asOf);
    expect(f).toMatchObject({
      frequency: 0,
      recency: 0,
      T: 0,
      monetary: 0,
      averageOrderValue: 0,
      tenureDays: 30,
      daysSinceLastPurchase: 30,
      complaints90d: 1,
      transactions: 0,
      discountedShare: 0,
    });
  });

  it('gives discountedShare as the share of purchase days with a discount', () => {
    const f = computeFeatures(
      {
        customerId: 'C',
        purchases: [
          { date: d('2024-01-01'), amountMinor: 900, discountMinor: 100, categories: { coffee: 1 } },
          // same day, no discount: the day still counts as discounted
          { date: new Date('2024-01-01T18:00:00Z'), amountMinor: 500, categories: { tea: 1 } },
          { date: d('2024-01-20'), amountMinor: 1000, discountMinor: 0, categories: { coffee: 1 } },
          { date: d('2024-02-10'), amountMinor: 800, discountMinor: 200, categories: { coffee: 1 } },
          { date: d('2024-03-01'), amountMinor: 1000, categories: { coffee: 1 } },
          { date: d('2024-04-10'), amountMinor: 800, discountMinor: 200, categories: { coffee: 1 } }, // after asOf
        ],
      },
      asOf,
    );
    expect(f.transactions).toBe(4);
    expect(f.discountedShare).toBe(2 / 4);
  });
});

describe('historiesFromTransactions', () => {
  it('groups same-day rows into one purchase and sorts customers and days', () => {
    const hs = historiesFromTransactions([
      { customerId: 'b', date: d('2024-01-02'), category: 'tea' },
      { customerId: 'a', date: new Date('2024-01-05T20:00:00Z'), amountMinor: 300, category: 'coffee', productId: 'p1' },
      { customerId: 'a', date: d('2024-01-01'), amountMinor: 100, category: 'coffee' },
      { customerId: 'a', date: new Date('2024-01-05T08:00:00Z'), amountMinor: 200, category: 'coffee', quantity: 2, productId: 'p1' },
      { customerId: 'b', date: d('2024-01-02'), category: 'milk' },
    ]);
    expect(hs.map((h) => h.customerId)).toEqual(['a', 'b']);
    expect(hs[0]!.purchases).toEqual([
      { date: d('2024-01-01'), amountMinor: 100, categories: { coffee: 1 } },
      { date: d('2024-01-05'), amountMinor: 500, categories: { coffee: 3 }, products: ['p1'] },
    ]);
    // no amounts at all: amountMinor stays undefined
    expect(hs[1]!.purchases).toEqual([{ date: d('2024-01-02'), categories: { tea: 1, milk: 1 } }]);
  });
});
