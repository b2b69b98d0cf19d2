import { randomUUID } from 'node:crypto';
import { api } from '../helpers/stack.js';
import { sampleText } from '../helpers/samples.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';

/*
 * The event id (per source) is the idempotency key whatever else a redelivery changes, an order is
 * one purchase whatever topics announce it, and a refund that arrives before its order is kept
 * until the order comes. Through the HTTP endpoint, against the embedded stack.
 */

async function customer(id: string) {
  const res = await api(`/customers/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

async function customersByEmail(email: string) {
  return ((await (await api(`/customers?email=${encodeURIComponent(email)}`)).json()) as { customers: any[] }).customers;
}

const plusSeconds = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();

/** A Shopify order sample as another order of another person, so every test owns its order. */
function shopifyOrder(file: 'orders-create.json' | 'orders-paid.json', orderId: number, email: string) {
  const order = JSON.parse(sampleText('shopify', file));
  order.id = orderId;
  order.admin_graphql_api_id = `gid://shopify/Order/${orderId}`;
  order.email = email;
  order.contact_email = email;
  order.customer.id = orderId + 7;
  order.customer.admin_graphql_api_id = `gid://shopify/Customer/${orderId + 7}`;
  order.customer.email = email;
  order.phone = null;
  order.customer.phone = null;
  return order;
}

const shopify = (topic: string, body: unknown, eventId: string) =>
  deliver('shopify', body, { eventId, headers: { 'x-shopify-topic': topic, 'x-shopify-event-id': eventId } });

const newOrderId = () => 7_000_000_000_000 + Math.floor(Math.random() * 1e12);

describe('idempotency: the event id is the key, whatever else a redelivery changes', () => {
  it('answers the same webhook-id with occurredAt one second later as a 200 duplicate and counts the revenue once', async () => {
    const email = uniqueEmail('idem-time');
    const body = purchase({ email }, 2500, new Date(Date.now() - 60_000).toISOString());
    const eventId = `msg_${randomUUID()}`;

    const first = await deliver('generic', body, { eventId });
    const second = await deliver('generic', { ...body, occurredAt: plusSeconds(body.occurredAt, 1) }, { eventId });

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, customerId: first.body.customerId, touchpointId: first.body.touchpointId });
    const c = await customer(first.body.customerId);
    expect(c).toMatchObject({ touchpointCount: 1, purchaseCount: 1, revenue: [{ currency: 'EUR', amountMinor: 2500 }] });
  });

  it('answers the same webhook-id naming another email as a duplicate of the first customer, and creates no customer for that email', async () => {
    const email = uniqueEmail('idem-who');
    const other = uniqueEmail('idem-other');
    const eventId = `msg_${randomUUID()}`;
    const visit = (e: string) => genericTouchpoint('web_visit', { email: e }, { url: 'https://shop.example.com/' });

    const first = await deliver('generic', visit(email), { eventId });
    const second = await deliver('generic', visit(other), { eventId });

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, customerId: first.body.customerId });
    expect((await customer(first.body.customerId)).touchpointCount).toBe(1);
    expect(await customersByEmail(other)).toEqual([]);
  });

  it('counts Shopify orders/create then orders/paid of one order, with another processed_at, as one purchase', async () => {
    const email = uniqueEmail('idem-order');
    const orderId = newOrderId();
    const created = shopifyOrder('orders-create.json', orderId, email);
    const paid = shopifyOrder('orders-paid.json', orderId, email);
    paid.processed_at = plusSeconds(created.processed_at, 90);

    const first = await shopify('orders/create', created, `it-idem-create-${orderId}`);
    const second = await shopify('orders/paid', paid, `it-idem-paid-${orderId}`);

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, customerId: first.body.customerId });
    const c = await customer(first.body.customerId);
    expect(c.purchaseCount).toBe(1);
    expect(c.touchpointCount).toBe(1);
  });

  it('stores exactly one of 10 concurrent deliveries of one event id whose occurredAt differ', async () => {
    const email = uniqueEmail('idem-race');
    const body = purchase({ email }, 700, new Date(Date.now() - 60_000).toISOString());
    const eventId = `msg_${randomUUID()}`;

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => deliver('generic', { ...body, occurredAt: plusSeconds(body.occurredAt, i) }, { eventId })),
    );

    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.customerId)).size).toBe(1);
    const customers = await customersByEmail(email);
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ touchpointCount: 1, purchaseCount: 1, revenue: [{ currency: 'EUR', amountMinor: 700 }] });
  });
});

describe('parked refunds: a Shopify refund that arrives before its order', () => {
  it('parks the refund (202 parked), then applies it exactly once when the order arrives', async () => {
    const email = uniqueEmail('idem-park');
    const orderId = newOrderId();
    const refund = JSON.parse(sampleText('shopify', 'refunds-create.json'));
    refund.order_id = orderId;
    const refundId = `it-idem-refund-${orderId}`;

    const parked = await shopify('refunds/create', refund, refundId);
    expect(parked.status).toBe(202);
    expect(parked.body).toMatchObject({ ignored: true, parked: true });
    expect(parked.body.reason).toContain(`order ${orderId}`);
    // A redelivery of the parked refund is parked again, not counted twice.
    expect((await shopify('refunds/create', refund, refundId)).body).toMatchObject({ parked: true });

    const order = await shopify('orders/paid', shopifyOrder('orders-paid.json', orderId, email), `it-idem-order-${orderId}`);
    expect(order.status).toBe(201);
    // The order delivered again (a redelivery) and the refund delivered again apply nothing more.
    expect((await shopify('orders/paid', shopifyOrder('orders-paid.json', orderId, email), `it-idem-order-${orderId}`)).status).toBe(200);
    const again = await shopify('refunds/create', refund, refundId);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ duplicate: true, customerId: order.body.customerId });

    const c = await customer(order.body.customerId);
    expect(c.refunds).toEqual({ count: 1, amounts: [{ currency: 'USD', amountMinor: 1738 }] });
    const refunds = await (await api(`/customers/${order.body.customerId}/touchpoints?type=refund&limit=50`)).json();
    expect(refunds.items).toEqual([
      expect.objectContaining({ source: 'shopify', data: expect.objectContaining({ orderId: String(orderId) }) }),
    ]);
  });
});
