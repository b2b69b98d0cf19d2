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
  /** The currency of the credited revenue; null when none was credited, 'mixed' when several were. */
  currency: string | null;
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

function add(t: Tally, o: AssignmentOutcome): void {
  const credits = Object.values(o.conversions);
  t.customers++;
  if (o.contactedAt) t.contacted++;
  if (credits.some(creditStands)) t.converted++;
  t.revenueMinor += credits.reduce((sum, c) => sum + netRevenueOf(c), 0);
}

function row(treatment: Tally, control: Tally): ResultRow {
  const counts = (t: Tally): GroupCounts => ({ customers: t.customers, converted: t.converted, revenueMinor: t.revenueMinor });
  const compared = compareGroups({ treatment: counts(treatment), control: counts(control) });
  return { ...compared, treatment: { ...compared.treatment, contacted: treatment.contacted } };
}

function split<K extends string | null>(
  outcomes: readonly AssignmentOutcome[],
  keyOf: (o: AssignmentOutcome) => K,
): Map<K, { treatment: Tally; control: Tally }> {
  const groups = new Map<K, { treatment: Tally; control: Tally }>();
  for (const o of outcomes) {
    const key = keyOf(o);
    const g = groups.get(key) ?? { treatment: emptyTally(), control: emptyTally() };
    add(g[o.group], o);
    groups.set(key, g);
  }
  return groups;
}

const byKey = <K extends string | null>(a: K, b: K) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b));

export function campaignResults(outcomes: readonly AssignmentOutcome[]): CampaignResults {
  const all = split(outcomes, () => 'all').get('all') ?? { treatment: emptyTally(), control: emptyTally() };
  const currencies = new Set(outcomes.flatMap((o) => Object.values(o.conversions).map((c) => c.currency)));
  const rows = <K extends string | null, F extends string>(field: F, keyOf: (o: AssignmentOutcome) => K) =>
    [...split(outcomes, keyOf)]
      .sort(([a], [b]) => byKey(a, b))
      .map(([key, g]) => ({ [field]: key, ...row(g.treatment, g.control) }) as ResultRow & Record<F, K>);
  const channels = [...new Set(outcomes.flatMap((o) => (o.group === 'treatment' ? (o.channels ?? []) : [])))].sort();
  return {
    ...row(all.treatment, all.control),
    currency: currencies.size === 0 ? null : currencies.size === 1 ? [...currencies][0]! : 'mixed',
    bySegment: rows('segment', (o) => o.segment ?? null),
    byValueTier: rows('valueTier', (o) => o.valueTier ?? null),
    byChannel: channels.map((channel) => {
      const reached = emptyTally();
      for (const o of outcomes) if (o.group === 'treatment' && o.channels?.includes(channel)) add(reached, o);
      return { channel, ...row(reached, all.control) };
    }),
    measurement: MEASUREMENT,
  };
}
