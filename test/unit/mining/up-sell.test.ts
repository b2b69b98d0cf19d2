import type { CustomerFeatures } from '../../../layers/core/src/mining/types.js';
import { fitUpSellStats, highestTier, ownedProducts, upSellFlag, type UpSellStats } from '../../../layers/core/src/mining/up-sell.js';

const d = (s: string) => new Date(`${s}T00:00:00Z`);
const line = { line: 'membership', tiers: ['basic', 'plus', 'premium'] };

const features = (over: Partial<CustomerFeatures> = {}): CustomerFeatures => ({
  customerId: 'c1',
  frequency: 6,
  recency: 30,
  T: 32,
  monetary: 3000,
  averageOrderValue: 3000,
  totalSpend: 21000,
  tenureDays: 224,
  daysSinceLastPurchase: 14,
  typicalGapDays: 30,
  refunds90d: 0,
  tickets90d: 0,
  complaints90d: 0,
  averageSatisfaction: null,
  paymentFailures90d: 0,
  activeSubscriptions: 1,
  emailEngagement90d: 0,
  transactions: 7,
  categoryShares: {},
  ...over,
});

const stats: UpSellStats = {
  segmentMedianAov: { Loyal: 3200, Champions: 6000 },
  tiers: [{ ...line, holders: [10, 6, 4], aov: [3000, 4000, 5000] }],
};

describe('up-sell', () => {
  it('suggests the next tier to an active holder of a lower tier, with the peer numbers', () => {
    const flag = upSellFlag(
      { features: features(), segment: 'Loyal', pAlive: 0.9, expectedPurchases: 5, owned: new Set(['basic']), currency: 'EUR' },
      stats,
    );
    // adoption: 10 of the 20 holders of basic or above hold more → strength 0.5 + 0.5·0.5
    expect(flag).toEqual({
      customerId: 'c1',
      type: 'up-sell',
      score: 0.9 * 0.75,
      reasons: [
        'holds basic of membership; 50% of basic+ holders have a higher tier; plus holders spend EUR 10.00 more per order',
        'P(alive) 0.90',
      ],
      expectedValueMinor: (4000 - 3000) * 5,
      suggestions: ['plus'],
    });
  });

  it('flags a basket well below the segment median, gain = shortfall x expected purchases', () => {
    const flag = upSellFlag(
      {
        features: features({ averageOrderValue: 2000 }),
        segment: 'Champions',
        pAlive: 0.8,
        expectedPurchases: 5,
        owned: new Set(),
        currency: 'EUR',
      },
      stats,
    );
    expect(flag).toMatchObject({ score: 0.8, expectedValueMinor: 4000 * 5 });
    expect(flag!.reasons[0]).toBe('average order EUR 20.00 is 67% below the Champions median of EUR 60.00; 5.0 expected purchases');
    expect(flag!.suggestions).toBeUndefined();
  });

  it('leaves out inactive customers, top-tier holders and small shortfalls', () => {
    const input = { features: features(), segment: 'Loyal', pAlive: 0.9, expectedPurchases: 5, owned: new Set(['basic']) };
    expect(upSellFlag({ ...input, pAlive: 0.3 }, stats)).toBeNull();
    expect(upSellFlag({ ...input, features: features({ daysSinceLastPurchase: 200 }) }, stats)).toBeNull();
    expect(upSellFlag({ ...input, owned: new Set(['premium']) }, stats)).toBeNull();
    expect(upSellFlag({ ...input, owned: new Set() }, stats)).toBeNull(); // AOV 3000 vs median 3200: within 20%
  });

  it('knows which products a customer holds at asOf', () => {
    const owned = ownedProducts(
      {
        customerId: 'c1',
        purchases: [
          { date: d('2024-01-01'), categories: {}, products: ['mug'] },
          { date: d('2024-05-01'), categories: {}, products: ['grinder'] },
        ],
        subscriptionsStarted: [
          { date: d('2023-01-01'), productId: 'basic' },
          { date: d('2024-02-01'), productId: 'plus' },
        ],
        subscriptionsCancelled: [{ date: d('2024-02-01'), productId: 'basic' }],
      },
      d('2024-03-01'),
    );
    expect([...owned].sort()).toEqual(['mug', 'plus']);
    expect(highestTier(line, owned)).toBe(1);
  });

  it('fits segment medians and tier holders from the sample', () => {
    const s = fitUpSellStats(
      [
        { segment: 'Loyal', features: features({ averageOrderValue: 1000 }), owned: new Set(['basic']) },
        { segment: 'Loyal', features: features({ averageOrderValue: 3000 }), owned: new Set(['basic', 'plus']) },
        { segment: 'Loyal', features: features({ averageOrderValue: 2000 }), owned: new Set() },
        { segment: 'New', features: features({ averageOrderValue: 500 }), owned: new Set(['premium']) },
      ],
      [line],
      true,
    );
    expect(s.segmentMedianAov).toEqual({ Loyal: 2000, New: 500 });
    expect(s.tiers).toEqual([{ ...line, holders: [1, 1, 1], aov: [1000, 3000, 500] }]);
  });
});
