/**
 * Gamma-Gamma model of average transaction value: Fader, Hardie & Lee (2005), "RFM and CLV:
 * Using Iso-Value Curves for Customer Base Analysis", JMR 42(4), and Fader & Hardie (2013),
 * "The Gamma-Gamma Model of Monetary Value" (brucehardie.com/notes/025).
 *
 * Model: a customer's transaction values are i.i.d. Gamma(p, ν) (shape p, rate ν), so their
 * mean is p/ν; across customers ν ~ Gamma(q, v) (shape q, rate v). Spend is assumed
 * independent of the purchase process. Only customers with x >= 1 repeat transactions and a
 * positive mean repeat-transaction value m_x enter the fit.
 */
import { ModelFitError } from './errors.js';
import { nelderMead } from './optimize.js';
import { lgamma } from './special.js';

export { ModelFitError } from './errors.js';

// Module-level aliases for the hot loops: under jest (node:vm contexts) every lookup of the
// global `Math` goes through the context's interceptor, which made fitting ~10x slower.
const { abs, exp, log } = Math;
const { isFinite: finite, isInteger: integer } = Number;

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

/** One customer (or `weight` identical customers). Extra fields are ignored. */
export interface SpendRow {
  /** x: number of (repeat) transactions averaged in `monetary`; must be >= 1. */
  frequency: number;
  /** m_x: their mean value; must be > 0. */
  monetary: number;
  weight?: number;
}

export interface GammaGammaFitOptions {
  /**
   * L2 penalty as in lifetimes: minimises −LL/N + penalizer · (p² + q² + v²). Parameters are
   * in the data's currency (no rescaling, like lifetimes), so v is penalised in money units.
   */
  penalizer?: number;
  maxIterations?: number;
  /** Tolerance on the mean negative log-likelihood (default 1e-10). */
  tolerance?: number;
  /** Starting point; default p = 1, q = 2, v = mean(m_x), so that E[M] = p·v/(q−1) = mean. */
  initial?: GammaGammaParams;
  /** Throw when the tolerance is not met (default true). */
  requireConvergence?: boolean;
}

export interface GammaGammaFit extends GammaGammaParams {
  /** Total (unpenalised) log-likelihood of the m_x values. */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  customers: number;
}

const LOG_BOUND = log(1e8);

/**
 * ln f(m_x | p, q, v, x) for one customer (note 025, eq. 1a):
 *   ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m_x + px ln x − (px+q) ln(v + x·m_x).
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, m_x: number): number {
  const { p, q, v } = params;
  const px = p * x;
  return lgamma(px + q) - lgamma(px) - lgamma(q) + q * log(v) + (px - 1) * log(m_x) + px * log(x) - (px + q) * log(v + x * m_x);
}

/**
 * Maximum-likelihood fit (Nelder-Mead over ln p, ln q, ln v). Rows must have integer
 * frequency >= 1 and monetary > 0 (filter out one-time buyers first). Throws
 * {@link ModelFitError} on empty/invalid input, non-convergence, divergence (a parameter
 * outside [1e-8, 1e8]) or non-finite results.
 */
export function fitGammaGamma(rows: readonly SpendRow[], opts: GammaGammaFitOptions = {}): GammaGammaFit {
  // group identical (x, m_x)
  const key = new Map<string, number>();
  const xs: number[] = [];
  const ms: number[] = [];
  const ws: number[] = [];
  let total = 0;
  let sumM = 0;
  rows.forEach((row, i) => {
    const { frequency: x, monetary: m } = row;
    const w = row.weight ?? 1;
    if (!(integer(x) && x >= 1)) {
      throw new ModelFitError('gamma-gamma', 'invalid-input', `row ${i}: frequency must be an integer >= 1 (got ${x})`, { row: i });
    }
    if (!(finite(m) && m > 0)) {
      throw new ModelFitError('gamma-gamma', 'invalid-input', `row ${i}: monetary must be finite and > 0 (got ${m})`, { row: i });
    }
    if (!(finite(w) && w >= 0)) {
      throw new ModelFitError('gamma-gamma', 'invalid-input', `row ${i}: weight must be finite and >= 0 (got ${w})`, { row: i });
    }
    if (w === 0) return;
    total += w;
    sumM += w * m;
    const k = `${x}|${m}`;
    const j = key.get(k);
    if (j === undefined) {
      key.set(k, xs.length);
      xs.push(x);
      ms.push(m);
      ws.push(w);
    } else {
      ws[j]! += w;
    }
  });
  if (total === 0) throw new ModelFitError('gamma-gamma', 'empty-input', 'no customers with repeat transactions to fit');
  const penalizer = opts.penalizer ?? 0;
  if (!(Number.isFinite(penalizer) && penalizer >= 0)) {
    throw new ModelFitError('gamma-gamma', 'invalid-input', `penalizer must be finite and >= 0 (got ${penalizer})`);
  }

  // Per-pattern constants; lgamma terms depend on x only, so they are computed once per
  // distinct x and the per-pattern cost is a single log.
  const n = xs.length;
  const X = Float64Array.from(xs);
  const M = Float64Array.from(ms);
  const W = Float64Array.from(ws);
  const lnM = M.map(log);
  const xDistinct = [...new Set(xs)];
  const xSlot = new Map(xDistinct.map((x, k) => [x, k] as const));
  const XI = Int32Array.from(xs, (x) => xSlot.get(x)!);
  const lnXd = xDistinct.map(log);
  const lgDiff = new Float64Array(xDistinct.length);
  const logLik = (p: number, q: number, v: number): number => {
    const common = -lgamma(q) + q * log(v);
    for (let k = 0; k < xDistinct.length; k++) {
      const px = p * xDistinct[k]!;
      lgDiff[k] = lgamma(px + q) - lgamma(px) + common + px * lnXd[k]!;
    }
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const x = X[i]!;
      const px = p * x;
      const li = lgDiff[XI[i]!]! + (px - 1) * lnM[i]! - (px + q) * log(v + x * M[i]!);
      ll += W[i]! * li;
    }
    return ll;
  };
  const objective = (th: readonly number[]): number => {
    const p = exp(th[0]!);
    const q = exp(th[1]!);
    const v = exp(th[2]!);
    return -logLik(p, q, v) / total + penalizer * (p * p + q * q + v * v);
  };
  const init = opts.initial ?? { p: 1, q: 2, v: sumM / total };
  for (const [k, val] of Object.entries(init)) {
    if (!(Number.isFinite(val) && val > 0)) {
      throw new ModelFitError('gamma-gamma', 'invalid-input', `initial.${k} must be finite and > 0 (got ${val})`);
    }
  }
  const res = nelderMead(objective, [log(init.p), log(init.q), log(init.v)], {
    maxIterations: opts.maxIterations ?? 10_000,
    tolerance: opts.tolerance ?? 1e-10,
    initialStep: 0.5,
  });
  const p = exp(res.x[0]!);
  const q = exp(res.x[1]!);
  const v = exp(res.x[2]!);
  const logLikelihood = logLik(p, q, v);
  const details = { p, q, v, logLikelihood, iterations: res.iterations, evaluations: res.evaluations };
  if (![p, q, v, logLikelihood, res.fx].every(Number.isFinite)) {
    throw new ModelFitError('gamma-gamma', 'non-finite', 'the likelihood or parameters are not finite at the solution', details);
  }
  if (res.x.some((t) => abs(t) > LOG_BOUND)) {
    throw new ModelFitError('gamma-gamma', 'diverged', `a parameter ran off to 0 or infinity (p=${p}, q=${q}, v=${v})`, details);
  }
  if (!res.converged && (opts.requireConvergence ?? true)) {
    throw new ModelFitError('gamma-gamma', 'not-converged', `no convergence after ${res.iterations} iterations`, details);
  }
  return { p, q, v, logLikelihood, iterations: res.iterations, converged: res.converged, customers: total };
}

/**
 * Population mean transaction value E[M] = p·v/(q−1); requires q > 1 (otherwise the mean
 * is infinite and no spend forecast exists).
 */
export function populationMeanSpend({ p, q, v }: GammaGammaParams): number {
  if (!(q > 1)) throw new RangeError(`Gamma-Gamma mean spend is undefined for q <= 1 (q=${q})`);
  return (p * v) / (q - 1);
}

/**
 * E[M | x, m_x]: expected value of a customer's future transactions given x observed
 * transactions with mean m_x (note 025, eq. 5), a credibility-weighted average of the
 * population mean and the customer's own mean:
 *   (q−1)/(px+q−1) · p·v/(q−1) + px/(px+q−1) · m_x.
 * For x = 0 (no observed spend) this is the population mean; `m_x` is then ignored.
 */
export function conditionalExpectedAverageSpend(params: GammaGammaParams, x: number, m_x: number): number {
  const { p, q } = params;
  const mean = populationMeanSpend(params);
  if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`x must be a non-negative integer (got ${x})`);
  if (x === 0) return mean;
  if (!(Number.isFinite(m_x) && m_x >= 0)) throw new RangeError(`m_x must be finite and >= 0 (got ${m_x})`);
  const weight = (p * x) / (p * x + q - 1);
  return (1 - weight) * mean + weight * m_x;
}
