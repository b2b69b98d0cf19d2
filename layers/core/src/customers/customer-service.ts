import { BadRequestError, NotFoundError } from '../errors.js';
import { normalizeEmail } from '../identity/normalize.js';
import type { PiiHasher } from '../identity/pii-hasher.js';
import { liveOwners } from '../identity/resolver.js';
import type { CustomerStore } from '../store/customer-store.js';
import type { MiningStore } from '../store/mining-store.js';
import { customerPk } from '../store/keys.js';
import type { StoredTouchpoint, TouchpointType } from '../touchpoint.js';
import { toCustomer360, type Customer360 } from './customer-360.js';
import type { ProfileItem } from './profile.js';

export interface CustomerDeps {
  store: CustomerStore;
  /** When present, the 360 includes the latest mining results (segment, CLV, P(alive)). */
  runs?: MiningStore;
  hashPii: PiiHasher;
  now: () => Date;
}

/** The live profile behind an id, following merges; NotFound when unknown or erased. */
async function liveProfile(deps: CustomerDeps, customerId: string): Promise<ProfileItem> {
  const live = (await liveOwners(deps.store, [customerId], deps.now().toISOString())).get(customerId);
  const profile = live ? await deps.store.getProfile(live) : undefined;
  if (!profile) throw new NotFoundError(`Customer '${customerId}' not found`);
  return profile;
}

/**
 * The live customer id behind an id or an email (the id wins when both are given); NotFound when
 * neither is known.
 */
export async function resolveCustomerId(deps: CustomerDeps, ref: { customerId?: string; email?: string }): Promise<string> {
  let id = ref.customerId;
  if (!id && ref.email) {
    const hash = deps.hashPii({ kind: 'email', value: normalizeEmail(ref.email) });
    id = (await deps.store.getAliases([hash])).get(hash);
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
          expectedPurchases: mining.expectedPurchases,
          scoredAt: mining.scoredAt,
        }
      : null,
  );
}

export async function findCustomersByEmail(deps: CustomerDeps, email: string): Promise<Customer360[]> {
  const hash = deps.hashPii({ kind: 'email', value: normalizeEmail(email) });
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

/** Opaque cursor: the last key, bound to the customer so it cannot page another one's history. */
const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');
function decodeCursor(cursor: string, customerId: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (key.pk === customerPk(customerId) && typeof key.sk === 'string') return { pk: key.pk, sk: key.sk };
  } catch {
    // fall through
  }
  throw new BadRequestError('cursor is not valid for this customer');
}

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
    startKey: query.cursor ? decodeCursor(query.cursor, id) : undefined,
  });
  return { customerId: id, items: page.items, nextCursor: page.lastKey ? encodeCursor(page.lastKey) : null };
}

export interface ErasureResult {
  customerId: string;
  erasedAt: string;
  itemsDeleted: number;
  aliasesDeleted: number;
  mergedIdsErased: string[];
}

/**
 * Right to be forgotten: the customer's partition (profile, touchpoints, offers) and the redirects
 * of customers merged into it are deleted; the aliases become tombstones that keep redeliveries of
 * older events out. What remains is an audit record with counts and the opaque id, no PII.
 */
export async function eraseCustomer(deps: CustomerDeps, customerId: string): Promise<ErasureResult> {
  const profile = await liveProfile(deps, customerId);
  const id = profile.customerId;
  const erasedAt = deps.now().toISOString();
  const mergedIds = profile.mergedFrom ?? [];
  let itemsDeleted = 0;
  for (const pid of [id, ...mergedIds]) {
    const items = await deps.store.partitionItems(pid);
    await deps.store.deleteKeys(items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })));
    itemsDeleted += items.length;
  }
  const aliasesDeleted = await deps.store.tombstoneAliases(profile.aliasHashes ?? [], erasedAt);
  const result = { customerId: id, erasedAt, itemsDeleted, aliasesDeleted, mergedIdsErased: mergedIds };
  await deps.store.putErasureAudit({ ...result, requestedId: customerId });
  return result;
}
