import { ulid } from 'ulid';
import type { CustomerStore } from '../store/customer-store.js';
import { completeMerge, mergeCustomers, type MergeResult } from './merge.js';

export interface Resolution {
  customerId: string;
  created: boolean;
  merges: MergeResult[];
}

/** The event belongs to a customer erased after it happened: it must not be stored again. */
export interface ErasedIdentity {
  erasedAt: string;
}

const MAX_ATTEMPTS = 8;

/**
 * Finds or creates the one customer behind a set of lookup keys (hashed email, phone, external
 * ids). Keys that point at different customers merge them; the older customer (ULIDs sort by
 * creation time) survives, so concurrent resolutions pick the same survivor.
 */
export async function resolveCustomer(
  store: CustomerStore,
  aliasHashes: string[],
  now: string,
  opts: { trustAliases?: boolean; occurredAt?: string } = {},
): Promise<Resolution | ErasedIdentity> {
  const merges: MergeResult[] = [];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { owners: aliases, erased } = await store.getAliasRecords(aliasHashes);
    const erasedAfter = opts.occurredAt
      ? [...erased.values()]
          .filter((at) => at >= opts.occurredAt!)
          .sort()
          .at(-1)
      : undefined;
    if (erasedAfter) return { erasedAt: erasedAfter };
    const distinct = new Set(aliases.values());
    // Fast path, the common case: every key known and all point at one customer. The touchpoint
    // write re-checks that this customer is live and asks for a full resolution if not.
    if (opts.trustAliases && attempt === 0 && aliases.size === aliasHashes.length && distinct.size === 1) {
      return { customerId: [...distinct][0]!, created: false, merges };
    }
    if (aliases.size === 0) {
      const customerId = ulid();
      // Sorted so that concurrent creators contend on the same first alias.
      if (await store.createCustomer(customerId, [...aliasHashes].sort(), now)) return { customerId, created: true, merges };
      continue;
    }
    const liveOf = await liveOwners(store, [...new Set(aliases.values())], now);
    const stale = [...aliases].filter(([, owner]) => !liveOf.get(owner)).map(([hash]) => hash);
    if (stale.length > 0) {
      // Left behind by an erasure that raced with this delivery: the person is new again.
      await store.deleteAliases(stale);
      continue;
    }
    const owners = new Set([...liveOf.values()].filter((id): id is string => !!id));
    const [survivorId, ...losers] = [...owners].sort();
    if (!survivorId) continue;
    let stable = true;
    for (const loserId of losers) {
      const merged = await mergeCustomers(store, survivorId, loserId, now);
      if (merged) merges.push(merged);
      else stable = false;
    }
    if (!stable) continue;
    for (const hash of aliasHashes) {
      if (aliases.get(hash) === survivorId) continue;
      const owner = await store.claimAlias(hash, survivorId, now);
      if (owner !== survivorId) stable = false;
    }
    if (stable) return { customerId: survivorId, created: false, merges };
  }
  throw new Error('Customer resolution did not settle; too much concurrent change to the same identities');
}

/**
 * Maps each customer id to the live customer it now is (following merge redirects, and finishing
 * any merge a crash left pending), or to undefined when it was erased.
 */
export async function liveOwners(store: CustomerStore, ids: string[], now: string): Promise<Map<string, string | undefined>> {
  const result = new Map<string, string | undefined>();
  for (const id of ids) {
    let current: string | undefined = id;
    for (let depth = 0; current && depth < 16; depth++) {
      const p = (await store.getProfiles([current])).get(current);
      if (!p) current = undefined;
      else if (!p.mergedInto) break;
      else {
        if (p.mergePending) await completeMerge(store, p, p.mergedInto, now);
        current = p.mergedInto;
      }
    }
    result.set(id, current);
  }
  return result;
}
