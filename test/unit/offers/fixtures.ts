import { DAY_MS } from '../../../layers/core/src/time.js';
import {
  parseRuleSet,
  type CustomerFacts,
  type OfferRequest,
  type RegisteredOffer,
  type RuleSetInput,
} from '../../../layers/core/src/offers/index.js';

/** The fixed "now" of every offers test. */
export const NOW = new Date('2026-11-23T12:00:00Z');
const DAY = DAY_MS;

/** ISO date-time `n` days (fractions allowed) before NOW. */
export const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY).toISOString();

/** A content, well-known customer that no rule objects to. */
export function facts(over: Partial<CustomerFacts> = {}): CustomerFacts {
  return {
    customerId: 'c_ann',
    name: 'Ann',
    consent: {
      email: { granted: true, at: daysAgo(400), source: 'web form' },
      sms: { granted: true, at: daysAgo(400), source: 'web form' },
      phone: null,
    },
    ownedProducts: ['p-coffee'],
    activeSubscriptions: [],
    openTickets: [],
    averageSatisfaction: 4.5,
    firstSeen: daysAgo(900),
    lastSeen: daysAgo(5),
    revenueMinor: 120_000,
    currency: 'EUR',
    mining: {
      runId: 'run_7',
      segment: 'Potential loyalists',
      clvMinor: 45_000,
      pAlive: 0.9,
      churnRisk: 0.1,
      scoredAt: daysAgo(2),
      clvTier: 'other',
    },
    flags: [],
    lastMiningRun: { status: 'completed', completedAt: daysAgo(2), runId: 'run_7' },
    recentContacts: [],
    ...over,
  };
}

/** A mortgage offer, as in the example body. */
export function offer(over: Partial<OfferRequest> = {}): OfferRequest {
  return {
    customerId: 'c_ann',
    kind: 'offer',
    productId: 'mortgage-30y',
    productFamily: 'mortgage',
    terms: { amount: 250_000, currency: 'EUR', rate: 3.1, termMonths: 360 },
    channel: 'email',
    campaignLabel: 'spring',
    team: 'branch-berlin',
    ...over,
  };
}

/** An active registered offer for the customer (same mortgage, same terms unless overridden). */
export function registered(over: Partial<RegisteredOffer> = {}): RegisteredOffer {
  return {
    id: 'off_1',
    customerId: 'c_ann',
    kind: 'offer',
    productId: 'mortgage-30y',
    productFamily: 'mortgage',
    terms: { amount: 250_000, currency: 'EUR', rate: 3.1, termMonths: 360 },
    channel: 'phone',
    team: 'branch-hamburg',
    status: 'active',
    createdAt: daysAgo(3),
    createdBy: 'bob',
    ...over,
  };
}

/** A rule set with the defaults except the given settings. */
export const ruleSet = (input: RuleSetInput) => parseRuleSet(input);
