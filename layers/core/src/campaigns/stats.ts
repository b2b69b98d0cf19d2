/**
 * Statistics for closing the campaign loop: did the treated customers buy more than the random
 * control group (holdout), and how sure can we be; and response rates smoothed toward the overall
 * rate for targeting.
 *
 * Methods
 * - Rate difference (treated − control): Newcombe's hybrid score interval, method 10 of
 *   R. G. Newcombe, "Interval estimation for the difference between independent proportions:
 *   comparison of eleven methods", Stat Med 17:873-890 (1998). It combines the two Wilson score
 *   intervals (E. B. Wilson, JASA 22:209, 1927), stays inside [−1, 1] and behaves at small counts
 *   and rates near 0 or 1, where the textbook Wald interval collapses or overshoots.
 * - p-value: two-sided pooled two-proportion z-test (the same as Pearson's χ² test of the 2×2
 *   table without continuity correction, z² = X²; R's `prop.test(correct = FALSE)`). The normal
 *   tail is taken from the χ²₁ tail, Q(½, z²/2), so no separate erfc approximation is needed.
 * - Relative uplift p_t/p_c − 1: interval from the log risk ratio with Katz's standard error
 *   (Katz et al., Biometrics 34:469, 1978), √(1/x_t − 1/n_t + 1/x_c − 1/n_c).
 * - Smoothed rates: Beta(r·k, (1 − r)·k) prior on the overall rate r with strength k
 *   (pseudo-customers), updated with the counts; the 95% credible interval is from the Beta
 *   posterior's quantiles. The regularized incomplete beta is the continued fraction of Numerical
 *   Recipes (`betai`/`betacf`, modified Lentz), inverted by safeguarded Newton.
 *
 * Pure numerics, no I/O. Checked in test/unit/campaigns/stats.test.ts against published values
 * (Newcombe's Table II, R's prop.test and qbeta).
 */
import { lbeta, lgamma } from '../mining/clv/special.js';

// Module-level aliases: under jest every lookup of the global `Math` goes through the vm
// context's interceptor (see special.ts).
const { abs, exp, log, log1p, max, min, round, sqrt } = Math;

/** Below this many customers, conversions or non-conversions per group the normal approximation is not trusted. */
export const MIN_GROUP_CUSTOMERS = 30;
export const MIN_GROUP_EVENTS = 5;

export interface GroupCounts {
  customers: number;
  converted: number;
  revenueMinor: number;
}

export interface GroupSummary extends GroupCounts {
  /** converted / customers; null for an empty group. */
  rate: number | null;
}

export interface Uplift {
  /** p_t − p_c; null when either group is empty. */
  absolute: number | null;
  /** p_t / p_c − 1; null when either group is empty or the control rate is 0. */
  relative: number | null;
  /** Newcombe hybrid score interval for `absolute`, at the requested confidence (0.95 by default). */
  ci95: [number, number] | null;
  /** Katz log-risk-ratio interval for `relative`; null when `relative` is, when no one in the treated group converted, or when everyone in both did. */
  relativeCi95: [number, number] | null;
  /** Two-sided pooled z-test; 1 when both groups agree exactly on all-or-none; null when a group is empty. */
  pValue: number | null;
  /** The pooled z statistic (z² = Pearson's X²); null when a group is empty or the pooled rate is 0 or 1. */
  z: number | null;
}

export interface GroupComparison {
  treatment: GroupSummary;
  control: GroupSummary;
  uplift: Uplift;
  /** (revenue per treated − revenue per control customer) × treated customers, rounded; null when a group is empty. */
  incrementalRevenueMinor: number | null;
  confidence: number;
  method: string;
  /** False when either group is below the minimum sample (see MIN_GROUP_*). */
  conclusive: boolean;
  /** Plain words on why the result is not conclusive; absent when it is. */
  note?: string;
}

export interface CompareOptions {
  /** Confidence level of the intervals, in (0, 1); default 0.95. */
  confidence?: number;
}

function checkCount(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer (got ${value})`);
}

function checkGroup(g: GroupCounts, name: string): void {
  if (g === null || typeof g !== 'object') throw new RangeError(`${name} must be an object`);
  checkCount(g.customers, `${name}.customers`);
  checkCount(g.converted, `${name}.converted`);
  checkCount(g.revenueMinor, `${name}.revenueMinor`);
  if (g.converted > g.customers) {
    throw new RangeError(`${name}.converted (${g.converted}) exceeds ${name}.customers (${g.customers})`);
  }
}

function checkLevel(level: number, field: string): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`${field} must be strictly between 0 and 1 (got ${level})`);
}

/**
 * Wilson score interval for x successes in n trials, without continuity correction (R's
 * `prop.test(x, n, correct = FALSE)$conf.int`). The ends are exactly 0 at x = 0 and 1 at x = n.
 */
export function wilsonInterval(x: number, n: number, confidence = 0.95): [number, number] {
  checkCount(x, 'x');
  checkCount(n, 'n');
  if (n === 0) throw new RangeError('n must be positive');
  if (x > n) throw new RangeError(`x (${x}) exceeds n (${n})`);
  checkLevel(confidence, 'confidence');
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2 = z * z;
  const p = x / n;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // Pin the ends at the boundary: rounding would otherwise give ±1e-17 instead of 0 and 1.
  return [x === 0 ? 0 : max(0, centre - half), x === n ? 1 : min(1, centre + half)];
}

/**
 * Newcombe's hybrid score interval (method 10) for p1 − p2:
 *   L = d − √((p1 − l1)² + (u2 − p2)²),  U = d + √((u1 − p1)² + (p2 − l2)²)
 * with (l_i, u_i) the Wilson intervals.
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): [number, number] {
  const [l1, u1] = wilsonInterval(x1, n1, confidence);
  const [l2, u2] = wilsonInterval(x2, n2, confidence);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  const lo = d - sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2);
  const hi = d + sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2);
  return [max(-1, lo), min(1, hi)];
}

/**
 * Pooled two-proportion z-test, two-sided. When the pooled rate is 0 or 1 the two groups agree
 * exactly (nobody, or everybody, converted): z is undefined and there is no evidence of a
 * difference, so p = 1.
 */
export function pooledZTest(x1: number, n1: number, x2: number, n2: number): { z: number | null; pValue: number } {
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (!(variance > 0)) return { z: null, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / sqrt(variance);
  return { z, pValue: normalTwoSidedP(z) };
}

/**
 * Compare a campaign's treated customers with its random control group: conversion rates, the
 * uplift with its interval and p-value, and the incremental revenue.
 */
export function compareGroups(groups: { treatment: GroupCounts; control: GroupCounts }, opts: CompareOptions = {}): GroupComparison {
  if (groups === null || typeof groups !== 'object') throw new RangeError('groups must be an object');
  const { treatment: t, control: c } = groups;
  checkGroup(t, 'treatment');
  checkGroup(c, 'control');
  const confidence = opts.confidence ?? 0.95;
  checkLevel(confidence, 'confidence');

  const summary = (g: GroupCounts): GroupSummary => ({
    customers: g.customers,
    converted: g.converted,
    rate: g.customers > 0 ? g.converted / g.customers : null,
    revenueMinor: g.revenueMinor,
  });
  const treatment = summary(t);
  const control = summary(c);
  const method = describeMethod(confidence);
  const shortfalls = [...sampleShortfalls(t, 'campaign group'), ...sampleShortfalls(c, 'control group')];
  const note =
    shortfalls.length > 0
      ? `Too few customers to conclude: the ${shortfalls.join('; the ')}. Each group needs at least ` +
        `${MIN_GROUP_CUSTOMERS} customers, with at least ${MIN_GROUP_EVENTS} who bought and ${MIN_GROUP_EVENTS} who did not; ` +
        'until then treat the numbers as an early indication, not a result.'
      : undefined;

  if (t.customers === 0 || c.customers === 0) {
    // No rate for an empty group: every comparison is undefined rather than a division by zero.
    return {
      treatment,
      control,
      uplift: { absolute: null, relative: null, ci95: null, relativeCi95: null, pValue: null, z: null },
      incrementalRevenueMinor: null,
      confidence,
      method,
      conclusive: false,
      note,
    };
  }

  const pt = treatment.rate!;
  const pc = control.rate!;
  const ci = newcombeInterval(t.converted, t.customers, c.converted, c.customers, confidence);
  const { z, pValue } = pooledZTest(t.converted, t.customers, c.converted, c.customers);
  const relative = pc > 0 ? pt / pc - 1 : null;
  let relativeCi: [number, number] | null = null;
  const se = t.converted > 0 && c.converted > 0 ? sqrt(1 / t.converted - 1 / t.customers + 1 / c.converted - 1 / c.customers) : 0;
  // se 0: everyone in both groups bought, and Katz's interval would collapse to a point it cannot claim.
  if (relative !== null && t.converted > 0 && se > 0) {
    const zc = normalQuantile(1 - (1 - confidence) / 2);
    const logRr = log(pt / pc);
    relativeCi = [exp(logRr - zc * se) - 1, exp(logRr + zc * se) - 1];
  }
  const perTreated = t.revenueMinor / t.customers;
  const perControl = c.revenueMinor / c.customers;
  const comparison: GroupComparison = {
    treatment,
    control,
    uplift: { absolute: pt - pc, relative, ci95: ci, relativeCi95: relativeCi, pValue, z },
    // `+ 0` turns Math.round's −0 into 0 for a zero difference.
    incrementalRevenueMinor: round((perTreated - perControl) * t.customers) + 0,
    confidence,
    method,
    conclusive: shortfalls.length === 0,
  };
  if (note !== undefined) comparison.note = note;
  return comparison;
}

function sampleShortfalls(g: GroupCounts, name: string): string[] {
  if (g.customers === 0) return [`${name} is empty`];
  const out: string[] = [];
  if (g.customers < MIN_GROUP_CUSTOMERS) out.push(`${name} has only ${g.customers} customer${g.customers === 1 ? '' : 's'}`);
  if (g.converted < MIN_GROUP_EVENTS) out.push(`${name} has only ${g.converted} who bought`);
  const didNot = g.customers - g.converted;
  if (didNot < MIN_GROUP_EVENTS) out.push(`${name} has only ${didNot} who did not buy`);
  return out;
}

function describeMethod(confidence: number): string {
  const pct = `${+(confidence * 100).toFixed(2)}%`;
  return (
    'Customers were split at random into a campaign group and a control group that did not get the offer; ' +
    'uplift is the campaign group’s purchase rate minus the control group’s. ' +
    `Its ${pct} range is Newcombe’s hybrid score interval (two Wilson intervals combined; Newcombe 1998, method 10), ` +
    'the p-value is from a two-sided pooled two-proportion z-test, ' +
    `and the relative uplift’s ${pct} range is from the log risk ratio (Katz). ` +
    'Incremental revenue = (revenue per campaign customer − revenue per control customer) × campaign customers.'
  );
}

// ---------------------------------------------------------------------------------------------
// Smoothed response rates

export interface BetaPrior {
  /** The rate the counts are shrunk toward, in (0, 1). */
  rate: number;
  /** Weight of the prior in pseudo-trials, > 0. */
  strength: number;
}

export interface SmoothedRate {
  /** Posterior mean. */
  rate: number;
  successes: number;
  trials: number;
  /** 95% equal-tailed credible interval of the Beta posterior. */
  lower: number;
  upper: number;
}

/**
 * Response rate smoothed toward the prior: the posterior of a Beta(r·k, (1 − r)·k) prior after
 * `successes` of `trials`, i.e. mean (r·k + s)/(k + n), a weighted average of the prior rate
 * (weight k) and the raw rate (weight n). With few trials the prior dominates; with many the
 * counts do.
 */
export function smoothedRate(successes: number, trials: number, prior: BetaPrior): SmoothedRate {
  checkCount(successes, 'successes');
  checkCount(trials, 'trials');
  if (successes > trials) throw new RangeError(`successes (${successes}) exceeds trials (${trials})`);
  if (prior === null || typeof prior !== 'object') throw new RangeError('prior must be an object');
  if (!(prior.rate > 0 && prior.rate < 1)) throw new RangeError(`prior.rate must be strictly between 0 and 1 (got ${prior.rate})`);
  if (!(prior.strength > 0 && Number.isFinite(prior.strength))) {
    throw new RangeError(`prior.strength must be a positive finite number (got ${prior.strength})`);
  }
  const a = prior.rate * prior.strength + successes;
  const b = (1 - prior.rate) * prior.strength + (trials - successes);
  return { rate: a / (a + b), successes, trials, lower: betaQuantile(0.025, a, b), upper: betaQuantile(0.975, a, b) };
}

/**
 * A prior "toward the overall rate": rate (S + 1)/(N + 2) over all offers' S successes in N trials
 * (the overall rate, kept off 0 and 1 so the Beta prior stays proper; 0.5 with no data), with
 * `strength` pseudo-trials (default 20: an offer's own counts outweigh the prior after ~20 sends).
 */
export function priorFrom(totalSuccesses: number, totalTrials: number, strength = 20): BetaPrior {
  checkCount(totalSuccesses, 'totalSuccesses');
  checkCount(totalTrials, 'totalTrials');
  if (totalSuccesses > totalTrials) throw new RangeError(`totalSuccesses (${totalSuccesses}) exceeds totalTrials (${totalTrials})`);
  if (!(strength > 0 && Number.isFinite(strength))) throw new RangeError(`strength must be a positive finite number (got ${strength})`);
  return { rate: (totalSuccesses + 1) / (totalTrials + 2), strength };
}

// ---------------------------------------------------------------------------------------------
// Special functions

const EPS = 1e-15;
const FPMIN = 1e-300;
const MAX_ITERATIONS = 100_000;

/** Continued fraction for the incomplete beta (Numerical Recipes `betacf`, modified Lentz). */
function betacf(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (abs(d) < FPMIN) d = FPMIN;
  d = 1 / d;
  let h = d;
  // Converges in O(√max(a, b)) terms; the cap only guards against a NaN loop.
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (abs(d) < FPMIN) d = FPMIN;
    c = 1 + aa / c;
    if (abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (abs(del - 1) <= EPS) return h;
  }
  throw new Error(`betacf(${a}, ${b}, ${x}): no convergence in ${MAX_ITERATIONS} terms`);
}

/** Regularized incomplete beta I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b), a, b > 0. */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = exp(a * log(x) + b * log1p(-x) - lbeta(a, b));
  // The fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) beyond.
  if (x < (a + 1) / (a + b + 2)) return (front * betacf(a, b, x)) / a;
  return 1 - (front * betacf(b, a, 1 - x)) / b;
}

function betaLogPdf(x: number, a: number, b: number): number {
  return (a - 1) * log(x) + (b - 1) * log1p(-x) - lbeta(a, b);
}

/**
 * Root of an increasing function on [lo, hi] by Newton's method, falling back to bisection when a
 * step leaves the bracket (keeps Newton's speed, bisection's guarantee). Stops when the step or
 * the bracket is below `tolerance(x)`.
 */
function solveIncreasing(
  f: (x: number) => number,
  slope: (x: number) => number,
  lo: number,
  hi: number,
  x0: number,
  tolerance: (x: number) => number,
): number {
  let x = x0;
  for (let i = 0; i < 500; i++) {
    const fx = f(x);
    if (fx === 0) return x;
    if (fx < 0) lo = x;
    else hi = x;
    const s = slope(x);
    let next = s > 0 && Number.isFinite(s) ? x - fx / s : Number.NaN;
    // Bisect geometrically while the bracket spans orders of magnitude (tiny Beta quantiles sit at 1e-100 and below).
    if (!(next > lo && next < hi)) next = hi > 1e3 * lo ? sqrt(max(lo, 1e-300) * hi) : lo + (hi - lo) / 2;
    const tol = tolerance(next);
    if (abs(next - x) <= tol || hi - lo <= tol || next === x) return next;
    x = next;
  }
  return x;
}

/**
 * Quantile function of Beta(a, b): the x with I_x(a, b) = p. For a (or b) far below 1 the mass
 * piles up against 0 (or 1) and the quantiles can lie on the far side of the mean.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1] (got ${p})`);
  if (!(a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b))) throw new RangeError(`a and b must be positive (got ${a}, ${b})`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  return solveIncreasing(
    (x) => betaCdf(x, a, b) - p,
    (x) => exp(betaLogPdf(x, a, b)),
    0,
    1,
    a / (a + b),
    // Relative to the distance from the nearer end: quantiles crowd against 0 or 1 for small a or b.
    (x) => 1e-15 * min(x, 1 - x) + 1e-300,
  );
}

/** Regularized lower incomplete gamma P(s, x) by its series (x < s + 1) or Q by continued fraction. */
function gammaUpperRegularized(s: number, x: number): number {
  if (x <= 0) return 1;
  const front = exp(s * log(x) - x - lgamma(s));
  if (x < s + 1) {
    let term = 1 / s;
    let sum = term;
    for (let n = 1; n <= MAX_ITERATIONS; n++) {
      term *= x / (s + n);
      sum += term;
      if (abs(term) < abs(sum) * EPS) break;
    }
    return 1 - front * sum;
  }
  // Lentz's continued fraction for Q(s, x) (Numerical Recipes `gcf`).
  let b = x + 1 - s;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (abs(del - 1) <= EPS) break;
  }
  return front * h;
}

/** P(|Z| ≥ |z|) for standard normal Z, as the χ²₁ tail Q(½, z²/2) (accurate far into the tail). */
export function normalTwoSidedP(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return min(1, gammaUpperRegularized(0.5, (z * z) / 2));
}

const INV_SQRT_2PI = 0.3989422804014327;

/** Standard normal quantile Φ⁻¹(q), by inverting the two-sided tail. */
export function normalQuantile(q: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`q must be strictly between 0 and 1 (got ${q})`);
  if (q === 0.5) return 0;
  // Solve P(|Z| ≥ z) = 2·min(q, 1 − q) for z > 0; that tail decreases in z, so negate it.
  const tail = 2 * min(q, 1 - q);
  const z = solveIncreasing(
    (v) => tail - normalTwoSidedP(v),
    (v) => 2 * INV_SQRT_2PI * exp((-v * v) / 2),
    0,
    40,
    1,
    (v) => 1e-15 * v,
  );
  return q > 0.5 ? z : -z;
}
