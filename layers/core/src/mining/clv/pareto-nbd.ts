/**
 * Pareto/NBD model of repeat-purchase counts: Schmittlein, Morrison & Colombo (1987), "Counting
 * Your Customers: Who Are They and What Will They Do Next?", Management Science 33(1). The
 * likelihood and its derived quantities follow Fader & Hardie (2005), "A Note on Deriving the
 * Pareto/NBD Model and Related Expressions" (brucehardie.com/notes/009), eqs. 18-22, 27, 36-41.
 *
 * Model: while alive, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); her
 * lifetime is exponential with rate μ ~ Gamma(s, β) (shape, rate), λ and μ independent.
 *
 * Data per customer (the RFM summary, as in bgnbd.ts): x = repeat purchases in the calibration
 * period, t_x = time of the last one since the first purchase (0 if x = 0), T = age. All times
 * in one unit (e.g. weeks); α and β are then in that unit.
 *
 * Every quantity below reduces to integrals of the form
 *   I(p, q; y₁, y₂) = ∫_{y₁}^{y₂} (α+y)^{−p} (β+y)^{−q} dy,
 * which the note writes with ₂F₁(p+q−1, ·; p+q; ·) (eqs. 19-20; the branch α ≥ β or α < β keeps
 * the argument in [0, 1), as lifetimes' `ParetoNBDFitter._log_A_0`). With M = max(α, β) carrying
 * exponent p_M, m = min(α, β) carrying exponent q_m and z = |α−β|/(M+y), an antiderivative is
 *   −G(y)/(p_M+q_m−1),  G(y) = (M+y)^{−p_M} (m+y)^{1−q_m} H(p_M, p_M+q_m; z),
 * where Euler's transformation turned the note's ₂F₁(p+q−1, q_m; p+q; z) into
 *   H(p, c; z) = ₂F₁(1, p; c; z) = Σ_n (p)_n/(c)_n zⁿ   (c > p > 0, 0 <= z < 1),
 * a series of positive terms with term ratios below z: no cancellation, no growth before decay
 * (the note's form has numerator parameter r+s+x, which grows with the frequency), and a
 * rigorous tail bound. It needs about ln(1e16)/(1−z) terms; 1 − z = (m+y)/(M+y) >= m/M, so it is
 * fast unless α and β differ by orders of magnitude (α/β = 100 still needs < 4 000 terms).
 *
 * They do differ by orders of magnitude when the fit runs off to a boundary of the model: with
 * no visible heterogeneity in the purchase or the dropout rate, the likelihood keeps rising as a
 * shape and its scale grow together (r, α → ∞ at fixed r/α, or s, β → ∞ at fixed s/β: the Gamma
 * mixing becomes a point mass), and the series then needs millions of terms per evaluation. The
 * fit therefore bounds the work per evaluation (FIT_H_MAX_TERMS, checked before summing) and
 * stops as 'diverged' when a shape parameter has run past SHAPE_RUNOFF; see fitParetoNbd.
 */
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
import { expit, lgamma, SeriesConvergenceError } from './special.js';

export type { RfmColumns, RfmRow } from './rfm-fit.js';

// Module-level aliases for the hot loops: under jest (node:vm contexts) every lookup of the
// global `Math` goes through the context's interceptor, which made fitting ~10x slower.
const { exp, expm1, log, log1p, max, min } = Math;
const NEG_INF = Number.NEGATIVE_INFINITY;

const MODEL = 'pareto-nbd' satisfies ModelFitError['model'];

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

export interface ParetoNbdFitOptions {
  /**
   * L2 penalty, as in lifetimes: the optimiser minimises
   * −LL / N + penalizer · (r² + (α·k)² + s² + (β·k)²), where N is the number of customers and
   * k = 10 / max(T) rescales α and β to a time unit in which the oldest customer has age 10
   * (lifetimes' `_scale_time`), so the penalty does not depend on the time unit. Default 0.
   */
  penalizer?: number;
  /** Nelder-Mead iteration budget over all restarts (default 10 000). */
  maxIterations?: number;
  /** Tolerance on the mean negative log-likelihood (default 1e-10). */
  tolerance?: number;
  /** Starting point; default r = 1, α = max(T)/10, s = 1, β = max(T)/10. */
  initial?: ParetoNbdParams;
  /**
   * Throw ModelFitError('not-converged') when the tolerance is not met (default true).
   * With false, the best point found is returned with `converged: false`.
   */
  requireConvergence?: boolean;
}

export interface ParetoNbdFit extends ParetoNbdParams, RfmFitStats {}

/** Relative tolerance of the H series and its term cap (1 − z >= 4e-6 converges within it). */
const H_TOL = 1e-16;
const H_MAX_TERMS = 10_000_000;
/**
 * Series-term budget per ln H in the fit (1 − z >= ~2.2e-4, i.e. max(α, β) up to ~4 500 times
 * min(α, β) + min y). A trial point needing more is rejected before any series is summed, so an
 * evaluation costs at most (distinct ends) × FIT_H_MAX_TERMS term updates.
 */
const FIT_H_MAX_TERMS = 200_000;
/**
 * Run-off thresholds, applied only to trial points rejected by FIT_H_MAX_TERMS (where α and β
 * are already orders of magnitude apart). A Gamma mixing distribution with shape above
 * SHAPE_RUNOFF has a coefficient of variation below 1%: no customer base tells it from a point
 * mass. A mean dropout rate s/β below DROPOUT_RUNOFF per age of the oldest customer means
 * (practically) nobody dies within the data. Either way the optimiser is running off along a
 * ridge towards a boundary of the model, and the fit stops as 'diverged'.
 */
const SHAPE_RUNOFF = 1e4;
const DROPOUT_RUNOFF = 1e-6;

/**
 * Upper bound on the terms {@link lnH} sums at argument z: terms are at most zⁿ and it stops once
 * z^{n+1} <= H_TOL·(1 − z).
 */
function hTermsNeeded(z: number): number {
  return z <= 0 ? 0 : log(H_TOL * (1 - z)) / log(z);
}

/**
 * ln H(p, c; z) = ln Σ_n (p)_n/(c)_n zⁿ for 0 <= z < 1, c > p > 0; NaN when the series needs
 * more than H_MAX_TERMS terms (1 − z below ~4e-6). Term ratios (p+n)/(c+n)·z increase towards
 * z, so after term t_n the rest is at most t_n·z/(1−z).
 */
function lnH(p: number, c: number, z: number, maxTerms = H_MAX_TERMS): number {
  if (z === 0) return 0;
  const stop = H_TOL * (1 - z);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    term *= ((p + n) / (c + n)) * z;
    sum += term;
    if (term * z <= stop * sum) return log(sum);
  }
  return Number.NaN;
}

function checkedLnH(p: number, c: number, z: number): number {
  const v = lnH(p, c, z);
  if (Number.isNaN(v)) {
    throw new SeriesConvergenceError(`Pareto/NBD 2F1(1, ${p}; ${c}; ${z}): no convergence in ${H_MAX_TERMS} terms`);
  }
  return v;
}

/** ln(e^u − 1) for u >= 0 (−∞ at 0). */
function logExpm1(u: number): number {
  return u > 1 ? u + log1p(-exp(-u)) : log(expm1(u));
}

/** ln(1 + e^u). */
function softplus(u: number): number {
  return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

/**
 * ln of the odds that a customer with history (x, t_x, T) is dead at T (note eqs. 18, 36):
 *   odds = s/(r+s+x) · A₀ · (α+T)^{r+x} (β+T)^s,  A₀/(r+s+x) = I(r+x, s+1; t_x, T),
 * i.e. ln(s/(r+s+x)) + ln k + ln(G(t_x)/G(T) − 1) with k = (α+T)^{r+x}(β+T)^s G(T), which is
 * H(z_T) for α >= β and (α+T)/(β+T)·H(z_T) for α < β. −∞ when t_x = T.
 */
function logOddsDead({ r, alpha, s, beta }: ParetoNbdParams, x: number, t_x: number, T: number): number {
  if (t_x === T) return NEG_INF;
  const aGeB = alpha >= beta;
  const M = aGeB ? alpha : beta;
  const m = aGeB ? beta : alpha;
  const d = M - m;
  const pM = aGeB ? r + x : s + 1;
  const qm = aGeB ? s + 1 : r + x;
  const c = r + s + x + 1;
  const lnHT = checkedLnH(pM, c, d / (M + T));
  const lnHtx = checkedLnH(pM, c, d / (M + t_x));
  const gap = T - t_x;
  const lnRatio = pM * log1p(gap / (M + t_x)) + (qm - 1) * log1p(gap / (m + t_x)) + lnHtx - lnHT; // ln G(t_x)/G(T)
  const lnK = (aGeB ? 0 : log((alpha + T) / (beta + T))) + lnHT;
  return log(s / (r + s + x)) + lnK + logExpm1(max(lnRatio, 0));
}

/**
 * Individual log-likelihood ln L(r, α, s, β | x, t_x, T) (note eq. 18):
 *   ln L = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β − (r+x) ln(α+T) − s ln(β+T) + ln(1 + odds),
 * where odds is the posterior odds of having died before T (see {@link paretoNbdPAlive}).
 */
export function paretoNbdLogLikelihood(params: ParetoNbdParams, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  const { r, alpha, s, beta } = params;
  const a1 = lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta);
  return a1 - (r + x) * log(alpha + T) - s * log(beta + T) + softplus(logOddsDead(params, x, t_x, T));
}

/**
 * Σ w · ln L over the patterns; NaN/−∞ propagate (the optimiser treats them as +∞). NaN without
 * any series work when some ln H would need more than `maxTerms` terms.
 */
function totalLogLikelihood(p: RfmPatterns, r: number, alpha: number, s: number, beta: number, maxTerms = H_MAX_TERMS): number {
  const aGeB = alpha >= beta;
  const M = aGeB ? alpha : beta;
  const m = aGeB ? beta : alpha;
  const d = M - m;
  if (hTermsNeeded(d / (M + p.minY)) > maxTerms) return Number.NaN;
  const ny = p.yVals.length;
  const lnMy = new Float64Array(ny);
  const lnmy = new Float64Array(ny);
  const zy = new Float64Array(ny);
  for (let k = 0; k < ny; k++) {
    const y = p.yVals[k]!;
    lnMy[k] = log(M + y);
    lnmy[k] = log(m + y);
    zy[k] = d / (M + y);
  }
  const nx = p.xVals.length;
  const a1 = new Float64Array(nx);
  const pMx = new Float64Array(nx);
  const qm1x = new Float64Array(nx);
  const lnSOverRsx = new Float64Array(nx);
  const common = -lgamma(r) + r * log(alpha) + s * log(beta);
  for (let k = 0; k < nx; k++) {
    const x = p.xVals[k]!;
    a1[k] = common + lgamma(r + x);
    pMx[k] = aGeB ? r + x : s + 1;
    qm1x[k] = aGeB ? s : r + x - 1;
    lnSOverRsx[k] = log(s / (r + s + x));
  }
  const ne = p.endX.length;
  const lnHe = new Float64Array(ne);
  for (let e = 0; e < ne; e++) {
    const xi = p.endX[e]!;
    lnHe[e] = lnH(pMx[xi]!, r + s + p.xVals[xi]! + 1, zy[p.endY[e]!]!, maxTerms);
  }

  let ll = 0;
  for (let i = 0; i < p.n; i++) {
    const xi = p.xIdx[i]!;
    const x = p.xVals[xi]!;
    const ti = p.tY[i]!;
    const txi = p.txY[i]!;
    // (α+T), (β+T) in terms of M, m
    const lnAT = aGeB ? lnMy[ti]! : lnmy[ti]!;
    const lnBT = aGeB ? lnmy[ti]! : lnMy[ti]!;
    let li = a1[xi]! - (r + x) * lnAT - s * lnBT;
    if (ti !== txi) {
      const lnHT = lnHe[p.tEnd[i]!]!;
      const lnRatio = pMx[xi]! * (lnMy[ti]! - lnMy[txi]!) + qm1x[xi]! * (lnmy[ti]! - lnmy[txi]!) + lnHe[p.txEnd[i]!]! - lnHT;
      const u = max(lnRatio, 0);
      const lnOdds = lnSOverRsx[xi]! + (aGeB ? 0 : lnAT - lnBT) + lnHT + (u > 1 ? u + log1p(-exp(-u)) : log(expm1(u)));
      li += lnOdds > 0 ? lnOdds + log1p(exp(-lnOdds)) : log1p(exp(lnOdds));
    }
    ll += p.w[i]! * li;
  }
  return ll;
}

const PARETO_NBD: RfmModel<ParetoNbdParams> = {
  model: MODEL,
  names: ['r', 'alpha', 's', 'beta'],
  rates: ['alpha', 'beta'],
  dropout: 's and beta',
  logLikelihood: (p, { r, alpha, s, beta }) => totalLogLikelihood(p, r, alpha, s, beta),
  fitLogLikelihood: (p, { r, alpha, s, beta }) => totalLogLikelihood(p, r, alpha, s, beta, FIT_H_MAX_TERMS),
  runOff: {
    isRunOff: ({ r, s, beta }, ll, p) => Number.isNaN(ll) && (max(r, s) > SHAPE_RUNOFF || (s / beta) * p.maxT < DROPOUT_RUNOFF),
    explanation: 'no heterogeneity visible in the purchase or dropout rates, or no dropout at all',
  },
};

/**
 * Maximum-likelihood fit of the Pareto/NBD model (Nelder-Mead over log-parameters, so all four
 * stay positive). Identical (x, t_x, T) rows are grouped first, and the hypergeometric series
 * are evaluated once per distinct (x, T) and (x, t_x), so the cost per iteration is
 * proportional to the number of distinct patterns, not customers.
 *
 * Throws {@link ModelFitError} for empty or invalid input, for data without any repeat purchase
 * (the dropout parameters s and β are then not identified), when the optimiser does not
 * converge, when the estimate runs off to 0 or ∞ (outside [1e-8, 1e8]), or when the result is
 * not finite. A trial point over the series budget (FIT_H_MAX_TERMS) with a shape past
 * SHAPE_RUNOFF or a dropout rate below DROPOUT_RUNOFF, or a new best point outside
 * [1e-8, 1e8], ends the fit early as 'diverged' (details carry the evaluations so far).
 */
export function fitParetoNbd(data: readonly RfmRow[] | RfmColumns, opts: ParetoNbdFitOptions = {}): ParetoNbdFit {
  return fitRfmModel(PARETO_NBD, data, opts);
}

/** Total log-likelihood Σ w_i ln L_i of a data set under given parameters. */
export function paretoNbdTotalLogLikelihood(params: ParetoNbdParams, data: readonly RfmRow[] | RfmColumns): number {
  checkParams(params);
  const p = buildRfmPatterns(data, MODEL);
  return totalLogLikelihood(p, params.r, params.alpha, params.s, params.beta);
}

function checkParams({ r, alpha, s, beta }: ParetoNbdParams): void {
  if (!(r > 0 && alpha > 0 && s > 0 && beta > 0) || ![r, alpha, s, beta].every(Number.isFinite)) {
    throw new RangeError(`Pareto/NBD parameters must be finite and > 0 (r=${r}, alpha=${alpha}, s=${s}, beta=${beta})`);
  }
}

/**
 * P(alive at T | x, t_x, T) (note eq. 36): 1 / (1 + s/(r+s+x) · (α+T)^{r+x} (β+T)^s · A₀).
 * Exactly 1 when t_x = T. Unlike the BG/NBD, a one-time buyer (x = 0) can be dead: her
 * lifetime runs from the first purchase whether or not she buys again.
 */
export function paretoNbdPAlive(params: ParetoNbdParams, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  return expit(-logOddsDead(params, x, t_x, T));
}

/**
 * E[Y(t) | x, t_x, T]: expected number of purchases in (T, T+t] of a customer with history
 * (x, t_x, T) (note eq. 41):
 *   P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^{s−1}],
 * i.e. P(alive) · E[λ/μ (1 − e^{−μt})] under the alive posterior Gamma(r+x, α+T) × Gamma(s, β+T).
 * The bracket is evaluated as (s−1)·L·φ((s−1)L), L = ln(1 + t/(β+T)), φ(u) = (1−e^{−u})/u, so
 * it is exact at s = 1 (where it becomes (β+T)·L) and has no cancellation for small t.
 */
export function paretoNbdConditionalExpectedPurchases(params: ParetoNbdParams, t: number, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  checkHorizon(t);
  return expit(-logOddsDead(params, x, t_x, T)) * expectedWhileAlive(params, t, x, T);
}

function expectedWhileAlive({ r, alpha, s, beta }: ParetoNbdParams, t: number, x: number, T: number): number {
  if (t === 0) return 0;
  const L = log1p(t / (beta + T));
  const u = (s - 1) * L;
  const phi = u === 0 ? 1 : -expm1(-u) / u;
  return (((r + x) * (beta + T)) / (alpha + T)) * L * phi;
}

/**
 * E[X(t)]: expected number of repeat purchases in (0, t] for a NEW customer (note eq. 27):
 * rβ / (α(s−1)) · [1 − (β/(β+t))^{s−1}]. `t` in the fitting time unit.
 */
export function paretoNbdExpectedPurchases(params: ParetoNbdParams, t: number): number {
  checkParams(params);
  checkHorizon(t);
  return expectedWhileAlive(params, t, 0, 0);
}

/**
 * P(Y(t) = 0 | x, t_x, T): probability that a customer with history (x, t_x, T) makes NO
 * purchase in (T, T+t].
 *
 * Dead customers make none; an alive one with rates (λ, μ) buys before dying within t with
 * probability λ/(λ+μ)·(1 − e^{−(λ+μ)t}) = ∫₀ᵗ λ e^{−(λ+μ)u} du. Under the alive posterior
 * λ ~ Gamma(r+x, α+T), μ ~ Gamma(s, β+T) (independent), E[λ e^{−λu}] E[e^{−μu}] integrates to
 *   K = (r+x) (α+T)^{r+x} (β+T)^s · I(r+x+1, s; T, T+t)
 *     = (r+x)/(r+x+s) · k · (1 − G(T+t)/G(T)),
 * with k = (α+T)^{r+x}(β+T)^s G(T) = (β+T)/(α+T)·H(z_T) for α >= β and H(z_T) for α < β (the
 * closed form through ₂F₁, see the module comment). Then P = 1 − P(alive)·K. As t → ∞, K tends
 * to E[λ/(λ+μ)], the chance that she ever buys again. Cost: four short series (two for
 * P(alive), two for K).
 */
export function paretoNbdProbabilityOfNoPurchases(params: ParetoNbdParams, t: number, x: number, t_x: number, T: number): number {
  checkParams(params);
  checkHistory(x, t_x, T);
  checkHorizon(t);
  if (t === 0) return 1;
  const alive = expit(-logOddsDead(params, x, t_x, T));
  const { r, alpha, s, beta } = params;
  const aGeB = alpha >= beta;
  const M = aGeB ? alpha : beta;
  const m = aGeB ? beta : alpha;
  const d = M - m;
  const pM = aGeB ? r + x + 1 : s;
  const qm = aGeB ? s : r + x + 1;
  const c = r + s + x + 1;
  const lnHT = checkedLnH(pM, c, d / (M + T));
  const lnHTt = checkedLnH(pM, c, d / (M + T + t));
  const lnRatio = -pM * log1p(t / (M + T)) + (1 - qm) * log1p(t / (m + T)) + lnHTt - lnHT; // ln G(T+t)/G(T)
  const lnK = log((r + x) / (r + x + s)) + (aGeB ? log((beta + T) / (alpha + T)) : 0) + lnHT;
  const K = min(1, max(0, -exp(lnK) * expm1(min(lnRatio, 0))));
  return 1 - alive * K;
}
