import fc from 'fast-check';
import {
  betaCdf,
  betaQuantile,
  compareGroups,
  newcombeInterval,
  normalQuantile,
  normalTwoSidedP,
  pooledZTest,
  priorFrom,
  smoothedRate,
  wilsonInterval,
} from '../../../layers/core/src/campaigns/stats.js';

const group = (customers: number, converted: number, revenueMinor = 0) => ({ customers, converted, revenueMinor });

describe('Newcombe hybrid score interval (method 10)', () => {
  // Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (score, no continuity correction),
  // examples (a)-(h), 4 decimals. Taken from two independent test suites that transcribe the
  // table (mqr's test_confint_2sample_newcomb and a propn_diff_ci test's "Newcombe" column); the
  // paper itself was not readable here.
  const TABLE_II: [number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ];

  it.each(TABLE_II)('%i/%i vs %i/%i -> [%f, %f]', (x1, n1, x2, n2, lo, hi) => {
    const [gotLo, gotHi] = newcombeInterval(x1, n1, x2, n2);
    expect(gotLo).toBeCloseTo(lo, 4);
    expect(gotHi).toBeCloseTo(hi, 4);
    // compareGroups reports the same interval as uplift.ci95
    const res = compareGroups({ treatment: group(n1, x1), control: group(n2, x2) });
    expect(res.uplift.ci95![0]).toBeCloseTo(lo, 4);
    expect(res.uplift.ci95![1]).toBeCloseTo(hi, 4);
  });

  it('builds on Wilson intervals equal to R prop.test(correct = FALSE)', () => {
    // R 3.6.2 prop.test values, as recorded in scipy's binomtest tests (test_ci_wilson_method).
    const [a, b] = wilsonInterval(3, 10, 0.95);
    expect(a).toBeCloseTo(0.1077913, 6);
    expect(b).toBeCloseTo(0.6032219, 6);
    const [c, d] = wilsonInterval(3, 10, 0.99);
    expect(c).toBeCloseTo(0.07956632, 6);
    expect(d).toBeCloseTo(0.6799753, 6);
    expect(wilsonInterval(0, 10)).toEqual([0, expect.closeTo(0.2775328, 6)]);
    expect(wilsonInterval(10, 10)).toEqual([expect.closeTo(0.7224672, 6), 1]);
  });

  it('is antisymmetric in the two groups', () => {
    const [lo, hi] = newcombeInterval(9, 10, 3, 10);
    const [lo2, hi2] = newcombeInterval(3, 10, 9, 10);
    expect(lo2).toBeCloseTo(-hi, 12);
    expect(hi2).toBeCloseTo(-lo, 12);
  });
});

describe('pooled two-proportion z-test', () => {
  it("matches R's prop.test(correct = FALSE)", () => {
    // influentialpoints.com, "Two-sample test for independent proportions - using R":
    // X-squared = 6.1026, p-value = 0.01350, proportions 0.4392523 and 0.3046875, Wald 95% CI
    // 0.03074072 to 0.23838896. The counts 94/214 and 39/128 are the ones that reproduce both the
    // proportions and the Wald interval's width.
    const { z, pValue } = pooledZTest(94, 214, 39, 128);
    expect(z! * z!).toBeCloseTo(6.1026, 4);
    expect(pValue).toBeCloseTo(0.0135, 5);
    expect(94 / 214).toBeCloseTo(0.4392523, 7);
  });

  it('gives the z of the Mee score statistic at a zero difference for 56/70 vs 48/80', () => {
    // GSK-Biostatistics/cicalc snapshot: Mee interval for 56/70 - 48/80, "At 0 the statistic is
    // 2.65"; at δ = 0 the restricted MLE is the pooled rate, so it is the pooled z.
    const { z, pValue } = pooledZTest(56, 70, 48, 80);
    expect(z!).toBeCloseTo(2.65, 2);
    // two-sided p from the one-sided 0.004 of the same snapshot
    expect(pValue).toBeGreaterThan(0.007);
    expect(pValue).toBeLessThan(0.009);
  });

  it('has p = 1 when nobody (or everybody) converted in both groups', () => {
    expect(pooledZTest(0, 50, 0, 40)).toEqual({ z: null, pValue: 1 });
    expect(pooledZTest(50, 50, 40, 40)).toEqual({ z: null, pValue: 1 });
  });

  it('uses normal tails and quantiles that agree with the textbook constants', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 12);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 12);
    expect(normalTwoSidedP(1.959963984540054)).toBeCloseTo(0.05, 14);
    expect(normalTwoSidedP(0)).toBe(1);
  });
});

describe('Beta quantiles', () => {
  it('match R qbeta', () => {
    // MIT 18.05 exam solution: qbeta(0.975, 2, 8) = 0.482, qbeta(0.025, 2, 8) = 0.0281.
    expect(betaQuantile(0.025, 2, 8)).toBeCloseTo(0.0281, 4);
    expect(betaQuantile(0.975, 2, 8)).toBeCloseTo(0.482, 3);
    // R output printed in tutorials: round(qbeta(c(.025, .975), 8, 72), 3) = 0.045 0.174;
    // qbeta(c(.025, .975), 1 + 12, 1 + 28) = 0.181 0.455.
    expect(betaQuantile(0.025, 8, 72)).toBeCloseTo(0.045, 3);
    expect(betaQuantile(0.975, 8, 72)).toBeCloseTo(0.174, 3);
    expect(betaQuantile(0.025, 13, 29)).toBeCloseTo(0.181, 3);
    expect(betaQuantile(0.975, 13, 29)).toBeCloseTo(0.455, 3);
  });

  it('reproduce R binom.test (Clopper-Pearson) limits, which are Beta quantiles', () => {
    // R 3.6.2 binom.test, as recorded in scipy's binomtest tests:
    // 20/100 at 95%: lower = qbeta(.025, 20, 81), upper = qbeta(.975, 21, 80)
    expect(betaQuantile(0.025, 20, 81)).toBeCloseTo(0.1266555521019559, 10);
    expect(betaQuantile(0.975, 21, 80)).toBeCloseTo(0.2918426890886281, 10);
    // 3/50 at 99%: qbeta(.005, 3, 48), qbeta(.995, 4, 47)
    expect(betaQuantile(0.005, 3, 48)).toBeCloseTo(0.006872485, 8);
    expect(betaQuantile(0.995, 4, 47)).toBeCloseTo(0.202706269, 8);
    // 0/10 upper = qbeta(.975, 1, 10); 10/10 lower = qbeta(.025, 10, 1)
    expect(betaQuantile(0.975, 1, 10)).toBeCloseTo(0.3084971, 6);
    expect(betaQuantile(0.025, 10, 1)).toBeCloseTo(0.6915029, 6);
  });

  it('match the closed forms of Beta(1, b) and Beta(a, 1) and the median of symmetric Betas', () => {
    expect(betaQuantile(0.5, 1, 1)).toBeCloseTo(0.5, 14);
    expect(betaQuantile(0.5, 7.5, 7.5)).toBeCloseTo(0.5, 12);
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.double({ min: 0.05, max: 500, noNaN: true }), (p, s) => {
        expect(betaQuantile(p, 1, s)).toBeCloseTo(-Math.expm1(Math.log1p(-p) / s), 10);
        expect(betaQuantile(p, s, 1)).toBeCloseTo(p ** (1 / s), 10);
      }),
    );
  });

  it('invert the CDF', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        // Below ~0.5 a quantile crowds against 1 closer than doubles resolve (1 − x ~ 1e-9 at b = 0.1).
        fc.double({ min: 0.5, max: 5000, noNaN: true }),
        fc.double({ min: 0.5, max: 5000, noNaN: true }),
        (p, a, b) => {
          expect(betaCdf(betaQuantile(p, a, b), a, b)).toBeCloseTo(p, 9);
        },
      ),
    );
  });
});

describe('compareGroups', () => {
  it('reports rates, uplift, interval, p-value and incremental revenue', () => {
    const res = compareGroups({ treatment: group(1000, 120, 600_000), control: group(500, 40, 200_000) });
    expect(res.treatment).toEqual({ customers: 1000, converted: 120, rate: 0.12, revenueMinor: 600_000 });
    expect(res.control.rate).toBe(0.08);
    expect(res.uplift.absolute).toBeCloseTo(0.04, 12);
    expect(res.uplift.relative).toBeCloseTo(0.5, 12);
    // (600 − 400 per customer) × 1000 treated
    expect(res.incrementalRevenueMinor).toBe(200_000);
    expect(res.conclusive).toBe(true);
    expect(res.note).toBeUndefined();
    expect(res.confidence).toBe(0.95);
    expect(res.method).toMatch(/Newcombe/);
    expect(res.method).toMatch(/pooled two-proportion z-test/);
    expect(res.method).toMatch(/Katz/);
    const [lo, hi] = res.uplift.relativeCi95!;
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    // Katz: exp(ln 1.5 ± 1.96·√(1/120 − 1/1000 + 1/40 − 1/500)) − 1, by hand
    const se = Math.sqrt(1 / 120 - 1 / 1000 + 1 / 40 - 1 / 500);
    expect(lo).toBeCloseTo(1.5 * Math.exp(-1.959963984540054 * se) - 1, 10);
  });

  it('flags groups too small to conclude, in plain words', () => {
    const res = compareGroups({ treatment: group(25, 3), control: group(100, 98) });
    expect(res.conclusive).toBe(false);
    expect(res.note).toMatch(/campaign group has only 25 customers/);
    expect(res.note).toMatch(/campaign group has only 3 who bought/);
    expect(res.note).toMatch(/control group has only 2 who did not buy/);
    expect(res.uplift.ci95).not.toBeNull();
  });

  it('defines the shape for an empty group: null rates, null comparisons, no division by zero', () => {
    const res = compareGroups({ treatment: group(120, 10, 5000), control: group(0, 0, 0) });
    expect(res.treatment.rate).toBeCloseTo(10 / 120, 12);
    expect(res.control.rate).toBeNull();
    expect(res.uplift).toEqual({ absolute: null, relative: null, ci95: null, relativeCi95: null, pValue: null, z: null });
    expect(res.incrementalRevenueMinor).toBeNull();
    expect(res.conclusive).toBe(false);
    expect(res.note).toMatch(/control group is empty/);
    const both = compareGroups({ treatment: group(0, 0), control: group(0, 0) });
    expect(both.treatment.rate).toBeNull();
    expect(both.note).toMatch(/campaign group is empty.*control group is empty/);
  });

  it('has no relative uplift when the control rate is 0, and no relative interval without treated conversions', () => {
    const zeroControl = compareGroups({ treatment: group(56, 5), control: group(29, 0) });
    expect(zeroControl.uplift.relative).toBeNull();
    expect(zeroControl.uplift.relativeCi95).toBeNull();
    expect(zeroControl.uplift.absolute).toBeCloseTo(5 / 56, 12);
    const zeroTreated = compareGroups({ treatment: group(40, 0), control: group(40, 8) });
    expect(zeroTreated.uplift.relative).toBe(-1);
    expect(zeroTreated.uplift.relativeCi95).toBeNull();
  });

  it('honours the confidence option', () => {
    const res = compareGroups({ treatment: group(70, 56), control: group(80, 48) }, { confidence: 0.99 });
    expect(res.confidence).toBe(0.99);
    expect(res.method).toMatch(/99%/);
    const [lo, hi] = res.uplift.ci95!;
    expect(lo).toBeLessThan(0.0524);
    expect(hi).toBeGreaterThan(0.3339);
  });

  const counts = fc
    .tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }))
    .chain(([n1, n2]) => fc.tuple(fc.integer({ min: 0, max: n1 }), fc.constant(n1), fc.integer({ min: 0, max: n2 }), fc.constant(n2)));

  it('property: the interval contains the estimate and lies in [-1, 1]', () => {
    fc.assert(
      fc.property(counts, fc.double({ min: 0.5, max: 0.999, noNaN: true }), ([x1, n1, x2, n2], conf) => {
        const res = compareGroups({ treatment: group(n1, x1), control: group(n2, x2) }, { confidence: conf });
        const [lo, hi] = res.uplift.ci95!;
        const d = res.uplift.absolute!;
        expect(lo).toBeGreaterThanOrEqual(-1);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(d + 1e-12);
        expect(hi).toBeGreaterThanOrEqual(d - 1e-12);
        expect(res.uplift.pValue).toBeGreaterThanOrEqual(0);
        expect(res.uplift.pValue).toBeLessThanOrEqual(1);
        if (res.uplift.relativeCi95) {
          const [rlo, rhi] = res.uplift.relativeCi95;
          expect(rlo).toBeLessThanOrEqual(res.uplift.relative! + 1e-9);
          expect(rhi).toBeGreaterThanOrEqual(res.uplift.relative! - 1e-9);
          expect(rlo).toBeGreaterThanOrEqual(-1);
        }
      }),
    );
  });

  it('property: the interval widens as the confidence rises', () => {
    fc.assert(
      fc.property(
        counts,
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        ([x1, n1, x2, n2], c1, c2) => {
          const [low, high] = c1 <= c2 ? [c1, c2] : [c2, c1];
          const [lo1, hi1] = newcombeInterval(x1, n1, x2, n2, low);
          const [lo2, hi2] = newcombeInterval(x1, n1, x2, n2, high);
          expect(lo2).toBeLessThanOrEqual(lo1 + 1e-12);
          expect(hi2).toBeGreaterThanOrEqual(hi1 - 1e-12);
        },
      ),
    );
  });

  it('property: bad inputs throw a RangeError naming the field', () => {
    const bad = fc.oneof(
      fc.integer({ min: -1000, max: -1 }),
      fc.double({ min: 0.01, max: 1000, noNaN: true }).filter((v) => !Number.isInteger(v)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY),
    );
    const fields = ['customers', 'converted', 'revenueMinor'] as const;
    fc.assert(
      fc.property(bad, fc.constantFrom(...fields), fc.constantFrom('treatment', 'control'), (value, field, which) => {
        const groups = { treatment: group(100, 10), control: group(100, 10) };
        groups[which as 'treatment' | 'control'][field] = value;
        expect(() => compareGroups(groups)).toThrow(RangeError);
        expect(() => compareGroups(groups)).toThrow(`${which}.${field}`);
      }),
    );
    expect(() => compareGroups({ treatment: group(10, 11), control: group(10, 1) })).toThrow(/treatment\.converted \(11\) exceeds/);
    for (const confidence of [0, 1, 95, -0.5, Number.NaN]) {
      expect(() => compareGroups({ treatment: group(10, 1), control: group(10, 1) }, { confidence })).toThrow(RangeError);
    }
  });
});

describe('smoothedRate', () => {
  it('is the Beta posterior mean with its 95% credible interval', () => {
    // Beta(1, 1) prior (rate 0.5, strength 2) after 12 of 40: Beta(13, 29); R qbeta gives 0.181 0.455.
    const s = smoothedRate(12, 40, { rate: 0.5, strength: 2 });
    expect(s.rate).toBeCloseTo(13 / 42, 12);
    expect(s.lower).toBeCloseTo(0.181, 3);
    expect(s.upper).toBeCloseTo(0.455, 3);
    expect(s.successes).toBe(12);
    expect(s.trials).toBe(40);
  });

  it('is the prior with no counts', () => {
    const s = smoothedRate(0, 0, { rate: 0.1, strength: 20 });
    expect(s.rate).toBeCloseTo(0.1, 12);
    expect(s.lower).toBeCloseTo(betaQuantile(0.025, 2, 18), 12);
  });

  it('priorFrom centres on the overall rate', () => {
    expect(priorFrom(50, 1000)).toEqual({ rate: 51 / 1002, strength: 20 });
    expect(priorFrom(0, 0, 5)).toEqual({ rate: 0.5, strength: 5 });
    expect(priorFrom(0, 100).rate).toBeGreaterThan(0);
    expect(priorFrom(100, 100).rate).toBeLessThan(1);
  });

  const trialCounts = fc.integer({ min: 1, max: 100_000 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)));

  it('property: lies between the raw rate and the prior rate', () => {
    fc.assert(
      fc.property(
        trialCounts,
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        ([s, n], rate, strength) => {
          const res = smoothedRate(s, n, { rate, strength });
          const raw = s / n;
          expect(res.rate).toBeGreaterThanOrEqual(Math.min(raw, rate) - 1e-12);
          expect(res.rate).toBeLessThanOrEqual(Math.max(raw, rate) + 1e-12);
          expect(res.lower).toBeGreaterThanOrEqual(0);
          expect(res.upper).toBeLessThanOrEqual(1);
          expect(res.lower).toBeLessThanOrEqual(res.upper);
        },
      ),
    );
  });

  it('property: the interval holds the smoothed rate when the prior has at least half a pseudo-count each way', () => {
    // (With a far below 1 the posterior piles up at 0 and the 97.5% quantile can fall below the mean.)
    fc.assert(
      fc.property(
        trialCounts,
        fc.double({ min: 0.5, max: 500, noNaN: true }),
        fc.double({ min: 0.5, max: 500, noNaN: true }),
        ([s, n], a0, b0) => {
          const res = smoothedRate(s, n, { rate: a0 / (a0 + b0), strength: a0 + b0 });
          expect(res.lower).toBeLessThanOrEqual(res.rate);
          expect(res.upper).toBeGreaterThanOrEqual(res.rate);
        },
      ),
    );
  });

  it('handles a prior far weaker than one pseudo-count', () => {
    // Beta(2e-5, 30): F(x) ≈ x^a near 0, so both quantiles underflow towards 0 and must stay ordered.
    const res = smoothedRate(0, 10, { rate: 1e-6, strength: 20 });
    expect(res.rate).toBeCloseTo(2e-5 / 30, 15);
    expect(res.lower).toBeGreaterThanOrEqual(0);
    expect(res.lower).toBeLessThanOrEqual(res.upper);
    expect(betaCdf(betaQuantile(0.5, 0.01, 5), 0.01, 5)).toBeCloseTo(0.5, 9);
  });

  it('property: bad inputs throw RangeError', () => {
    const prior = { rate: 0.1, strength: 20 };
    expect(() => smoothedRate(-1, 10, prior)).toThrow(/successes/);
    expect(() => smoothedRate(1.5, 10, prior)).toThrow(/successes/);
    expect(() => smoothedRate(11, 10, prior)).toThrow(/exceeds trials/);
    expect(() => smoothedRate(1, Number.NaN, prior)).toThrow(/trials/);
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: 0 }), fc.double({ min: 1 }), fc.constant(Number.NaN)), (rate) => {
        expect(() => smoothedRate(1, 10, { rate, strength: 20 })).toThrow(RangeError);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.double({ max: 0 }), fc.constant(Number.POSITIVE_INFINITY), fc.constant(Number.NaN)), (strength) => {
        expect(() => smoothedRate(1, 10, { rate: 0.1, strength })).toThrow(/prior\.strength/);
        expect(() => priorFrom(1, 10, strength)).toThrow(/strength/);
      }),
    );
    expect(() => priorFrom(11, 10)).toThrow(RangeError);
  });
});
