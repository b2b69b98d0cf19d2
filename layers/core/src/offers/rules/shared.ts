import { DAY_MS } from '../../time.js';
import type { RuleSetConfig } from '../config.js';
import type { CustomerFacts } from '../facts.js';
import {
  windowEnd,
  windowStart,
  type Finding,
  type OfferRequest,
  type OfferTerms,
  type RegisteredOffer,
  type Severity,
} from '../schema.js';

/** One rule: a pure function of the proposed offer, the customer, their active offers, the rule set and the time. */
export type Rule = (
  offer: OfferRequest,
  facts: CustomerFacts,
  activeOffers: readonly RegisteredOffer[],
  config: RuleSetConfig,
  now: Date,
) => Finding[];

export { DAY_MS };

export function finding(rule: string, severity: Severity, message: string, evidence: Record<string, unknown>): Finding {
  return { rule, severity, message, evidence };
}

/** Epoch ms of an ISO string, undefined when absent or unparseable. */
export function ms(iso: string | undefined | null): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** Whole days elapsed from `iso` to now (negative for future dates). */
export function daysSince(iso: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(iso)) / DAY_MS);
}

/** True when `iso` is at most `days` days before now (future dates included). */
export function withinDays(iso: string | undefined, days: number, now: Date): iso is string {
  const t = ms(iso);
  return t !== undefined && now.getTime() - t <= days * DAY_MS;
}

/** YYYY-MM-DD of an ISO date or date-time (UTC). */
export function day(iso: string): string {
  const t = ms(iso);
  return t === undefined ? iso : new Date(t).toISOString().slice(0, 10);
}

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString().slice(0, 10);
}

/** "Ann" or "the customer"; `Who` capitalises the fallback for the start of a sentence. */
export const who = (f: CustomerFacts) => f.name ?? 'the customer';
export const Who = (f: CustomerFacts) => f.name ?? 'The customer';

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function ordinal(n: number): string {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return `${n}${n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th'}`;
}

/** 1234567 minor units -> "12,345.67 EUR" (two decimals; currency when known). */
export function formatMinor(minor: number, currency?: string): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(Math.round(minor));
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${whole}.${cents}${currency ? ` ${currency}` : ''}`;
}

/** Terms as a comparable list of [key, value], sorted by key, without ignored or undefined fields. */
function canonical(terms: OfferTerms | undefined, ignore: readonly string[]): [string, unknown][] {
  return Object.entries(terms ?? {})
    .filter(([k, v]) => v !== undefined && !ignore.includes(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function hasTerms(terms: OfferTerms | undefined, ignore: readonly string[] = []): boolean {
  return canonical(terms, ignore).length > 0;
}

/** Term fields whose values differ between two offers (a field present on one side only differs). */
export function differingTerms(a: OfferTerms | undefined, b: OfferTerms | undefined, ignore: readonly string[] = []): string[] {
  const x = new Map(canonical(a, ignore));
  const y = new Map(canonical(b, ignore));
  return [...new Set([...x.keys(), ...y.keys()])].filter((k) => x.get(k) !== y.get(k)).sort();
}

/**
 * "amount 250000, currency EUR, rate 3.1" (sorted by key), or "no terms". With `keys`, only those
 * fields, a missing one as "no <key>".
 */
export function describeTerms(terms: OfferTerms | undefined, keys?: readonly string[]): string {
  if (keys) {
    const values = new Map(canonical(terms, []));
    return keys.map((k) => (values.has(k) ? `${k} ${String(values.get(k))}` : `no ${k}`)).join(', ');
  }
  const entries = canonical(terms, []);
  return entries.length ? entries.map(([k, v]) => `${k} ${String(v)}`).join(', ') : 'no terms';
}

/** "(team branch-hamburg, by phone, 2026-11-20)": where a registered offer came from. */
export function origin(o: RegisteredOffer): string {
  return `(${[o.team && `team ${o.team}`, `by ${o.channel}`, day(o.createdAt)].filter(Boolean).join(', ')})`;
}

/** Terms restricted to the given keys (for evidence that stays short). */
export function pickTerms(terms: OfferTerms | undefined): Record<string, unknown> {
  return Object.fromEntries(canonical(terms, []));
}

/**
 * Whether another registered offer is live alongside the proposed one: status active, not expired
 * now, and its validity window overlaps the proposed offer's (which starts now at the earliest).
 */
export function concurrent(offer: OfferRequest, other: RegisteredOffer, now: Date): boolean {
  if (other.status !== 'active') return false;
  const t = now.getTime();
  const otherEnd = other.validUntil ? windowEnd(other.validUntil) : Infinity;
  // The proposed offer starts now at the earliest, so an offer that ended before now never overlaps.
  const start = Math.max(offer.validFrom ? windowStart(offer.validFrom) : t, t);
  const end = offer.validUntil ? windowEnd(offer.validUntil) : Infinity;
  const otherStart = other.validFrom ? windowStart(other.validFrom) : -Infinity;
  return start <= otherEnd && otherStart <= end;
}

/** How two offers concern the same product: same productId, else (if allowed) same productFamily. */
export function sameProduct(
  a: { productId?: string; productFamily?: string },
  b: { productId?: string; productFamily?: string },
  matchFamily: boolean,
): 'productId' | 'productFamily' | null {
  if (a.productId && a.productId === b.productId) return 'productId';
  if (matchFamily && a.productFamily && a.productFamily === b.productFamily) return 'productFamily';
  return null;
}

/** Why the customer is top tier (empty when not), with the numbers for evidence. */
export function highValueReasons(
  facts: CustomerFacts,
  hv: RuleSetConfig['highValue'],
): { reasons: string[]; evidence: Record<string, unknown> } {
  const reasons: string[] = [];
  const evidence: Record<string, unknown> = {};
  const m = facts.mining;
  if (m && hv.topSegments.includes(m.segment)) {
    reasons.push(`in the ${m.segment} segment`);
    evidence.segment = m.segment;
  }
  if (m?.clvTier === 'top') {
    reasons.push(`in the top ${hv.topClvPercent}% by lifetime value (${formatMinor(m.clvMinor, facts.currency)})`);
    evidence.clvTier = 'top';
    evidence.topClvPercent = hv.topClvPercent;
    evidence.clvMinor = m.clvMinor;
  } else if (m && hv.clvMinorAtLeast !== null && m.clvMinor >= hv.clvMinorAtLeast) {
    reasons.push(
      `worth ${formatMinor(m.clvMinor, facts.currency)} in expected lifetime value (threshold ${formatMinor(hv.clvMinorAtLeast, facts.currency)})`,
    );
    evidence.clvMinor = m.clvMinor;
    evidence.clvMinorAtLeast = hv.clvMinorAtLeast;
  }
  if (hv.revenueMinorAtLeast !== null && facts.revenueMinor >= hv.revenueMinorAtLeast) {
    reasons.push(
      `has brought ${formatMinor(facts.revenueMinor, facts.currency)} in revenue (threshold ${formatMinor(hv.revenueMinorAtLeast, facts.currency)})`,
    );
    evidence.revenueMinor = facts.revenueMinor;
    evidence.revenueMinorAtLeast = hv.revenueMinorAtLeast;
  }
  if (reasons.length && m) evidence.runId = m.runId;
  return { reasons, evidence };
}

/** "a, b and c". */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const KIND_PHRASES: Record<string, string> = {
  offer: 'an offer',
  upsell: 'an up-sell',
  'cross-sell': 'a cross-sell',
  retention: 'a retention offer',
  penalty: 'a penalty',
  fee: 'a fee',
  collection: 'a collection notice',
  service: 'a service contact',
  message: 'a message',
};
/** "an up-sell", "a fee", ... */
export const aKind = (kind: string) => KIND_PHRASES[kind] ?? `a ${kind}`;
/** "up-sell", "fee", ... */
export const kindNoun = (kind: string) => aKind(kind).replace(/^an? /, '');

/** "today", "yesterday", "3 days ago". */
export function ago(iso: string, now: Date): string {
  // Calendar days (UTC), as people say them: a complaint on the 26th is not "yesterday" on the 28th.
  const utcDay = (t: number) => Math.floor(t / DAY_MS);
  const d = utcDay(now.getTime()) - utcDay(Date.parse(iso));
  return d <= 0 ? 'today' : d === 1 ? 'yesterday' : `${d} days ago`;
}
