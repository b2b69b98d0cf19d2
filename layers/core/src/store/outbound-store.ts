import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { payloadOf, type OutboundEvent } from '../outbound/events.js';
import type { DeliveryStatus, SubscriptionStatus } from '../outbound/schema.js';
import { deleteCounted, isConditionalFailure, putCounted, queryAll, updateWhere, withoutKeys, type Item } from './dynamo.js';
import {
  deliveriesIndexPk,
  deliveriesIndexSk,
  deliverySk,
  GSI1,
  leaseSk,
  SUBSCRIPTION_SK,
  SUBSCRIPTIONS_INDEX_PK,
  subscriptionPk,
  subscriptionsIndexSk,
  SUBSCRIPTIONS_COUNTER,
} from './keys.js';

/** A signing secret; a rotated-out one keeps signing until `expiresAt`. */
export interface SigningSecret {
  secret: string;
  expiresAt?: string;
}

export interface StoredSubscription {
  id: string;
  url: string;
  events: string[];
  description?: string;
  status: SubscriptionStatus;
  disabledReason?: string;
  /** Newest first. */
  secrets: SigningSecret[];
  createdAt: string;
  updatedAt: string;
}

export interface StoredDelivery {
  subscriptionId: string;
  eventId: string;
  type: string;
  /** The exact body signed and sent on every attempt. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  /** While an attempt is under way: another worker may take the attempt over after this time. */
  sendingUntil?: string;
}

/** A new delivery of `event` to one subscription: attempt 0 not yet taken. */
export function pendingDelivery(subscriptionId: string, event: OutboundEvent, now: Date): StoredDelivery {
  return {
    subscriptionId,
    eventId: event.id,
    type: event.type,
    payload: payloadOf(event),
    status: 'pending',
    attempts: 0,
    createdAt: now.toISOString(),
  };
}

/** Where a page of deliveries ended: the next page starts after it. */
export interface DeliveryPosition {
  createdAt: string;
  eventId: string;
}
const positionOf = (d: StoredDelivery): DeliveryPosition => ({ createdAt: d.createdAt, eventId: d.eventId });
/** Index pages one listing reads at most (a status filter can skip many). */
const MAX_LIST_READS = 10;

const DAY_S = 86_400;
/** Deliveries stay listable this long, then DynamoDB's TTL removes them. */
export const DELIVERY_RETENTION_DAYS = 30;

export class OutboundStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** Stores a new subscription unless `max` exist already (exact under concurrency): false when full. */
  async putSubscription(s: StoredSubscription, max: number): Promise<boolean> {
    const item = {
      pk: subscriptionPk(s.id),
      sk: SUBSCRIPTION_SK,
      gsi1pk: SUBSCRIPTIONS_INDEX_PK,
      gsi1sk: subscriptionsIndexSk(s.createdAt, s.id),
      ...s,
    };
    return putCounted(this.doc, this.table, item, SUBSCRIPTIONS_COUNTER, max);
  }

  async getSubscription(id: string): Promise<StoredSubscription | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: subscriptionPk(id), sk: SUBSCRIPTION_SK }, ConsistentRead: true }),
    );
    return out.Item ? withoutKeys<StoredSubscription>(out.Item) : undefined;
  }

  /** Every subscription, oldest first (they are few: at most SUBSCRIPTION_LIMITS.MAX_SUBSCRIPTIONS). */
  async listSubscriptions(): Promise<StoredSubscription[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': SUBSCRIPTIONS_INDEX_PK },
    });
    return items.map((i) => withoutKeys<StoredSubscription>(i));
  }

  /** Sets the given fields if the subscription exists; the subscription after, or undefined. */
  async updateSubscription(
    id: string,
    fields: Partial<Omit<StoredSubscription, 'id' | 'createdAt'>>,
    remove: readonly (keyof StoredSubscription)[] = [],
    condition?: { expression: string; values: Record<string, unknown>; names?: Record<string, string> },
  ): Promise<StoredSubscription | undefined> {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    const names: Record<string, string> = { ...(condition?.names ?? {}) };
    const values: Record<string, unknown> = { ...(condition?.values ?? {}) };
    const sets = entries.map(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:v${i}`] = v;
      return `#f${i} = :v${i}`;
    });
    const removes = remove.map((k, i) => {
      names[`#r${i}`] = k;
      return `#r${i}`;
    });
    const item = await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: subscriptionPk(id), sk: SUBSCRIPTION_SK },
      UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
        .join(' ')
        .trim(),
      ConditionExpression: `attribute_exists(pk)${condition ? ` AND (${condition.expression})` : ''}`,
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    });
    return item ? withoutKeys<StoredSubscription>(item) : undefined;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return deleteCounted(this.doc, this.table, { pk: subscriptionPk(id), sk: SUBSCRIPTION_SK }, SUBSCRIPTIONS_COUNTER);
  }

  /** Creates the delivery once per (subscription, event): false when it exists already. */
  async createDelivery(d: StoredDelivery, now: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: subscriptionPk(d.subscriptionId),
            sk: deliverySk(d.eventId),
            gsi1pk: deliveriesIndexPk(d.subscriptionId),
            gsi1sk: deliveriesIndexSk(d.createdAt, d.eventId),
            expiresAt: Math.floor(now.getTime() / 1000) + DELIVERY_RETENTION_DAYS * DAY_S,
            ...d,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  async getDelivery(subscriptionId: string, eventId: string): Promise<StoredDelivery | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: subscriptionPk(subscriptionId), sk: deliverySk(eventId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? withoutKeys<StoredDelivery>(out.Item) : undefined;
  }

  /**
   * Takes attempt `attempt` of a delivery: only one worker gets it (a duplicate queue message
   * finds the counter moved on), unless the worker that took it stopped answering (sendingUntil
   * passed), so a crash mid-attempt does not strand the delivery.
   */
  async claimAttempt(
    subscriptionId: string,
    eventId: string,
    attempt: number,
    now: Date,
    holdMs: number,
  ): Promise<StoredDelivery | undefined> {
    const item = await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: subscriptionPk(subscriptionId), sk: deliverySk(eventId) },
      UpdateExpression: 'SET attempts = :next, #status = :sending, sendingUntil = :until, lastAttemptAt = :now',
      ConditionExpression:
        'attribute_exists(pk) AND #status IN (:pending, :retrying, :sending) AND (attempts = :attempt OR (attempts = :next AND sendingUntil < :now))',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':next': attempt + 1,
        ':attempt': attempt,
        ':sending': 'sending',
        ':pending': 'pending',
        ':retrying': 'retrying',
        ':now': now.toISOString(),
        ':until': new Date(now.getTime() + holdMs).toISOString(),
      },
    });
    return item ? withoutKeys<StoredDelivery>(item) : undefined;
  }

  /** Records how an attempt (or the delivery) ended. */
  async recordOutcome(
    subscriptionId: string,
    eventId: string,
    fields: Partial<Pick<StoredDelivery, 'status' | 'lastStatusCode' | 'lastError' | 'nextAttemptAt' | 'deliveredAt'>>,
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v], i) => {
        names[`#f${i}`] = k;
        values[`:v${i}`] = v;
        return `#f${i} = :v${i}`;
      });
    const removes = [
      'sendingUntil',
      ...(fields.nextAttemptAt === undefined ? ['nextAttemptAt'] : []),
      // Delivered after a failure: the old error is no longer the delivery's state.
      ...(fields.status === 'delivered' && fields.lastError === undefined ? ['lastError'] : []),
    ];
    await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: subscriptionPk(subscriptionId), sk: deliverySk(eventId) },
      UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * A page of a subscription's deliveries, newest first, after `after` (the last of the previous
   * page). With a status filter the index is read at most MAX_LIST_READS pages deep per call, so a
   * rare status costs a bounded read; `next` then continues where the reading stopped.
   */
  async listDeliveries(
    subscriptionId: string,
    limit: number,
    opts: { status?: DeliveryStatus; after?: DeliveryPosition } = {},
  ): Promise<{ items: StoredDelivery[]; next?: DeliveryPosition }> {
    const keyOf = (p: DeliveryPosition) => ({
      pk: subscriptionPk(subscriptionId),
      sk: deliverySk(p.eventId),
      gsi1pk: deliveriesIndexPk(subscriptionId),
      gsi1sk: deliveriesIndexSk(p.createdAt, p.eventId),
    });
    const { status } = opts;
    const items: StoredDelivery[] = [];
    let startKey: Item | undefined = opts.after ? keyOf(opts.after) : undefined;
    for (let reads = 0; reads < MAX_LIST_READS; reads++) {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': deliveriesIndexPk(subscriptionId), ...(status ? { ':status': status } : {}) },
          ...(status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (items.length === limit) return { items, next: positionOf(items.at(-1)!) };
        items.push(withoutKeys<StoredDelivery>(item));
      }
      startKey = page.LastEvaluatedKey;
      if (!startKey) return { items };
      if (items.length === limit) return { items, next: positionOf(items.at(-1)!) };
    }
    const [createdAt, eventId] = String(startKey?.gsi1sk ?? '').split('#');
    return { items, ...(createdAt && eventId ? { next: { createdAt, eventId } } : {}) };
  }

  /**
   * One of `slots` concurrent sends to a subscription's endpoint: a lease slot is free when
   * unheld or expired (a crashed sender's lease lapses). The slot taken, or undefined when all are busy.
   */
  async acquireLease(subscriptionId: string, slots: number, now: Date, holdMs: number): Promise<number | undefined> {
    const start = Math.floor(Math.random() * slots);
    for (let i = 0; i < slots; i++) {
      const slot = (start + i) % slots;
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: subscriptionPk(subscriptionId),
              sk: leaseSk(slot),
              leaseUntil: new Date(now.getTime() + holdMs).toISOString(),
              expiresAt: Math.floor(now.getTime() / 1000) + DAY_S,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
            ExpressionAttributeValues: { ':now': now.toISOString() },
          }),
        );
        return slot;
      } catch (error) {
        if (!isConditionalFailure(error)) throw error;
      }
    }
    return undefined;
  }

  async releaseLease(subscriptionId: string, slot: number): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: subscriptionPk(subscriptionId), sk: leaseSk(slot) } }));
  }
}
