/**
 * Per-customer features from a purchase/service history, measured at `asOf`.
 *
 * Conventions (lifetimes' summary_data_from_transaction_data):
 *  - time is counted in whole UTC calendar days; all purchases of one day are ONE transaction
 *    (amounts summed, categories merged);
 *  - frequency x = repeat transaction days (distinct days − 1); recency t_x = time from the first
 *    to the last purchase day; T = time from the first purchase day to asOf; both in `unit`;
 *  - monetary = mean value of the REPEAT transactions (first excluded), 0 when x = 0, so it can
 *    go straight into Gamma-Gamma; averageOrderValue and totalSpend include every transaction;
 *  - "last 90 days" = events on the days asOf−89 … asOf (90 calendar days including asOf);
 *  - events after asOf (later UTC day) are ignored.
 * Amounts are in minor units; a purchase without `amountMinor` counts as 0, one without
 * `discountMinor` as undiscounted (discountedShare = purchase days with a discount > 0 / all).
 */
import { DAY_MS } from '../time.js';
import { MINING_DEFAULTS } from './defaults.js';
import type { CustomerFeatures, CustomerHistory, PurchaseEvent, TimeUnit } from './types.js';

export const WINDOW_DAYS = 90;

// Module-level aliases: under jest (node:vm contexts) every global lookup (Math, Number,
// Object, Date, ...) goes through the context's interceptor, which is slow in hot loops.
const { floor, max } = Math;
const { isFinite: isFiniteNumber } = Number;
const { entries } = Object;
const DateCtor = Date;
const MapCtor = Map;

/** UTC day number (days since 1970-01-01). */
export function dayNumber(d: Date): number {
  const ms = d.getTime();
  if (!isFiniteNumber(ms)) throw new RangeError('invalid date');
  return floor(ms / DAY_MS);
}

export function daysIn(unit: TimeUnit): number {
  return unit === 'weeks' ? 7 : 1;
}

/** One purchase day after grouping. */
export interface PurchaseDay {
  day: number;
  amountMinor: number;
  hasAmount: boolean;
  /** Discounts of the day in minor units (0 when none or unknown). */
  discountMinor: number;
  categories: Map<string, number>;
  products: string[];
}

/** Purchases up to `asOfDay` grouped by UTC day, ascending. */
export function purchaseDays(purchases: readonly PurchaseEvent[], asOfDay: number): PurchaseDay[] {
  const byDay = new MapCtor<number, PurchaseDay>();
  for (const p of purchases) {
    const day = dayNumber(p.date);
    if (day > asOfDay) continue;
    let d = byDay.get(day);
    if (!d) {
      d = { day, amountMinor: 0, hasAmount: false, discountMinor: 0, categories: new MapCtor(), products: [] };
      byDay.set(day, d);
    }
    if (p.amountMinor !== undefined) {
      d.amountMinor += p.amountMinor;
      d.hasAmount = true;
    }
    if (p.discountMinor !== undefined) d.discountMinor += p.discountMinor;
    for (const [c, units] of entries(p.categories)) d.categories.set(c, (d.categories.get(c) ?? 0) + units);
    if (p.products) d.products.push(...p.products);
  }
  const days = [...byDay.values()];
  // Histories are almost always already sorted: skip the sort then.
  for (let i = 1; i < days.length; i++) {
    if (days[i]!.day < days[i - 1]!.day) {
      days.sort((a, b) => a.day - b.day);
      break;
    }
  }
  return days;
}

/** Median of a non-empty numeric array (sorts a copy). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function countRecent<E extends { date: Date }>(events: readonly E[] | undefined, asOfDay: number, pred?: (e: E) => boolean): number {
  if (!events) return 0;
  let n = 0;
  for (const e of events) {
    const age = asOfDay - dayNumber(e.date);
    if (age >= 0 && age < WINDOW_DAYS && (!pred || pred(e))) n++;
  }
  return n;
}

/** Events on or before asOfDay (the whole history, not a window). */
function countUpTo<E extends { date: Date }>(events: readonly E[] | undefined, asOfDay: number, pred?: (e: E) => boolean): number {
  if (!events) return 0;
  let n = 0;
  for (const e of events) if (dayNumber(e.date) <= asOfDay && (!pred || pred(e))) n++;
  return n;
}

function countRecentDates(dates: readonly Date[] | undefined, asOfDay: number): number {
  if (!dates) return 0;
  let n = 0;
  for (const d of dates) {
    const age = asOfDay - dayNumber(d);
    if (age >= 0 && age < WINDOW_DAYS) n++;
  }
  return n;
}

/** First day of any recorded event up to asOf (for customers without purchases). */
function firstEventDay(h: CustomerHistory, asOfDay: number): number | undefined {
  let first: number | undefined;
  const see = (d: Date) => {
    const day = dayNumber(d);
    if (day <= asOfDay && (first === undefined || day < first)) first = day;
  };
  for (const list of [h.refunds, h.tickets, h.ratings, h.subscriptionsStarted, h.subscriptionsCancelled, h.emailEvents]) {
    if (list) for (const e of list) see(e.date);
  }
  if (h.paymentFailures) for (const d of h.paymentFailures) see(d);
  return first;
}

/**
 * Features of one customer at `asOf` (see the module comment for the conventions). Customers
 * without purchases get frequency = recency = T = 0, no money, and tenure / days since last
 * purchase measured from their first recorded event of any kind (0 when there is none).
 */
export function computeFeatures(history: CustomerHistory, asOf: Date, unit: TimeUnit = MINING_DEFAULTS.unit): CustomerFeatures {
  const asOfDay = dayNumber(asOf);
  return featuresFromDays(history, purchaseDays(history.purchases, asOfDay), asOfDay, unit);
}

/** computeFeatures for callers that already grouped the purchase days. */
export function featuresFromDays(
  history: CustomerHistory,
  days: readonly PurchaseDay[],
  asOfDay: number,
  unit: TimeUnit,
): CustomerFeatures {
  const perUnit = daysIn(unit);
  const n = days.length;
  let frequency = 0;
  let recency = 0;
  let T = 0;
  let monetary = 0;
  let totalSpend = 0;
  let tenureDays = 0;
  let daysSinceLastPurchase = 0;
  let typicalGapDays: number | null = null;
  let discountedDays = 0;
  const units = new MapCtor<string, number>();
  let totalUnits = 0;

  if (n > 0) {
    const first = days[0]!.day;
    const last = days[n - 1]!.day;
    frequency = n - 1;
    recency = (last - first) / perUnit;
    T = (asOfDay - first) / perUnit;
    tenureDays = asOfDay - first;
    daysSinceLastPurchase = asOfDay - last;
    let repeatSpend = 0;
    const gaps: number[] = [];
    for (let i = 0; i < n; i++) {
      const d = days[i]!;
      totalSpend += d.amountMinor;
      if (d.discountMinor > 0) discountedDays++;
      if (i > 0) {
        repeatSpend += d.amountMinor;
        gaps.push(d.day - days[i - 1]!.day);
      }
      for (const [c, u] of d.categories) {
        units.set(c, (units.get(c) ?? 0) + u);
        totalUnits += u;
      }
    }
    monetary = frequency > 0 ? repeatSpend / frequency : 0;
    if (gaps.length > 0) typicalGapDays = median(gaps);
  } else {
    const first = firstEventDay(history, asOfDay);
    tenureDays = first === undefined ? 0 : asOfDay - first;
    daysSinceLastPurchase = tenureDays;
  }

  let ratingSum = 0;
  let ratingCount = 0;
  for (const r of history.ratings ?? []) {
    if (dayNumber(r.date) <= asOfDay) {
      ratingSum += r.score;
      ratingCount++;
    }
  }
  let started = 0;
  for (const s of history.subscriptionsStarted ?? []) if (dayNumber(s.date) <= asOfDay) started++;
  let cancelled = 0;
  for (const s of history.subscriptionsCancelled ?? []) if (dayNumber(s.date) <= asOfDay) cancelled++;

  const categoryShares: Record<string, number> = {};
  if (totalUnits > 0) {
    for (const c of [...units.keys()].sort()) categoryShares[c] = units.get(c)! / totalUnits;
  }

  return {
    customerId: history.customerId,
    frequency,
    recency,
    T,
    monetary,
    averageOrderValue: n > 0 ? totalSpend / n : 0,
    totalSpend,
    tenureDays,
    daysSinceLastPurchase,
    typicalGapDays,
    refunds90d: countRecent(history.refunds, asOfDay),
    tickets90d: countRecent(history.tickets, asOfDay),
    complaints90d: countRecent(history.tickets, asOfDay, (t) => t.complaint),
    averageSatisfaction: ratingCount > 0 ? ratingSum / ratingCount : null,
    paymentFailures90d: countRecentDates(history.paymentFailures, asOfDay),
    activeSubscriptions: max(0, started - cancelled),
    emailEngagement90d: countRecent(history.emailEvents, asOfDay),
    cancellations90d: countRecent(history.subscriptionsCancelled, asOfDay),
    transactions: n,
    complaintsToDate: countUpTo(history.tickets, asOfDay, (t) => t.complaint),
    refundsToDate: countUpTo(history.refunds, asOfDay),
    discountedShare: n > 0 ? discountedDays / n : 0,
    categoryShares,
  };
}

/** True when any purchase in the histories carries an amount. */
export function historiesHaveAmounts(histories: readonly CustomerHistory[]): boolean {
  for (const h of histories) for (const p of h.purchases) if (p.amountMinor !== undefined) return true;
  return false;
}

export interface TransactionRow {
  customerId: string;
  date: Date;
  amountMinor?: number;
  category?: string;
  /** Units of `category` on this row (default 1). */
  quantity?: number;
  productId?: string;
}

/**
 * Group flat rows (one per order line or item) into histories: rows of one customer on one UTC
 * day become ONE PurchaseEvent (amounts summed — undefined when no row of that day has one —,
 * units per category added up, products listed once each). Customers are returned sorted by id,
 * purchases by date.
 */
export function historiesFromTransactions(rows: Iterable<TransactionRow>): CustomerHistory[] {
  const byCustomer = new MapCtor<string, Map<number, PurchaseEvent>>();
  for (const row of rows) {
    const day = dayNumber(row.date);
    let days = byCustomer.get(row.customerId);
    if (!days) {
      days = new MapCtor();
      byCustomer.set(row.customerId, days);
    }
    let e = days.get(day);
    if (!e) {
      e = { date: new DateCtor(day * DAY_MS), categories: {} };
      days.set(day, e);
    }
    if (row.amountMinor !== undefined) e.amountMinor = (e.amountMinor ?? 0) + row.amountMinor;
    if (row.category !== undefined) e.categories[row.category] = (e.categories[row.category] ?? 0) + (row.quantity ?? 1);
    if (row.productId !== undefined) {
      e.products ??= [];
      if (!e.products.includes(row.productId)) e.products.push(row.productId);
    }
  }
  const ids = [...byCustomer.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return ids.map((customerId) => ({
    customerId,
    purchases: [...byCustomer.get(customerId)!.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e),
  }));
}
