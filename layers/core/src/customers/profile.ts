import type { ConsentChannel, SourceName } from '../touchpoint.js';

/** The customer profile item: running aggregates kept so a read costs one item, not a history scan. */
export interface ProfileItem {
  pk: string;
  sk: string;
  customerId: string;
  createdAt: string;
  mergedInto?: string;
  mergedAt?: string;
  /** Set while a merge's touchpoints and aliases are still being moved (see identity/merge.ts). */
  mergePending?: boolean;
  firstName?: string;
  lastName?: string;
  emails?: Set<string>;
  phones?: Set<string>;
  externalIds?: Set<string>;
  aliasHashes?: Set<string>;
  sources?: Set<SourceName>;
  touchpointCount?: number;
  /** Set once the profile reached DynamoDB's item size: later touchpoints update counts and sums only. */
  aggregatesCapped?: boolean;
  typeCounts: Record<string, number>;
  purchaseCount?: number;
  revenue: Record<string, number>;
  refundCount?: number;
  refunded: Record<string, number>;
  categoryQuantities: Record<string, number>;
  ownedProducts?: Set<string>;
  openedTicketIds?: Set<string>;
  solvedTicketIds?: Set<string>;
  complaintTicketIds?: Set<string>;
  ratingSum?: number;
  ratingCount?: number;
  /** `<subscriptionId>|<productId>`; active = started minus cancelled, whatever the arrival order. */
  startedSubscriptions?: Set<string>;
  /** `<subscriptionId>|<occurredAt>` of each start, for "member since". */
  subscriptionStarts?: Set<string>;
  cancelledSubscriptions?: Set<string>;
  paymentFailureCount?: number;
  consent: Partial<Record<ConsentChannel, { granted: boolean; at: string; source: SourceName }>>;
  mergedFrom?: string[];
}

/** Map attributes every profile starts with, so updates can add into their keys. */
export const EMPTY_PROFILE_MAPS = {
  typeCounts: {},
  revenue: {},
  refunded: {},
  categoryQuantities: {},
  consent: {},
} as const;

export const SUBSCRIPTION_SEPARATOR = '|';

/**
 * Reads a stored aggregate as a safe JSON number, whatever is stored. DynamoDB keeps numbers of
 * up to 38 digits and the document client unmarshalls integers past 2^53 as BigInt, which would
 * make arithmetic throw ("Cannot mix BigInt and other types") and JSON serialisation throw too.
 * Ingest bounds make such sums unreachable today (amounts <= 10^12), but profiles written before
 * those bounds may hold them. Choice: clamp to +/-Number.MAX_SAFE_INTEGER and convert with
 * Number(), so the API keeps its integer schema and a read never fails; the exact value stays in
 * the store. Anything that is not a number (or is NaN) reads as 0.
 */
export function safeNumber(value: unknown): number {
  if (typeof value === 'bigint') {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    return Number(value > max ? max : value < -max ? -max : value);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) return 0;
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(-Number.MAX_SAFE_INTEGER, value));
}

/** A map of stored numbers (revenue per currency, units per category) read with safeNumber. */
export function safeNumberMap(map: Record<string, unknown> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, safeNumber(v)]));
}
