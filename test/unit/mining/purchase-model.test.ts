/**
 * The purchase-model layer the pipeline uses: its functions never throw, a model that cannot be
 * evaluated is never used for a run, the fixed-dropout limit matches the exact MBG/NBD formulas
 * where both can be computed, and a fit with parameters at their bounds says so.
 *
 * Regression: the default `npm start` demo (2,000 customers, seed 42, as of 2026-11-30) failed
 * its mining run ("fit failed on 2000 customers: BG/NBD log-space 2F1 series ... no convergence
 * in 1000000 terms"): the MBG/NBD refit ran to a ≈ 1.4e6, b ≈ 6.2e7 and its expectation series
 * threw during the fit. The run must now complete with finite numbers for everyone.
 */
import { mbgNbdConditionalExpectedPurchases, mbgNbdProbabilityOfNoPurchases } from '../../../layers/core/src/mining/clv/mbgnbd.js';
import { historyFromItems } from '../../../layers/core/src/mining-job/histories.js';
import { mine } from '../../../layers/core/src/mining/pipeline.js';
import {
  expectedPurchasesOf,
  fitDiagnostics,
  noPurchaseProbabilityOf,
  pAliveOf,
  unusableOn,
  type PurchaseModel,
} from '../../../layers/core/src/mining/purchase-model.js';
import { generatePopulation } from '../../../local/demo/population.js';

describe('purchase models in the pipeline', () => {
  it('approximate MBG/NBD by its fixed-dropout limit within 0.1% at a + b = 1e4', () => {
    const limit: PurchaseModel = { name: 'mbgNbd', r: 0.6, alpha: 7, a: 2000.2, b: 8000.8 }; // a + b just above the switch
    const exact = { r: 0.6, alpha: 7, a: 2000, b: 8000 };
    for (const [x, tx, T, t] of [
      [0, 0, 30, 52],
      [1, 7.57, 9.86, 52],
      [5, 40, 60, 26],
      [12, 70, 75, 13],
    ] as const) {
      expect(Math.abs(expectedPurchasesOf(limit, t, x, tx, T) / mbgNbdConditionalExpectedPurchases(exact, t, x, tx, T) - 1)).toBeLessThan(
        1e-3,
      );
      expect(Math.abs(noPurchaseProbabilityOf(limit, t, x, tx, T) / mbgNbdProbabilityOfNoPurchases(exact, t, x, tx, T) - 1)).toBeLessThan(
        1e-3,
      );
    }
  });

  it('evaluate the MBG/NBD fit that broke the demo (its exact series throws there) without throwing', () => {
    const broken = { r: 3.9881278589906413, alpha: 60.16402458907773, a: 1352848.9963329057, b: 62146517.38129894 };
    expect(() => mbgNbdConditionalExpectedPurchases(broken, 52, 1, 7.571428571428571, 9.857142857142858)).toThrow(/no convergence/);
    const m: PurchaseModel = { name: 'mbgNbd', ...broken };
    const v = expectedPurchasesOf(m, 52, 1, 7.571428571428571, 9.857142857142858);
    expect(Number.isFinite(v) && v > 0).toBe(true);
    expect(pAliveOf(m, 1, 7.571428571428571, 9.857142857142858)).toBeGreaterThan(0);
    expect(fitDiagnostics(m).join(' ')).toMatch(/at the bound/);
  });

  it('return NaN instead of throwing, and a model that gives NaN is unusable', () => {
    const nonsense: PurchaseModel = { name: 'paretoNbd', r: Number.NaN, alpha: 1, s: 1, beta: 1 };
    expect(() => pAliveOf(nonsense, 1, 2, 3)).not.toThrow();
    expect(unusableOn(nonsense, [{ frequency: 1, recency: 2, T: 3 }], [10])).toMatch(/cannot be evaluated/);
    const fine: PurchaseModel = { name: 'bgnbd', r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    expect(unusableOn(fine, [{ frequency: 1, recency: 2, T: 3 }], [10, 52])).toBeUndefined();
    expect(fitDiagnostics(fine)).toEqual([]);
  });

  it('let the default demo population complete its mining with finite numbers for every customer', () => {
    const asOf = new Date('2026-11-30T00:00:00Z');
    const population = generatePopulation({ seed: 42, asOf });
    const histories = population.customers.map((c) =>
      historyFromItems(
        c.key,
        c.events.map(({ touchpoint: tp }) => ({ type: tp.type, occurredAt: tp.occurredAt, data: tp.data })),
      ),
    );
    const result = mine(histories, { asOf });
    expect(result.models.chosen).toBeDefined();
    for (const c of result.customers)
      for (const v of [c.pAlive, c.expectedPurchases, c.clvMinor, c.churnRisk, c.churnProbability]) expect(Number.isFinite(v)).toBe(true);
    expect(result.flags.every((f) => Number.isFinite(f.score) && Number.isFinite(f.expectedValueMinor))).toBe(true);
  });
});
