import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { netRevenueOf, type CreditedPurchase } from '../campaigns/attribution.js';
import type { Assignment } from '../campaigns/schema.js';
import type { ProfileItem } from '../customers/profile.js';
import type { Finding, RegisteredOffer } from '../offers/schema.js';
import {
  batchWrite,
  cancelledByCondition,
  isConditionalFailure,
  isTransactionConflict,
  queryAll,
  queryPartition,
  withoutKeys,
  type Item,
} from './dynamo.js';
import {
  ASSIGNMENT_SK_PREFIX,
  AUDIT_SK_PREFIX,
  CUSTOMER_STATE_SKS,
  parseAssignmentSk,
  customerPk,
  FLAG_SK_PREFIX,
  IDEMPOTENCY_SK,
  idempotencyPk,
  MINING_SK,
  OFFER_LEDGER_SK,
  OFFER_POINTER_SK,
  OFFER_SK_PREFIX,
  offerAuditSk,
  offerPk,
  offerSk,
  PROFILE_SK,
  TOUCHPOINTS_END_SK,
  touchpointsFromSk,
} from './keys.js';
import type { CustomerMiningItem, FlagItem } from './mining-store.js';

export interface StoredOffer extends RegisteredOffer {
  updatedAt: string;
}

/** The conversion as stored: the credited purchase, its order, and the status it came from. */
export interface StoredConversion extends CreditedPurchase {
  touchpointId: string;
  orderKey: string;
  from: StoredOffer['status'];
}

/** The stored conversion of an offer item (undefined when it has none). */
export const storedConversionOf = (item: Item): StoredConversion | undefined => item.conversion as StoredConversion | undefined;

export interface AuditRecord {
  offerId: string;
  at: string;
  action: 'created' | 'overridden' | 'status-changed';
  actor: string;
  reason?: string;
  from?: string;
  to?: string;
  /** For created/overridden: the decision and the findings the registration passed with. */
  decision?: string;
  findings?: Pick<Finding, 'rule' | 'severity' | 'message'>[];
}

export interface IdempotencyRecord {
  requestHash: string;
  offerId: string;
  status: number;
  body: unknown;
}

/** Everything about a customer a check needs except the touchpoints: one Query. */
export interface CustomerSnapshot {
  profile?: ProfileItem;
  mining?: CustomerMiningItem;
  flags: FlagItem[];
  offers: StoredOffer[];
  ledgerVersion: number;
  /** The customer's campaign assignments (control or treatment). */
  assignments: Assignment[];
}

/** Moves the customer's offer ledger on, so every offer check in flight for it re-reads. */
export const offerLedgerBump = (table: string, customerId: string) => ({
  TableName: table,
  Key: { pk: customerPk(customerId), sk: OFFER_LEDGER_SK },
  UpdateExpression: 'ADD #v :one',
  ExpressionAttributeNames: { '#v': 'version' },
  ExpressionAttributeValues: { ':one': 1 },
});

export type RegisterOutcome = 'stored' | 'stale' | 'idempotency-key-taken';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/**
 * Stored on an offer item registered with an Idempotency-Key: the key's hash, so an erasure can
 * find and delete the key's record (it holds the response, with the customer id and the offer).
 * Never part of the domain offer (stripped on every read).
 */
export const OFFER_IDEMPOTENCY_ATTR = 'idempotencyKeyHash';

/** The campaign assignment of a stored item (a customer partition's ASSIGN# item); see CampaignStore. */
export function toAssignment(item: Item): Assignment | undefined {
  const campaignId = parseAssignmentSk(String(item.sk));
  if (campaignId === undefined) return undefined;
  return { campaignId, customerId: String(item.customerId), group: item.group as Assignment['group'], assignedAt: String(item.assignedAt) };
}

/** A stored offer item as the domain sees it: without keys and without the key hash; its conversion as the API shows it. */
export function toOffer(item: Item): StoredOffer {
  const { [OFFER_IDEMPOTENCY_ATTR]: _k, conversion: stored, ...offer } = withoutKeys<Item>(item);
  const c = stored as StoredConversion | undefined;
  return {
    ...(offer as unknown as StoredOffer),
    ...(c
      ? {
          conversion: {
            touchpointId: c.touchpointId,
            occurredAt: c.at,
            revenueMinor: netRevenueOf(c),
            refundedMinor: c.refundedMinor,
            currency: c.currency,
          },
        }
      : {}),
  };
}

/**
 * Every registration also checks the profile it registers for: present, not merged away and not
 * being erased (eraseCustomer marks the profile `erasedAt` before deleting the partition). So a
 * registration that read the customer before an erasure cannot write an offer after it, even one
 * expecting ledger version 0 (which the ledger's own condition would let through once deleted).
 */
export const LIVE_PROFILE_CONDITION = 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasedAt)';

/** A transaction item that holds only while the customer's profile is live (not merged away, not erased). */
export const liveProfileCheck = (table: string, customerId: string) => ({
  ConditionCheck: { TableName: table, Key: { pk: customerPk(customerId), sk: PROFILE_SK }, ConditionExpression: LIVE_PROFILE_CONDITION },
});

/**
 * The offer registry (keys: see store/keys.ts). The ledger version (OFFERS) is the concurrency
 * guard: a registration is written only if the version is still the one its check read, so two
 * conflicting registrations cannot both pass a check that saw neither (optimistic locking in one
 * transaction, not read-then-write).
 */
export class OfferStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /**
   * The customer's flags, merges, mining scores, offers, ledger and profile in one consistent
   * Query: their sort keys form one range and the touchpoints sort after it (store/keys.ts), so
   * the history length never adds reads.
   */
  async snapshot(customerId: string): Promise<CustomerSnapshot> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': customerPk(customerId), ':from': CUSTOMER_STATE_SKS.from, ':to': CUSTOMER_STATE_SKS.to },
      ConsistentRead: true,
    });
    const snap: CustomerSnapshot = { flags: [], offers: [], ledgerVersion: 0, assignments: [] };
    for (const item of items) {
      const sk = String(item.sk);
      // A profile being erased reads as absent: checks and registrations answer 404.
      if (sk === PROFILE_SK) snap.profile = item.erasedAt ? undefined : (item as unknown as ProfileItem);
      else if (sk === MINING_SK) snap.mining = withoutKeys<CustomerMiningItem>(item);
      else if (sk === OFFER_LEDGER_SK) snap.ledgerVersion = Number(item.version ?? 0);
      else if (sk.startsWith(OFFER_SK_PREFIX)) snap.offers.push(toOffer(item));
      else if (sk.startsWith(FLAG_SK_PREFIX)) snap.flags.push(withoutKeys<FlagItem>(item));
      else if (sk.startsWith(ASSIGNMENT_SK_PREFIX)) {
        const assignment = toAssignment(item);
        if (assignment) snap.assignments.push(assignment);
      }
    }
    return snap;
  }

  /** Touchpoints since `sinceIso` (the rules' longest window), newest first: bounded by the window. */
  async touchpointsSince(
    customerId: string,
    sinceIso: string,
  ): Promise<{ id: string; type: string; occurredAt: string; data: Record<string, unknown> }[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': customerPk(customerId),
        ':from': touchpointsFromSk(sinceIso),
        ':to': TOUCHPOINTS_END_SK,
      },
      ProjectionExpression: 'id, #type, occurredAt, #data',
      ExpressionAttributeNames: { '#type': 'type', '#data': 'data' },
      ScanIndexForward: false,
    });
    return items as { id: string; type: string; occurredAt: string; data: Record<string, unknown> }[];
  }

  /**
   * Writes a checked offer atomically with its audit records, the ledger version bump and the
   * Idempotency-Key record, if the profile is still live (LIVE_PROFILE_CONDITION). `stale`: another
   * registration or status change came first, or the customer was merged or is being erased (re-check);
   * `idempotency-key-taken`: a concurrent request with the same key won (read its response).
   */
  async register(args: {
    offer: StoredOffer;
    expectedVersion: number;
    audit: AuditRecord[];
    idempotency?: { keyHash: string; record: IdempotencyRecord };
    /** Further updates of the customer's items to commit with the offer (e.g. its campaign assignment's contact). */
    also?: Array<NonNullable<NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number]['Update']>>;
  }): Promise<RegisterOutcome> {
    const { offer, expectedVersion, audit, idempotency, also = [] } = args;
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Update: {
          TableName: this.table,
          Key: { pk: customerPk(offer.customerId), sk: OFFER_LEDGER_SK },
          UpdateExpression: 'SET #v = :next',
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#v)' : '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':next': expectedVersion + 1, ...(expectedVersion === 0 ? {} : { ':v': expectedVersion }) },
        },
      },
      {
        ConditionCheck: {
          TableName: this.table,
          Key: { pk: customerPk(offer.customerId), sk: PROFILE_SK },
          ConditionExpression: LIVE_PROFILE_CONDITION,
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: {
            pk: customerPk(offer.customerId),
            sk: offerSk(offer.id),
            ...offer,
            ...(idempotency ? { [OFFER_IDEMPOTENCY_ATTR]: idempotency.keyHash } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Put: { TableName: this.table, Item: { pk: offerPk(offer.id), sk: OFFER_POINTER_SK, customerId: offer.customerId } } },
      ...audit.map((a) => ({ Put: { TableName: this.table, Item: { pk: offerPk(a.offerId), sk: auditSk(a.at), ...a } } })),
      ...also.map((Update) => ({ Update })),
    ];
    if (idempotency) {
      items.push({
        Put: {
          TableName: this.table,
          Item: {
            pk: idempotencyPk(idempotency.keyHash),
            sk: IDEMPOTENCY_SK,
            ...idempotency.record,
            expiresAt: epochSeconds(offer.createdAt) + IDEMPOTENCY_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return 'stored';
    } catch (error) {
      if (idempotency && cancelledByCondition(error, items.length - 1)) return 'idempotency-key-taken';
      if (cancelledByCondition(error, 0) || cancelledByCondition(error, 1)) return 'stale';
      if (isTransactionConflict(error)) return 'stale';
      throw error;
    }
  }

  /** Moves an offer from `from` to `to` only if it still has status `from`, with its audit record. */
  async transition(args: { offer: StoredOffer; to: StoredOffer['status']; at: string; audit: AuditRecord }): Promise<boolean> {
    const { offer, to, at, audit } = args;
    return this.guardedTransition(offer.customerId, offer.id, audit, at, {
      UpdateExpression: 'SET #s = :to, updatedAt = :at',
      ConditionExpression: '#s = :from',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':to': to, ':from': offer.status, ':at': at },
    });
  }

  /**
   * Marks an open offer converted by a purchase, once: only while it is still active or accepted,
   * with its audit record and a ledger bump (later checks see it converted). False when it was not
   * open any more (converted by a concurrent purchase, declined, withdrawn).
   */
  async convert(args: { offer: StoredOffer; conversion: StoredConversion; at: string; audit: AuditRecord }): Promise<boolean> {
    const { offer, conversion, at, audit } = args;
    return this.guardedTransition(offer.customerId, offer.id, audit, at, {
      UpdateExpression: 'SET #s = :to, conversion = :conversion, updatedAt = :at',
      ConditionExpression: '#s = :from AND attribute_not_exists(conversion)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':to': 'converted', ':from': offer.status, ':conversion': conversion, ':at': at },
    });
  }

  /** Applies one refund of the converting order, once (keyed by the refund's touchpoint id). */
  async refundConversion(customerId: string, offerId: string, orderKey: string, refundKey: string, amountMinor: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: customerPk(customerId), sk: offerSk(offerId) },
          UpdateExpression: 'SET conversion.refundedMinor = conversion.refundedMinor + :amount, conversion.refunds.#refund = :amount',
          ConditionExpression: 'conversion.orderKey = :order AND attribute_not_exists(conversion.refunds.#refund)',
          ExpressionAttributeNames: { '#refund': refundKey },
          ExpressionAttributeValues: { ':amount': amountMinor, ':order': orderKey },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Takes a conversion back when its order is refunded in full: the offer returns to the status it
   * had, with an audit record. Conditional on the conversion still being that order's and fully
   * refunded, so a retry or a concurrent refund reverses it once.
   */
  async reverseConversion(args: { offer: StoredOffer; conversion: StoredConversion; at: string; audit: AuditRecord }): Promise<boolean> {
    const { offer, conversion, at, audit } = args;
    return this.guardedTransition(offer.customerId, offer.id, audit, at, {
      UpdateExpression: 'SET #s = :to, updatedAt = :at REMOVE conversion',
      ConditionExpression: '#s = :converted AND conversion.orderKey = :order AND conversion.refundedMinor >= conversion.orderTotalMinor',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':to': conversion.from, ':converted': 'converted', ':order': conversion.orderKey, ':at': at },
    });
  }

  /** The customer's offers as stored, with their conversions' bookkeeping (strongly consistent). */
  async storedOffers(customerId: string): Promise<{ offer: StoredOffer; conversion?: StoredConversion }[]> {
    const items = await queryPartition(this.doc, this.table, customerPk(customerId), OFFER_SK_PREFIX, { consistent: true });
    return items.map((item) => ({ offer: toOffer(item), conversion: storedConversionOf(item) }));
  }

  /** One conditional update of an offer item with its ledger bump and audit record; false when the condition failed. */
  private async guardedTransition(
    customerId: string,
    offerId: string,
    audit: AuditRecord,
    at: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Item;
    },
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: { TableName: this.table, Key: { pk: customerPk(customerId), sk: offerSk(offerId) }, ...update } },
            // A status change alters what later checks see, so it invalidates checks in flight.
            { Update: offerLedgerBump(this.table, customerId) },
            { Put: { TableName: this.table, Item: { pk: offerPk(offerId), sk: auditSk(at), ...audit } } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancelledByCondition(error, 0) || isTransactionConflict(error)) return false;
      throw error;
    }
  }

  async offerCustomer(offerId: string): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: offerPk(offerId), sk: OFFER_POINTER_SK } }));
    return out.Item?.customerId as string | undefined;
  }

  async getOffer(customerId: string, offerId: string, consistent = false): Promise<StoredOffer | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: customerPk(customerId), sk: offerSk(offerId) }, ConsistentRead: consistent }),
    );
    return out.Item ? toOffer(out.Item) : undefined;
  }

  async auditTrail(offerId: string): Promise<AuditRecord[]> {
    const items = await queryPartition(this.doc, this.table, offerPk(offerId), AUDIT_SK_PREFIX);
    return items.map((i) => withoutKeys<AuditRecord>(i));
  }

  async customerOffers(customerId: string): Promise<StoredOffer[]> {
    const items = await queryPartition(this.doc, this.table, customerPk(customerId), OFFER_SK_PREFIX);
    return items.map(toOffer);
  }

  /**
   * Merge step (driven by identity/merge.ts): moves a merged-away customer's offers to the
   * survivor with their id pointers, so the survivor's checks see them, and bumps the survivor's
   * ledger so checks in flight re-read. Idempotent, like the rest of a merge's tail.
   */
  async moveOffers(fromId: string, toId: string): Promise<number> {
    // Bump the loser's ledger first: a registration that read the loser before the merge then
    // fails its condition and re-checks against the survivor; one that committed before the bump
    // is in the consistent read below and moves with the rest.
    await this.bumpLedger(fromId);
    const items = await queryPartition(this.doc, this.table, customerPk(fromId), OFFER_SK_PREFIX, { consistent: true });
    if (!items.length) return 0;
    await batchWrite(this.doc, this.table, [
      ...items.map((it) => ({ PutRequest: { Item: { ...it, pk: customerPk(toId), customerId: toId } } })),
      ...items.map((it) => ({ PutRequest: { Item: { pk: offerPk(String(it.id)), sk: OFFER_POINTER_SK, customerId: toId } } })),
    ]);
    await batchWrite(
      this.doc,
      this.table,
      items.map((it) => ({ DeleteRequest: { Key: { pk: it.pk, sk: it.sk } } })),
    );
    await this.bumpLedger(toId);
    return items.length;
  }

  private async bumpLedger(customerId: string): Promise<void> {
    await this.doc.send(new UpdateCommand(offerLedgerBump(this.table, customerId)));
  }

  /**
   * Erasure step (driven by customers/customer-service.ts, after the offers' customer partition is
   * deleted): the offers' id pointers, their audit trails and their Idempotency-Key records. A
   * status change needs the offer item, so once it is gone no audit record can be added.
   */
  async eraseOfferRecords(offers: Item[]): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    for (const offer of offers) {
      const records = await queryPartition(this.doc, this.table, offerPk(String(offer.id)), undefined, { consistent: true });
      keys.push(...records.map((r) => ({ pk: String(r.pk), sk: String(r.sk) })));
      const keyHash = offer[OFFER_IDEMPOTENCY_ATTR];
      if (typeof keyHash === 'string') keys.push({ pk: idempotencyPk(keyHash), sk: IDEMPOTENCY_SK });
    }
    await batchWrite(
      this.doc,
      this.table,
      keys.map((Key) => ({ DeleteRequest: { Key } })),
    );
    return keys.length;
  }

  async getIdempotency(keyHash: string): Promise<IdempotencyRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: idempotencyPk(keyHash), sk: IDEMPOTENCY_SK }, ConsistentRead: true }),
    );
    return out.Item ? withoutKeys<IdempotencyRecord>(out.Item) : undefined;
  }
}

/** Monotonic, so records written in the same millisecond (created, then overridden) keep their order. */
const nextUlid = monotonicFactory();
const auditSk = (at: string) => offerAuditSk(at, nextUlid());
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
