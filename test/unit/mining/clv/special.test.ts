import {
  expit,
  hyp2f1,
  lbeta,
  lgamma,
  logaddexp,
  logsumexp,
  SeriesConvergenceError,
} from '../../../../layers/core/src/mining/clv/special.js';
import { nelderMead } from '../../../../layers/core/src/mining/clv/optimize.js';

// Reference values: mpmath 1.3 at 30 significant digits.
const LGAMMA_REF: [number, number][] = [
  [1e-8, 18.420680738180208905],
  [0.001, 6.9071788853838536825],
  [0.1, 2.2527126517342059599],
  [0.5, 0.57236494292470008707],
  [1.5, -0.12078223763524522235],
  [2.5, 0.28468287047291915963],
  [7.3, 7.1478925230222490328],
  [33.3, 82.603723581654952928],
  [100, 359.13420536957539878],
  [1234.5, 7550.5509010778948957],
  [1e6, 12815504.56914761166],
];

describe('lgamma', () => {
  it.each(LGAMMA_REF)('lgamma(%p) matches mpmath to ~1e-13 (relative to max(1, |value|))', (x, ref) => {
    expect(Math.abs(lgamma(x) - ref) / Math.max(1, Math.abs(ref))).toBeLessThan(1e-13);
  });

  it('equals ln((n-1)!) at integers 1..20 to 1e-13', () => {
    let fact = 1;
    for (let n = 1; n <= 20; n++) {
      if (n > 1) fact *= n - 1;
      expect(Math.abs(lgamma(n) - Math.log(fact))).toBeLessThan(1e-13);
    }
  });

  it('satisfies the recurrence lgamma(x+1) = lgamma(x) + ln x', () => {
    for (const x of [0.013, 0.37, 0.99, 3.7, 12.5, 250.25]) {
      expect(lgamma(x + 1) - lgamma(x) - Math.log(x)).toBeCloseTo(0, 12);
    }
  });

  it('returns NaN outside its domain', () => {
    expect(lgamma(0)).toBeNaN();
    expect(lgamma(-1.5)).toBeNaN();
    expect(lgamma(Number.NaN)).toBeNaN();
  });

  it('lbeta(a, b) = ln B(a, b)', () => {
    expect(lbeta(1, 1)).toBeCloseTo(0, 14);
    expect(lbeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 14);
    expect(lbeta(0.5, 0.5)).toBeCloseTo(Math.log(Math.PI), 14);
  });
});

describe('logsumexp / logaddexp / expit', () => {
  it('does not overflow or underflow', () => {
    expect(logaddexp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logaddexp(-1000, -1000)).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(logaddexp(Number.NEGATIVE_INFINITY, 3)).toBe(3);
    expect(logsumexp([1000, 1000, 1000])).toBeCloseTo(1000 + Math.log(3), 12);
    expect(logsumexp([Math.log(1), Math.log(2), Math.log(3)])).toBeCloseTo(Math.log(6), 14);
    expect(logsumexp([])).toBe(Number.NEGATIVE_INFINITY);
    expect(logsumexp([1, Number.NaN])).toBeNaN();
    expect(expit(800)).toBe(1);
    expect(expit(-800)).toBe(0);
    expect(expit(0)).toBe(0.5);
  });
});

describe('hyp2f1', () => {
  it('matches closed forms', () => {
    for (const z of [-0.9, -0.3, 0.01, 0.5, 0.9, 0.99]) {
      // 2F1(1, 1; 2; z) = -ln(1-z)/z
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log1p(-z) / z, 12);
      // 2F1(a, b; b; z) = (1-z)^-a
      expect(hyp2f1(0.7, 2.3, 2.3, z)).toBeCloseTo((1 - z) ** -0.7, 11);
    }
    // 2F1(1/2, 1/2; 3/2; s^2) = arcsin(s)/s
    for (const s of [0.1, 0.5, 0.9]) expect(hyp2f1(0.5, 0.5, 1.5, s * s)).toBeCloseTo(Math.asin(s) / s, 12);
    // polynomial case terminates exactly: 2F1(-2, b; c; z) = 1 - 2bz/c + b(b+1)z^2/(c(c+1))
    expect(hyp2f1(-2, 3, 4, 0.5)).toBeCloseTo(1 - (2 * 3 * 0.5) / 4 + (3 * 4 * 0.25) / (4 * 5), 14);
  });

  it.each([
    // [a, b, c, z, mpmath value]
    [2.243, 4.426, 4.219, 39 / (4.414 + 38.86 + 39), 4.5753158976436893116],
    [0.3, 0.7, 1.5, 0.99, 1.3942571144688691747],
    [50.2, 52.4, 53.2, 0.3, 45510712.765444475228],
    [1.2, -0.3, 2.5, -0.6, 1.0771191435726255478],
    [2.5, 3.5, 1.25, 0.9, 177091.69558727686219],
  ])('2F1(%p, %p; %p; %p) matches mpmath to 1e-12 relative', (a, b, c, z, ref) => {
    expect(Math.abs(hyp2f1(a, b, c, z) / ref - 1)).toBeLessThan(1e-12);
  });

  it('rejects |z| >= 1 and poles, and reports non-convergence', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, 0.999999, { maxTerms: 100 })).toThrow(SeriesConvergenceError);
  });
});

describe('nelderMead', () => {
  it('minimises the 4-D Rosenbrock function', () => {
    const rosen = (x: readonly number[]): number => {
      let s = 0;
      for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
      return s;
    };
    const res = nelderMead(rosen, [-1.2, 1, -1.2, 1], { maxIterations: 20_000, tolerance: 1e-14, xTolerance: 1e-9 });
    expect(res.converged).toBe(true);
    for (const xi of res.x) expect(xi).toBeCloseTo(1, 5);
    expect(res.fx).toBeLessThan(1e-10);
  });

  it('treats NaN as +inf and reports non-convergence when out of budget', () => {
    const f = (x: readonly number[]): number => (x[0]! < 0 ? Number.NaN : (x[0]! - 2) ** 2 + (x[1]! + 1) ** 2);
    const ok = nelderMead(f, [1, 1]);
    expect(ok.x[0]).toBeCloseTo(2, 5);
    expect(ok.x[1]).toBeCloseTo(-1, 5);
    const capped = nelderMead(f, [1, 1], { maxIterations: 5 });
    expect(capped.converged).toBe(false);
  });
});
