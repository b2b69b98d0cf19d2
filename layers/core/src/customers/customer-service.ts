import { outboundEvent, type EventPublisher } from '../outbound/events.js';
import { announce } from '../outbound/publisher.js';
import { z } from 'zod';
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { cursorCodecFromHasher } from '../http/cursor.js';
import { normalizeEmail } from '../identity/normalize.js';
import type { PiiHasher } from '../identity/pii-hasher.js';
import { liveOwners } from '../identity/resolver.js';
import { type CustomerStore, eventMarkerKeysOf } from '../store/customer-store.js';
import type { MiningStore } from '../store/mining-store.js';
import type { Item } from '../store/dynamo.js';
import { customerPk, parseAssignmentSk, parseOfferSk, parseTouchpointSk, PROFILE_SK, TOUCHPOINT_PREFIX } from '../store/keys.js';
import type { StoredTouchpoint, TouchpointType } from '../touchpoint.js';
import { toCustomer360, type Customer360 } from './customer-360.js';
import type { ProfileItem } from './profile.js';

export interface CustomerDeps {
  store: CustomerStore;
  /** When present, the 360 includes the latest mining results (segment, CLV, P(alive)). */
  runs?: MiningStore;
  hashPii: PiiHasher;
  now: () => Date;
  /** Where `customer.erased` is announced. */
  events?: EventPublisher;
}

/**
 * The live profile behind an id, following merges; NotFound when unknown or erased (or being
 * erased, unless `erasing`: a retried erasure resumes where a failed one stopped).
 */
async function liveProfile(deps: CustomerDeps, customerId: string, opts: { erasing?: boolean } = {}): Promise<ProfileItem> {
  const live = (await liveOwners(deps.store, [customerId], deps.now().toISOString())).get(customerId);
  const profile = live ? await deps.store.getProfile(live, opts.erasing) : undefined;
  if (!profile || (isBeingErased(profile) && !opts.erasing)) throw new NotFoundError(`Customer '${customerId}' not found`);
  return profile;
}

const isBeingErased = (profile: ProfileItem) => 'erasedAt' in profile && !!profile.erasedAt;

/**
 * The live customer a request names by `customerId` or `email`. Given both, they must name the
 * same customer (a 422 on `body.email` otherwise): an email that points elsewhere is a mistake to
 * report, not a field to drop. NotFound when neither is known.
 */
export async function resolveCustomerId(deps: CustomerDeps, ref: { customerId?: string; email?: string }): Promise<string> {
  const byEmail = async (email: string) => {
    const hash = deps.hashPii({ kind: 'email', value: normalizeEmail(email) });
    return (await deps.store.getAliases([hash])).get(hash);
  };
  if (ref.customerId && ref.email) {
    const live = (await liveProfile(deps, ref.customerId)).customerId;
    const owner = await byEmail(ref.email);
    const ownerLive = owner
      ? await liveProfile(deps, owner).then(
          (p) => p.customerId,
          () => undefined,
        )
      : undefined;
    if (ownerLive !== live) {
      throw new ValidationError('customerId and email name different customers', [
        { path: 'body.email', message: ownerLive ? 'belongs to another customer than customerId' : 'is not an email of customerId' },
      ]);
    }
    return live;
  }
  let id = ref.customerId;
  if (!id && ref.email) {
    id = await byEmail(ref.email);
    if (!id) throw new NotFoundError('No customer with this email');
  }
  if (!id) throw new NotFoundError('No customer given');
  return (await liveProfile(deps, id)).customerId;
}

export async function getCustomer(deps: CustomerDeps, customerId: string): Promise<Customer360> {
  const profile = await liveProfile(deps, customerId);
  const [span, mining] = await Promise.all([deps.store.historySpan(profile.customerId), deps.runs?.customerMining(profile.customerId)]);
  return toCustomer360(
    profile,
    span,
    mining
      ? {
          runId: mining.runId,
          segment: mining.segment,
          clvMinor: mining.clvMinor,
          pAlive: mining.pAlive,
          churnRisk: mining.churnRisk,
          ...(mining.churnProbability !== undefined ? { churnProbability: mining.churnProbability } : {}),
          ...(mining.model !== undefined ? { model: mining.model } : {}),
          ...(mining.lifecycle !== undefined ? { lifecycle: mining.lifecycle } : {}),
          ...(mining.valueTier !== undefined ? { valueTier: mining.valueTier } : {}),
          ...(mining.nextPurchaseDate !== undefined ? { nextPurchaseDate: mining.nextPurchaseDate } : {}),
          expectedPurchases: mining.expectedPurchases,
          scoredAt: mining.scoredAt,
        }
      : null,
  );
}

export async function findCustomersByEmail(deps: CustomerDeps, email: string): Promise<Customer360[]> {
  return customersByAlias(deps, { kind: 'email', value: normalizeEmail(email) });
}

/** The live customer behind one normalized identity key (zero or one), through its hashed alias. */
export async function customersByAlias(deps: CustomerDeps, key: { kind: 'email' | 'phone'; value: string }): Promise<Customer360[]> {
  const hash = deps.hashPii(key);
  const owner = (await deps.store.getAliases([hash])).get(hash);
  if (!owner) return [];
  try {
    return [await getCustomer(deps, owner)];
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
}

export interface TouchpointPageResult {
  customerId: string;
  items: StoredTouchpoint[];
  nextCursor: string | null;
}

/**
 * Signed cursor: the last key, bound to the customer so it cannot page another one's history, and
 * to a touchpoint sort key so a forged or altered one never reaches DynamoDB (see http/cursor.ts).
 */
const TouchpointCursor = z.strictObject({
  pk: z.string().max(300),
  sk: z
    .string()
    .max(1200)
    .refine((sk) => sk.startsWith(TOUCHPOINT_PREFIX) && parseTouchpointSk(sk) !== undefined),
});
function decodeCursor(deps: CustomerDeps, cursor: string, customerId: string): Record<string, unknown> {
  const key = cursorCodecFromHasher(deps.hashPii).decode('touchpoints', cursor, TouchpointCursor);
  if (key.pk !== customerPk(customerId)) throw new BadRequestError('cursor is not valid for this customer');
  return { pk: key.pk, sk: key.sk };
}
const encodeCursor = (deps: CustomerDeps, key: Record<string, unknown>) =>
  cursorCodecFromHasher(deps.hashPii).encode('touchpoints', { pk: key.pk, sk: key.sk });

export async function listTouchpoints(
  deps: CustomerDeps,
  customerId: string,
  query: { limit: number; cursor?: string; type?: TouchpointType },
): Promise<TouchpointPageResult> {
  const profile = await liveProfile(deps, customerId);
  const id = profile.customerId;
  const page = await deps.store.queryTouchpoints(id, {
    limit: query.limit,
    type: query.type,
    startKey: query.cursor ? decodeCursor(deps, query.cursor, id) : undefined,
  });
  return { customerId: id, items: page.items, nextCursor: page.lastKey ? encodeCursor(deps, page.lastKey) : null };
}

export interface ErasureResult {
  customerId: string;
  erasedAt: string;
  itemsDeleted: number;
  aliasesDeleted: number;
  mergedIdsErased: string[];
}

/** Passes over a partition before an erasure gives up (and can be retried): see eraseCustomer. */
const ERASURE_MAX_PASSES = 10;

/**
 * Right to be forgotten: the customer's partition (profile, touchpoints, offers), the offers' id
 * pointers, audit trails and Idempotency-Key records, and the redirects of customers merged into
 * it are deleted; the aliases become tombstones that keep redeliveries of older events out. What
 * remains is an audit record with counts and the opaque id, no PII.
 *
 * Deliveries and registrations race with it, so the order matters:
 * 1. The aliases become tombstones: from here on a delivery resolves to "erased" (old event,
 *    ignored) or to a new customer (event after the erasure), never to this id again.
 * 2. The profile is marked `erasedAt` (CustomerStore.markErased): a fence. A delivery or offer
 *    registration that resolved this id before step 1 writes in a transaction conditioned on the
 *    profile being live, so it either committed before the mark or fails after it (and resolves
 *    again, finding the tombstones). Aliases added by such a delivery before the mark are in the
 *    marked profile, and become tombstones too.
 * 3. The partition is read strongly consistently and deleted, except the profile, until a read
 *    finds only the profile: everything committed before the mark is in the first read, the
 *    loop only guards against a straggler. The offers' records outside the partition (id
 *    pointer, audit trail, Idempotency-Key record, found through the offer item) go with them.
 * 4. The audit record is written, and the profile deleted last: until then a failed erasure keeps
 *    its fence, and `DELETE` again resumes it (same erasedAt, same audit key).
 */
export async function eraseCustomer(deps: CustomerDeps, customerId: string): Promise<ErasureResult> {
  const found = await liveProfile(deps, customerId, { erasing: true });
  const id = found.customerId;
  const erasedAt = (found as { erasedAt?: string }).erasedAt ?? deps.now().toISOString();
  const tombstoned = new Set(found.aliasHashes ?? []);
  await deps.store.tombstoneAliases(tombstoned, erasedAt);
  const profile = await deps.store.markErased(id, erasedAt);
  if (!profile) throw new ConflictError(`Customer '${customerId}' was merged or erased meanwhile; retry the request`);
  // Aliases a racing delivery added before the mark; the others are tombstones already (and may
  // have been claimed since by a new customer, which must keep them).
  const added = [...(profile.aliasHashes ?? [])].filter((h) => !tombstoned.has(h));
  if (added.length) await deps.store.tombstoneAliases(added, profile.erasedAt);

  const mergedIds = profile.mergedFrom ?? [];
  const offers: Item[] = [];
  let itemsDeleted = 0;
  for (const pid of [id, ...mergedIds]) {
    const keep = (item: Item) => pid === id && item.sk === PROFILE_SK;
    for (let pass = 0; ; pass++) {
      const items = (await deps.store.partitionItems(pid, undefined, { consistent: true })).filter((i) => !keep(i));
      if (!items.length) break;
      if (pass === ERASURE_MAX_PASSES) throw new Error(`Erasure of '${id}' did not settle: items keep appearing under ${pid}`);
      // An offer's records go before the offer item: a retry after a crash still finds the offer.
      const found = items.filter((i) => parseOfferSk(String(i.sk)) !== undefined);
      if (found.length) itemsDeleted += await deps.store.eraseOfferRecords(found);
      // A campaign keeps the erased customer's outcome as an anonymous count (no id, no order).
      const assignments = items.filter((i) => parseAssignmentSk(String(i.sk)) !== undefined);
      if (assignments.length) await deps.store.anonymizeAssignments(items);
      // The event markers of its touchpoints hold the customer id next to a provider's event or
      // order id: they go too (derived from the touchpoints, no extra read).
      // Source and event id come from the sort key itself (TP#<at>#<source>#<id>), so even an
      // item missing those attributes yields its marker's key; purchases are keyed by order id.
      const markers = eventMarkerKeysOf(
        items.flatMap((i) => {
          const key = parseTouchpointSk(String(i.sk));
          return key ? [{ ...(i as unknown as StoredTouchpoint), source: key.source, dedupeKey: key.dedupeKey } as StoredTouchpoint] : [];
        }),
      );
      offers.push(...found);
      await deps.store.deleteKeys([...items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })), ...markers]);
      itemsDeleted += items.length + markers.length;
    }
  }
  // A status change needs the offer item: one that committed between the deletion of an offer's
  // records and of the offer left an audit record, which this last sweep of the trails removes.
  if (offers.length) itemsDeleted += await deps.store.eraseOfferRecords(offers.map((o) => ({ id: o.id })));

  const result = {
    customerId: id,
    erasedAt: profile.erasedAt,
    itemsDeleted: itemsDeleted + 1,
    aliasesDeleted: tombstoned.size + added.length,
    mergedIdsErased: mergedIds,
  };
  await deps.store.putErasureAudit({ ...result, requestedId: customerId });
  await deps.store.deleteKeys([{ pk: customerPk(id), sk: PROFILE_SK }]);
  if (deps.events) {
    const data = { customerId: id, mergedIdsErased: mergedIds, erasedAt: profile.erasedAt };
    await announce(deps.events, [outboundEvent('customer.erased', [id], data, new Date(profile.erasedAt))]);
  }
  return result;
}
