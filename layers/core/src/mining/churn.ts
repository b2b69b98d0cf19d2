/**
 * Churn risk in [0, 1]: the probability that a customer makes no purchase in the next
 * `horizonDays`, adjusted for service signals.
 *
 * 1. Base probability: a logistic model on
 *      [ logit P(no purchase in the horizon | x, t_x, T)   (the run's purchase model, purchase-model.ts),
 *        one-time buyer (x = 0),
 *        ln(1 + days since the last purchase),
 *        ln(1 + x),
 *        ln((1 + days since the last purchase) / (1 + usual gap))   (repeat buyers; else 0) ]
 *    calibrated by a BACKTEST on the customers' own history: the histories are cut at
 *    asOf − h (h = min(horizon, half the observed span)), the features are recomputed at the
 *    cut, the label is "no purchase in (cut, asOf]", and the weights are fitted by (lightly
 *    L2-regularised) maximum likelihood (a Platt-style recalibration of the purchase model's
 *    probability with recency terms). No label after asOf is ever used. The purchase-model term
 *    carries the purchase-rate heterogeneity; the other terms fix what the model gets wrong
 *    on real data (BG/NBD says a one-time buyer is alive for sure, and so ranks them too low
 *    against lapsed repeat buyers).
 *    Out of time: the same procedure one horizon earlier (fitted at asOf − 2h, tested at
 *    asOf − h) gives the expected calibration error and the AUC the run reports (evaluation).
 *    Fallbacks: no usable backtest → the purchase model's probability itself; no purchase
 *    model → the same backtest without its term; neither → a recency curve (RECENCY_FALLBACK).
 *    On CDNOW (calibration to 1997-09-30, churn = no purchase in the next 90 days) this is
 *    measured in test/unit/mining/churn.test.ts (AUC, ECE, against recency alone).
 *
 * 2. Service signals (absent from CDNOW, present in Patron's own data) multiply the ODDS of
 *    the base probability, each bounded, the product bounded to [0.5, 8] (CHURN_SIGNAL_ODDS):
 *      complaints in the last 90 days      ×1.5 each, at most ×3
 *      average satisfaction (1-5)          <= 2: ×2;  <= 3: ×1.4;  >= 4.5: ×0.85
 *      payment failures in the last 90 d   ×1.6 each, at most ×3
 *      subscriptions cancelled, last 90 d  ×2 for one, ×2.5 for more
 *      refunds in the last 90 days         ×1.3 each, at most ×2
 *      email opens/clicks in the last 90 d >= 3: ×0.8;  1-2: ×0.9
 *    The weights are judgement, not fitted (no labelled service data exists yet): a complaint
 *    or a failed payment is a strong but not decisive sign, engagement a mild reassurance.
 */
import { deriveSeed, mulberry32, sampleIndices } from '../random.js';
import { DAY_MS } from '../time.js';
import { MINING_DEFAULTS } from './defaults.js';
import { dayNumber, daysIn, median, purchaseDays } from './features.js';
import { fmt, formatMoney, plural } from './format.js';
import { expectedCalibrationError, fitLogistic, rocAuc } from './metrics.js';
import { noPurchaseProbabilityOf, type PurchaseModel } from './purchase-model.js';
import type { ChurnBacktest, ChurnEvaluation, CustomerFeatures, CustomerHistory, Flag, TimeUnit } from './types.js';

const { exp, log, log1p, min, max, round } = Math;

export interface ChurnWeights {
  intercept: number;
  logitNoPurchase: number;
  oneTimer: number;
  logDaysSince: number;
  logRepeats: number;
  /** ln((1 + days since last purchase) / (1 + usual gap)) for repeat buyers; absent in older models. */
  logGapRatio?: number;
}

export interface ChurnModel {
  horizonDays: number;
  unit: TimeUnit;
  weights: ChurnWeights;
  calibration: 'backtest' | 'model' | 'recency';
  backtest?: ChurnBacktest;
  evaluation?: ChurnEvaluation;
}

/** Logistic slope and midpoint (days) of the last-resort recency curve. */
export const RECENCY_FALLBACK = { slope: 2, midpointDays: 90 };

export const CHURN_SIGNAL_ODDS = {
  complaintEach: 1.5,
  complaintMax: 3,
  satisfactionVeryLow: 2,
  satisfactionLow: 1.4,
  satisfactionHigh: 0.85,
  paymentFailureEach: 1.6,
  paymentFailureMax: 3,
  cancellationOne: 2,
  cancellationMore: 2.5,
  refundEach: 1.3,
  refundMax: 2,
  emailEngagedHigh: 0.8,
  emailEngaged: 0.9,
  totalMin: 0.5,
  totalMax: 8,
} as const;

const EPS = 1e-6;
const clampP = (p: number) => min(1 - EPS, max(EPS, p));
const logit = (p: number) => log(clampP(p) / (1 - clampP(p)));
const expit = (z: number) => 1 / (1 + exp(-z));

/** What the churn model needs of a customer (CustomerFeatures has all of it). */
export interface ChurnInputs {
  frequency: number;
  recency: number;
  T: number;
  daysSinceLastPurchase: number;
  /** Median days between purchases; null without a repeat purchase. */
  typicalGapDays: number | null;
}

/** The purchase model's P(no purchase in the next `horizonDays`), times in the model's unit. */
export function noPurchaseProbability(model: PurchaseModel, horizonDays: number, unit: TimeUnit, f: ChurnInputs): number {
  return noPurchaseProbabilityOf(model, horizonDays / daysIn(unit), f.frequency, f.recency, f.T);
}

function featureVector(p0: number | undefined, f: ChurnInputs): number[] {
  const days = max(0, f.daysSinceLastPurchase);
  const gapRatio = f.frequency > 0 && f.typicalGapDays !== null ? log((1 + days) / (1 + f.typicalGapDays)) : 0;
  // A model probability that cannot be evaluated for this history (NaN) counts as undecided (logit 0).
  return [p0 === undefined || !Number.isFinite(p0) ? 0 : logit(p0), f.frequency === 0 ? 1 : 0, log1p(days), log1p(f.frequency), gapRatio];
}

function linear(w: ChurnWeights, v: readonly number[]): number {
  return (
    w.intercept +
    w.logitNoPurchase * v[0]! +
    w.oneTimer * v[1]! +
    w.logDaysSince * v[2]! +
    w.logRepeats * v[3]! +
    (w.logGapRatio ?? 0) * v[4]!
  );
}

/** Base churn probability (before service signals) and the BG/NBD probability it used. */
export function baseChurnProbability(
  model: ChurnModel,
  purchase: PurchaseModel | undefined,
  f: ChurnInputs,
): { base: number; noPurchase?: number } {
  const p0 = purchase && model.calibration !== 'recency' ? noPurchaseProbability(purchase, model.horizonDays, model.unit, f) : undefined;
  return { base: expit(linear(model.weights, featureVector(p0, f))), noPurchase: p0 };
}

export interface ChurnCalibrationInput {
  histories: readonly CustomerHistory[];
  asOf: Date;
  unit: TimeUnit;
  /** The run's purchase model (its P(no purchase) is the first feature); none: recency terms only. */
  purchase?: PurchaseModel;
  horizonDays: number;
  /** Customers used by the backtest (default MINING_DEFAULTS.churn.backtestCustomers; seeded sample beyond that). */
  maxCustomers?: number;
  seed?: number;
}

const MODEL_ONLY: ChurnWeights = { intercept: 0, logitNoPurchase: 1, oneTimer: 0, logDaysSince: 0, logRepeats: 0 };

function recencyWeights(): ChurnWeights {
  const { slope, midpointDays } = RECENCY_FALLBACK;
  return { intercept: -slope * log1p(midpointDays), logitNoPurchase: 0, oneTimer: 0, logDaysSince: slope, logRepeats: 0 };
}

/** Rows of a backtest: features at `cut` (purchase days up to it), label = no purchase in (cut, cut + h]. */
function backtestRows(
  all: readonly (readonly number[])[],
  cut: number,
  h: number,
  perUnit: number,
  purchase: PurchaseModel | undefined,
): { X: number[][]; y: number[] } {
  const X: number[][] = [];
  const y: number[] = [];
  for (const days of all) {
    if (days.length === 0 || days[0]! > cut) continue;
    let last = days[0]!;
    let x = 0;
    let future = false;
    const gaps: number[] = [];
    for (let i = 1; i < days.length; i++) {
      if (days[i]! <= cut) {
        x++;
        gaps.push(days[i]! - last);
        last = days[i]!;
      } else {
        future = days[i]! <= cut + h;
        break;
      }
    }
    const f: ChurnInputs = {
      frequency: x,
      recency: (last - days[0]!) / perUnit,
      T: (cut - days[0]!) / perUnit,
      daysSinceLastPurchase: cut - last,
      typicalGapDays: gaps.length > 0 ? median(gaps) : null,
    };
    const p0 = purchase ? noPurchaseProbabilityOf(purchase, h / perUnit, f.frequency, f.recency, f.T) : undefined;
    X.push(featureVector(p0, f));
    y.push(future ? 0 : 1);
  }
  return { X, y };
}

const usable = (y: readonly number[]) => {
  const churned = y.reduce((s, v) => s + v, 0);
  return y.length >= 100 && churned >= 20 && y.length - churned >= 20;
};

/** Lightly L2-regularised logistic weights on backtest rows (no purchase-model column without one). */
function fitWeights(X: readonly number[][], y: readonly number[], withModel: boolean): ChurnWeights | undefined {
  const cols = withModel ? [0, 1, 2, 3, 4] : [1, 2, 3, 4];
  const w = fitLogistic(
    X.map((v) => cols.map((c) => v[c]!)),
    y,
    { l2: 1e-4 },
  );
  const full = [0, 0, 0, 0, 0];
  cols.forEach((c, j) => {
    full[c] = w[j + 1]!;
  });
  const weights: ChurnWeights = {
    intercept: w[0]!,
    logitNoPurchase: full[0]!,
    oneTimer: full[1]!,
    logDaysSince: full[2]!,
    logRepeats: full[3]!,
    logGapRatio: full[4]!,
  };
  return Object.values(weights).every(Number.isFinite) ? weights : undefined;
}

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Fit the churn model by the backtest described in the module comment. */
export function fitChurnModel(input: ChurnCalibrationInput): ChurnModel {
  const { asOf, unit, purchase, horizonDays } = input;
  const asOfDay = dayNumber(asOf);
  const perUnit = daysIn(unit);
  const fallback = (): ChurnModel =>
    purchase
      ? { horizonDays, unit, weights: { ...MODEL_ONLY }, calibration: 'model' }
      : { horizonDays, unit, weights: recencyWeights(), calibration: 'recency' };

  let hs = input.histories;
  const cap = input.maxCustomers ?? MINING_DEFAULTS.churn.backtestCustomers;
  if (hs.length > cap) {
    const idx = sampleIndices(hs.length, cap, mulberry32(deriveSeed(input.seed ?? MINING_DEFAULTS.seed, 'churn-backtest')));
    hs = Array.from(idx, (i) => input.histories[i]!);
  }
  const all = hs.map((h) => purchaseDays(h.purchases, asOfDay).map((d) => d.day));
  let earliest = asOfDay;
  for (const days of all) if (days.length > 0 && days[0]! < earliest) earliest = days[0]!;
  const h = min(horizonDays, Math.floor((asOfDay - earliest) / 2));
  if (h < 14) return fallback();
  const cut = asOfDay - h;

  const { X, y } = backtestRows(all, cut, h, perUnit, purchase);
  if (!usable(y)) return fallback();
  const weights = fitWeights(X, y, purchase !== undefined);
  if (!weights) return fallback();
  const churned = y.reduce((s, v) => s + v, 0);
  const auc = rocAuc(
    X.map((v) => linear(weights, v)),
    y,
  );
  return {
    horizonDays,
    unit,
    weights,
    calibration: 'backtest',
    backtest: { cutoff: isoDay(cut), horizonDays: h, customers: X.length, churned, auc },
    evaluation: evaluateOutOfTime(all, cut, h, perUnit, purchase, X, y),
  };
}

/**
 * The same procedure one horizon earlier: weights fitted at cut − h on what happened by cut,
 * tested on the rows at cut (features up to cut, labels in (cut, asOf]). Undefined when the
 * data is too short for two horizons or the earlier backtest has too few of either outcome.
 */
function evaluateOutOfTime(
  all: readonly (readonly number[])[],
  cut: number,
  h: number,
  perUnit: number,
  purchase: PurchaseModel | undefined,
  testX: readonly number[][],
  testY: readonly number[],
): ChurnModel['evaluation'] {
  const earlier = backtestRows(all, cut - h, h, perUnit, purchase);
  if (!usable(earlier.y)) return undefined;
  const w = fitWeights(earlier.X, earlier.y, purchase !== undefined);
  if (!w) return undefined;
  const p = testX.map((v) => expit(linear(w, v)));
  const bins = MINING_DEFAULTS.churn.calibrationBins;
  return {
    fitCutoff: isoDay(cut - h),
    testCutoff: isoDay(cut),
    horizonDays: h,
    customers: testX.length,
    ece: expectedCalibrationError(p, testY, bins),
    bins,
    auc: rocAuc(p, testY),
    meanPredicted: p.reduce((s, v) => s + v, 0) / max(1, p.length),
    observedRate: testY.reduce((s, v) => s + v, 0) / max(1, testY.length),
  };
}

export interface ChurnSignal {
  signal: 'complaints' | 'satisfaction' | 'payment-failures' | 'cancellations' | 'refunds' | 'email-engagement';
  odds: number;
  reason: string;
}

/** Service signals of a customer and their bounded odds multipliers (see the module comment). */
export function churnSignals(f: CustomerFeatures): { multiplier: number; signals: ChurnSignal[] } {
  const o = CHURN_SIGNAL_ODDS;
  const signals: ChurnSignal[] = [];
  if (f.complaints90d > 0) {
    signals.push({
      signal: 'complaints',
      odds: min(o.complaintMax, o.complaintEach ** f.complaints90d),
      reason: `${plural(f.complaints90d, 'complaint')} in the last 90 days`,
    });
  }
  if (f.averageSatisfaction !== null) {
    const s = f.averageSatisfaction;
    const odds = s <= 2 ? o.satisfactionVeryLow : s <= 3 ? o.satisfactionLow : s >= 4.5 ? o.satisfactionHigh : 1;
    if (odds !== 1) signals.push({ signal: 'satisfaction', odds, reason: `average satisfaction ${fmt(s, 1)}/5` });
  }
  if (f.paymentFailures90d > 0) {
    signals.push({
      signal: 'payment-failures',
      odds: min(o.paymentFailureMax, o.paymentFailureEach ** f.paymentFailures90d),
      reason: `${plural(f.paymentFailures90d, 'failed payment')} in the last 90 days`,
    });
  }
  const cancelled = f.cancellations90d ?? 0;
  if (cancelled > 0) {
    signals.push({
      signal: 'cancellations',
      odds: cancelled === 1 ? o.cancellationOne : o.cancellationMore,
      reason: `${plural(cancelled, 'subscription')} cancelled in the last 90 days`,
    });
  }
  if (f.refunds90d > 0) {
    signals.push({
      signal: 'refunds',
      odds: min(o.refundMax, o.refundEach ** f.refunds90d),
      reason: `${plural(f.refunds90d, 'refund')} in the last 90 days`,
    });
  }
  if (f.emailEngagement90d > 0) {
    signals.push({
      signal: 'email-engagement',
      odds: f.emailEngagement90d >= 3 ? o.emailEngagedHigh : o.emailEngaged,
      reason: `${plural(f.emailEngagement90d, 'email open/click', 'email opens/clicks')} in the last 90 days`,
    });
  }
  let m = 1;
  for (const s of signals) m *= s.odds;
  return { multiplier: min(o.totalMax, max(o.totalMin, m)), signals };
}

/** p with its odds multiplied by `multiplier`. */
export function adjustOdds(p: number, multiplier: number): number {
  if (multiplier === 1) return p;
  const q = clampP(p);
  const odds = (q / (1 - q)) * multiplier;
  return odds / (1 + odds);
}

export interface ChurnAssessment {
  /** Churn score with the service signals, in [0, 1]. */
  risk: number;
  /** Calibrated P(no purchase in the horizon), before service signals. */
  base: number;
  /** The purchase model's own P(no purchase in the horizon), when there is one. */
  noPurchase?: number;
  multiplier: number;
  signals: ChurnSignal[];
}

export function assessChurn(model: ChurnModel, purchase: PurchaseModel | undefined, f: CustomerFeatures): ChurnAssessment {
  const { base, noPurchase } = baseChurnProbability(model, purchase, f);
  const { multiplier, signals } = churnSignals(f);
  return { risk: adjustOdds(base, multiplier), base, noPurchase, multiplier, signals };
}

export interface ChurnFlagInput {
  features: CustomerFeatures;
  churn: ChurnAssessment;
  horizonDays: number;
  pAlive: number;
  /** Days since the last purchase over the customer's rhythm (lifecycle.ts overdueRatio). */
  overdueRatio: number;
  /** The rhythm the ratio is against: their median gap, else the population's. */
  rhythmDays: number;
  /** The customer's CLV (minor units; 0 without amounts). */
  clvMinor: number;
  currency?: string;
}

/**
 * A churn-risk flag marks a customer worth saving (the budget in the pipeline then keeps the
 * most valuable): bought before, not lapsed (P(alive) at least the lapsed line and less than
 * MINING_DEFAULTS.lifecycle.lapsedOverdue gaps overdue: long-gone customers count as lapsed
 * instead), overdue against their own rhythm (at least one gap), and at least
 * `threshold` likely to make no purchase in the horizon. expectedValueMinor = value at risk =
 * churn score × the value they would bring if they stay (CLV / P(alive)). Every reason argues
 * for the flag: how overdue, the probability, the service signals that raise it, the value.
 */
export function churnFlag(input: ChurnFlagInput, threshold: number): Flag | null {
  const { features: f, churn } = input;
  if (!hasPurchase(f)) return null;
  const { lapsedBelowPAlive, lapsedOverdue } = MINING_DEFAULTS.lifecycle;
  if (input.pAlive < lapsedBelowPAlive || input.overdueRatio >= lapsedOverdue) return null;
  if (input.overdueRatio < 1 || churn.base < threshold) return null;
  const reasons: string[] = [];
  const days = f.daysSinceLastPurchase;
  const rhythm = round(input.rhythmDays);
  if (f.frequency === 0) {
    reasons.push(`one purchase, ${plural(days, 'day')} ago; customers usually buy again within ${plural(rhythm, 'day')}`);
  } else {
    // Rounded down: 3.96 gaps must not read as the 4 at which a customer counts as lapsed.
    reasons.push(
      `no purchase for ${plural(days, 'day')}, ${fmt(Math.floor(input.overdueRatio * 10) / 10, 1)}x their usual gap of ${plural(rhythm, 'day')}`,
    );
  }
  reasons.push(`P(no purchase in the next ${input.horizonDays} days) ${fmt(churn.base)}`);
  for (const s of churn.signals) if (s.odds > 1) reasons.push(s.reason);
  const retainedValue = input.clvMinor / max(input.pAlive, MINING_DEFAULTS.lifecycle.lapsedBelowPAlive);
  const atRisk = round(churn.risk * retainedValue);
  if (atRisk > 0) reasons.push(`value at risk ${formatMoney(atRisk, input.currency)}`);
  return {
    customerId: f.customerId,
    type: 'churn-risk',
    score: churn.risk,
    reasons,
    expectedValueMinor: atRisk,
  };
}

/** Features from computeFeatures always carry `transactions`; others count as buyers. */
function hasPurchase(f: CustomerFeatures): boolean {
  return (f.transactions ?? 1) > 0;
}
