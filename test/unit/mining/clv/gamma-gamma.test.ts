import {
  conditionalExpectedAverageSpend,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  ModelFitError,
  populationMeanSpend,
  type GammaGammaFit,
} from '../../../../layers/core/src/mining/clv/gamma-gamma.js';
import { cdnow } from './helpers.js';

const repeaters = (which: 'sample' | 'master') => cdnow(which).summary.filter((c) => c.frequency > 0 && c.monetary > 0);

describe('Gamma-Gamma on the CDNOW sample', () => {
  let fit: GammaGammaFit;
  beforeAll(() => {
    fit = fitGammaGamma(repeaters('sample'));
  });

  it('reproduces p=6.25, q=3.74, v=15.44 (lifetimes docs / Fader & Hardie note 025)', () => {
    // 946 customers with x > 0; m_x = mean value of their REPEAT calibration transactions
    // (same-day records summed into one transaction), penalizer 0. Verified to 2 decimals.
    expect(fit.customers).toBe(946);
    expect(fit.converged).toBe(true);
    expect(fit.p).toBeCloseTo(6.25, 2);
    expect(fit.q).toBeCloseTo(3.74, 2);
    expect(fit.v).toBeCloseTo(15.44, 2);
    // Our optimum, cross-checked with scipy (Nelder-Mead + BFGS) on the same data:
    // p=6.249573, q=3.744224, v=15.443518, LL=-4055.917695.
    expect(fit.p).toBeCloseTo(6.249573, 3);
    expect(fit.q).toBeCloseTo(3.744224, 3);
    expect(fit.v).toBeCloseTo(15.443518, 2);
    expect(fit.logLikelihood).toBeCloseTo(-4055.917695, 4);
  });

  it('log-likelihood is the sum of the per-customer terms and is maximal at the fit', () => {
    const data = repeaters('sample');
    const ll = (p: { p: number; q: number; v: number }) =>
      data.reduce((s, c) => s + gammaGammaLogLikelihood(p, c.frequency, c.monetary), 0);
    expect(ll(fit)).toBeCloseTo(fit.logLikelihood, 8);
    for (const k of ['p', 'q', 'v'] as const) {
      for (const f of [0.99, 1.01]) expect(ll({ ...fit, [k]: fit[k] * f })).toBeLessThan(ll(fit));
    }
  });

  it('conditional expected spend lies between the population mean and the customer mean', () => {
    const mean = populationMeanSpend(fit);
    expect(mean).toBeCloseTo((fit.p * fit.v) / (fit.q - 1), 12);
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(40);
    const outside = repeaters('sample').filter((c) => {
      const e = conditionalExpectedAverageSpend(fit, c.frequency, c.monetary);
      const lo = Math.min(mean, c.monetary);
      const hi = Math.max(mean, c.monetary);
      return !(e >= lo - 1e-9 && e <= hi + 1e-9);
    });
    expect(outside).toEqual([]);
    // more transactions => more weight on the customer's own mean
    const m = 100;
    const e1 = conditionalExpectedAverageSpend(fit, 1, m);
    const e10 = conditionalExpectedAverageSpend(fit, 10, m);
    expect(e10).toBeGreaterThan(e1);
    expect(Math.abs(e10 - m)).toBeLessThan(Math.abs(e1 - m));
    // x = 0: no own spend information, population mean
    expect(conditionalExpectedAverageSpend(fit, 0, 0)).toBe(mean);
    // formula check: (q-1)/(px+q-1) * pv/(q-1) + px/(px+q-1) * m
    const { p, q, v } = fit;
    expect(conditionalExpectedAverageSpend(fit, 3, 42)).toBeCloseTo(
      ((q - 1) / (p * 3 + q - 1)) * ((p * v) / (q - 1)) + ((p * 3) / (p * 3 + q - 1)) * 42,
      12,
    );
  });

  it('weights are equivalent to repeated rows', () => {
    const rows = repeaters('sample').map((c) => ({ frequency: c.frequency, monetary: c.monetary }));
    const doubled = fitGammaGamma(rows.map((r) => ({ ...r, weight: 2 })));
    expect(doubled.customers).toBe(2 * 946);
    expect(doubled.logLikelihood).toBeCloseTo(2 * fit.logLikelihood, 5);
    expect(doubled.p).toBeCloseTo(fit.p, 4);
  });

  it('penalizer shrinks p^2 + q^2 + v^2', () => {
    const data = repeaters('sample');
    const norm = (f: GammaGammaFit) => f.p ** 2 + f.q ** 2 + f.v ** 2;
    const fits = [0, 0.0001, 0.001, 0.01].map((penalizer) => fitGammaGamma(data, { penalizer }));
    for (let i = 1; i < fits.length; i++) {
      expect(norm(fits[i]!)).toBeLessThan(norm(fits[i - 1]!));
      expect(fits[i]!.logLikelihood).toBeLessThan(fits[i - 1]!.logLikelihood);
    }
  });
});

describe('Gamma-Gamma on the CDNOW master file', () => {
  it('fits the 9,450 repeat buyers with positive spend (scipy cross-check)', () => {
    const data = repeaters('master');
    expect(data).toHaveLength(9450);
    const fit = fitGammaGamma(data);
    expect(fit.p).toBeCloseTo(6.275359, 3);
    expect(fit.q).toBeCloseTo(3.62445, 3);
    expect(fit.v).toBeCloseTo(14.983685, 2);
    expect(fit.logLikelihood).toBeCloseTo(-40763.476261, 3);
  });
});

describe('Gamma-Gamma robustness', () => {
  const reason = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ModelFitError);
      return (e as ModelFitError).reason;
    }
    return undefined;
  };

  it('throws ModelFitError on empty, invalid and degenerate input', () => {
    expect(reason(() => fitGammaGamma([]))).toBe('empty-input');
    expect(reason(() => fitGammaGamma([{ frequency: 0, monetary: 10 }]))).toBe('invalid-input');
    expect(reason(() => fitGammaGamma([{ frequency: 2, monetary: 0 }]))).toBe('invalid-input');
    expect(reason(() => fitGammaGamma([{ frequency: 1.5, monetary: 3 }]))).toBe('invalid-input');
    // identical spend everywhere: zero variance, p -> infinity (no interior maximum)
    expect(reason(() => fitGammaGamma(Array.from({ length: 30 }, () => ({ frequency: 2, monetary: 30 }))))).toBe('diverged');
  });

  it('rejects spend forecasts when the population mean is infinite (q <= 1)', () => {
    expect(() => conditionalExpectedAverageSpend({ p: 2, q: 0.9, v: 10 }, 2, 20)).toThrow(RangeError);
  });
});
