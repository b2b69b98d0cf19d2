/**
 * BG/NBD model of repeat-purchase counts: Fader, Hardie & Lee (2005), "Counting Your
 * Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2).
 *
 * Model: while alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α)
 * (shape r, rate α); after every purchase she drops out with probability p ~ Beta(a, b).
 *
 * Data per customer (the "RFM summary", features.ts computes it from histories):
 *  - x   = frequency: number of REPEAT purchases in the calibration period (first excluded);
 *  - t_x = recency: time from the first purchase to the last (repeat) purchase, 0 if x = 0;
 *  - T   = age: time from the first purchase to the end of the calibration period.
 *
 * Time units: all times (t_x, T and every forecast horizon t) must be in one unit, e.g.
 * weeks; α is then expressed in that unit (λ is purchases per unit), and a forecast for
 * t = 39 means 39 of those units.
 */
import {
  buildRfmPatterns,
  checkHorizon,
  fitRfmModel,
  type RfmColumns,
  type RfmFitStats,
  type RfmModel,
  type RfmPatterns,
  type RfmRow,
} from './rfm-fit.js';
import { expit, lbeta, lgamma, logaddexp, logSumSeries, SeriesConvergenceError, sumSeries } from './special.js';

export { ModelFitError } from './errors.js';
export type { ModelFitFailure } from './errors.js';
export type { RfmColumns, RfmRow } from './rfm-fit.js';

// Module-level aliases for the hot loops: under jest (node:vm contexts) every lookup of the
// global `Math` goes through the context's interceptor, which made fitting ~10x slower.
const { exp, expm1, log, log1p, max } = Math;
const NEG_INF = Number.NEGATIVE_INFINITY;

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFitOptions {
  /**
   * L2 penalty, as in lifetimes: the optimiser minimises
   * −LL / N + penalizer · (r² + (α·s)² + a² + b²), where N is the number of customers and
   * s = 10 / max(T) rescales α to a time unit in which the oldest customer has age 10
   * (lifetimes' `_scale_time`), so the penalty does not depend on the time unit. Default 0.
   */
  penalizer?: number;
  /** Nelder-Mead iteration budget over all restarts (default 10 000). */
  maxIterations?: number;
  /** Tolerance on the mean negative log-likelihood (default 1e-10). */
  tolerance?: number;
  /** Starting point; default r = 1, α = max(T)/10, a = 1, b = 1 (lifetimes' start). */
  initial?: BgNbdParams;
  /**
   * Throw ModelFitError('not-converged') when the tolerance is not met (default true).
   * With false, the best point found is returned with `converged: false`.
   */
  requireConvergence?: boolean;
}

export interface BgNbdFit extends BgNbdParams, RfmFitStats {}

/**
 * Individual log-likelihood ln L(r, α, a, b | x, t_x, T) (paper eq. 6), in log space:
 *   A1 = ln Γ(r+x) − ln Γ(r) + r ln α
 *   A2 = ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
 *   A3 = −(r+x) ln(α+T)
 *   A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)      (x > 0 only)
 *   ln L = A1 + A2 + logaddexp(A3, A4)            (A1 + A2 + A3 when x = 0)
 */
export function bgNbdLogLikelihood(params: BgNbdParams, x: number, t_x: number, T: number): number {
  const { r, alpha, a, b } = params;
  const a1 = lgamma(r + x) - lgamma(r) + r * log(alpha);
  const a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
  const a3 = -(r + x) * log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + t_x);
  return a1 + a2 + logaddexp(a3, a4);
}

/** Σ w · ln L over the patterns; NaN/−∞ propagate (the optimiser treats them as +∞). */
function totalLogLikelihood(p: RfmPatterns, { r, alpha, a, b }: BgNbdParams): number {
  const nx = p.xVals.length;
  const a12 = new Float64Array(nx);
  const c4 = new Float64Array(nx);
  const common = -lgamma(r) + r * log(alpha) + lgamma(a + b) - lgamma(b);
  const lnA = log(a);
  for (let k = 0; k < nx; k++) {
    const x = p.xVals[k]!;
    a12[k] = common + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x);
    c4[k] = x > 0 ? lnA - log(b + x - 1) : NEG_INF;
  }
  const ny = p.yVals.length;
  const lnAy = new Float64Array(ny);
  for (let k = 0; k < ny; k++) lnAy[k] = log(alpha + p.yVals[k]!);

  let ll = 0;
  for (let i = 0; i < p.n; i++) {
    const xi = p.xIdx[i]!;
    const x = p.xVals[xi]!;
    const rx = r + x;
    const a3 = -rx * lnAy[p.tY[i]!]!;
    let li: number;
    if (x === 0) {
      li = a12[xi]! + a3;
    } else {
      const a4 = c4[xi]! - rx * lnAy[p.txY[i]!]!;
      li = a12[xi]! + (a3 > a4 ? a3 + log1p(exp(a4 - a3)) : a4 + log1p(exp(a3 - a4)));
    }
    ll += p.w[i]! * li;
  }
  return ll;
}

const BG_NBD: RfmModel<BgNbdParams> = {
  model: 'bg-nbd',
  names: ['r', 'alpha', 'a', 'b'],
  rates: ['alpha'],
  dropout: 'a and b',
  logLikelihood: totalLogLikelihood,
};

/**
 * Maximum-likelihood fit of the BG/NBD model (Nelder-Mead over log-parameters, so all four
 * stay positive). Identical (x, t_x, T) rows are grouped first, so the cost per iteration is
 * proportional to the number of distinct patterns, not customers.
 *
 * Throws {@link ModelFitError} for empty or invalid input, for data without any repeat
 * purchase (a and b are then not identified), when the optimiser does not converge, when the
 * estimate runs off to 0 or ∞ (outside [1e-8, 1e8]), or when the result is not finite.
 */
export function fitBgNbd(data: readonly RfmRow[] | RfmColumns, opts: BgNbdFitOptions = {}): BgNbdFit {
  return fitRfmModel(BG_NBD, data, opts);
}

/** Total log-likelihood Σ w_i ln L_i of a data set under given parameters. */
export function bgNbdTotalLogLikelihood(params: BgNbdParams, data: readonly RfmRow[] | RfmColumns): number {
  return totalLogLikelihood(buildRfmPatterns(data, 'bg-nbd'), params);
}

function checkParams({ r, alpha, a, b }: BgNbdParams): void {
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0) || ![r, alpha, a, b].every(Number.isFinite)) {
    throw new RangeError(`BG/NBD parameters must be finite and > 0 (r=${r}, alpha=${alpha}, a=${a}, b=${b})`);
  }
}

function checkHistory(x: number, t_x: number, T: number): void {
  if (!(Number.isInteger(x) && x >= 0 && t_x >= 0 && T >= t_x && Number.isFinite(T))) {
    throw new RangeError(`invalid history x=${x}, t_x=${t_x}, T=${T} (need integer x >= 0, 0 <= t_x <= T)`);
  }
}

/**
 * P(alive at T | x, t_x, T) (Fader, Hardie & Lee 2008 note "Computing P(alive) using the
 * BG/NBD model"): 1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^{r+x}). Exactly 1 for x = 0,
 * because in the BG/NBD a customer can only drop out right after a repeat purchase.
 */
export function pAlive(params: BgNbdParams, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  if (x === 0) return 1;
  return expit(-logOddsDead(params, x, t_x, T));
}

function logOddsDead({ r, alpha, a, b }: BgNbdParams, x: number, t_x: number, T: number): number {
  return log(a / (b + x - 1)) + (r + x) * log((alpha + T) / (alpha + t_x));
}

/**
 * (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x; a+b+x−1; z)], z = t/(α+T+t):
 * the expected number of purchases in (T, T+t] of a customer who is alive at T (paper eq. 10
 * without the P(alive) denominator; with x = 0, T = 0 it is eq. 9).
 *
 * Evaluated through Euler's transformation ₂F₁(A', B'; c; z) = (1−z)^{c−A'−B'} ₂F₁(c−A', c−B'; c; z)
 * with c = a+b+x−1; since 1−z = (α+T)/(α+T+t) and c−(r+x)−(b+x) = a−1−r−x,
 *   ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x; c; z) = (1−z)^{a−1} ₂F₁(a+b−1−r, a−1; c; z). The new numerator parameters do not grow with x (the direct series for a
 * frequent buyer has huge terms before it converges), and (a−1) factors out of every term:
 * ₂F₁(A, a−1; c; z) = 1 + (a−1)·S with S = Σ_{n≥1} (A)_n (a)_{n−1} zⁿ / ((c)_n n!). So with
 *   L = (a−1)·[ln(1−z) + ln(1 + (a−1)S)/(a−1)],   the bracket is 1 − e^L = −expm1(L),
 * and the whole expression is −(a+b+x−1) · (expm1(L)/L) · (L/(a−1)): no cancellation for
 * small t and no 0/0 at a = 1.
 */
function expectedWhileAlive({ r, alpha, a, b }: BgNbdParams, t: number, x: number, T: number): number {
  if (t === 0) return 0;
  const z = t / (alpha + T + t);
  const A = a + b - 1 - r;
  const c = a + b + x - 1;
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`BG/NBD expectation undefined: a+b+x-1 = ${c}`);
  let s: number;
  try {
    s = sumSeries(
      (A * z) / c,
      (n) => (((A + n + 1) * (a + n)) / ((c + n + 1) * (n + 2))) * z,
      z,
      {},
      () => `BG/NBD 2F1 series (A=${A}, a=${a}, c=${c}, z=${z})`,
    );
  } catch (error) {
    // With large a (little heterogeneity in dropout, e.g. a fit on a homogeneous sample) S can
    // exceed the double range although the bracket stays in [0, 1]: redo it in log space,
    // where every term is positive (A, a, c > 0 here).
    if (!(error instanceof SeriesConvergenceError && A > 0 && a > 1 && c > 0)) throw error;
    const lnS = logSumSeries(
      log((A * z) / c),
      (n) => log(A + n + 1) + log(a + n) - log(c + n + 1) - log(n + 2) + log(z),
      z,
      {},
      () => `BG/NBD log-space 2F1 series (A=${A}, a=${a}, c=${c}, z=${z})`,
    );
    const l = (a - 1) * log1p(-z) + logaddexp(0, log(a - 1) + lnS);
    return (-c / (a - 1)) * expm1(l);
  }
  const u = (a - 1) * s;
  if (!(u > -1)) {
    // 1 + (a−1)S <= 0, which happens when c = a+b+x−1 < 0 (x = 0 with a + b < 1) and t is
    // large: the log form above is undefined (it returned NaN). Evaluate the bracket directly;
    // it then exceeds 1, so there is no cancellation to guard against.
    return (c / (a - 1)) * (1 - (1 - z) ** (a - 1) * (1 + u));
  }
  const lnOnePlusUOverAm1 = u === 0 ? s : s * (log1p(u) / u); // ln(1+(a−1)S)/(a−1)
  const lOverAm1 = log1p(-z) + lnOnePlusUOverAm1;
  const l = (a - 1) * lOverAm1;
  const expm1OverL = l === 0 ? 1 : expm1(l) / l;
  return -c * expm1OverL * lOverAm1;
}

/**
 * E[X(t)]: expected number of repeat purchases in (0, t] for a NEW customer (randomly chosen,
 * no history; paper eq. 9): (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
 * `t` in the fitting time unit.
 */
export function expectedPurchases(params: BgNbdParams, t: number): number {
  checkParams(params);
  checkHorizon(t);
  return expectedWhileAlive(params, t, 0, 0);
}

/**
 * E[Y(t) | x, t_x, T]: expected number of purchases in the next t time units, (T, T+t], of a
 * customer with history (x, t_x, T) (paper eq. 10):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *   / (1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^{r+x})
 * = P(alive) · (expected purchases while alive). Times in the fitting time unit.
 */
export function conditionalExpectedPurchases(params: BgNbdParams, t: number, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  checkHorizon(t);
  const alive = x === 0 ? 1 : expit(-logOddsDead(params, x, t_x, T));
  return alive * expectedWhileAlive(params, t, x, T);
}

/**
 * P(Y(t) = 0 | x, t_x, T): probability that a customer with history (x, t_x, T) makes NO
 * purchase in the next t time units, (T, T+t].
 *
 * Derivation: she is either already dead (probability 1 − P(alive)), or alive with
 * λ | alive, history ~ Gamma(r+x, α+T) — the alive part of the likelihood is
 * (1−p)^x λ^x e^{−λT}, which factorises in λ and p — and an alive customer cannot drop out
 * without purchasing, so P(no purchase | alive, λ) = e^{−λt}. Hence
 *   P = 1 − P(alive) + P(alive) · ((α+T)/(α+T+t))^{r+x}.
 * For a new customer (x = 0, T = 0) this is (α/(α+t))^r, paper eq. 8 with n = 0.
 */
export function probabilityOfNoPurchases(params: BgNbdParams, t: number, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  checkHorizon(t);
  const alive = x === 0 ? 1 : expit(-logOddsDead(params, x, t_x, T));
  const { r, alpha } = params;
  return 1 - alive + alive * exp(-(r + x) * log1p(t / (alpha + T)));
}

/**
 * P(X(t) = n): probability that a NEW customer makes exactly n repeat purchases in (0, t]
 * (paper eq. 8):
 *   B(a, b+n)/B(a, b) · NB(n; r, α/(α+t))
 *   + δ_{n>0} B(a+1, b+n−1)/B(a, b) · [1 − Σ_{j<n} NB(j; r, α/(α+t))],
 * with NB(j; r, π) = Γ(r+j)/(Γ(r) j!) π^r (1−π)^j.
 */
export function probabilityOfPurchases(params: BgNbdParams, t: number, n: number): number {
  checkParams(params);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer (got ${n})`);
  checkHorizon(t);
  const { r, alpha, a, b } = params;
  const lnPi = log(alpha / (alpha + t));
  const ln1mPi = log(t / (alpha + t));
  const lnNb = (j: number): number => (j === 0 ? r * lnPi : lgamma(r + j) - lgamma(r) - lgamma(j + 1) + r * lnPi + j * ln1mPi);
  const lbAB = lbeta(a, b);
  let p = exp(lbeta(a, b + n) - lbAB + lnNb(n));
  if (n > 0) {
    let cdf = 0;
    for (let j = 0; j < n; j++) cdf += exp(lnNb(j));
    p += exp(lbeta(a + 1, b + n - 1) - lbAB) * max(0, 1 - cdf);
  }
  return p;
}
