import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ingestWebhook, type IngestDeps } from '../../../layers/core/src/ingest/ingest.js';
import { genericAdapter, shopifyAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import { CustomerStore, idempotencyKeyOf } from '../../../layers/core/src/store/customer-store.js';
import * as keys from '../../../layers/core/src/store/keys.js';

/*
 * The event marker logic against an in-memory fake of the DynamoDB calls CustomerStore makes: the
 * fake evaluates the conditions the store sends (attribute_not_exists(pk) on puts, the profile
 * exists on updates) and counts the profile updates, which is what "counted twice" means.
 */

type Item = Record<string, any>;
const key = (i: Item) => `${i.pk}|${i.sk}`;

class FakeTable {
  readonly items = new Map<string, Item>();
  /** Profile updates per customer pk: each is one touchpoint added to the aggregates. */
  readonly profileUpdates = new Map<string, number>();
  /** Transactions to cancel with TransactionConflict before letting them through. */
  conflicts = 0;

  readonly doc = {
    send: async (command: { constructor: { name: string }; input: any }) => this.handle(command.constructor.name, command.input),
  } as unknown as DynamoDBDocumentClient;

  private handle(name: string, input: any): any {
    switch (name) {
      case 'GetCommand':
        return { Item: this.items.get(key(input.Key)) };
      case 'BatchGetCommand': {
        const [table, { Keys }] = Object.entries(input.RequestItems)[0] as [string, { Keys: Item[] }];
        return { Responses: { [table]: Keys.flatMap((k) => this.items.get(key(k)) ?? []) } };
      }
      case 'PutCommand':
        this.items.set(key(input.Item), input.Item);
        return {};
      case 'DeleteCommand':
        this.items.delete(key(input.Key));
        return {};
      case 'QueryCommand': {
        const v = input.ExpressionAttributeValues;
        const all = [...this.items.values()];
        if (input.IndexName) return { Items: all.filter((i) => i.gsi1pk === v[':pk']) };
        return { Items: all.filter((i) => i.pk === v[':pk'] && (!v[':p'] || String(i.sk).startsWith(v[':p']))) };
      }
      case 'UpdateCommand':
        return {};
      case 'TransactWriteCommand':
        return this.transact(input.TransactItems);
      default:
        throw new Error(`fake table: ${name} not supported`);
    }
  }

  private transact(ops: Item[]) {
    if (this.conflicts > 0) {
      this.conflicts--;
      throw Object.assign(new Error('conflict'), {
        name: 'TransactionCanceledException',
        CancellationReasons: ops.map(() => ({ Code: 'TransactionConflict' })),
      });
    }
    const reasons = ops.map((op) => {
      if (op.Put) {
        const old = this.items.get(key(op.Put.Item));
        if (op.Put.ConditionExpression === 'attribute_not_exists(pk)' && old) {
          const Item = Object.fromEntries(Object.entries(old).map(([k, v]) => [k, typeof v === 'string' ? { S: v } : { N: String(v) }]));
          return { Code: 'ConditionalCheckFailed', Item };
        }
      }
      if (op.Update && !this.items.has(key(op.Update.Key))) return { Code: 'ConditionalCheckFailed' };
      return { Code: 'None' };
    });
    if (reasons.some((r) => r.Code !== 'None')) {
      throw Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: reasons });
    }
    for (const op of ops) {
      if (op.Put) this.items.set(key(op.Put.Item), op.Put.Item);
      if (op.Update) this.profileUpdates.set(op.Update.Key.pk, (this.profileUpdates.get(op.Update.Key.pk) ?? 0) + 1);
    }
    return {};
  }

  /** A live customer whose profile exists (the fake skips identity resolution through the alias cache). */
  addCustomer(id: string) {
    this.items.set(key({ pk: keys.customerPk(id), sk: keys.PROFILE_SK }), {
      pk: keys.customerPk(id),
      sk: keys.PROFILE_SK,
      customerId: id,
    });
  }

  touchpointsOf(id: string) {
    return [...this.items.values()].filter((i) => i.pk === keys.customerPk(id) && String(i.sk).startsWith(keys.TOUCHPOINT_PREFIX));
  }

  updatesOf(id: string) {
    return this.profileUpdates.get(keys.customerPk(id)) ?? 0;
  }
}

const GENERIC_SECRET = `whsec_${Buffer.from('patron-idempotency-unit-secret!!').toString('base64')}`;
const SHOPIFY_SECRET = 'shpss_patron_idempotency_unit';
const NOW = new Date();
const sample = (source: string, name: string): Item => JSON.parse(readFileSync(join(process.cwd(), 'events', source, name), 'utf8'));

function setup() {
  const table = new FakeTable();
  const store = new CustomerStore(table.doc, 'patron', {
    moveOffers: async () => 0,
    eraseOfferRecords: async () => 0,
  });
  const outcomes: string[] = [];
  // Every identity resolves to one of two customers, chosen by the alias cache.
  const owners = new Map<string, string>();
  const deps: IngestDeps = {
    store,
    hashPii: (k) => `h:${k.kind}:${k.value}`,
    webhookSecrets: { generic: [GENERIC_SECRET], shopify: [SHOPIFY_SECRET], stripe: [], zendesk: [] },
    now: () => NOW,
    observer: { delivery: (_source, outcome) => void outcomes.push(outcome) },
    aliasCache: {
      lookup: (hashes: string[]) => hashes.map((h) => owners.get(h)).find(Boolean),
      remember: () => {},
      forget: () => {},
    } as unknown as IngestDeps['aliasCache'],
  };
  const own = (email: string, customerId: string) => {
    table.addCustomer(customerId);
    owners.set(`h:email:${email}`, customerId);
  };
  const generic = (body: unknown, eventId: string) => {
    const raw = JSON.stringify(body);
    return ingestWebhook(deps, 'generic', raw, genericAdapter.sign(raw, GENERIC_SECRET, NOW, eventId));
  };
  const shopify = (topic: string, body: unknown, eventId: string) => {
    const raw = JSON.stringify(body);
    return ingestWebhook(deps, 'shopify', raw, {
      ...shopifyAdapter.sign(raw, SHOPIFY_SECRET, NOW, eventId),
      'x-shopify-topic': topic,
    });
  };
  return { table, store, outcomes, own, generic, shopify };
}

const purchase = (email: string, occurredAt: string, orderId = 'o-1') => ({
  type: 'purchase',
  occurredAt,
  customer: { email },
  data: { orderId, currency: 'EUR', totalMinor: 1000, items: [{ sku: 'S1', category: 'coffee', quantity: 1, unitPriceMinor: 1000 }] },
});
const visit = (email: string, occurredAt: string) => ({ type: 'web_visit', occurredAt, customer: { email }, data: {} });
const T0 = new Date(NOW.getTime() - 3_600_000).toISOString();
const T1 = new Date(NOW.getTime() - 3_599_000).toISOString();

describe('event markers: the idempotency key of a touchpoint', () => {
  it('is the event id for every type but purchases, and the order id for purchases, tagged so the two never collide', () => {
    expect(idempotencyKeyOf({ type: 'web_visit', dedupeKey: 'order:o-1', data: {} })).toBe('event:order:o-1');
    expect(idempotencyKeyOf({ type: 'purchase', dedupeKey: 'msg_1', data: { orderId: 'o-1' } })).toBe('order:o-1');
    expect(idempotencyKeyOf({ type: 'refund', dedupeKey: 'msg_1', data: { orderId: 'o-1' } })).toBe('event:msg_1');
  });

  it('builds marker and parked keys that parse back and no other entity claims', () => {
    expect(keys.eventMarkerPk('shopify', 'order:1')).toBe('EVENT#shopify#order:1');
    expect(keys.parseEventMarkerPk(keys.eventMarkerPk('generic', 'event:a#b'))).toEqual({ source: 'generic', key: 'event:a#b' });
    expect(keys.parkedPk('shopify', '42')).toBe('PARKED#shopify#42');
    expect(keys.parseParkedPk(keys.parkedPk('shopify', '42'))).toEqual({ source: 'shopify', orderId: '42' });
    expect(keys.parseParkedSk(keys.parkedSk('e#1'))).toBe('e#1');
    const prefixes = [
      keys.CUSTOMER_PK_PREFIX,
      keys.ALIAS_PK_PREFIX,
      keys.OFFER_PK_PREFIX,
      keys.IDEMPOTENCY_PK_PREFIX,
      keys.RUN_PK_PREFIX,
      keys.EVENT_PK_PREFIX,
      keys.PARKED_PK_PREFIX,
    ];
    for (const p of prefixes) for (const q of prefixes) if (p !== q) expect(q.startsWith(p)).toBe(false);
    for (const fixed of [keys.ERASURE_AUDIT_PK, keys.HEALTH_PROBE_KEY.pk]) {
      expect(fixed.startsWith(keys.EVENT_PK_PREFIX) || fixed.startsWith(keys.PARKED_PK_PREFIX)).toBe(false);
    }
  });
});

describe('event markers: a redelivery is a duplicate whatever else it changes', () => {
  it('answers the same event id with occurredAt one second later as a duplicate and updates the aggregates once', async () => {
    const { table, own, generic } = setup();
    own('ann@example.com', 'C1');
    const first = await generic(purchase('ann@example.com', T0), 'msg_1');
    const second = await generic(purchase('ann@example.com', T1), 'msg_1');
    expect(first).toMatchObject({ status: 'stored', customerId: 'C1' });
    expect(second).toMatchObject({ status: 'duplicate', customerId: 'C1', touchpointId: first.status === 'stored' && first.touchpointId });
    expect(table.updatesOf('C1')).toBe(1);
    expect(table.touchpointsOf('C1')).toHaveLength(1);
  });

  it('answers the same event id naming another customer as a duplicate of the original customer', async () => {
    const { table, own, generic } = setup();
    own('ann@example.com', 'C1');
    own('bob@example.com', 'C2');
    await generic(visit('ann@example.com', T0), 'msg_2');
    const again = await generic(visit('bob@example.com', T1), 'msg_2');
    expect(again).toMatchObject({ status: 'duplicate', customerId: 'C1' });
    expect(table.updatesOf('C2')).toBe(0);
  });

  it('counts a second event id for the same order as a duplicate purchase', async () => {
    const { table, own, generic } = setup();
    own('ann@example.com', 'C1');
    await generic(purchase('ann@example.com', T0, 'o-9'), 'msg_a');
    expect(await generic(purchase('ann@example.com', T1, 'o-9'), 'msg_b')).toMatchObject({ status: 'duplicate' });
    expect(table.updatesOf('C1')).toBe(1);
  });

  it('reports a duplicate found only by the transaction (a race past the first look) with the original customer', async () => {
    const { table, store, own } = setup();
    own('ann@example.com', 'C1');
    own('bob@example.com', 'C2');
    const tp = (customerId: string, occurredAt: string) => ({
      id: 'generic:msg_3',
      customerId,
      source: 'generic' as const,
      dedupeKey: 'msg_3',
      type: 'web_visit' as const,
      occurredAt,
      receivedAt: NOW.toISOString(),
      data: {},
    });
    const { UpdateBuilder } = await import('../../../layers/core/src/store/update-builder.js');
    expect(await store.writeTouchpoint(tp('C1', T0), new UpdateBuilder().add('touchpointCount', 1))).toEqual({ outcome: 'stored' });
    expect(await store.writeTouchpoint(tp('C2', T1), new UpdateBuilder().add('touchpointCount', 1))).toEqual({
      outcome: 'duplicate',
      original: { customerId: 'C1', touchpointId: 'generic:msg_3', touchpointSk: keys.touchpointSk(T0, 'generic', 'msg_3') },
    });
    expect(table.updatesOf('C2')).toBe(0);
  });

  it('retries a transaction cancelled by a concurrent one on the same marker instead of failing the delivery', async () => {
    const { table, own, generic } = setup();
    own('ann@example.com', 'C1');
    table.conflicts = 2;
    expect(await generic(visit('ann@example.com', T0), 'msg_4')).toMatchObject({ status: 'stored' });
    expect(table.updatesOf('C1')).toBe(1);
  });

  it('gives every marker a TTL of 90 days and no PII', async () => {
    const { table, own, generic } = setup();
    own('ann@example.com', 'C1');
    await generic(visit('ann@example.com', T0), 'msg_5');
    const marker = table.items.get(`${keys.eventMarkerPk('generic', 'event:msg_5')}|${keys.EVENT_SK}`);
    expect(marker).toBeDefined();
    expect(marker!.expiresAt - Math.floor(NOW.getTime() / 1000)).toBe(90 * 24 * 3600);
    expect(JSON.stringify(marker)).not.toContain('ann@example.com');
  });
});

describe('parked refunds: a Shopify refund before its order', () => {
  const refundOf = (orderId: number) => ({ ...sample('shopify', 'refunds-create.json'), order_id: orderId });
  const orderOf = (orderId: number) => ({
    ...sample('shopify', 'orders-paid.json'),
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
  });

  it('parks the refund with a 7-day TTL and counts it, then applies it once when the order is stored', async () => {
    const { table, own, shopify, outcomes } = setup();
    own('ann@example.com', 'C1');
    const parked = await shopify('refunds/create', refundOf(77), 'r-1');
    expect(parked).toMatchObject({ status: 'ignored', parked: true });
    expect(await shopify('refunds/create', refundOf(77), 'r-1')).toMatchObject({ parked: true });
    const item = table.items.get(`${keys.parkedPk('shopify', '77')}|${keys.parkedSk('r-1')}`);
    expect(item!.expiresAt - Math.floor(NOW.getTime() / 1000)).toBe(7 * 24 * 3600);
    expect(outcomes).toEqual(['parked', 'parked']);

    expect(await shopify('orders/paid', orderOf(77), 'o-77')).toMatchObject({ status: 'stored', customerId: 'C1' });
    expect(await shopify('orders/paid', orderOf(77), 'o-77')).toMatchObject({ status: 'duplicate' });
    expect(await shopify('refunds/create', refundOf(77), 'r-1')).toMatchObject({ status: 'duplicate', customerId: 'C1' });

    const refunds = table.touchpointsOf('C1').filter((t) => t.type === 'refund');
    expect(refunds).toHaveLength(1);
    expect(table.updatesOf('C1')).toBe(2);
    expect([...table.items.keys()].some((k) => k.startsWith(keys.PARKED_PK_PREFIX))).toBe(false);
    expect(outcomes.filter((o) => o === 'unparked')).toHaveLength(1);
  });
});
