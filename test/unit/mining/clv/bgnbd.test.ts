import {
  bgNbdLogLikelihood,
  bgNbdTotalLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchases,
  fitBgNbd,
  ModelFitError,
  pAlive,
  probabilityOfNoPurchases,
  probabilityOfPurchases,
  type BgNbdFit,
  type BgNbdParams,
} from '../../../../layers/core/src/mining/clv/bgnbd.js';
import { lbeta, lgamma } from '../../../../layers/core/src/mining/clv/special.js';
import { mulberry32 } from '../../../../layers/core/src/random.js';
import { cdnow, expectLocalMaximum, groupRfm, simulateBgNbd, type SimCustomer } from './helpers.js';

/** Published estimates, Fader, Hardie & Lee (2005), CDNOW sample, 39-week calibration. */
const PAPER: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/**
 * Brute-force E[Y(t) | x, t_x, T] straight from the model's definition, independent of eq. 10
 * and of any hypergeometric function:
 *   E = ∫∫ g(λ) h(p) (1−p)^x λ^x e^{−λT} · (1/p)(1 − e^{−λpt}) dλ dp / L(x, t_x, T),
 * i.e. P(alive at T, λ, p | data) × E[purchases in t | alive, λ, p]. The λ-integral is
 * elementary; the p-integral is done numerically (midpoint rule after p = u^{1/a}, which
 * removes the p^{a−1} endpoint singularity).
 */
function bruteForceConditional(params: BgNbdParams, t: number, x: number, t_x: number, T: number): number {
  const { r, alpha, a, b } = params;
  const k = r + x;
  const lnC = lgamma(r + x) - lgamma(r) + r * Math.log(alpha) - k * Math.log(alpha + T) - lbeta(a, b);
  const n = 200_000;
  let integral = 0;
  for (let i = 0; i < n; i++) {
    const u = (i + 0.5) / n;
    const p = u ** (1 / a);
    const bracket = -Math.expm1(-k * Math.log1p((p * t) / (alpha + T)));
    integral += ((1 / a) * (1 / p) * (1 - p) ** (b + x - 1) * bracket) / n;
  }
  return Math.exp(lnC + Math.log(integral) - bgNbdLogLikelihood(params, x, t_x, T));
}

describe('BG/NBD on the CDNOW sample (Fader, Hardie & Lee 2005)', () => {
  let fit: BgNbdFit;
  beforeAll(() => {
    fit = fitBgNbd(cdnow('sample').summary);
  });

  it('reproduces the published estimates r=0.243, alpha=4.414, a=0.793, b=2.426 and LL=-9582.4', () => {
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2357);
    expect(fit.r).toBeCloseTo(0.243, 2);
    expect(fit.alpha).toBeCloseTo(4.414, 2);
    expect(fit.a).toBeCloseTo(0.793, 2);
    expect(fit.b).toBeCloseTo(2.426, 2);
    expect(fit.logLikelihood).toBeCloseTo(-9582.4, 1);
    // Tighter: our optimum (cross-checked with scipy BFGS + Nelder-Mead on the same summary):
    // r=0.242595, alpha=4.413602, a=0.792922, b=2.425907, LL=-9582.429207.
    expect(fit.r).toBeCloseTo(0.242595, 4);
    expect(fit.alpha).toBeCloseTo(4.413602, 3);
    expect(fit.a).toBeCloseTo(0.792922, 4);
    expect(fit.b).toBeCloseTo(2.425907, 3);
    expect(fit.logLikelihood).toBeCloseTo(-9582.429207, 4);
  });

  it('is a maximum: perturbing any parameter lowers the log-likelihood', () => {
    expectLocalMaximum(bgNbdTotalLogLikelihood, fit, cdnow('sample').summary, ['r', 'alpha', 'a', 'b']);
  });

  it('gives the same answer from weighted, columnar and duplicated input', () => {
    const rows = cdnow('sample').summary;
    const groups = groupRfm(rows);
    const weighted = fitBgNbd(groups);
    expect(weighted.patterns).toBe(groups.length);
    expect(weighted.customers).toBe(2357);
    expect(weighted.logLikelihood).toBeCloseTo(fit.logLikelihood, 6);
    expect(weighted.r).toBeCloseTo(fit.r, 5);

    const tripled = {
      frequency: Float64Array.from([...rows, ...rows, ...rows], (c) => c.frequency),
      recency: Float64Array.from([...rows, ...rows, ...rows], (c) => c.recency),
      T: Float64Array.from([...rows, ...rows, ...rows], (c) => c.T),
    };
    const big = fitBgNbd(tripled);
    expect(big.customers).toBe(3 * 2357);
    expect(big.patterns).toBe(groups.length);
    expect(big.logLikelihood).toBeCloseTo(3 * fit.logLikelihood, 4);
    expect(big.b).toBeCloseTo(fit.b, 4);
  });

  it('predicts the holdout: per-frequency conditional expectations vs actual (weeks 40-78)', () => {
    const data = cdnow('sample').summary;
    let predicted = 0;
    let actual = 0;
    const bins = new Map<number, { n: number; act: number; exp: number }>();
    for (const c of data) {
      const e = conditionalExpectedPurchases(fit, 39, c.frequency, c.recency, c.T);
      predicted += e;
      actual += c.holdoutFrequency;
      const k = Math.min(c.frequency, 7);
      const bin = bins.get(k) ?? { n: 0, act: 0, exp: 0 };
      bin.n++;
      bin.act += c.holdoutFrequency;
      bin.exp += e;
      bins.set(k, bin);
    }
    // Verified numbers (not the ~5% hoped for in the brief): the model expects 1,653.4
    // repeat transactions in the 39-week holdout; the data show 1,882, i.e. the conditional
    // forecast is 12.1% low in aggregate. The shortfall sits in the x = 1 and x = 2 bins
    // (actual 0.697 and 1.393 per customer vs 0.523 and 1.044 expected); x = 0 (0.237 vs
    // 0.225) and x >= 7 (6.36 vs 6.16) are close.
    expect(actual).toBe(1882);
    expect(predicted).toBeCloseTo(1653.4, 0);
    expect(predicted / actual).toBeGreaterThan(0.85);
    expect(predicted / actual).toBeLessThan(0.9);
    const zero = bins.get(0)!;
    expect(zero.n).toBe(1411);
    expect(Math.abs(zero.exp / zero.act - 1)).toBeLessThan(0.06);
    const top = bins.get(7)!;
    expect(Math.abs(top.exp / top.act - 1)).toBeLessThan(0.05);
  });

  it('tracks cumulative repeat transactions over all 78 weeks to within 5% (unconditional forecast)', () => {
    // The paper's tracking plot compares Σ_i E[X(time since trial)] with the actual
    // cumulative count. At the end of week 78 (1998-06-30): actual 2,457 + 1,882 = 4,339.
    const data = cdnow('sample').summary;
    const expectedCalibration = data.reduce((s, c) => s + expectedPurchases(fit, c.T), 0);
    const expectedTotal = data.reduce((s, c) => s + expectedPurchases(fit, c.T + 39), 0);
    expect(expectedCalibration).toBeCloseTo(2494.0, 0); // actual 2,457 (+1.5%)
    expect(expectedTotal).toBeCloseTo(4160.6, 0); // actual 4,339 (−4.1%)
    expect(Math.abs(expectedTotal / 4339 - 1)).toBeLessThan(0.05);
    // The holdout increment on its own is 1,666.7 vs 1,882 (−11.4%), like the conditional sum.
    expect(expectedTotal - expectedCalibration).toBeCloseTo(1666.7, 0);
  });
});

describe('BG/NBD on the full CDNOW master file (23,570 customers)', () => {
  it('fits; estimates cross-checked with scipy on the same summary', () => {
    const data = cdnow('master').summary;
    const fit = fitBgNbd(data);
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(23570);
    expect(fit.r).toBeCloseTo(0.251624, 4);
    expect(fit.alpha).toBeCloseTo(4.788943, 3);
    expect(fit.a).toBeCloseTo(0.723434, 4);
    expect(fit.b).toBeCloseTo(2.161088, 3);
    expect(fit.logLikelihood).toBeCloseTo(-95368.443933, 3);
  });
});

describe('BG/NBD predictions', () => {
  it('reproduces the paper example: x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks', () => {
    const e = conditionalExpectedPurchases(PAPER, 39, 2, 30.43, 38.86);
    expect(e).toBeCloseTo(1.226, 3);
    // mpmath (eq. 10 with its own hyp2f1, 30 digits): 1.2260281747671405361
    expect(Math.abs(e / 1.2260281747671405361 - 1)).toBeLessThan(1e-12);
  });

  it('matches mpmath for a heavy buyer and for the unconditional expectation', () => {
    // x = 50: the direct 2F1(r+x, b+x; a+b+x-1; z) series has huge terms; we use Euler's form.
    expect(Math.abs(conditionalExpectedPurchases(PAPER, 39, 50, 38, 38.86) / 33.391197999067984926 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(expectedPurchases(PAPER, 39) / 1.1967231933208140633 - 1)).toBeLessThan(1e-12);
    // tiny horizons: no cancellation in 1 − (…)·2F1
    expect(Math.abs(expectedPurchases(PAPER, 1e-6) / 5.5052105022920394983e-8 - 1)).toBeLessThan(1e-8);
    expect(expectedPurchases(PAPER, 0)).toBe(0);
  });

  it.each([
    [2, 30.43, 38.86, 39],
    [0, 0, 32, 52],
    [7, 20, 35, 10],
    [1, 2, 38, 100],
  ])('eq. 10 agrees with brute-force integration over (lambda, p): x=%p t_x=%p T=%p t=%p', (x, tx, T, t) => {
    const closed = conditionalExpectedPurchases(PAPER, t, x, tx, T);
    expect(Math.abs(bruteForceConditional(PAPER, t, x, tx, T) / closed - 1)).toBeLessThan(1e-6);
  });

  it('is continuous through a = 1 (the (a+b+x-1)/(a-1) factor is a removable singularity)', () => {
    const at1 = conditionalExpectedPurchases({ ...PAPER, a: 1 }, 39, 2, 30, 38);
    const below = conditionalExpectedPurchases({ ...PAPER, a: 1 - 1e-7 }, 39, 2, 30, 38);
    const above = conditionalExpectedPurchases({ ...PAPER, a: 1 + 1e-7 }, 39, 2, 30, 38);
    expect(Number.isFinite(at1)).toBe(true);
    expect(Math.abs(below - at1)).toBeLessThan(1e-6);
    expect(Math.abs(above - at1)).toBeLessThan(1e-6);
  });

  it('P(alive) is 1 for x = 0 and falls as the gap since the last purchase grows', () => {
    expect(pAlive(PAPER, 0, 0, 38.86)).toBe(1);
    expect(pAlive(PAPER, 2, 30.43, 38.86)).toBeCloseTo(0.7266, 4);
    for (const x of [1, 2, 5, 10]) {
      let prev = Number.POSITIVE_INFINITY;
      for (let tx = 38; tx >= 1; tx -= 1) {
        const p = pAlive(PAPER, x, tx, 38.86);
        expect(p).toBeLessThan(prev);
        expect(p).toBeGreaterThan(0);
        prev = p;
      }
      expect(pAlive(PAPER, x, 38.86, 38.86)).toBeCloseTo(1 / (1 + PAPER.a / (PAPER.b + x - 1)), 12);
    }
  });

  it('P(X(t)=n) is a distribution whose mean is E[X(t)] and whose P(0) matches probabilityOfNoPurchases', () => {
    for (const t of [5, 39, 78]) {
      let total = 0;
      let mean = 0;
      for (let n = 0; n < 400; n++) {
        const p = probabilityOfPurchases(PAPER, t, n);
        total += p;
        mean += n * p;
      }
      expect(total).toBeCloseTo(1, 10);
      expect(mean).toBeCloseTo(expectedPurchases(PAPER, t), 6);
      expect(probabilityOfNoPurchases(PAPER, t, 0, 0, 0)).toBeCloseTo(probabilityOfPurchases(PAPER, t, 0), 14);
    }
  });

  it('P(no purchase in next t) is in [1 − P(alive), 1], decreasing in t', () => {
    const alive = pAlive(PAPER, 3, 20, 38);
    let prev = 1;
    for (const t of [0, 1, 10, 39, 100, 1000]) {
      const p0 = probabilityOfNoPurchases(PAPER, t, 3, 20, 38);
      expect(p0).toBeLessThanOrEqual(prev);
      expect(p0).toBeGreaterThanOrEqual(1 - alive - 1e-15);
      prev = p0;
    }
    expect(probabilityOfNoPurchases(PAPER, 0, 3, 20, 38)).toBe(1);
  });

  it('rejects invalid parameters and histories', () => {
    expect(() => pAlive({ ...PAPER, r: -1 }, 1, 1, 2)).toThrow(RangeError);
    expect(() => pAlive(PAPER, 1.5, 1, 2)).toThrow(RangeError);
    expect(() => conditionalExpectedPurchases(PAPER, 10, 2, 5, 4)).toThrow(RangeError);
    expect(() => expectedPurchases(PAPER, -1)).toThrow(RangeError);
  });
});

describe('BG/NBD on simulated data (known truth)', () => {
  const truth: BgNbdParams = { r: 0.6, alpha: 5, a: 0.9, b: 3 };
  let sim: SimCustomer[];
  beforeAll(() => {
    const u = mulberry32(7);
    const Ts = Array.from({ length: 20_000 }, () => 20 + 30 * u());
    sim = simulateBgNbd(truth, Ts, 26, 42);
  });

  it('recovers the parameters: likelihood-ratio test against the truth passes at 99.9%', () => {
    const fit = fitBgNbd(sim);
    const lr = 2 * (fit.logLikelihood - bgNbdTotalLogLikelihood(truth, sim));
    expect(lr).toBeGreaterThanOrEqual(0); // the MLE beats the truth in-sample
    expect(lr).toBeLessThan(18.47); // chi-square(4) 0.999 quantile
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(fit[k] / truth[k] - 1)).toBeLessThan(0.1);
  });

  it('conditional expectations, P(no purchase) and P(alive) are calibrated against simulated futures', () => {
    // z = Σ(actual − predicted) / sqrt(Σ(actual − predicted)^2); |z| < 3 for all three.
    const z = (pairs: [number, number][]): number => {
      let s = 0;
      let ss = 0;
      for (const [act, pred] of pairs) {
        s += act - pred;
        ss += (act - pred) ** 2;
      }
      return s / Math.sqrt(ss);
    };
    const purchases = sim.map((c): [number, number] => [c.future, conditionalExpectedPurchases(truth, 26, c.frequency, c.recency, c.T)]);
    const none = sim.map((c): [number, number] => [
      c.future === 0 ? 1 : 0,
      probabilityOfNoPurchases(truth, 26, c.frequency, c.recency, c.T),
    ]);
    const alive = sim.map((c): [number, number] => [c.alive ? 1 : 0, pAlive(truth, c.frequency, c.recency, c.T)]);
    expect(Math.abs(z(purchases))).toBeLessThan(3);
    expect(Math.abs(z(none))).toBeLessThan(3);
    expect(Math.abs(z(alive))).toBeLessThan(3);
  });
});

describe('BG/NBD fitting robustness', () => {
  const expectFitError = (f: () => unknown, reason: string): void => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFitError);
    expect((err as ModelFitError).reason).toBe(reason);
  };

  it('throws ModelFitError on degenerate or invalid input', () => {
    expectFitError(() => fitBgNbd([]), 'empty-input');
    expectFitError(() => fitBgNbd([{ frequency: 1, recency: 1, T: 2, weight: 0 }]), 'empty-input');
    // all one-time buyers: a and b do not enter the likelihood
    expectFitError(() => fitBgNbd(Array.from({ length: 50 }, () => ({ frequency: 0, recency: 0, T: 30 }))), 'degenerate-input');
    // all customers identical: the likelihood has no interior maximum, parameters run off
    expectFitError(() => fitBgNbd(Array.from({ length: 50 }, () => ({ frequency: 2, recency: 10, T: 30 }))), 'diverged');
    expectFitError(() => fitBgNbd([{ frequency: -1, recency: 0, T: 3 }]), 'invalid-input');
    expectFitError(() => fitBgNbd([{ frequency: 1, recency: 5, T: 3 }]), 'invalid-input');
    expectFitError(() => fitBgNbd([{ frequency: 0, recency: 1, T: 3 }]), 'invalid-input');
    expectFitError(() => fitBgNbd([{ frequency: 1, recency: Number.NaN, T: 3 }]), 'invalid-input');
    expectFitError(() => fitBgNbd(cdnow('sample').summary, { maxIterations: 20 }), 'not-converged');
  });

  it('can return a non-converged best point when asked', () => {
    const fit = fitBgNbd(cdnow('sample').summary, { maxIterations: 20, requireConvergence: false });
    expect(fit.converged).toBe(false);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
  });

  it('the penalizer shrinks the (scaled) parameter vector and costs likelihood, monotonically', () => {
    const data = cdnow('sample').summary;
    const s = 10 / Math.max(...data.map((c) => c.T));
    const norm = (f: BgNbdParams): number => f.r ** 2 + (f.alpha * s) ** 2 + f.a ** 2 + f.b ** 2;
    const fits = [0, 0.001, 0.01, 0.1].map((penalizer) => fitBgNbd(data, { penalizer }));
    for (let i = 1; i < fits.length; i++) {
      expect(norm(fits[i]!)).toBeLessThan(norm(fits[i - 1]!));
      expect(fits[i]!.logLikelihood).toBeLessThan(fits[i - 1]!.logLikelihood);
    }
    // the identical-customers case that diverges unpenalised has an interior optimum with a penalty
    const same = fitBgNbd(
      Array.from({ length: 50 }, () => ({ frequency: 2, recency: 10, T: 30 })),
      { penalizer: 0.1 },
    );
    expect(same.converged).toBe(true);
  });
});

describe('conditional expected purchases with little dropout heterogeneity (large a, b)', () => {
  it('stays finite where the 2F1 series exceeds the double range, and near the less extreme equivalent', () => {
    const extreme = conditionalExpectedPurchases({ r: 2, alpha: 10, a: 1696.73, b: 103932.5 }, 50, 5, 59, 60);
    const milder = conditionalExpectedPurchases({ r: 2, alpha: 10, a: 169.673, b: 10393.25 }, 50, 5, 59, 60);
    expect(Number.isFinite(extreme)).toBe(true);
    expect(extreme).toBeGreaterThan(0);
    expect(extreme).toBeCloseTo(milder, 2);
  });
});
