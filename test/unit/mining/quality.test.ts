/**
 * The figures of the README's mining quality table, measured on the public data sets in place
 * (../shared/datasets): the whole pipeline (mine) as `patron mine` and the job run it.
 *
 * CDNOW full cohort, as of 1997-09-30 (the end of the paper's calibration period): the model
 * choice, the share of buyers flagged churn-risk, P(alive) of long-gone one-time buyers, segment
 * names against their numbers, and the next-purchase error against the naive rule on the
 * customers who did buy in the following 39 weeks. Groceries: the degenerate fit is warned
 * about and falls back to the stated rule instead of P(alive) = 1 for everyone.
 */
import { dayNumber, historiesFromTransactions } from '../../../layers/core/src/mining/features.js';
import { naiveNextPurchaseDay } from '../../../layers/core/src/mining/moments.js';
import { mine } from '../../../layers/core/src/mining/pipeline.js';
import type { MiningResult } from '../../../layers/core/src/mining/types.js';
import { CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, cdnow } from '../../fixtures/cdnow.js';
import { groceriesRows } from './datasets.js';

const mean = (xs: readonly number[]) => xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
const share = (r: MiningResult, type: string) =>
  r.flags.filter((f) => f.type === type).length / r.customers.filter((c) => (c.features.transactions ?? 1) > 0).length;

describe('mining quality on CDNOW (23,570 customers, as of 1997-09-30)', () => {
  const rows = cdnow('master').rows.map((r) => ({ customerId: r.customerId, date: r.date, amountMinor: r.amountMinor }));
  const all = historiesFromTransactions(rows);
  const result = mine(all, { asOf: CDNOW_CALIBRATION_END, unit: 'weeks' });
  const rmse = Object.fromEntries(result.modelChoice.candidates.map((c) => [c.name, c.holdoutRmse?.toFixed(4)]));

  it(`chooses the purchase model by a holdout in time (chosen ${result.models.chosen}; RMSE ${JSON.stringify(rmse)})`, () => {
    expect(result.modelChoice.criterion).toBe('holdout');
    expect(result.modelChoice.candidates.map((c) => c.name)).toEqual(['bgnbd', 'paretoNbd', 'mbgNbd']);
    const best = [...result.modelChoice.candidates].sort((a, b) => a.holdoutRmse! - b.holdoutRmse!)[0]!;
    expect(result.models.chosen).toBe(best.name);
    expect(result.warnings).toEqual([]);
  });

  it(`gives a one-time buyer from January 1997 a P(alive) well below 1 (mean ${mean(
    result.customers.filter((c) => c.features.frequency === 0 && c.features.daysSinceLastPurchase > 240).map((c) => c.pAlive),
  ).toFixed(3)})`, () => {
    const gone = result.customers.filter((c) => c.features.frequency === 0 && c.features.daysSinceLastPurchase > 240);
    expect(gone.length).toBeGreaterThan(4000);
    expect(Math.max(...gone.map((c) => c.pAlive))).toBeLessThan(0.6);
  });

  it(`flags at most 20% of buyers churn-risk (${(100 * share(result, 'churn-risk')).toFixed(1)}%), every one still more likely alive than not and overdue`, () => {
    expect(share(result, 'churn-risk')).toBeLessThanOrEqual(0.2);
    expect(share(result, 'churn-risk')).toBeGreaterThan(0.01);
    const byId = new Map(result.customers.map((c) => [c.customerId, c]));
    for (const f of result.flags.filter((f) => f.type === 'churn-risk')) {
      const c = byId.get(f.customerId)!;
      expect(c.pAlive).toBeGreaterThanOrEqual(0.5);
      expect(c.lifecycle).not.toBe('lapsed');
      expect(f.reasons[0]).toMatch(/^(no purchase for \d+ days, \d+\.\dx their usual gap|one purchase, \d+ days ago)/);
      const ratio = Number(/, (\d+\.\d)x their usual gap/.exec(f.reasons[0]!)?.[1] ?? '1');
      expect(ratio).toBeGreaterThanOrEqual(1);
    }
    for (const type of ['up-sell', 'cross-sell', 'reorder-due', 'moment', 'prospect']) expect(share(result, type)).toBeLessThanOrEqual(0.2);
  });

  it("keeps each customer's story consistent: lapsed means P(alive) below 0.5, and nobody lapsed or at risk is sold to", () => {
    const byId = new Map(result.customers.map((c) => [c.customerId, c]));
    for (const c of result.customers) if (c.lifecycle === 'lapsed') expect(c.pAlive).toBeLessThan(0.5);
    const atRisk = new Set(result.flags.filter((f) => f.type === 'churn-risk').map((f) => f.customerId));
    for (const f of result.flags.filter((f) => f.type === 'up-sell' || f.type === 'cross-sell')) {
      expect(byId.get(f.customerId)!.lifecycle).not.toBe('lapsed');
      expect(atRisk.has(f.customerId)).toBe(false);
    }
    for (const f of result.flags.filter((f) => f.type === 'reorder-due')) expect(atRisk.has(f.customerId)).toBe(false);
  });

  it('names no segment against its numbers: gone-sounding segments have lower P(alive) and longer recency than active ones', () => {
    const stats = result.segments.map((s) => {
      const members = result.customers.filter((c) => c.segment === s.name);
      return {
        name: s.name,
        pAlive: mean(members.map((c) => c.pAlive)),
        recency: mean(members.map((c) => c.features.daysSinceLastPurchase)),
      };
    });
    const gone = stats.filter((s) => /^(Lost|Hibernating)/.test(s.name));
    const active = stats.filter((s) => /^(Champions|Loyal)/.test(s.name));
    expect(gone.length).toBeGreaterThan(0);
    expect(active.length).toBeGreaterThan(0);
    for (const g of gone)
      for (const a of active) {
        expect(g.pAlive).toBeLessThan(a.pAlive);
        expect(g.recency).toBeGreaterThan(a.recency);
      }
  });

  it('reports value tiers and a funnel that add up', () => {
    expect(result.tiers.reduce((n, t) => n + t.customers, 0)).toBe(result.customers.length);
    const mv = result.tiers.find((t) => t.tier === 'most-valuable')!;
    expect(mv.share).toBeGreaterThan(0.15);
    expect(mv.share).toBeLessThanOrEqual(0.21);
    expect(Object.values(result.funnel.stages).reduce((n, v) => n + v, 0)).toBe(result.customers.length);
    expect(result.funnel.conversion.firstToRepeat).toBeCloseTo(result.funnel.reached.repeated / result.funnel.reached.bought, 12);
  });

  // Next purchase: customers with a predicted date who bought again in the 39 weeks after the
  // calibration end; error = |predicted − actual first purchase after it|, in days.
  const calEnd = dayNumber(CDNOW_CALIBRATION_END);
  const obsEnd = dayNumber(CDNOW_OBSERVATION_END);
  const nextActual = new Map<string, number>();
  for (const h of all) {
    const next = h.purchases.map((p) => dayNumber(p.date)).find((d) => d > calEnd && d <= obsEnd);
    if (next !== undefined) nextActual.set(h.customerId, next);
  }
  const model: number[] = [];
  const naive: number[] = [];
  for (const c of result.customers) {
    const actual = nextActual.get(c.customerId);
    const naiveDay = naiveNextPurchaseDay(c.features, calEnd);
    if (actual === undefined || c.nextPurchaseDate === null || naiveDay === null) continue;
    model.push(Math.abs(dayNumber(new Date(c.nextPurchaseDate)) - actual));
    naive.push(Math.abs(naiveDay - actual));
  }
  it(`predicts the next purchase day (MAE ${mean(model).toFixed(1)} days) at least as well as last purchase + median gap (${mean(naive).toFixed(1)} days), over ${model.length} customers`, () => {
    expect(model.length).toBeGreaterThan(1000);
    expect(mean(model)).toBeLessThanOrEqual(mean(naive));
  });
});

describe('mining quality on Groceries (3,898 members, no amounts)', () => {
  const rows = groceriesRows();
  const asOf = new Date(Math.max(...rows.map((r) => r.date.getTime())));
  const result = mine(historiesFromTransactions(rows), { asOf, unit: 'weeks' });

  it('warns that no model identifies dropout, and falls back to the stated recency rule', () => {
    expect(result.warnings.some((w) => /recency rule/.test(w))).toBe(true);
    expect(result.models.pAliveSource ?? 'rule').toBe('rule');
    expect(result.customers.every((c) => c.model === 'rule')).toBe(true);
  });

  it(`does not give everyone P(alive) = 1: ${result.customers.filter((c) => c.pAlive < 0.5).length} members are more likely gone than not`, () => {
    const alive = result.customers.map((c) => c.pAlive);
    expect(Math.min(...alive)).toBeLessThan(0.5);
    expect(new Set(alive.map((p) => p.toFixed(2))).size).toBeGreaterThan(20);
    expect(share(result, 'churn-risk')).toBeGreaterThan(0);
    expect(share(result, 'cross-sell')).toBeLessThanOrEqual(0.2);
  });
});
