import { DAY_S } from '../time.js';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { ProfileItem } from '../customers/profile.js';
import { EMPTY_PROFILE_MAPS } from '../customers/profile.js';
import type { SourceName, StoredTouchpoint, Touchpoint, TouchpointType } from '../touchpoint.js';
import {
  batchGetItems,
  batchWrite,
  cancelledByCondition,
  isConditionalFailure,
  isTransactionCancelled,
  isTransactionConflict,
  queryPartition,
  updateWhere,
  withoutKeys,
  type Item,
} from './dynamo.js';
import {
  ALIAS_SK,
  ERASURE_AUDIT_PK,
  erasureAuditSk,
  HEALTH_PROBE_KEY,
  PROFILE_SK,
  TOUCHPOINT_PREFIX,
  aliasPk,
  customerPk,
  EVENT_SK,
  eventMarkerPk,
  mergeSk,
  orderIndexPk,
  ORDER_INDEX,
  PARKED_SK_PREFIX,
  parkedPk,
  parkedSk,
  touchpointSk,
} from './keys.js';
import type { UpdateBuilder } from './update-builder.js';
import { anonymizeAssignments, moveAssignments } from './campaign-store.js';

export type WriteOutcome = 'stored' | 'duplicate' | 'customer-moved';

/** What an event marker records: where the event's touchpoint was stored (opaque ids only). */
export interface EventMarker {
  customerId: string;
  touchpointSk: string;
  touchpointId: string;
}

/**
 * A touchpoint write's outcome; a duplicate names the original's marker when it has one
 * (touchpoints stored before markers existed have none).
 */
export type WriteResult = { outcome: 'stored' | 'customer-moved' } | { outcome: 'duplicate'; original?: EventMarker };

/** A refund that named an order Patron had not seen yet, kept until that order is stored. */
export interface ParkedTouchpoint {
  source: SourceName;
  orderId: string;
  dedupeKey: string;
  eventType: string;
  /** The canonical touchpoint, with an empty `customer` (the order's customer is not known yet). */
  touchpoint: Touchpoint;
  parkedAt: string;
}

/**
 * How long an event marker keeps redeliveries out: far longer than any provider retries (Shopify
 * 48 h, Stripe 3 days, Standard Webhooks about 1 day, Zendesk hours), so a later delivery of the
 * same event is a replay Patron may treat as new.
 */
export const EVENT_MARKER_TTL_DAYS = 90;
/** How long a refund waits for its order (Shopify sends orders/paid within minutes; retries stop at 48 h). */
export const PARKED_TTL_DAYS = 7;

/**
 * The idempotency key of a touchpoint within its source. Usually the provider's event id; for a
 * purchase, the order id: one order is one purchase whatever topics announce it (Shopify's
 * orders/create and orders/paid), and whatever those deliveries' instants say. The two forms are
 * tagged so an event id can never collide with an order id.
 */
export function idempotencyKeyOf(tp: Pick<StoredTouchpoint, 'type' | 'dedupeKey' | 'data'>): string {
  return tp.type === 'purchase' ? `order:${String(tp.data.orderId)}` : `event:${tp.dedupeKey}`;
}

/** The event marker keys of stored touchpoints (e.g. an erased partition's), for deleteKeys. */
export function eventMarkerKeysOf(
  touchpoints: Pick<StoredTouchpoint, 'source' | 'type' | 'dedupeKey' | 'data'>[],
): { pk: string; sk: string }[] {
  return touchpoints.map((tp) => ({ pk: eventMarkerPk(tp.source, idempotencyKeyOf(tp)), sk: EVENT_SK }));
}

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const conflictBackoff = (attempt: number) => new Promise((r) => setTimeout(r, (10 + Math.random() * 20) * 2 ** attempt));

export interface TouchpointPage {
  items: StoredTouchpoint[];
  lastKey?: Record<string, unknown>;
}

/** Counts the write capacity the adapter consumed, so the ingest benchmark can report it. */
export interface CapacityMeter {
  record(units: number | undefined): void;
}

/** The offer store's step in a merge (see OfferStore.moveOffers). */
export interface MergedOfferMover {
  moveOffers(fromId: string, toId: string): Promise<number>;
}

/** The offer store's step in an erasure (see OfferStore.eraseOfferRecords). */
export interface OfferRecordEraser {
  eraseOfferRecords(offers: Item[]): Promise<number>;
}

/** A profile as eraseCustomer marks it before deleting the partition (see markErased). */
export type ErasingProfile = ProfileItem & { erasedAt: string };

/** How long an erased customer's aliases keep old redeliveries out (providers retry for up to 3 days). */
export const ERASURE_TOMBSTONE_DAYS = 30;

/**
 * All DynamoDB access for customers, aliases and touchpoints. Services call these methods;
 * nothing else in the code base builds DynamoDB requests for these entities.
 */
export class CustomerStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
    // identity/merge.ts drives a merge's steps through this store; offers are the offer store's
    // (passed in, so the stores do not import each other).
    private readonly offers: MergedOfferMover & OfferRecordEraser,
    private readonly meter?: CapacityMeter,
  ) {}

  private get capacity() {
    return this.meter ? ({ ReturnConsumedCapacity: 'TOTAL' } as const) : {};
  }

  private recordCapacity(out: { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }) {
    if (!this.meter) return;
    const list = Array.isArray(out.ConsumedCapacity) ? out.ConsumedCapacity : [out.ConsumedCapacity];
    for (const c of list) this.meter.record(c?.CapacityUnits);
  }

  async getProfile(customerId: string, consistent = false): Promise<ProfileItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: customerPk(customerId), sk: PROFILE_SK }, ConsistentRead: consistent }),
    );
    return out.Item as ProfileItem | undefined;
  }

  async getProfiles(customerIds: string[]): Promise<Map<string, ProfileItem>> {
    const found = new Map<string, ProfileItem>();
    for (const item of await this.batchGet(customerIds.map((id) => ({ pk: customerPk(id), sk: PROFILE_SK })))) {
      const p = item as unknown as ProfileItem;
      found.set(p.customerId, p);
    }
    return found;
  }

  /** alias hash -> customer id, for those that exist (erasure tombstones left out). */
  async getAliases(hashes: string[]): Promise<Map<string, string>> {
    return (await this.getAliasRecords(hashes)).owners;
  }

  /** The owners of the aliases that exist, and when the erased ones were erased. */
  async getAliasRecords(hashes: string[]): Promise<{ owners: Map<string, string>; erased: Map<string, string> }> {
    const owners = new Map<string, string>();
    const erased = new Map<string, string>();
    for (const item of await this.batchGet(hashes.map((h) => ({ pk: aliasPk(h), sk: ALIAS_SK })))) {
      if (item.erasedAt) erased.set(String(item.aliasHash), String(item.erasedAt));
      else owners.set(String(item.aliasHash), String(item.customerId));
    }
    return { owners, erased };
  }

  /**
   * After an erasure the aliases become tombstones (the keyed hash and the date, no customer) for
   * ERASURE_TOMBSTONE_DAYS, so a provider redelivering an event from before the erasure cannot
   * bring the person back; a new event after the erasure claims the alias again.
   */
  async tombstoneAliases(hashes: Iterable<string>, erasedAt: string): Promise<number> {
    const expiresAt = Math.floor(Date.parse(erasedAt) / 1000) + ERASURE_TOMBSTONE_DAYS * DAY_S;
    const items = [...hashes].map((h) => ({ PutRequest: { Item: { pk: aliasPk(h), sk: ALIAS_SK, aliasHash: h, erasedAt, expiresAt } } }));
    await batchWrite(this.doc, this.table, items);
    return items.length;
  }

  private batchGet(keys: Item[]): Promise<Item[]> {
    return batchGetItems(this.doc, this.table, keys);
  }

  /**
   * Creates a customer with all its aliases in one transaction. Returns false when any alias
   * was claimed meanwhile (a concurrent delivery for the same person won): resolve again.
   */
  async createCustomer(customerId: string, aliasHashes: string[], now: string): Promise<boolean> {
    try {
      const out = await this.doc.send(
        new TransactWriteCommand({
          ...this.capacity,
          TransactItems: [
            ...aliasHashes.map((h) => ({
              Put: {
                TableName: this.table,
                Item: { pk: aliasPk(h), sk: ALIAS_SK, aliasHash: h, customerId, createdAt: now },
                ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(erasedAt)',
              },
            })),
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: customerPk(customerId),
                  sk: PROFILE_SK,
                  customerId,
                  createdAt: now,
                  ...EMPTY_PROFILE_MAPS,
                  aliasHashes: new Set(aliasHashes),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      this.recordCapacity(out);
      return true;
    } catch (error) {
      if (isTransactionCancelled(error)) return false;
      throw error;
    }
  }

  /** Points an alias at a customer unless it already points elsewhere; returns the owner. */
  async claimAlias(hash: string, customerId: string, now: string): Promise<string> {
    try {
      const out = await this.doc.send(
        new PutCommand({
          ...this.capacity,
          TableName: this.table,
          Item: { pk: aliasPk(hash), sk: ALIAS_SK, aliasHash: hash, customerId, createdAt: now },
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(erasedAt) OR customerId = :id',
          ExpressionAttributeValues: { ':id': customerId },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      this.recordCapacity(out);
      return customerId;
    } catch (error) {
      if (isConditionalFailure(error)) {
        const existing = (error as { Item?: Record<string, { S?: string }> }).Item;
        const owner = existing?.customerId?.S;
        if (owner) return owner;
        const again = await this.getAliases([hash]);
        return again.get(hash) ?? customerId;
      }
      throw error;
    }
  }

  async repointAliases(hashes: Iterable<string>, customerId: string, now: string): Promise<void> {
    await batchWrite(
      this.doc,
      this.table,
      [...hashes].map((h) => ({ PutRequest: { Item: { pk: aliasPk(h), sk: ALIAS_SK, aliasHash: h, customerId, createdAt: now } } })),
    );
  }

  /**
   * Stores a touchpoint and adds it to the profile aggregates atomically, once per provider event.
   *
   * Idempotency: the touchpoint's sort key holds its instant (history is read in time order), so
   * it cannot be the idempotency key: a redelivery whose `occurredAt` (or customer) differs would
   * land on another key and count twice. The same transaction therefore puts an event marker,
   * keyed by source and idempotencyKeyOf (the event id; the order id for purchases), under
   * `attribute_not_exists(pk)`: whatever else a redelivery changes, its marker exists and the
   * whole transaction (touchpoint and aggregates) is cancelled: 'duplicate', naming where the
   * original went. The touchpoint's own condition stays for touchpoints stored before markers.
   * The marker is the simplest correct guard: one more small item in the transaction (2 write
   * units), no read before the write, and atomic with the aggregates, so no crash can count twice.
   * It holds opaque ids only and expires after EVENT_MARKER_TTL_DAYS.
   *
   * 'customer-moved' means the profile was merged or erased meanwhile (or is being erased:
   * `erasedAt`, see markErased): resolve the customer again. A concurrent transaction on the same
   * marker (simultaneous redeliveries) is retried, and then sees the marker.
   */
  async writeTouchpoint(tp: StoredTouchpoint, profileUpdate: UpdateBuilder, opts: { indexOrderId?: string } = {}): Promise<WriteResult> {
    const u = profileUpdate;
    const condition =
      `attribute_exists(${u.ref('pk')}) AND attribute_not_exists(${u.ref('mergedInto')}) ` +
      `AND attribute_not_exists(${u.ref('erasedAt')})`;
    const sk = touchpointSk(tp.occurredAt, tp.source, tp.dedupeKey);
    const marker: EventMarker & Item = { customerId: tp.customerId, touchpointSk: sk, touchpointId: tp.id };
    const markerKey = { pk: eventMarkerPk(tp.source, idempotencyKeyOf(tp)), sk: EVENT_SK };
    const command = new TransactWriteCommand({
      ...this.capacity,
      TransactItems: [
        {
          Put: {
            TableName: this.table,
            Item: {
              ...markerKey,
              ...marker,
              source: tp.source,
              createdAt: tp.receivedAt,
              expiresAt: epochSeconds(tp.receivedAt) + EVENT_MARKER_TTL_DAYS * DAY_S,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              pk: customerPk(tp.customerId),
              sk,
              ...tp,
              ...(opts.indexOrderId ? { gsi1pk: orderIndexPk(tp.source, opts.indexOrderId), gsi1sk: tp.customerId } : {}),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: { pk: customerPk(tp.customerId), sk: PROFILE_SK },
            ...u.params(),
            ConditionExpression: condition,
          },
        },
      ],
    });
    for (let attempt = 0; ; attempt++) {
      try {
        this.recordCapacity(await this.doc.send(command));
        return { outcome: 'stored' };
      } catch (error) {
        if (cancelledByCondition(error, 0)) {
          const old = (error as { CancellationReasons?: { Item?: Record<string, { S?: string }> }[] }).CancellationReasons?.[0]?.Item;
          const original =
            old?.customerId?.S && old.touchpointSk?.S && old.touchpointId?.S
              ? { customerId: old.customerId.S, touchpointSk: old.touchpointSk.S, touchpointId: old.touchpointId.S }
              : await this.getEventMarker(tp.source, idempotencyKeyOf(tp));
          return { outcome: 'duplicate', original };
        }
        if (cancelledByCondition(error, 1)) return { outcome: 'duplicate' };
        if (cancelledByCondition(error, 2)) return { outcome: 'customer-moved' };
        if (isTransactionConflict(error) && attempt < 6) {
          await conflictBackoff(attempt);
          continue;
        }
        throw error;
      }
    }
  }

  /** The marker of an event already stored (strongly consistent), if any. */
  async getEventMarker(source: string, key: string): Promise<EventMarker | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: eventMarkerPk(source, key), sk: EVENT_SK }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { customerId, touchpointSk: sk, touchpointId } = out.Item as EventMarker;
    return { customerId, touchpointSk: sk, touchpointId };
  }

  /**
   * Keeps a touchpoint that names an order Patron has not seen (a refund before its order), for
   * PARKED_TTL_DAYS. A redelivery overwrites the same item: parking is idempotent.
   */
  async parkTouchpoint(parked: ParkedTouchpoint): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: parkedPk(parked.source, parked.orderId),
          sk: parkedSk(parked.dedupeKey),
          ...parked,
          expiresAt: epochSeconds(parked.parkedAt) + PARKED_TTL_DAYS * DAY_S,
        },
      }),
    );
  }

  /** The touchpoints parked for an order (strongly consistent: one just parked must be seen). */
  async parkedTouchpoints(source: string, orderId: string): Promise<ParkedTouchpoint[]> {
    const items = await queryPartition(this.doc, this.table, parkedPk(source, orderId), PARKED_SK_PREFIX, { consistent: true });
    return items.map((i) => {
      const { expiresAt: _e, ...rest } = withoutKeys<ParkedTouchpoint & { expiresAt?: number }>(i);
      return rest;
    });
  }

  /** Removes a parked touchpoint once it is stored (or was already). */
  async unparkTouchpoint(source: string, orderId: string, dedupeKey: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: parkedPk(source, orderId), sk: parkedSk(dedupeKey) } }));
  }

  /** The customer whose purchase carries this order id (following its moves in merges), if any. */
  async orderOwner(source: string, orderId: string): Promise<string | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: ORDER_INDEX,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': orderIndexPk(source, orderId) },
        Limit: 1,
      }),
    );
    return out.Items?.[0]?.customerId as string | undefined;
  }

  /** Latest-wins per channel, decided by occurredAt, so a late old event cannot undo a newer choice. */
  async applyConsent(customerId: string, channel: string, value: { granted: boolean; at: string; source: string }): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: customerPk(customerId), sk: PROFILE_SK },
          UpdateExpression: 'SET consent.#ch = :c',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(erasedAt) AND (attribute_not_exists(consent.#ch) OR consent.#ch.#at < :at)',
          ExpressionAttributeNames: { '#ch': channel, '#at': 'at' },
          ExpressionAttributeValues: { ':c': value, ':at': value.at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  async queryTouchpoints(
    customerId: string,
    opts: { limit: number; type?: TouchpointType; startKey?: Record<string, unknown> },
  ): Promise<TouchpointPage> {
    const items: Item[] = [];
    let startKey = opts.startKey;
    // A type filter is applied after the read, so keep reading until the page is full.
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tp)',
          ExpressionAttributeValues: {
            ':pk': customerPk(customerId),
            ':tp': TOUCHPOINT_PREFIX,
            ...(opts.type ? { ':type': opts.type } : {}),
          },
          ...(opts.type ? { FilterExpression: '#type = :type', ExpressionAttributeNames: { '#type': 'type' } } : {}),
          ScanIndexForward: false,
          Limit: opts.limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((out.Items ?? []) as Item[]));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < opts.limit);
    return { items: items.map((i) => withoutKeys<StoredTouchpoint>(i)), lastKey: startKey };
  }

  /** Oldest and newest touchpoint instants: two one-item reads along the sort key. */
  async historySpan(customerId: string): Promise<{ first?: string; last?: string }> {
    const [first, last] = await Promise.all([this.touchpointEdge(customerId, true), this.touchpointEdge(customerId, false)]);
    return { first, last };
  }

  /** The newest touchpoint instant: one one-item read. */
  lastTouchpointAt(customerId: string): Promise<string | undefined> {
    return this.touchpointEdge(customerId, false);
  }

  private async touchpointEdge(customerId: string, forward: boolean): Promise<string | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tp)',
        ExpressionAttributeValues: { ':pk': customerPk(customerId), ':tp': TOUCHPOINT_PREFIX },
        ProjectionExpression: 'occurredAt',
        ScanIndexForward: forward,
        Limit: 1,
      }),
    );
    return out.Items?.[0]?.occurredAt as string | undefined;
  }

  async partitionItems(customerId: string, skPrefix?: string, opts: { consistent?: boolean } = {}): Promise<Item[]> {
    return queryPartition(this.doc, this.table, customerPk(customerId), skPrefix, opts);
  }

  /**
   * First step of an erasure: marks the live profile `erasedAt` (kept if already set, so a retried
   * erasure keeps its date). Every conditional write to a customer partition (writeTouchpoint,
   * applyConsent, commitMerge, OfferStore.register) requires the profile without `erasedAt`, so
   * from here on nothing new lands under the partition. Returns the marked profile (a strongly
   * consistent image, with every alias added so far), or undefined when the profile is gone or
   * merged away.
   */
  async markErased(customerId: string, erasedAt: string): Promise<ErasingProfile | undefined> {
    return (await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: customerPk(customerId), sk: PROFILE_SK },
      UpdateExpression: 'SET erasedAt = if_not_exists(erasedAt, :at)',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(mergedInto)',
      ExpressionAttributeValues: { ':at': erasedAt },
    })) as ErasingProfile | undefined;
  }

  /** Erasure step for the offers of an erased partition: done by the offer store. */
  eraseOfferRecords(offers: Item[]): Promise<number> {
    return this.offers.eraseOfferRecords(offers);
  }

  /**
   * First step of a merge, atomic: marks the loser as merged (only if it has not changed since
   * it was read: `touchpointCount` is its version), adds its aggregates to the survivor and
   * records the merge. The aggregates therefore move exactly once.
   */
  async commitMerge(args: { survivorId: string; loser: ProfileItem; survivorUpdate: UpdateBuilder; now: string }): Promise<boolean> {
    const { survivorId, loser, survivorUpdate, now } = args;
    const s = survivorUpdate;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: customerPk(loser.customerId), sk: PROFILE_SK },
                UpdateExpression: 'SET mergedInto = :s, mergedAt = :now, mergePending = :true',
                ConditionExpression:
                  'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasedAt) AND ' +
                  (loser.touchpointCount === undefined ? 'attribute_not_exists(touchpointCount)' : 'touchpointCount = :v'),
                ExpressionAttributeValues: {
                  ':s': survivorId,
                  ':now': now,
                  ':true': true,
                  ...(loser.touchpointCount === undefined ? {} : { ':v': loser.touchpointCount }),
                },
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { pk: customerPk(survivorId), sk: PROFILE_SK },
                ...s.params(),
                ConditionExpression:
                  `attribute_exists(${s.ref('pk')}) AND attribute_not_exists(${s.ref('mergedInto')}) ` +
                  `AND attribute_not_exists(${s.ref('erasedAt')})`,
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: customerPk(survivorId),
                  sk: mergeSk(now, loser.customerId),
                  mergedId: loser.customerId,
                  survivorId,
                  at: now,
                  touchpointsMoved: loser.touchpointCount ?? 0,
                },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isTransactionCancelled(error)) return false;
      throw error;
    }
  }

  /** Copies the loser's touchpoints into the survivor's partition, then deletes the originals. Idempotent. */
  async moveTouchpoints(fromId: string, toId: string): Promise<number> {
    const items = await this.partitionItems(fromId, TOUCHPOINT_PREFIX);
    await batchWrite(
      this.doc,
      this.table,
      items.map((it) => ({ PutRequest: { Item: { ...it, pk: customerPk(toId), customerId: toId } } })),
    );
    await batchWrite(
      this.doc,
      this.table,
      items.map((it) => ({ DeleteRequest: { Key: { pk: it.pk, sk: it.sk } } })),
    );
    return items.length;
  }

  /** Moves the loser's campaign assignments to the survivor (see campaign-store.ts). */
  moveAssignments(fromId: string, toId: string, now: string): Promise<number> {
    return moveAssignments(this.doc, this.table, fromId, toId, now);
  }

  /** Erasure step: anonymous copies of an erased partition's assignments keep campaign counts (see campaign-store.ts). */
  anonymizeAssignments(items: Item[]): Promise<number> {
    return anonymizeAssignments(this.doc, this.table, items);
  }

  /** Moves the loser's offers (and their ledgers) to the survivor: done by the offer store. */
  moveOffers(fromId: string, toId: string): Promise<number> {
    return this.offers.moveOffers(fromId, toId);
  }

  /** Replaces a merged profile by a PII-free tombstone that only redirects. */
  async finishMerge(loserId: string, survivorId: string, mergedAt: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: customerPk(loserId), sk: PROFILE_SK, customerId: loserId, mergedInto: survivorId, mergedAt, ...EMPTY_PROFILE_MAPS },
      }),
    );
  }

  async deleteKeys(keys: { pk: string; sk: string }[]): Promise<void> {
    await batchWrite(
      this.doc,
      this.table,
      keys.map((Key) => ({ DeleteRequest: { Key } })),
    );
  }

  async deleteAliases(hashes: Iterable<string>): Promise<number> {
    const keys = [...hashes].map((h) => ({ pk: aliasPk(h), sk: ALIAS_SK }));
    await this.deleteKeys(keys);
    return keys.length;
  }

  async putErasureAudit(record: Record<string, unknown> & { customerId: string; erasedAt: string }): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: ERASURE_AUDIT_PK, sk: erasureAuditSk(record.erasedAt, record.customerId), ...record },
      }),
    );
  }

  /** A cheap reachability probe for /health. */
  async ping(): Promise<void> {
    await this.doc.send(new GetCommand({ TableName: this.table, Key: HEALTH_PROBE_KEY }));
  }
}
