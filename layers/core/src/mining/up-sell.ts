/**
 * Up-sell: ACTIVE customers who could spend more.
 *
 * Active = bought at least once, P(alive) >= `minPAlive` (default 0.6; 1 when no BG/NBD was
 * fitted) and the last purchase within max(90 days, 2 × their usual gap).
 *
 * Two reasons, either or both:
 *  1. Basket below peers: average order value below (1 − `aovMargin`, default 0.2) × the median
 *     AOV of their segment. Expected gain = (peer median − their AOV) × expected purchases in
 *     the horizon. Strength = relative shortfall / 0.5, capped at 1 (half the median or less
 *     is full strength).
 *  2. Lower tier of a product line (options.productTiers, lowest first): they hold tier i (the
 *     highest they hold) of a line with a higher tier; suggest tier i + 1. Strength = 0.5 +
 *     0.5 × the share of peers (fit sample) holding tier i or above who hold a tier above i.
 *     Expected gain = (mean AOV of holders of tier i+1 − of tier i) × expected purchases, when
 *     both are known and the difference is positive; else 0.
 * Score = P(alive) × the larger strength, in [0, 1].
 */
import { dayNumber } from './features.js';
import { MINING_DEFAULTS } from './defaults.js';
import { fmt, formatMoney, pct } from './format.js';
import type { CustomerFeatures, CustomerHistory, Flag } from './types.js';

const { max, min, round } = Math;

export interface ProductLine {
  line: string;
  tiers: string[];
}

export interface TierStats extends ProductLine {
  /** Customers (fit sample) whose highest held tier of the line is tiers[i]. */
  holders: number[];
  /** Their mean average order value (minor units); null when unknown. */
  aov: (number | null)[];
}

export interface UpSellStats {
  /** Median AOV per segment name (minor units), only when amounts exist. */
  segmentMedianAov: Record<string, number>;
  tiers: TierStats[];
}

export interface UpSellOptions {
  minPAlive?: number;
  aovMargin?: number;
  /** Flags below this score are dropped. Defaults: MINING_DEFAULTS.upSell. */
  minScore?: number;
}

/**
 * Products a customer holds at asOf: every product bought up to asOf, plus subscriptions
 * started and not cancelled by asOf (a cancellation without productId closes the oldest open
 * subscription).
 */
export function ownedProducts(h: CustomerHistory, asOf: Date): Set<string> {
  const asOfDay = dayNumber(asOf);
  const owned = new Set<string>();
  for (const p of h.purchases) if (p.products && dayNumber(p.date) <= asOfDay) for (const id of p.products) owned.add(id);
  if (h.subscriptionsStarted?.length) {
    const events: { day: number; start: boolean; productId?: string }[] = [];
    for (const s of h.subscriptionsStarted) events.push({ day: dayNumber(s.date), start: true, productId: s.productId });
    for (const s of h.subscriptionsCancelled ?? []) events.push({ day: dayNumber(s.date), start: false, productId: s.productId });
    // Same day: starts before cancellations.
    events.sort((a, b) => a.day - b.day || Number(b.start) - Number(a.start));
    const open: string[] = [];
    for (const e of events) {
      if (e.day > asOfDay) break;
      if (e.start) open.push(e.productId!);
      else if (open.length > 0) {
        const i = e.productId !== undefined ? open.indexOf(e.productId) : 0;
        if (i >= 0) open.splice(i, 1);
      }
    }
    for (const id of open) owned.add(id);
  }
  return owned;
}

/** Index of the highest tier of `line` held, or −1. */
export function highestTier(line: ProductLine, owned: ReadonlySet<string>): number {
  for (let i = line.tiers.length - 1; i >= 0; i--) if (owned.has(line.tiers[i]!)) return i;
  return -1;
}

/** Peer statistics from the fit sample. */
export function fitUpSellStats(
  customers: readonly { segment: string; features: CustomerFeatures; owned: ReadonlySet<string> }[],
  lines: readonly ProductLine[],
  hasAmounts: boolean,
): UpSellStats {
  const segmentMedianAov: Record<string, number> = {};
  if (hasAmounts) {
    const bySeg = new Map<string, number[]>();
    for (const c of customers) {
      if ((c.features.transactions ?? 1) === 0) continue;
      const list = bySeg.get(c.segment) ?? [];
      list.push(c.features.averageOrderValue);
      bySeg.set(c.segment, list);
    }
    for (const seg of [...bySeg.keys()].sort()) {
      const v = bySeg.get(seg)!.sort((a, b) => a - b);
      const m = v.length >> 1;
      segmentMedianAov[seg] = v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
    }
  }
  const tiers: TierStats[] = lines.map((line) => {
    const holders = line.tiers.map(() => 0);
    const sums = line.tiers.map(() => 0);
    for (const c of customers) {
      const i = highestTier(line, c.owned);
      if (i < 0) continue;
      holders[i]!++;
      sums[i]! += c.features.averageOrderValue;
    }
    return {
      line: line.line,
      tiers: [...line.tiers],
      holders,
      aov: holders.map((n, i) => (hasAmounts && n > 0 ? sums[i]! / n : null)),
    };
  });
  return { segmentMedianAov, tiers };
}

export interface UpSellInput {
  features: CustomerFeatures;
  segment: string;
  /** BG/NBD P(alive); undefined when no model was fitted. */
  pAlive?: number;
  /** Expected purchases over the CLV horizon. */
  expectedPurchases: number;
  owned: ReadonlySet<string>;
  currency?: string;
}

export function upSellFlag(input: UpSellInput, stats: UpSellStats, opts: UpSellOptions = {}): Flag | null {
  const f = input.features;
  if ((f.transactions ?? 1) === 0) return null;
  const alive = input.pAlive ?? 1;
  if (alive < (opts.minPAlive ?? MINING_DEFAULTS.upSell.minPAlive)) return null;
  const recentLimit = max(90, 2 * (f.typicalGapDays ?? 0));
  if (f.daysSinceLastPurchase > recentLimit) return null;

  const reasons: string[] = [];
  const suggestions: string[] = [];
  let strength = 0;
  let gain = 0;

  const median = stats.segmentMedianAov[input.segment];
  const margin = opts.aovMargin ?? MINING_DEFAULTS.upSell.aovMargin;
  if (median !== undefined && median > 0 && f.averageOrderValue < (1 - margin) * median) {
    const shortfall = (median - f.averageOrderValue) / median;
    strength = max(strength, min(1, shortfall / 0.5));
    const g = (median - f.averageOrderValue) * input.expectedPurchases;
    gain += g;
    reasons.push(
      `average order ${formatMoney(round(f.averageOrderValue), input.currency)} is ${pct(shortfall, 0)} below the ${input.segment} median of ` +
        `${formatMoney(round(median), input.currency)}; ${fmt(input.expectedPurchases, 1)} expected purchases`,
    );
  }

  for (const line of stats.tiers) {
    const i = highestTier(line, input.owned);
    if (i < 0 || i >= line.tiers.length - 1) continue;
    const next = line.tiers[i + 1]!;
    let atOrAbove = 0;
    let above = 0;
    for (let j = i; j < line.holders.length; j++) {
      atOrAbove += line.holders[j]!;
      if (j > i) above += line.holders[j]!;
    }
    const adoption = atOrAbove > 0 ? above / atOrAbove : 0;
    strength = max(strength, 0.5 + 0.5 * adoption);
    const lo = line.aov[i];
    const hi = line.aov[i + 1];
    const g = lo != null && hi != null && hi > lo ? (hi - lo) * input.expectedPurchases : 0;
    gain += g;
    suggestions.push(next);
    reasons.push(
      `holds ${line.tiers[i]} of ${line.line}; ${pct(adoption, 0)} of ${line.tiers[i]}+ holders have a higher tier` +
        (g > 0 ? `; ${next} holders spend ${formatMoney(round(hi! - lo!), input.currency)} more per order` : ''),
    );
  }

  if (reasons.length === 0) return null;
  const score = alive * strength;
  if (score < (opts.minScore ?? MINING_DEFAULTS.upSell.minScore)) return null;
  if (input.pAlive !== undefined) reasons.push(`P(alive) ${fmt(input.pAlive)}`);
  const flag: Flag = {
    customerId: f.customerId,
    type: 'up-sell',
    score,
    reasons,
    expectedValueMinor: round(gain),
  };
  if (suggestions.length > 0) flag.suggestions = suggestions;
  return flag;
}
