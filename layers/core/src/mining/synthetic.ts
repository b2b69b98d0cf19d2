/**
 * A seeded synthetic customer base with planted behaviour types, for tests, demos and the
 * benchmark. Customer i's history depends only on (seed, i), so any shard of the population
 * can be generated on its own and the pieces agree with a single run.
 *
 * Types (share): champion 8%, loyal 15%, new 10%, at-risk 12%, occasional 20%, lost 35%.
 * At-risk customers buy often and then stop at a uniformly spread time from 400 days before to
 * 250 days after asOf (so some are still buying at asOf; the population is roughly stationary
 * and a backtest sees the same churn dynamics as the future).
 * Categories carry planted associations (coffee → filters, tea → teapot, ...), memberships a
 * product line basic < plus < premium, and at-risk customers complaints, bad ratings and
 * failed payments.
 */
import { DAY_MS } from './features.js';
import { gammaVariate, mulberry32, normal } from './random.js';
import type { CustomerHistory, PurchaseEvent } from './types.js';

const { exp, floor, imul, log, max, min, round } = Math;

export const SYNTHETIC_TYPES = ['champion', 'loyal', 'new', 'at-risk', 'occasional', 'lost'] as const;
export type SyntheticType = (typeof SYNTHETIC_TYPES)[number];

const SHARES: Record<SyntheticType, number> = { champion: 0.08, loyal: 0.15, new: 0.1, 'at-risk': 0.12, occasional: 0.2, lost: 0.35 };

/** Membership product line of the synthetic shop. */
export const SYNTHETIC_TIERS = [{ line: 'membership', tiers: ['basic', 'plus', 'premium'] }];

interface TypeSpec {
  /** Days between purchases (mean of an exponential gap). */
  gap: number;
  /** First purchase between these many days before asOf. */
  firstFrom: number;
  firstTo: number;
  /**
   * Stops buying this many days before asOf (range; negative = after asOf, i.e. still buying
   * but about to stop); stopTo 0 = never stops (maxPurchases still caps).
   */
  stopFrom: number;
  stopTo: number;
  /** Median order value in minor units and log-sd. */
  aov: number;
  /** Maximum purchases (lost customers buy once or twice). */
  maxPurchases: number;
  /** Preferred categories (drawn first). */
  favourites: string[];
}

const SPECS: Record<SyntheticType, TypeSpec> = {
  champion: { gap: 12, firstFrom: 200, firstTo: 700, stopFrom: 0, stopTo: 0, aov: 9000, maxPurchases: 200, favourites: ['coffee', 'filters', 'mugs'] },
  loyal: { gap: 30, firstFrom: 300, firstTo: 900, stopFrom: 0, stopTo: 0, aov: 4500, maxPurchases: 200, favourites: ['coffee', 'tea'] },
  new: { gap: 20, firstFrom: 2, firstTo: 45, stopFrom: 0, stopTo: 0, aov: 4000, maxPurchases: 2, favourites: ['coffee', 'gift-cards'] },
  'at-risk': { gap: 20, firstFrom: 500, firstTo: 1000, stopFrom: -250, stopTo: 400, aov: 7000, maxPurchases: 200, favourites: ['tea', 'teapot', 'coffee'] },
  occasional: { gap: 100, firstFrom: 300, firstTo: 1000, stopFrom: 0, stopTo: 0, aov: 2500, maxPurchases: 200, favourites: ['tea', 'mugs'] },
  lost: { gap: 60, firstFrom: 400, firstTo: 1000, stopFrom: 0, stopTo: 0, aov: 3500, maxPurchases: 2, favourites: ['gift-cards', 'mugs'] },
};

/** Gamma-Gamma shape parameters of the synthetic spend (p: within customer, q: across). */
const SPEND_P = 6;
const SPEND_Q = 4;

const CATEGORIES = ['coffee', 'filters', 'tea', 'teapot', 'mugs', 'gift-cards', 'chocolate', 'grinder'];
/** Planted associations: buying the key makes the value likely in the same basket. */
const COMPANIONS: Record<string, [string, number]> = {
  coffee: ['filters', 0.45],
  tea: ['teapot', 0.3],
  filters: ['grinder', 0.15],
  'gift-cards': ['chocolate', 0.4],
};

/** Independent per-customer seed. */
function customerSeed(seed: number, i: number): number {
  let h = imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ imul(i + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** The planted type of customer i. */
export function syntheticType(seed: number, i: number): SyntheticType {
  const u = mulberry32(customerSeed(seed, i));
  return pickType(u());
}

function pickType(r: number): SyntheticType {
  let acc = 0;
  for (const t of SYNTHETIC_TYPES) {
    acc += SHARES[t];
    if (r < acc) return t;
  }
  return 'lost';
}

export interface SyntheticOptions {
  seed?: number;
  asOf?: Date;
  /** Index of the first customer (for shards). */
  offset?: number;
  /** Leave out amounts (like the Groceries data). */
  withoutAmounts?: boolean;
  /** Leave out tickets, ratings, payments, subscriptions and emails. */
  withoutService?: boolean;
}

/** Customers offset … offset+n−1 of the synthetic population (ids `c0000001`, ...). */
export function syntheticHistories(n: number, opts: SyntheticOptions = {}): CustomerHistory[] {
  const seed = opts.seed ?? 1;
  const asOfMs = (opts.asOf ?? new Date(Date.UTC(2026, 0, 1))).getTime();
  const asOfDay = floor(asOfMs / DAY_MS);
  const offset = opts.offset ?? 0;
  const out: CustomerHistory[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = offset + k;
    const u = mulberry32(customerSeed(seed, i));
    const type = pickType(u());
    out[k] = generate(i, type, u, asOfDay, opts);
  }
  return out;
}

const day = (d: number) => new Date(d * DAY_MS);

/** Gamma(k, 1) for integer k: minus the log of a product of k uniforms (fast, exact). */
function gammaInt(k: number, u: () => number): number {
  let prod = 1;
  for (let i = 0; i < k; i++) prod *= 1 - u();
  return -log(prod);
}

function generate(i: number, type: SyntheticType, u: () => number, asOfDay: number, opts: SyntheticOptions): CustomerHistory {
  const spec = SPECS[type];
  const first = asOfDay - round(spec.firstFrom + u() * (spec.firstTo - spec.firstFrom));
  const stop = spec.stopTo !== 0 ? asOfDay - round(spec.stopFrom + u() * (spec.stopTo - spec.stopFrom)) : asOfDay;
  // Personal rate around the type's. Spend as the Gamma-Gamma model has it: order values
  // ~ Gamma(p, ν), ν ~ Gamma(q, v) across customers, v set so the type's mean is spec.aov.
  const gap = spec.gap * exp(0.35 * normal(u));
  const nu = gammaVariate(SPEND_Q, u) / ((spec.aov * (SPEND_Q - 1)) / SPEND_P);
  const aov = SPEND_P / nu;
  const purchases: PurchaseEvent[] = [];
  let d = first;
  while (d <= min(stop, asOfDay) && purchases.length < spec.maxPurchases) {
    const categories: Record<string, number> = {};
    const main = u() < 0.7 ? spec.favourites[floor(u() * spec.favourites.length)]! : CATEGORIES[floor(u() * CATEGORIES.length)]!;
    categories[main] = 1 + floor(u() * 2);
    const comp = COMPANIONS[main];
    if (comp && u() < comp[1]) categories[comp[0]] = 1;
    if (u() < 0.1) categories[CATEGORIES[floor(u() * CATEGORIES.length)]!] = 1;
    const e: PurchaseEvent = { date: day(d), categories };
    if (!opts.withoutAmounts) e.amountMinor = max(100, round(gammaInt(SPEND_P, u) / nu));
    purchases.push(e);
    d += max(1, round(-log(1 - u()) * gap));
  }
  const h: CustomerHistory = { customerId: `c${String(i).padStart(7, '0')}`, purchases, currency: 'EUR' };
  if (opts.withoutService) return h;

  const last = purchases.length > 0 ? floor(purchases[purchases.length - 1]!.date.getTime() / DAY_MS) : first;
  const recent = (span: number) => asOfDay - floor(u() * span);
  if (type === 'at-risk') {
    // Complaints come before the stop: more likely while still buying.
    if (u() < (stop >= asOfDay ? 0.7 : 0.4)) h.tickets = Array.from({ length: 1 + floor(u() * 3) }, () => ({ date: day(recent(90)), complaint: u() < 0.8 }));
    if (u() < 0.5) h.ratings = [{ date: day(recent(120)), score: 1 + floor(u() * 2) }];
    if (u() < 0.25) h.paymentFailures = [day(recent(80))];
    if (u() < 0.2) h.refunds = [{ date: day(recent(90)), amountMinor: round(aov / 2) }];
  } else if (type === 'champion' || type === 'loyal') {
    if (u() < 0.4) h.ratings = [{ date: day(recent(200)), score: 4 + floor(u() * 2) }];
    if (u() < 0.6) h.emailEvents = Array.from({ length: 1 + floor(u() * 4) }, () => ({ date: day(recent(90)), kind: u() < 0.5 ? 'opened' : 'clicked' }));
  }
  // Memberships: champions hold higher tiers than loyal customers; some at-risk cancelled.
  const tierOdds: Partial<Record<SyntheticType, [number, number, number]>> = {
    champion: [0.2, 0.4, 0.3],
    loyal: [0.4, 0.25, 0.05],
    'at-risk': [0.3, 0.2, 0.1],
    occasional: [0.15, 0.03, 0],
  };
  const odds = tierOdds[type];
  if (odds) {
    const r = u();
    const tiers = SYNTHETIC_TIERS[0]!.tiers;
    let acc = 0;
    for (let t = 0; t < 3; t++) {
      acc += odds[t]!;
      if (r < acc) {
        const start = first + floor(u() * max(1, last - first + 1));
        h.subscriptionsStarted = [{ date: day(min(start, asOfDay)), productId: tiers[t]! }];
        if (type === 'at-risk' && u() < 0.4) h.subscriptionsCancelled = [{ date: day(recent(90)), productId: tiers[t]! }];
        break;
      }
    }
  }
  return h;
}
