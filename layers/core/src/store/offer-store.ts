import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import type { ProfileItem } from '../customers/profile.js';
import type { Finding, RegisteredOffer } from '../offers/schema.js';
import { cancelledByCondition, isTransactionConflict, queryAll, queryPartition, withoutKeys } from './dynamo.js';
import { customerPk, normalizeInstant, PROFILE_SK, TOUCHPOINT_PREFIX } from './keys.js';
import { FLAG_SK_PREFIX, MINING_SK, type CustomerMiningItem, type FlagItem } from './mining-store.js';

/**
 * Keys of the offer registry, in the same table:
 *
 *   CUST#<id>            OFFER#<offerId>          the offer (status, terms, override)
 *   CUST#<id>            OFFERS                   the customer's offer ledger: a version every
 *                                                 registration and status change increments
 *   OFFER#<offerId>      OFFER                    pointer to the customer, for GET /offers/{id}
 *   OFFER#<offerId>      AUDIT#<at>#<n>           audit trail: created, overridden, status changes
 *   IDEMPOTENCY#<hash>   OFFER                    an Idempotency-Key's request hash and response
 *
 * The ledger version is the concurrency guard: a registration is written only if the version is
 * still the one its check read, so two conflicting registrations cannot both pass a check that
 * saw neither (optimistic locking in one transaction, not read-then-write).
 */
export const OFFER_SK_PREFIX = 'OFFER#';
export const OFFER_LEDGER_SK = 'OFFERS';
export const offerPk = (offerId: string) => `OFFER#${offerId}`;
export const OFFER_POINTER_SK = 'OFFER';
export const AUDIT_SK_PREFIX = 'AUDIT#';
export const idempotencyPk = (keyHash: string) => `IDEMPOTENCY#${keyHash}`;

export interface StoredOffer extends RegisteredOffer {
  updatedAt: string;
}

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

export class OfferStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /**
   * The customer's flags, merges, mining scores, offers, ledger and profile in one consistent
   * Query: their sort keys (FLAG#, MERGE#, MINING, OFFER#, OFFERS, PROFILE) sit between FLAG#
   * and PROFILE, while the touchpoints (TP#) come after, so the history length never adds reads.
   */
  async snapshot(customerId: string): Promise<CustomerSnapshot> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': customerPk(customerId), ':from': FLAG_SK_PREFIX, ':to': PROFILE_SK },
      ConsistentRead: true,
    });
    const snap: CustomerSnapshot = { flags: [], offers: [], ledgerVersion: 0 };
    for (const item of items) {
      const sk = String(item.sk);
      if (sk === PROFILE_SK) snap.profile = item as unknown as ProfileItem;
      else if (sk === MINING_SK) snap.mining = withoutKeys<CustomerMiningItem>(item);
      else if (sk === OFFER_LEDGER_SK) snap.ledgerVersion = Number(item.version ?? 0);
      else if (sk.startsWith(OFFER_SK_PREFIX)) snap.offers.push(withoutKeys<StoredOffer>(item));
      else if (sk.startsWith(FLAG_SK_PREFIX)) snap.flags.push(withoutKeys<FlagItem>(item));
    }
    return snap;
  }

  /** Touchpoints since `sinceIso` (the rules' longest window), newest first: bounded by the window. */
  async touchpointsSince(customerId: string, sinceIso: string): Promise<{ id: string; type: string; occurredAt: string; data: Record<string, unknown> }[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': customerPk(customerId),
        ':from': `${TOUCHPOINT_PREFIX}${normalizeInstant(sinceIso)}`,
        ':to': `${TOUCHPOINT_PREFIX}\uffff`,
      },
      ProjectionExpression: 'id, #type, occurredAt, #data',
      ExpressionAttributeNames: { '#type': 'type', '#data': 'data' },
      ScanIndexForward: false,
    });
    return items as { id: string; type: string; occurredAt: string; data: Record<string, unknown> }[];
  }

  /**
   * Writes a checked offer atomically with its audit records, the ledger version bump and the
   * Idempotency-Key record. `stale`: another registration or status change came first (re-check);
   * `idempotency-key-taken`: a concurrent request with the same key won (read its response).
   */
  async register(args: { offer: StoredOffer; expectedVersion: number; audit: AuditRecord[]; idempotency?: { keyHash: string; record: IdempotencyRecord } }): Promise<RegisterOutcome> {
    const { offer, expectedVersion, audit, idempotency } = args;
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
      { Put: { TableName: this.table, Item: { pk: customerPk(offer.customerId), sk: `${OFFER_SK_PREFIX}${offer.id}`, ...offer }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.table, Item: { pk: offerPk(offer.id), sk: OFFER_POINTER_SK, customerId: offer.customerId } } },
      ...audit.map((a) => ({ Put: { TableName: this.table, Item: { pk: offerPk(a.offerId), sk: auditSk(a.at), ...a } } })),
    ];
    if (idempotency) {
      items.push({
        Put: {
          TableName: this.table,
          Item: { pk: idempotencyPk(idempotency.keyHash), sk: OFFER_POINTER_SK, ...idempotency.record, expiresAt: epochSeconds(offer.createdAt) + IDEMPOTENCY_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return 'stored';
    } catch (error) {
      if (idempotency && cancelledByCondition(error, items.length - 1)) return 'idempotency-key-taken';
      if (cancelledByCondition(error, 0)) return 'stale';
      if (isTransactionConflict(error)) return 'stale';
      throw error;
    }
  }

  /** Moves an offer from `from` to `to` only if it still has status `from`, with its audit record. */
  async transition(args: { offer: StoredOffer; to: StoredOffer['status']; at: string; audit: AuditRecord }): Promise<boolean> {
    const { offer, to, at, audit } = args;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { pk: customerPk(offer.customerId), sk: `${OFFER_SK_PREFIX}${offer.id}` },
                UpdateExpression: 'SET #s = :to, updatedAt = :at',
                ConditionExpression: '#s = :from',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':to': to, ':from': offer.status, ':at': at },
              },
            },
            // A status change alters what later checks see, so it invalidates checks in flight.
            { Update: offerLedgerBump(this.table, offer.customerId) },
            { Put: { TableName: this.table, Item: { pk: offerPk(offer.id), sk: auditSk(at), ...audit } } },
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
      new GetCommand({ TableName: this.table, Key: { pk: customerPk(customerId), sk: `${OFFER_SK_PREFIX}${offerId}` }, ConsistentRead: consistent }),
    );
    return out.Item ? (withoutKeys<StoredOffer>(out.Item)) : undefined;
  }

  async auditTrail(offerId: string): Promise<AuditRecord[]> {
    const items = await queryPartition(this.doc, this.table, offerPk(offerId), AUDIT_SK_PREFIX);
    return items.map((i) => withoutKeys<AuditRecord>(i));
  }

  async customerOffers(customerId: string): Promise<StoredOffer[]> {
    const items = await queryPartition(this.doc, this.table, customerPk(customerId), OFFER_SK_PREFIX);
    return items.map((i) => withoutKeys<StoredOffer>(i));
  }

  async getIdempotency(keyHash: string): Promise<IdempotencyRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: idempotencyPk(keyHash), sk: OFFER_POINTER_SK }, ConsistentRead: true }));
    return out.Item ? (withoutKeys<IdempotencyRecord>(out.Item)) : undefined;
  }
}

/** Monotonic, so records written in the same millisecond (created, then overridden) keep their order. */
const nextUlid = monotonicFactory();
/** Audit sort key: time order, then write order. */
const auditSk = (at: string) => `${AUDIT_SK_PREFIX}${at}#${nextUlid()}`;
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
