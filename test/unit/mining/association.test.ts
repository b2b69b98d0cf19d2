import { basketsFromHistories, mineAssociationRules, ruleText } from '../../../layers/core/src/mining/association.js';

// 10 baskets
const baskets = [
  ['bread', 'milk'],
  ['bread', 'butter', 'milk'],
  ['bread', 'butter'],
  ['bread', 'butter', 'milk'],
  ['milk'],
  ['beer', 'chips'],
  ['beer', 'chips', 'bread'],
  ['beer'],
  ['bread', 'milk', 'milk'], // duplicates count once
  ['chips'],
];

describe('association rules', () => {
  const res = mineAssociationRules(baskets, { minSupport: 0.2, minConfidence: 0.5, minCount: 2 });
  const rule = (text: string) => res.rules.find((r) => ruleText(r) === text);

  it('counts baskets and items', () => {
    expect(res.baskets).toBe(10);
    expect(res.itemCounts).toEqual({ beer: 3, bread: 6, butter: 3, chips: 3, milk: 5 });
  });

  it('gives exact support, confidence and lift', () => {
    // butter -> bread: {bread, butter} in 3 baskets, butter in 3, bread in 6 of 10
    expect(rule('butter -> bread')).toEqual({
      antecedent: ['butter'],
      consequent: 'bread',
      count: 3,
      antecedentCount: 3,
      support: 0.3,
      confidence: 1,
      lift: 1 / 0.6,
    });
    // milk -> bread: {bread, milk} in 4 baskets, milk in 5: confidence 0.8, lift 0.8 / 0.6
    expect(rule('milk -> bread')).toMatchObject({ count: 4, support: 0.4, confidence: 0.8 });
    expect(rule('milk -> bread')!.lift).toBeCloseTo(4 / 3, 12);
    // chips -> beer: 2 of 3, lift (2/3) / 0.3
    expect(rule('chips -> beer')!.lift).toBeCloseTo(20 / 9, 12);
  });

  it('finds two-item antecedents and drops rules below the thresholds', () => {
    // {bread, butter, milk} in 2 baskets (support 0.2); {butter, milk} in 2 → confidence 1
    expect(rule('butter + milk -> bread')).toMatchObject({ count: 2, antecedentCount: 2, support: 0.2, confidence: 1 });
    // bread -> butter: 3 / 6 = 0.5 kept; bread -> beer: 1 basket, below minCount
    expect(rule('bread -> butter')!.confidence).toBe(0.5);
    expect(rule('bread -> beer')).toBeUndefined();
    expect(res.rules.every((r) => r.support >= 0.2 && r.confidence >= 0.5)).toBe(true);
  });

  it('sorts by lift, then confidence', () => {
    for (let i = 1; i < res.rules.length; i++) {
      const [a, b] = [res.rules[i - 1]!, res.rules[i]!];
      expect(a.lift > b.lift || (a.lift === b.lift && a.confidence >= b.confidence)).toBe(true);
    }
  });

  it('makes one basket per customer-day from histories, up to asOf', () => {
    const d = (s: string) => new Date(`${s}T00:00:00Z`);
    const out = basketsFromHistories(
      [
        {
          customerId: 'a',
          purchases: [
            { date: d('2024-01-01'), categories: { tea: 1 } },
            { date: new Date('2024-01-01T15:00:00Z'), categories: { milk: 2 } },
            { date: d('2024-01-02'), categories: { tea: 1, sugar: 0 } },
            { date: d('2024-02-01'), categories: { coffee: 1 } },
          ],
        },
      ],
      d('2024-01-31'),
    );
    expect(out.map((b) => b.items)).toEqual([['tea', 'milk'], ['tea']]);
  });
});
