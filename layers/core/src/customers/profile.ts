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
