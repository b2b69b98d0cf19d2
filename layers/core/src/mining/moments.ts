/**
 * Timely offers: when a customer is expected to buy next (reorder-due) and the dates that
 * matter to them (moment: the anniversary of the first purchase or of a subscription start).
 *
 * Next purchase date = asOf + the median time to the next purchase of an active customer under
 * the purchase model (purchase-model.ts medianTimeToNextPurchase), for repeat buyers who are
 * neither lapsed nor prospects. Without a purchase model: last purchase + their median gap,
 * moved to asOf when it has passed (the naive rule the CDNOW test measures the model against).
 */
import { DAY_MS } from '../time.js';
import { MINING_DEFAULTS } from './defaults.js';
import { dayNumber, daysIn } from './features.js';
import { fmt, formatMoney, plural } from './format.js';
import { medianTimeToNextPurchase, noPurchaseProbabilityOf, type PurchaseModel } from './purchase-model.js';
import type { CustomerFeatures, CustomerHistory, Flag, Lifecycle, TimeUnit } from './types.js';

const { max, round } = Math;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Expected next purchase day number, or null (prospects, lapsed, one-time buyers). */
export function nextPurchaseDay(
  f: CustomerFeatures,
  lifecycle: Lifecycle,
  asOfDay: number,
  unit: TimeUnit,
  model: PurchaseModel | undefined,
): number | null {
  if (lifecycle === 'prospect' || lifecycle === 'lapsed' || f.frequency === 0) return null;
  if (model) return asOfDay + max(0, round(medianTimeToNextPurchase(model, f.frequency, f.T) * daysIn(unit)));
  return naiveNextPurchaseDay(f, asOfDay);
}

/** Last purchase + median gap, not before asOf; null without a repeat purchase. */
export function naiveNextPurchaseDay(f: CustomerFeatures, asOfDay: number): number | null {
  if (f.typicalGapDays === null) return null;
  return max(asOfDay, asOfDay - f.daysSinceLastPurchase + round(f.typicalGapDays));
}

export const nextPurchaseDate = (day: number | null): string | null => (day === null ? null : isoDay(day));

export interface ReorderInput {
  features: CustomerFeatures;
  lifecycle: Lifecycle;
  asOfDay: number;
  unit: TimeUnit;
  model: PurchaseModel | undefined;
  pAlive: number;
  hasAmounts: boolean;
  currency?: string;
}

/**
 * reorder-due: a repeat buyer still on their rhythm (not lapsing or lapsed) whose usual reorder
 * point, last purchase + their median gap, falls within the next `withinDays`: the moment to
 * remind, not to win back (an overdue customer is churn-risk's). The point follows the
 * customer's own rhythm on purpose: next_purchase_date is the model's expectation, which is the
 * better forecast on average (CDNOW, quality.test.ts) but, being memoryless, does not move as a
 * customer's usual gap runs out. Score = P(a purchase within those days) under the model, P(alive)
 * under the recency rule; expected value = that × their average order.
 */
export function reorderFlag(input: ReorderInput, withinDays = MINING_DEFAULTS.nextPurchase.reorderWithinDays): Flag | null {
  const { features: f, asOfDay } = input;
  if (f.typicalGapDays === null || input.lifecycle === 'lapsing' || input.lifecycle === 'lapsed' || input.lifecycle === 'prospect')
    return null;
  const due = asOfDay - f.daysSinceLastPurchase + round(f.typicalGapDays);
  if (due < asOfDay || due - asOfDay > withinDays) return null;
  const t = withinDays / daysIn(input.unit);
  const p = input.model ? 1 - noPurchaseProbabilityOf(input.model, t, f.frequency, f.recency, f.T) : input.pAlive;
  if (!Number.isFinite(p)) return null;
  const reasons = [
    `usual reorder point ${isoDay(due)}: last purchase ${plural(f.daysSinceLastPurchase, 'day')} ago, usual gap ${plural(round(f.typicalGapDays), 'day')}`,
    input.model ? `P(a purchase in the next ${withinDays} days) ${fmt(p)}` : `P(alive) ${fmt(p)} (recency rule)`,
  ];
  const value = input.hasAmounts ? round(p * f.averageOrderValue) : 0;
  if (value > 0) reasons.push(`average order ${formatMoney(round(f.averageOrderValue), input.currency)}`);
  return { customerId: f.customerId, type: 'reorder-due', score: p, reasons, expectedValueMinor: value, date: isoDay(due) };
}

/** The next anniversary (day number) of `day` strictly after asOfDay − 1, and the years it marks. */
function nextAnniversary(day: number, asOfDay: number): { day: number; years: number } {
  const d = new Date(day * DAY_MS);
  const asOf = new Date(asOfDay * DAY_MS);
  for (let years = max(1, asOf.getUTCFullYear() - d.getUTCFullYear()); ; years++) {
    const a = Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate());
    const aDay = Math.floor(a / DAY_MS);
    if (aDay >= asOfDay) return { day: aDay, years };
  }
}

/**
 * moment: an anniversary within `withinDays` of asOf for a customer who is not lapsed: of the
 * first purchase, or of the first subscription start (membership), whichever comes first.
 * Score = P(alive); no money value is claimed.
 */
export function momentFlag(
  h: CustomerHistory,
  f: CustomerFeatures,
  lifecycle: Lifecycle,
  pAlive: number,
  asOfDay: number,
  withinDays = MINING_DEFAULTS.nextPurchase.momentWithinDays,
): Flag | null {
  if (lifecycle === 'prospect' || lifecycle === 'lapsed') return null;
  const candidates: { day: number; years: number; what: string; occasion: 'first-purchase' | 'membership' }[] = [];
  if (f.tenureDays >= 365)
    candidates.push({ ...nextAnniversary(asOfDay - f.tenureDays, asOfDay), what: 'first purchase', occasion: 'first-purchase' });
  const started = (h.subscriptionsStarted ?? []).map((s) => dayNumber(s.date)).filter((d) => d <= asOfDay - 365);
  if (started.length > 0)
    candidates.push({ ...nextAnniversary(Math.min(...started), asOfDay), what: 'subscription start', occasion: 'membership' });
  const due = candidates.filter((c) => c.day - asOfDay <= withinDays).sort((a, b) => a.day - b.day)[0];
  if (!due) return null;
  return {
    customerId: f.customerId,
    type: 'moment',
    score: pAlive,
    reasons: [`${plural(due.years, 'year')} since their ${due.what}: the anniversary is ${isoDay(due.day)}`],
    expectedValueMinor: 0,
    date: isoDay(due.day),
    occasion: due.occasion,
  };
}
