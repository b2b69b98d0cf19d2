import { fitCrossSell, suggestCrossSell, wilsonLowerBound } from '../../../layers/core/src/mining/cross-sell.js';
import { dayNumber, historiesFromTransactions, type TransactionRow } from '../../../layers/core/src/mining/features.js';
import { fitModels, scoreCustomers } from '../../../layers/core/src/mining/pipeline.js';
import { groceriesRows } from './datasets.js';

/**
 * Groceries protocol: each member's LAST shopping day is held out; everything before it is
 * training. Members with a single shopping day have no training history and are left out of
 * the evaluation (their baskets still count for the models' statistics). Metrics over the
 * items a member has NOT bought in training:
 *   hit rate@5  = share of members with >= 1 held-out item among their top 5 suggestions,
 *   precision@5 = mean over members of (held-out items among the top 5) / 5.
 * Baseline: the most popular items (by training baskets) the member has not bought.
 */
function evaluate() {
  const rows = groceriesRows();
  const lastDay = new Map<string, number>();
  for (const r of rows) lastDay.set(r.customerId, Math.max(lastDay.get(r.customerId) ?? 0, dayNumber(r.date)));
  const firstDay = new Map<string, number>();
  for (const r of rows) firstDay.set(r.customerId, Math.min(firstDay.get(r.customerId) ?? Infinity, dayNumber(r.date)));
  const train: TransactionRow[] = [];
  const held = new Map<string, Set<string>>();
  for (const r of rows) {
    const m = r.customerId;
    if (dayNumber(r.date) === lastDay.get(m) && firstDay.get(m)! < lastDay.get(m)!) {
      let s = held.get(m);
      if (!s) {
        s = new Set();
        held.set(m, s);
      }
      s.add(r.category!);
    } else {
      train.push(r);
    }
  }
  const histories = historiesFromTransactions(train);
  const asOf = new Date(Math.max(...train.map((r) => r.date.getTime())));
  const model = fitModels(histories, { asOf, seed: 1 });
  const scored = scoreCustomers(histories, model);
  const segmentOf = new Map(scored.customers.map((c) => [c.customerId, c.segment]));

  // Baseline popularity: training baskets (member-days) containing the item.
  const basketCount = new Map<string, number>();
  for (const h of histories)
    for (const p of h.purchases) for (const c of Object.keys(p.categories)) basketCount.set(c, (basketCount.get(c) ?? 0) + 1);
  const byPopularity = [...basketCount.keys()].sort((a, b) => basketCount.get(b)! - basketCount.get(a)! || (a < b ? -1 : 1));

  const ours = { hits: 0, precision: 0 };
  const base = { hits: 0, precision: 0 };
  let onlyOurs = 0;
  let onlyBase = 0;
  const bought = new Map(histories.map((h) => [h.customerId, new Set(h.purchases.flatMap((p) => Object.keys(p.categories)))]));
  for (const [member, items] of held) {
    const have = bought.get(member)!;
    const top = suggestCrossSell(model.crossSell!, have, { segment: segmentOf.get(member), limit: 5 }).map((s) => s.category);
    const popular = byPopularity.filter((c) => !have.has(c)).slice(0, 5);
    const h1 = top.filter((c) => items.has(c)).length;
    const h0 = popular.filter((c) => items.has(c)).length;
    ours.hits += h1 > 0 ? 1 : 0;
    base.hits += h0 > 0 ? 1 : 0;
    ours.precision += h1 / 5;
    base.precision += h0 / 5;
    if (h1 > 0 && h0 === 0) onlyOurs++;
    if (h0 > 0 && h1 === 0) onlyBase++;
  }
  const n = held.size;
  return {
    members: n,
    model,
    ours: { hitRate: ours.hits / n, precision: ours.precision / n },
    popularity: { hitRate: base.hits / n, precision: base.precision / n },
    onlyOurs,
    onlyBase,
  };
}

describe('cross-sell on Groceries (last shopping day held out)', () => {
  // Measured: 3,549 members with a training history.
  //   ours:       hit rate@5 0.4773, precision@5 0.1148
  //   popularity: hit rate@5 0.4714, precision@5 0.1133
  // Members hit only by ours: 126, only by popularity: 105 (McNemar chi² 1.73, p ≈ 0.19: a
  // small win, not statistically significant). The data has almost no co-occurrence
  // structure — pairs of the most common items have lift below 1 — so the rules barely move
  // the ranking; most of the gain comes from weighting recent baskets (popularity drifts).
  const res = evaluate();
  const line = (m: { hitRate: number; precision: number }) => `hit rate@5 ${m.hitRate.toFixed(4)}, precision@5 ${m.precision.toFixed(4)}`;

  it(`beats "most popular not bought" on hit rate@5: ours ${line(res.ours)}; popularity ${line(res.popularity)}; members hit only by ours ${res.onlyOurs}, only by popularity ${res.onlyBase}`, () => {
    expect(res.members).toBe(3549);
    expect(res.ours.hitRate).toBeGreaterThan(res.popularity.hitRate);
    expect(res.onlyOurs).toBeGreaterThan(res.onlyBase);
  });

  it('is not worse on precision@5', () => {
    expect(res.ours.precision).toBeGreaterThanOrEqual(res.popularity.precision);
  });

  it('runs the whole pipeline without amounts: no Gamma-Gamma, CLV 0, no monetary feature', () => {
    expect(res.model.hasAmounts).toBe(false);
    expect(res.model.gammaGamma).toBeUndefined();
    expect(res.model.featureNames).not.toContain('averageOrderValue');
    expect(res.model.crossSell!.baskets).toBeGreaterThan(10_000);
  });
});

describe('suggestCrossSell', () => {
  // 110 baskets on one day: coffee in 40, filters in 25 (20 of them with coffee), tea in 30,
  // milk in 15, mugs and cocoa in 10 each
  const baskets: { day: number; items: string[] }[] = [];
  const add = (n: number, items: string[]) => {
    for (let i = 0; i < n; i++) baskets.push({ day: 100, items });
  };
  add(20, ['coffee', 'filters']);
  add(20, ['coffee']);
  add(5, ['filters']);
  add(30, ['tea']);
  add(10, ['mugs']);
  add(15, ['milk']);
  add(10, ['cocoa']);
  const model = fitCrossSell(baskets, 100, [{ segment: 'Loyal', categories: ['coffee', 'mugs'] }], {
    minSupport: 0.01,
    minConfidence: 0.05,
  });

  it('lifts a category when a strong rule applies, citing confidence and lift', () => {
    const [first, ...rest] = suggestCrossSell(model, new Set(['coffee']), { limit: 3 });
    // filters: popularity 25/110, rule coffee -> filters confidence 0.5, lift 2.2; p = the rule's
    // Wilson lower bound (0.35), as popularity and support coincide on a single day
    expect(first!.category).toBe('filters');
    expect(first!.probability).toBeCloseTo(wilsonLowerBound(20, 40, 2), 12);
    expect(first!.reasons[0]).toMatch(
      /^50\.0% of baskets with coffee also have filters \(lift 2\.20; 1\.\d\d at the lower confidence bound; 20 baskets\)$/,
    );
    expect(rest.map((s) => s.category)).toEqual(['tea', 'milk']);
    expect(rest[0]!.reasons[0]).toBe('in 27.3% of recent baskets (trend-weighted popularity)');
  });

  it('never suggests what the customer bought, and breaks ties by segment popularity', () => {
    const out = suggestCrossSell(model, new Set(['tea', 'milk', 'filters']), { segment: 'Loyal', limit: 5 });
    // mugs and cocoa are equally popular; Loyal customers bought mugs
    expect(out.map((s) => s.category)).toEqual(['coffee', 'mugs', 'cocoa']);
    expect(out[1]!.reasons).toEqual(['in 9.1% of recent baskets (trend-weighted popularity)', '100% of Loyal customers buy it']);
    // without a segment the tie falls back to the name
    expect(suggestCrossSell(model, new Set(['tea', 'milk', 'filters'])).map((s) => s.category)).toEqual(['coffee', 'cocoa', 'mugs']);
  });
});
