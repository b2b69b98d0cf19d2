import type { Customer360 } from '../customers/customer-360.js';

/**
 * Everything the rules know about the customer: the customer 360 reduced to what the rules read,
 * plus a few dates the store derives from the touchpoint history. The engine never reads the
 * store; the store builds this once per check (see `factsFromCustomer360`) so a check costs a
 * bounded number of reads whatever the length of the history.
 *
 * All dates are ISO 8601 strings. Unknown dates are left out (never empty strings).
 */
export interface CustomerFacts {
  /** Patron customer id (the surviving id after merges). */
  customerId: string;
  /**
   * First name or display name, used in messages only ("Ann already holds ..."), and only in the
   * messages of an API response: what is stored (audit records, Idempotency-Key records) is
   * worded from `anonymousFacts` ("The customer already holds ...").
   */
  name?: string;
  /** Latest known consent choice per channel (`at` = when the customer made it), or null when never stated. */
  consent: Record<ConsentChannelName, ConsentFact | null>;
  /** Product ids the customer bought or holds (purchases and active subscriptions, as in the 360). */
  ownedProducts: string[];
  /** Subscriptions not cancelled. `since` (start date) and `productFamily` are optional enrichments. */
  activeSubscriptions: { subscriptionId: string; productId: string; productFamily?: string; since?: string }[];
  /** Memberships (association, loyalty programme), with the date they began: the 33-year member. */
  memberships?: { productId: string; productFamily?: string; since?: string; membershipId?: string }[];
  /** Ids of support tickets still open. */
  openTickets: string[];
  /** Lifetime average satisfaction score (1-5), null when never rated. */
  averageSatisfaction: number | null;
  /** When the customer last complained (a complaint ticket opened). */
  lastComplaintAt?: string;
  /** When the customer last gave a low rating (score at or below sell-after-complaint's `satisfactionAtMost`). */
  lastLowRatingAt?: string;
  /** When a payment of the customer last failed. */
  lastPaymentFailureAt?: string;
  /** When the customer last cancelled a subscription or membership. */
  lastCancellationAt?: string;
  /** First and last touchpoint (occurredAt) of the customer. */
  firstSeen?: string;
  lastSeen?: string;
  /** Revenue to date in minor units of the main currency (`currency`). */
  revenueMinor: number;
  /** The main currency (ISO 4217) of `revenueMinor` and `mining.clvMinor`, for messages. */
  currency?: string;
  /** Scores from the latest completed mining run that scored the customer; null/absent before any. */
  mining?: MiningFact | null;
  /** Flags of the latest completed mining run (churn-risk, up-sell, cross-sell) with their score in [0, 1]. */
  flags?: { type: string; score: number }[];
  /** The latest mining run, whatever its outcome: a failed run means the scores above are not current. */
  lastMiningRun?: { status: 'completed' | 'failed'; completedAt?: string; runId?: string };
  /**
   * Contacts in the contact-fatigue window (at least `windowDays` back from now): every registered
   * offer/action (any status, dated by createdAt, with its channel) and every outbound message
   * touchpoint. The offer being checked is not in it; the rule adds it.
   */
  recentContacts: RecentContact[];
  /** When the profile data itself was last updated (a profile_updated touchpoint or a merge). */
  profileUpdatedAt?: string;
  /**
   * The customer's campaign assignments (control or treatment), for the holdout rule. The store
   * adds the assignment to the campaign of the offer being checked when the customer had none.
   */
  campaignAssignments?: CampaignAssignmentFact[];
}

export interface CampaignAssignmentFact {
  campaignId: string;
  /** For messages. */
  campaignName?: string;
  group: 'treatment' | 'control';
  /** When the group was stored; absent for a dry run's group that is not stored yet. */
  assignedAt?: string;
}

export type ConsentChannelName = 'email' | 'sms' | 'phone';

export interface ConsentFact {
  granted: boolean;
  /** When the customer made the choice. */
  at: string;
  /** Where the choice came from (unsubscribe link, web form, ...). */
  source?: string;
}

export interface MiningFact {
  runId: string;
  /** Segment name of the latest run (e.g. Champions, Loyal, Can't lose them, At risk, ...). */
  segment: string;
  /** Expected customer lifetime value, minor units of the main currency. */
  clvMinor: number;
  /** Probability the customer is still active, [0, 1]. */
  pAlive: number;
  /** Churn risk, [0, 1]. */
  churnRisk: number;
  /** When the run scored the customer. */
  scoredAt: string;
  /**
   * 'top' when the customer is in the top `highValue.topClvPercent` % of the run by CLV. The
   * store computes it from the run's CLV distribution; the engine cannot (it sees one customer).
   */
  clvTier?: 'top' | 'other';
}

export interface RecentContact {
  channel: string;
  at: string;
  kind: 'offer' | 'message';
  /** The registered offer id or the touchpoint id, shown in evidence. */
  ref?: string;
}

/** What the store adds to the 360 (all derived from the history or other items). */
export type FactsExtras = Partial<
  Pick<
    CustomerFacts,
    | 'memberships'
    | 'lastComplaintAt'
    | 'lastLowRatingAt'
    | 'lastPaymentFailureAt'
    | 'lastCancellationAt'
    | 'flags'
    | 'lastMiningRun'
    | 'recentContacts'
    | 'profileUpdatedAt'
    | 'currency'
    | 'campaignAssignments'
  >
> & {
  /** Top-CLV tier of the customer in the latest run (see MiningFact.clvTier). */
  clvTier?: 'top' | 'other';
  /** Start dates by subscriptionId, when known. */
  subscriptionsSince?: Record<string, string>;
};

/**
 * Builds the facts from a customer 360 plus the store's extras. The main currency is
 * `extras.currency`, else the currency with the largest revenue.
 */
export function factsFromCustomer360(c: Customer360, extras: FactsExtras = {}): CustomerFacts {
  const main =
    extras.currency ?? [...c.revenue].sort((a, b) => b.amountMinor - a.amountMinor || a.currency.localeCompare(b.currency))[0]?.currency;
  const facts: CustomerFacts = {
    customerId: c.id,
    consent: {
      email: c.consent.email ?? null,
      sms: c.consent.sms ?? null,
      phone: c.consent.phone ?? null,
    },
    ownedProducts: [...c.ownedProducts],
    activeSubscriptions: c.activeSubscriptions.map((s) => {
      const since = extras.subscriptionsSince?.[s.subscriptionId];
      return since ? { ...s, since } : { ...s };
    }),
    openTickets: [...c.openTickets],
    averageSatisfaction: c.averageSatisfaction,
    revenueMinor: c.revenue.find((m) => m.currency === main)?.amountMinor ?? 0,
    mining: c.mining
      ? {
          runId: c.mining.runId,
          segment: c.mining.segment,
          clvMinor: c.mining.clvMinor,
          pAlive: c.mining.pAlive,
          churnRisk: c.mining.churnRisk,
          scoredAt: c.mining.scoredAt,
          ...(extras.clvTier ? { clvTier: extras.clvTier } : {}),
        }
      : null,
    recentContacts: extras.recentContacts ?? [],
  };
  if (c.name.first) facts.name = c.name.first;
  if (c.firstSeen) facts.firstSeen = c.firstSeen;
  if (c.lastSeen) facts.lastSeen = c.lastSeen;
  if (main) facts.currency = main;
  for (const key of [
    'memberships',
    'lastComplaintAt',
    'lastLowRatingAt',
    'lastPaymentFailureAt',
    'lastCancellationAt',
    'flags',
    'lastMiningRun',
    'profileUpdatedAt',
    'campaignAssignments',
  ] as const) {
    if (extras[key] !== undefined) (facts as unknown as Record<string, unknown>)[key] = extras[key];
  }
  return facts;
}

/** The facts without the customer's name, for findings that are stored: they say "the customer". */
export function anonymousFacts(facts: CustomerFacts): CustomerFacts {
  const { name: _name, ...rest } = facts;
  return rest;
}
