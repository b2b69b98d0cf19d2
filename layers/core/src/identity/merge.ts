import type { ProfileItem } from '../customers/profile.js';
import type { CustomerStore } from '../store/customer-store.js';
import { UpdateBuilder } from '../store/update-builder.js';

/**
 * The survivor's update that absorbs a loser's aggregates. Sums and set unions only, so the
 * result does not depend on which of two customers survives.
 */
export function absorbProfile(loser: ProfileItem): UpdateBuilder {
  const u = new UpdateBuilder();
  for (const attr of ['touchpointCount', 'purchaseCount', 'refundCount', 'ratingSum', 'ratingCount', 'paymentFailureCount'] as const) {
    u.add(attr, loser[attr] ?? 0);
  }
  for (const attr of ['typeCounts', 'revenue', 'refunded', 'categoryQuantities'] as const) {
    for (const [k, v] of Object.entries(loser[attr] ?? {})) u.addToMap(attr, k, v);
  }
  for (const attr of [
    'emails',
    'phones',
    'externalIds',
    'aliasHashes',
    'sources',
    'ownedProducts',
    'openedTicketIds',
    'solvedTicketIds',
    'complaintTicketIds',
    'startedSubscriptions',
    'subscriptionStarts',
    'cancelledSubscriptions',
  ] as const) {
    u.addToSet(attr, loser[attr] ?? []);
  }
  u.setIfNotExists('firstName', loser.firstName).setIfNotExists('lastName', loser.lastName);
  u.appendToList('mergedFrom', [loser.customerId, ...(loser.mergedFrom ?? [])]);
  return u;
}

export interface MergeResult {
  survivorId: string;
  mergedId: string;
  touchpointsMoved: number;
}

/**
 * Merges `loserId` into `survivorId`: aggregates move atomically with the merge mark (so a retry
 * never counts them twice), then touchpoints and aliases move, then the loser becomes a
 * PII-free redirect. Returns undefined when the loser changed or was merged meanwhile: the
 * caller resolves again.
 */
export async function mergeCustomers(
  store: CustomerStore,
  survivorId: string,
  loserId: string,
  now: string,
): Promise<MergeResult | undefined> {
  const loser = await store.getProfile(loserId, true);
  if (!loser || loser.mergedInto) return undefined;
  const committed = await store.commitMerge({ survivorId, loser, survivorUpdate: absorbProfile(loser), now });
  if (!committed) return undefined;
  // Consent is latest-wins, not additive: replay the loser's choices through the same rule.
  for (const [channel, value] of Object.entries(loser.consent ?? {})) {
    if (value) await store.applyConsent(survivorId, channel, value);
  }
  const touchpointsMoved = await completeMerge(store, loser, survivorId, now);
  return { survivorId, mergedId: loserId, touchpointsMoved };
}

/** The idempotent tail of a merge; also run by whoever finds a merge left pending by a crash. */
export async function completeMerge(store: CustomerStore, loser: ProfileItem, survivorId: string, now: string): Promise<number> {
  const moved = await store.moveTouchpoints(loser.customerId, survivorId);
  await store.moveOffers(loser.customerId, survivorId);
  await store.moveAssignments(loser.customerId, survivorId, loser.mergedAt ?? now);
  await store.repointAliases(loser.aliasHashes ?? [], survivorId, now);
  await store.finishMerge(loser.customerId, survivorId, loser.mergedAt ?? now);
  return moved;
}
