/**
 * MBG/NBD model of repeat-purchase counts: Batislam, Denizel & Filiztekin (2007), "Empirical
 * validation and comparison of models for customer base analysis", International Journal of
 * Research in Marketing 24(3), 201-209, with the erratum of Wagner & Hoppe (2008), IJRM 25(3).
 * lifetimes' `ModifiedBetaGeoFitter` implements the same expressions.
 *
 * Model: as the BG/NBD (bgnbd.ts) — purchases at rate λ ~ Gamma(r, α) while alive, dropout
 * probability p ~ Beta(a, b) — except that the customer may also drop out right after her FIRST
 * purchase (time 0), not only after repeat purchases. So a one-time buyer is not alive for sure,
 * and P(alive) falls with time since the last purchase for every x, including x = 0.
 *
 * Given λ and p, the likelihood of (x, t_x, T) is
 *   (1−p)^{x+1} λ^x e^{−λT}  [alive at T]  +  p (1−p)^x λ^x e^{−λ t_x}  [dropped after purchase x],
 * and given alive at T the posterior is λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x+1).
 *
 * Data and time units as in bgnbd.ts (x repeat purchases, t_x recency, T age; one time unit).
 */
import { conditionalExpectedPurchases as bgNbdConditionalExpectedPurchases } from './bgnbd.js';
import type { ModelFitError } from './errors.js';
import {
  buildRfmPatterns,
  checkHistory,
  checkHorizon,
  fitRfmModel,
  type RfmColumns,
  type RfmFitStats,
  type RfmModel,
  type RfmPatterns,
  type RfmRow,
} from './rfm-fit.js';
import { expit, lgamma } from './special.js';

// Module-level aliases for the hot loops: under jest (node:vm contexts) every lookup of the
// global `Math` goes through the context's interceptor, which made fitting ~10x slower.
const { exp, log, log1p } = Math;

const MODEL = 'mbg-nbd' satisfies ModelFitError['model'];

export interface MbgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface MbgNbdFitOptions {
  /**
   * L2 penalty, as in lifetimes: the optimiser minimises
   * −LL / N + penalizer · (r² + (α·k)² + a² + b²), where N is the number of customers and
   * k = 10 / max(T) rescales α to a time unit in which the oldest customer has age 10
   * (lifetimes' `_scale_time`), so the penalty does not depend on the time unit. Default 0.
   */
  penalizer?: number;
  /** Nelder-Mead iteration budget over all restarts (default 10 000). */
  maxIterations?: number;
  /** Tolerance on the mean negative log-likelihood (default 1e-10). */
  tolerance?: number;
  /** Starting point; default r = 1, α = max(T)/10, a = 1, b = 1 (lifetimes' start). */
  initial?: MbgNbdParams;
  /**
   * Throw ModelFitError('not-converged') when the tolerance is not met (default true).
   * With false, the best point found is returned with `converged: false`.
   */
  requireConvergence?: boolean;
}

export interface MbgNbdFit extends MbgNbdParams, RfmFitStats {}

/**
 * Individual log-likelihood ln L(r, α, a, b | x, t_x, T), in log space:
 *   A1 = ln Γ(r+x) − ln Γ(r) + r ln α
 *   A2 = ln Γ(a+b) + ln Γ(b+x+1) − ln Γ(b) − ln Γ(a+b+x+1)      (= ln B(a, b+x+1) − ln B(a, b))
 *   A3 = −(r+x) ln(α+T)
 *   A4 = ln a − ln(b+x) − (r+x) ln(α+t_x)                         (for every x, also x = 0)
 *   ln L = A1 + A2 + logaddexp(A3, A4)
 * (E[p(1−p)^x] = B(a+1, b+x)/B(a, b) = a/(b+x) · B(a, b+x+1)/B(a, b) gives the a/(b+x) factor.)
 */
export function mbgNbdLogLikelihood(params: MbgNbdParams, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  const { r, alpha, a, b } = params;
  const a1 = lgamma(r + x) - lgamma(r) + r * log(alpha);
  const a2 = lgamma(a + b) + lgamma(b + x + 1) - lgamma(b) - lgamma(a + b + x + 1);
  const a3 = -(r + x) * log(alpha + T);
  // ln(e^{A3} + e^{A4}) = A3 + ln(1 + odds of having dropped out)
  return a1 + a2 + a3 + softplus(logOddsDead(params, x, t_x, T));
}

/** ln(1 + e^u). */
function softplus(u: number): number {
  return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

/** Σ w · ln L over the patterns; NaN/−∞ propagate (the optimiser treats them as +∞). */
function totalLogLikelihood(p: RfmPatterns, { r, alpha, a, b }: MbgNbdParams): number {
  const nx = p.xVals.length;
  const a12 = new Float64Array(nx);
  const c4 = new Float64Array(nx);
  const common = -lgamma(r) + r * log(alpha) + lgamma(a + b) - lgamma(b);
  const lnA = log(a);
  for (let k = 0; k < nx; k++) {
    const x = p.xVals[k]!;
    a12[k] = common + lgamma(r + x) + lgamma(b + x + 1) - lgamma(a + b + x + 1);
    c4[k] = lnA - log(b + x);
  }
  const ny = p.yVals.length;
  const lnAy = new Float64Array(ny);
  for (let k = 0; k < ny; k++) lnAy[k] = log(alpha + p.yVals[k]!);

  let ll = 0;
  for (let i = 0; i < p.n; i++) {
    const xi = p.xIdx[i]!;
    const rx = r + p.xVals[xi]!;
    const a3 = -rx * lnAy[p.tY[i]!]!;
    const a4 = c4[xi]! - rx * lnAy[p.txY[i]!]!;
    ll += p.w[i]! * (a12[xi]! + (a3 > a4 ? a3 + log1p(exp(a4 - a3)) : a4 + log1p(exp(a3 - a4))));
  }
  return ll;
}

const MBG_NBD: RfmModel<MbgNbdParams> = {
  model: MODEL,
  names: ['r', 'alpha', 'a', 'b'],
  rates: ['alpha'],
  dropout: 'a and b',
  logLikelihood: totalLogLikelihood,
};

/**
 * Maximum-likelihood fit of the MBG/NBD model (Nelder-Mead over log-parameters, so all four
 * stay positive). Identical (x, t_x, T) rows are grouped first, so the cost per iteration is
 * proportional to the number of distinct patterns, not customers.
 *
 * Throws {@link ModelFitError} for empty or invalid input, for data without any repeat purchase
 * (a and b then enter only through a/b and are not identified), when the optimiser does not
 * converge, when the estimate runs off to 0 or ∞ (outside [1e-8, 1e8]), or when the result is
 * not finite.
 */
export function fitMbgNbd(data: readonly RfmRow[] | RfmColumns, opts: MbgNbdFitOptions = {}): MbgNbdFit {
  return fitRfmModel(MBG_NBD, data, opts);
}

/** Total log-likelihood Σ w_i ln L_i of a data set under given parameters. */
export function mbgNbdTotalLogLikelihood(params: MbgNbdParams, data: readonly RfmRow[] | RfmColumns): number {
  checkParams(params);
  return totalLogLikelihood(buildRfmPatterns(data, MODEL), params);
}

function checkParams({ r, alpha, a, b }: MbgNbdParams): void {
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0) || ![r, alpha, a, b].every(Number.isFinite)) {
    throw new RangeError(`MBG/NBD parameters must be finite and > 0 (r=${r}, alpha=${alpha}, a=${a}, b=${b})`);
  }
}

/** ln[a/(b+x) · ((α+T)/(α+t_x))^{r+x}]: log-odds of having dropped out by T. */
function logOddsDead({ r, alpha, a, b }: MbgNbdParams, x: number, t_x: number, T: number): number {
  return log(a / (b + x)) + (r + x) * log1p((T - t_x) / (alpha + t_x));
}

/**
 * P(alive at T | x, t_x, T) (Batislam et al. 2007, appendix eq. 5):
 *   1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^{r+x}),
 * for every x: a one-time buyer (x = 0) is alive with probability 1/(1 + a/b·((α+T)/α)^r) < 1.
 */
export function mbgNbdPAlive(params: MbgNbdParams, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  return expit(-logOddsDead(params, x, t_x, T));
}

/**
 * E[Y(t) | x, t_x, T]: expected number of purchases in (T, T+t] of a customer with history
 * (x, t_x, T) (Wagner & Hoppe 2008; lifetimes):
 *   (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^{r+x} ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive).
 *
 * The bracketed factor is E[(1 − e^{−λpt})/p] under the alive posterior λ ~ Gamma(r+x, α+T),
 * p ~ Beta(a, b+x+1) — exactly the BG/NBD expectation of a customer alive at T with no repeat
 * purchases under parameters (r+x, α, a, b+x+1) (bgnbd.ts eq. 10 with x = 0, where P(alive) = 1),
 * so it is delegated to the BG/NBD's numerically hardened evaluation (Euler-transformed series,
 * continuous through a = 1, log-space fallback for large a).
 */
export function mbgNbdConditionalExpectedPurchases(params: MbgNbdParams, t: number, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  checkHorizon(t);
  return expit(-logOddsDead(params, x, t_x, T)) * expectedWhileAlive(params, t, x, T);
}

function expectedWhileAlive({ r, alpha, a, b }: MbgNbdParams, t: number, x: number, T: number): number {
  return bgNbdConditionalExpectedPurchases({ r: r + x, alpha, a, b: b + x + 1 }, t, 0, 0, T);
}

/**
 * E[X(t)]: expected number of repeat purchases in (0, t] for a NEW customer (just made her first
 * purchase; she survives it with probability b/(a+b)):
 *   b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))].
 * `t` in the fitting time unit.
 */
export function mbgNbdExpectedPurchases(params: MbgNbdParams, t: number): number {
  checkParams(params);
  checkHorizon(t);
  return (params.b / (params.a + params.b)) * expectedWhileAlive(params, t, 0, 0);
}

/**
 * P(Y(t) = 0 | x, t_x, T): probability that a customer with history (x, t_x, T) makes NO
 * purchase in (T, T+t]. A dead customer makes none; an alive one can only drop out right after a
 * purchase, so she makes none with probability e^{−λt}, and λ | alive ~ Gamma(r+x, α+T):
 *   P = 1 − P(alive) + P(alive) · ((α+T)/(α+T+t))^{r+x}.
 */
export function mbgNbdProbabilityOfNoPurchases(params: MbgNbdParams, t: number, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  checkHorizon(t);
  const alive = expit(-logOddsDead(params, x, t_x, T));
  const { r, alpha } = params;
  return 1 - alive + alive * exp(-(r + x) * log1p(t / (alpha + T)));
}
