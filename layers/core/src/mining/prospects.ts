/**
 * Prospects: people who have shown up (web visits, inquiries, coupon requests, campaign emails)
 * but never bought. The model is P(first purchase within the next `horizonDays` | activity so
 * far), a logistic on
 *
 *   ln(1 + visits, inquiries, coupon requests, email opens, email clicks in the last 90 days),
 *   ln(1 + all of those, ever),
 *   ln(1 + days since the last activity), ln(1 + days since first seen),
 *   the source of the first touchpoint (one indicator per source common enough to fit; the most
 *   common source is the baseline),
 *
 * calibrated by a BACKTEST on the people's own history, as fitChurnModel does (churn.ts): the
 * histories are cut at asOf − h (h = min(horizon, half the observed span)); the people are those
 * seen before the cut without a purchase up to it; the label is "first purchase in (cut, asOf]";
 * the features are recomputed at the cut from activity up to the cut only; the weights are
 * fitted by lightly L2-regularised maximum likelihood. No label after asOf is ever used.
 *
 * Monotonicity: the engagement weights are kept >= 0 and the weight of days since the last
 * activity <= 0 (a column whose fitted weight has the wrong sign is fixed at 0 and the rest
 * refitted), so one more visit, inquiry, coupon request, open or click never lowers a score.
 *
 * Fallback (calibration 'rule'): with fewer than PROSPECT_DEFAULTS.minPeople people or
 * PROSPECT_DEFAULTS.minConverters converters in the backtest (or a horizon under
 * minHorizonDays), the fixed logistic PROSPECT_DEFAULTS.rule is used instead: judgement, not a
 * fit — an inquiry or a coupon request counts most, then clicks, visits and opens, and staleness
 * lowers the odds. Its probabilities are a ranking more than a calibrated rate.
 *
 * Reasons name only signals whose contribution w·(x − reference) is positive, i.e. that raise
 * the probability above a typical prospect's (the reference is the backtest mean of each
 * column, or the rule's fixed reference), strongest first.
 */
import { deriveSeed, mulberry32, sampleIndices } from '../random.js';
import { DAY_MS } from '../time.js';
import { plural } from './format.js';
import { fitLogistic, rocAuc } from './metrics.js';
import type { CustomerHistory, Flag } from './types.js';

const { exp, log1p, min, max, floor, round } = Math;

/** The model's numeric columns, in order. */
export const PROSPECT_SIGNALS = [
  'visits90d',
  'inquiries90d',
  'coupons90d',
  'opens90d',
  'clicks90d',
  'engagementEver',
  'daysSinceLastActivity',
  'daysSinceFirstSeen',
] as const;
export type ProspectSignal = (typeof PROSPECT_SIGNALS)[number];

/** Columns whose weight must be >= 0 (engagement: every count) and <= 0 (staleness). */
const NON_NEGATIVE: ReadonlySet<ProspectSignal> = new Set(PROSPECT_SIGNALS.filter((s) => !s.startsWith('daysSince')));
const NON_POSITIVE: ReadonlySet<ProspectSignal> = new Set(['daysSinceLastActivity']);

type SignalWeights = Record<ProspectSignal, number>;

/** Every default of the prospect model (kept here, beside the signals its rule weights name). */
export const PROSPECT_DEFAULTS = {
  /** P(first purchase within this many days). */
  horizonDays: 60,
  /** "Recent" activity: the last this many days. */
  windowDays: 90,
  /** A shorter backtest horizon (little history) falls back to the rule. */
  minHorizonDays: 14,
  /** People in the backtest (seeded sample beyond that). */
  backtestCustomers: 50_000,
  /** Fewer backtest people or converters than this: the rule. */
  minPeople: 100,
  minConverters: 10,
  /** A source needs this many backtest people to get its own weight. */
  minSourcePeople: 20,
  l2: 1e-3,
  seed: 42,
  /** A prospect flag from this probability on. */
  flagThreshold: 0.15,
  maxReasons: 3,
  /** The fallback: a fixed logistic on the same columns, and the reference its reasons compare to. */
  rule: {
    intercept: -2.5,
    weights: {
      visits90d: 0.4,
      inquiries90d: 0.9,
      coupons90d: 0.9,
      opens90d: 0.2,
      clicks90d: 0.5,
      engagementEver: 0.1,
      daysSinceLastActivity: -0.4,
      daysSinceFirstSeen: 0,
    } satisfies SignalWeights,
    /** Reference: no engagement, last active 30 days ago, first seen 90 days ago. */
    reference: {
      visits90d: 0,
      inquiries90d: 0,
      coupons90d: 0,
      opens90d: 0,
      clicks90d: 0,
      engagementEver: 0,
      daysSinceLastActivity: log1p(30),
      daysSinceFirstSeen: log1p(90),
    } satisfies SignalWeights,
  },
} as const;

export interface ProspectFeatures {
  customerId: string;
  visits90d: number;
  visits: number;
  inquiries90d: number;
  inquiries: number;
  coupons90d: number;
  coupons: number;
  opens90d: number;
  opens: number;
  clicks90d: number;
  clicks: number;
  /** Days since the latest visit, inquiry, coupon request, email event or ticket (else since first seen); null if never seen. */
  daysSinceLastActivity: number | null;
  daysSinceFirstSeen: number | null;
  /** Days since the latest coupon request / inquiry; null without one. */
  daysSinceLastCoupon: number | null;
  daysSinceLastInquiry: number | null;
  /** Source of the first touchpoint, when known. */
  source: string | null;
  /** Any purchase up to asOf. */
  bought: boolean;
}

export interface ProspectModel {
  horizonDays: number;
  windowDays: number;
  calibration: 'backtest' | 'rule';
  intercept: number;
  weights: SignalWeights;
  /** What a reason compares to (the backtest means, or the rule's reference), in model units (ln 1+x). */
  reference: SignalWeights;
  /** Log-odds per first-touch source (absent: the baseline source, 0). */
  sourceWeights: Record<string, number>;
  /** Share of the backtest people per source with a weight (their reference). */
  sourceShares: Record<string, number>;
  backtest?: { cutoff: string; horizonDays: number; people: number; converted: number; auc: number };
}

export interface ProspectModelInput {
  histories: readonly CustomerHistory[];
  asOf: Date;
  horizonDays?: number;
  seed?: number;
  /** People used by the backtest (default PROSPECT_DEFAULTS.backtestCustomers; seeded sample beyond that). */
  maxCustomers?: number;
}

export interface ProspectSignalContribution {
  signal: ProspectSignal | 'source';
  /** Log-odds relative to the reference. */
  contribution: number;
  reason: string;
}

export interface ProspectScore {
  probability: number;
  reasons: string[];
  /** Every positive contribution, strongest first (reasons are the first maxReasons of these). */
  signals: ProspectSignalContribution[];
}

const expit = (z: number) => 1 / (1 + exp(-z));
const daysBetween = (from: number, to: number) => (to - from) / DAY_MS;

/** The earliest touchpoint: `firstSeen`, or the earliest date in the history when it is absent (or later). */
export function firstSeenOf(h: CustomerHistory): Date | undefined {
  let first = h.firstSeen?.getTime() ?? Number.POSITIVE_INFINITY;
  const see = (d: Date) => {
    const t = d.getTime();
    if (t < first) first = t;
  };
  for (const p of h.purchases) see(p.date);
  for (const list of [h.visits, h.inquiries, h.couponRequests, h.paymentFailures]) for (const d of list ?? []) see(d);
  for (const list of [h.emailEvents, h.tickets, h.refunds, h.ratings, h.subscriptionsStarted, h.subscriptionsCancelled])
    for (const e of list ?? []) see(e.date);
  return Number.isFinite(first) ? new Date(first) : undefined;
}

/** Activity counts and recency at `asOf` (events after asOf are ignored). */
export function prospectFeatures(
  history: CustomerHistory,
  asOf: Date,
  windowDays: number = PROSPECT_DEFAULTS.windowDays,
): ProspectFeatures {
  const end = asOf.getTime();
  const from = end - windowDays * DAY_MS;
  let last = Number.NEGATIVE_INFINITY;
  const count = (dates: readonly Date[]) => {
    let all = 0;
    let recent = 0;
    let latest = Number.NEGATIVE_INFINITY;
    for (const d of dates) {
      const t = d.getTime();
      if (!(t <= end)) continue;
      all++;
      if (t > from) recent++;
      if (t > latest) latest = t;
    }
    if (latest > last) last = latest;
    return { all, recent, latest };
  };
  const visits = count(history.visits ?? []);
  const inquiries = count(history.inquiries ?? []);
  const coupons = count(history.couponRequests ?? []);
  const emails = history.emailEvents ?? [];
  const opens = count(emails.filter((e) => e.kind === 'opened').map((e) => e.date));
  const clicks = count(emails.filter((e) => e.kind === 'clicked').map((e) => e.date));
  count((history.tickets ?? []).map((t) => t.date));
  const seen = firstSeenOf(history);
  const seenAt = seen && seen.getTime() <= end ? seen.getTime() : undefined;
  if (seenAt !== undefined && seenAt > last) last = seenAt;
  const ago = (t: number) => (Number.isFinite(t) ? max(0, daysBetween(t, end)) : null);
  return {
    customerId: history.customerId,
    visits90d: visits.recent,
    visits: visits.all,
    inquiries90d: inquiries.recent,
    inquiries: inquiries.all,
    coupons90d: coupons.recent,
    coupons: coupons.all,
    opens90d: opens.recent,
    opens: opens.all,
    clicks90d: clicks.recent,
    clicks: clicks.all,
    daysSinceLastActivity: seenAt === undefined ? null : ago(last),
    daysSinceFirstSeen: seenAt === undefined ? null : ago(seenAt),
    daysSinceLastCoupon: ago(coupons.latest),
    daysSinceLastInquiry: ago(inquiries.latest),
    source: seenAt !== undefined && history.source ? history.source : null,
    bought: history.purchases.some((p) => p.date.getTime() <= end),
  };
}

/** The model columns (ln 1+x) of a prospect's features. */
function columns(f: ProspectFeatures): number[] {
  const ever = f.visits + f.inquiries + f.coupons + f.opens + f.clicks;
  return [
    log1p(f.visits90d),
    log1p(f.inquiries90d),
    log1p(f.coupons90d),
    log1p(f.opens90d),
    log1p(f.clicks90d),
    log1p(ever),
    log1p(f.daysSinceLastActivity ?? 0),
    log1p(f.daysSinceFirstSeen ?? 0),
  ];
}

function ruleModel(horizonDays: number, windowDays: number): ProspectModel {
  const { rule } = PROSPECT_DEFAULTS;
  return {
    horizonDays,
    windowDays,
    calibration: 'rule',
    intercept: rule.intercept,
    weights: { ...rule.weights },
    reference: { ...rule.reference },
    sourceWeights: {},
    sourceShares: {},
  };
}

/** Fit the prospect model by the backtest described in the module comment. */
export function fitProspectModel(input: ProspectModelInput): ProspectModel {
  const D = PROSPECT_DEFAULTS;
  const horizonDays = input.horizonDays ?? D.horizonDays;
  const windowDays = D.windowDays;
  const end = input.asOf.getTime();
  const asOfDay = floor(end / DAY_MS);

  // People seen by asOf; the earliest of them bounds the horizon.
  const seen: { h: CustomerHistory; first: number }[] = [];
  let earliest = asOfDay;
  for (const h of input.histories) {
    const first = firstSeenOf(h)?.getTime();
    if (first === undefined || first > end) continue;
    seen.push({ h, first });
    earliest = min(earliest, floor(first / DAY_MS));
  }
  const horizon = min(horizonDays, floor((asOfDay - earliest) / 2));
  if (horizon < D.minHorizonDays) return ruleModel(horizonDays, windowDays);
  const cutDay = asOfDay - horizon;
  const cut = new Date(cutDay * DAY_MS);

  let eligible = seen.filter(({ h, first }) => first <= cut.getTime() && !h.purchases.some((p) => p.date.getTime() <= cut.getTime()));
  const cap = input.maxCustomers ?? D.backtestCustomers;
  if (eligible.length > cap) {
    const idx = sampleIndices(eligible.length, cap, mulberry32(deriveSeed(input.seed ?? D.seed, 'prospect-backtest')));
    const all = eligible;
    eligible = Array.from(idx, (i) => all[i]!);
  }
  const X: number[][] = [];
  const y: number[] = [];
  const sources: (string | null)[] = [];
  for (const { h } of eligible) {
    const f = prospectFeatures(h, cut, windowDays);
    X.push(columns(f));
    sources.push(f.source);
    y.push(h.purchases.some((p) => p.date.getTime() > cut.getTime() && p.date.getTime() <= end) ? 1 : 0);
  }
  const converted = y.reduce((s, v) => s + v, 0);
  if (X.length < D.minPeople || converted < D.minConverters) return ruleModel(horizonDays, windowDays);

  // Sources common enough for a weight of their own; the most common one is the baseline.
  const sourceCounts = new Map<string, number>();
  for (const s of sources) if (s) sourceCounts.set(s, (sourceCounts.get(s) ?? 0) + 1);
  const ranked = [...sourceCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const sourceCols = ranked.slice(1).filter(([, n]) => n >= D.minSourcePeople && n <= X.length - D.minSourcePeople);
  const sourceNames = sourceCols.map(([s]) => s);
  const rows = X.map((x, i) => [...x, ...sourceNames.map((s) => (sources[i] === s ? 1 : 0))]);

  // Sign constraints: drop a column whose weight has the wrong sign, refit the rest.
  const width = rows[0]!.length;
  const fixed = new Set<number>();
  let w: number[] = [];
  let active: number[] = [];
  for (let pass = 0; pass <= width; pass++) {
    active = Array.from({ length: width }, (_, j) => j).filter((j) => !fixed.has(j));
    w = fitLogistic(
      rows.map((r) => active.map((j) => r[j]!)),
      y,
      { l2: D.l2 },
    );
    const wrong = active.filter((j, k) => {
      const name = PROSPECT_SIGNALS[j];
      const wj = w[k + 1]!;
      return name !== undefined && ((NON_NEGATIVE.has(name) && wj < 0) || (NON_POSITIVE.has(name) && wj > 0));
    });
    if (wrong.length === 0) break;
    for (const j of wrong) fixed.add(j);
  }
  const full = new Array<number>(width).fill(0);
  active.forEach((j, k) => {
    full[j] = w[k + 1]!;
  });
  if (!Number.isFinite(w[0]!) || !full.every(Number.isFinite)) return ruleModel(horizonDays, windowDays);

  const weights = Object.fromEntries(PROSPECT_SIGNALS.map((s, j) => [s, full[j]!])) as SignalWeights;
  const reference = Object.fromEntries(
    PROSPECT_SIGNALS.map((s, j) => [s, X.reduce((sum, x) => sum + x[j]!, 0) / X.length]),
  ) as SignalWeights;
  const sourceWeights = Object.fromEntries(sourceNames.map((s, k) => [s, full[PROSPECT_SIGNALS.length + k]!]));
  const sourceShares = Object.fromEntries(sourceCols.map(([s, n]) => [s, n / X.length]));
  const model: ProspectModel = {
    // What the backtest calibrated: the horizon it could afford.
    horizonDays: horizon,
    windowDays,
    calibration: 'backtest',
    intercept: w[0]!,
    weights,
    reference,
    sourceWeights,
    sourceShares,
  };
  const auc = rocAuc(
    rows.map((_, i) => linear(model, X[i]!, sources[i]!)),
    y,
  );
  model.backtest = { cutoff: cut.toISOString().slice(0, 10), horizonDays: horizon, people: X.length, converted, auc };
  return model;
}

function linear(model: ProspectModel, x: readonly number[], source: string | null): number {
  let z = model.intercept;
  PROSPECT_SIGNALS.forEach((s, j) => {
    z += model.weights[s] * x[j]!;
  });
  if (source) z += model.sourceWeights[source] ?? 0;
  return z;
}

const days = (d: number) => plural(floor(d), 'day');

function reasonFor(signal: ProspectSignal, f: ProspectFeatures, windowDays: number): string {
  const recent = `in the last ${windowDays} days`;
  switch (signal) {
    case 'visits90d':
      return `${plural(f.visits90d, 'web visit')} ${recent}`;
    case 'inquiries90d':
      return f.inquiries90d === 1 && f.daysSinceLastInquiry !== null
        ? `sent an inquiry ${days(f.daysSinceLastInquiry)} ago`
        : `${plural(f.inquiries90d, 'inquiry', 'inquiries')} ${recent}`;
    case 'coupons90d':
      return f.coupons90d === 1 && f.daysSinceLastCoupon !== null
        ? `requested a coupon ${days(f.daysSinceLastCoupon)} ago`
        : `requested ${plural(f.coupons90d, 'coupon')} ${recent}`;
    case 'opens90d':
      return `opened ${plural(f.opens90d, 'campaign email')} ${recent}`;
    case 'clicks90d':
      return `clicked ${plural(f.clicks90d, 'campaign email')} ${recent}`;
    case 'engagementEver':
      return `${plural(f.visits + f.inquiries + f.coupons + f.opens + f.clicks, 'visit, inquiry, coupon request or email open/click', 'visits, inquiries, coupon requests and email opens/clicks')} in all`;
    case 'daysSinceLastActivity':
      return `last active ${days(f.daysSinceLastActivity ?? 0)} ago`;
    case 'daysSinceFirstSeen':
      return `first seen ${days(f.daysSinceFirstSeen ?? 0)} ago`;
  }
}

/** P(first purchase within model.horizonDays) and the reasons for it (see the module comment). */
export function scoreProspect(model: ProspectModel, history: CustomerHistory, asOf: Date): ProspectScore {
  const f = prospectFeatures(history, asOf, model.windowDays);
  return scoreFeatures(model, f);
}

function scoreFeatures(model: ProspectModel, f: ProspectFeatures): ProspectScore {
  const x = columns(f);
  const probability = expit(linear(model, x, f.source));
  const signals: ProspectSignalContribution[] = [];
  PROSPECT_SIGNALS.forEach((s, j) => {
    const contribution = model.weights[s] * (x[j]! - model.reference[s]);
    // A count of zero never argues for a purchase, whatever the reference.
    const count = NON_NEGATIVE.has(s) && x[j] === 0;
    if (contribution > 1e-9 && !count && f.daysSinceFirstSeen !== null)
      signals.push({ signal: s, contribution, reason: reasonFor(s, f, model.windowDays) });
  });
  if (f.source) {
    const wSource = model.sourceWeights[f.source] ?? 0;
    // Relative to the average source effect of the backtest people.
    let average = 0;
    for (const [s, share] of Object.entries(model.sourceShares)) average += share * (model.sourceWeights[s] ?? 0);
    const contribution = wSource - average;
    if (contribution > 1e-9 && wSource > 0) signals.push({ signal: 'source', contribution, reason: `came in through ${f.source}` });
  }
  signals.sort((a, b) => b.contribution - a.contribution);
  return { probability, reasons: signals.slice(0, PROSPECT_DEFAULTS.maxReasons).map((s) => s.reason), signals };
}

export interface ProspectFlagOptions {
  /** Default PROSPECT_DEFAULTS.flagThreshold. */
  threshold?: number;
  /** A typical first order (minor units): expectedValueMinor = probability × this. Default 0. */
  firstOrderValueMinor?: number;
}

/**
 * A prospect flag for someone seen but without a purchase up to asOf whose probability reaches
 * the threshold; null for buyers, for people never seen, and below the threshold.
 */
export function prospectFlag(model: ProspectModel, history: CustomerHistory, asOf: Date, options: ProspectFlagOptions = {}): Flag | null {
  const f = prospectFeatures(history, asOf, model.windowDays);
  if (f.bought || f.daysSinceFirstSeen === null) return null;
  const { probability, reasons } = scoreFeatures(model, f);
  if (probability < (options.threshold ?? PROSPECT_DEFAULTS.flagThreshold)) return null;
  return {
    customerId: history.customerId,
    type: 'prospect',
    score: probability,
    reasons: [...reasons, `P(first purchase in the next ${model.horizonDays} days) ${probability.toFixed(2)}`],
    expectedValueMinor: round(probability * (options.firstOrderValueMinor ?? 0)),
  };
}
