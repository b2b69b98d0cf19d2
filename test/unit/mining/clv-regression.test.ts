/**
 * Regression for a bug found while building the pipeline: E[Y(t) | x = 0, ...] came out NaN
 * for a + b < 1 and large t (the log form of the hypergeometric bracket took the log of a
 * negative number). Synthetic data fits such parameters. Checked against the model's
 * definition integrated numerically (independent of eq. 10 and of 2F1).
 */
import {
  bgNbdLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchases,
  type BgNbdParams,
} from '../../../layers/core/src/mining/clv/bgnbd.js';
import { lbeta, lgamma } from '../../../layers/core/src/mining/clv/special.js';

const { exp, expm1, log, log1p, pow } = Math;

/**
 * E[Y(t) | x, t_x, T] = ∫ P(alive, p | data) · E[purchases in t | alive, λ, p]: the λ-integral
 * is closed-form, the p-integral is split at 1/2 with q = u^{1/a} below and 1 − q = v^{1/(b+x)}
 * above, which removes both endpoint singularities of p^{a−2}(1−p)^{b+x−1}.
 */
function bruteForce(params: BgNbdParams, t: number, x: number, t_x: number, T: number): number {
  const { r, alpha, a, b } = params;
  const k = r + x;
  const be = b + x;
  const lnC = lgamma(r + x) - lgamma(r) + r * log(alpha) - k * log(alpha + T) - lbeta(a, b);
  const bracket = (q: number) => -expm1(-k * log1p((q * t) / (alpha + T)));
  const n = 50_000;
  let integral = 0;
  const U = pow(0.5, a);
  for (let i = 0; i < n; i++) {
    const q = pow(((i + 0.5) / n) * U, 1 / a);
    integral += (U / n) * (1 / a) * (1 / q) * pow(1 - q, be - 1) * bracket(q);
  }
  const V = pow(0.5, be);
  for (let i = 0; i < n; i++) {
    const q = 1 - pow(((i + 0.5) / n) * V, 1 / be);
    integral += (V / n) * (1 / be) * pow(q, a - 2) * bracket(q);
  }
  return exp(lnC + log(integral) - bgNbdLogLikelihood(params, x, t_x, T));
}

describe('BG/NBD expected purchases with a + b < 1', () => {
  const params: BgNbdParams = { r: 1.27, alpha: 5.13, a: 0.091, b: 0.235 };

  it.each([
    [0, 52],
    [1, 26],
    [10, 26],
    [50, 52],
    [100, 4.3],
  ])('is finite and matches the brute-force integral for x = 0, T = %p, t = %p', (T, t) => {
    const v = conditionalExpectedPurchases(params, t, 0, 0, T);
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeCloseTo(bruteForce(params, t, 0, 0, T), 6);
  });

  it('gives a finite E[X(t)] for a new customer', () => {
    expect(expectedPurchases(params, 52)).toBeCloseTo(bruteForce(params, 52, 0, 0, 0), 6);
  });
});
