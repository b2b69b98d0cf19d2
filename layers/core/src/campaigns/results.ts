import { creditStands, netRevenueOf, type CreditedPurchase } from './attribution.js';
import type { AssignmentGroup } from './schema.js';
import { compareGroups, type GroupComparison, type GroupCounts } from './stats.js';

/**
 * A campaign's results from its assignments (pure; the store reads them through the assignments
 * index). Intention to treat: every customer assigned counts in their group whether or not an offer
 * reached them, and converts with a credited purchase that was not refunded in full, so the
 * treatment and control groups are measured by the same rule from the same date (see
 * attribution.ts) and the comparison keeps the randomization.
 */
export interface AssignmentOutcome {
  group: AssignmentGroup;
  segment?: string;
  valueTier?: string;
  channels?: readonly string[];
  contactedAt?: string;
  conversions: Record<string, CreditedPurchase>;
}

export interface ResultRow extends GroupComparison {
  treatment: GroupComparison['treatment'] & { contacted: number };
}

export interface CampaignResults extends ResultRow {
  /**
   * The currency every revenue figure is in: the one most credits are in (null when none). Credits
   * in other currencies count as conversions but not in the revenue; `otherCurrencies` has them.
   */
  currency: string | null;
  /** Revenue credited in other currencies than `currency`, per group (minor units of each): absent when none. */
  otherCurrencies?: Record<string, { treatmentMinor: number; controlMinor: number }>;
  bySegment: Array<ResultRow & { segment: string | null }>;
  byValueTier: Array<ResultRow & { valueTier: string | null }>;
  /** Customers an offer reached on each channel, against the whole control group (which no channel reaches). */
  byChannel: Array<ResultRow & { channel: string }>;
  measurement: string;
}

export const MEASUREMENT =
  'Intention to treat: every assigned customer counts in their group, reached by an offer or not. A customer converted when ' +
  "a purchase of the campaign's product (any purchase when it names none) arrived within attributionDays of their " +
  'assignment and was not refunded in full; revenue is what those purchases paid for that product, net of refunds. ' +
  'The same rule applies to both groups from the assignment date, so the difference is the effect of the campaign. ' +
  'bySegment and byValueTier use what the latest mining run said at assignment; byChannel compares the customers an ' +
  'offer reached on the channel with the whole control group, which is an indication only: who was reached is not random.';

interface Tally {
  customers: number;
  contacted: number;
  converted: number;
  revenueMinor: number;
}

const emptyTally = (): Tally => ({ customers: 0, contacted: 0, converted: 0, revenueMinor: 0 });

/** Adds one customer; revenue only in `currency` (minor units of different currencies do not add up). */
function add(t: Tally, o: AssignmentOutcome, currency: string | null): void {
  const credits = Object.values(o.conversions);
  t.customers++;
  if (o.contactedAt) t.contacted++;
  if (credits.some(creditStands)) t.converted++;
  t.revenueMinor += credits.filter((c) => c.currency === currency).reduce((sum, c) => sum + netRevenueOf(c), 0);
}

function row(treatment: Tally, control: Tally): ResultRow {
  const counts = (t: Tally): GroupCounts => ({ customers: t.customers, converted: t.converted, revenueMinor: t.revenueMinor });
  const compared = compareGroups({ treatment: counts(treatment), control: counts(control) });
  return { ...compared, treatment: { ...compared.treatment, contacted: treatment.contacted } };
}

function split<K extends string | null>(
  outcomes: readonly AssignmentOutcome[],
  keyOf: (o: AssignmentOutcome) => K,
  currency: string | null,
): Map<K, { treatment: Tally; control: Tally }> {
  const groups = new Map<K, { treatment: Tally; control: Tally }>();
  for (const o of outcomes) {
    const key = keyOf(o);
    const g = groups.get(key) ?? { treatment: emptyTally(), control: emptyTally() };
    add(g[o.group], o, currency);
    groups.set(key, g);
  }
  return groups;
}

const byKey = <K extends string | null>(a: K, b: K) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b));

/** The currency most credits are in (ties: alphabetical); null without credits. */
function mainCurrency(outcomes: readonly AssignmentOutcome[]): string | null {
  const counts = new Map<string, number>();
  for (const o of outcomes) for (const c of Object.values(o.conversions)) counts.set(c.currency, (counts.get(c.currency) ?? 0) + 1);
  return [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))[0]?.[0] ?? null;
}

function otherCurrencies(outcomes: readonly AssignmentOutcome[], currency: string | null): CampaignResults['otherCurrencies'] {
  const other: NonNullable<CampaignResults['otherCurrencies']> = {};
  for (const o of outcomes) {
    for (const c of Object.values(o.conversions)) {
      if (c.currency === currency) continue;
      const entry = other[c.currency] ?? { treatmentMinor: 0, controlMinor: 0 };
      other[c.currency] = entry;
      if (o.group === 'treatment') entry.treatmentMinor += netRevenueOf(c);
      else entry.controlMinor += netRevenueOf(c);
    }
  }
  return Object.keys(other).length ? other : undefined;
}

export function campaignResults(outcomes: readonly AssignmentOutcome[]): CampaignResults {
  const currency = mainCurrency(outcomes);
  const all = split(outcomes, () => 'all', currency).get('all') ?? { treatment: emptyTally(), control: emptyTally() };
  const others = otherCurrencies(outcomes, currency);
  const rows = <K extends string | null, F extends string>(field: F, keyOf: (o: AssignmentOutcome) => K) =>
    [...split(outcomes, keyOf, currency)]
      .sort(([a], [b]) => byKey(a, b))
      .map(([key, g]) => ({ [field]: key, ...row(g.treatment, g.control) }) as ResultRow & Record<F, K>);
  const channels = [...new Set(outcomes.flatMap((o) => (o.group === 'treatment' ? (o.channels ?? []) : [])))].sort();
  return {
    ...row(all.treatment, all.control),
    currency,
    ...(others ? { otherCurrencies: others } : {}),
    bySegment: rows('segment', (o) => o.segment ?? null),
    byValueTier: rows('valueTier', (o) => o.valueTier ?? null),
    byChannel: channels.map((channel) => {
      const reached = emptyTally();
      for (const o of outcomes) if (o.group === 'treatment' && o.channels?.includes(channel)) add(reached, o, currency);
      return { channel, ...row(reached, all.control) };
    }),
    measurement: MEASUREMENT,
  };
}
