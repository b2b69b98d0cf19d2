import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../../../layers/core/src/errors.js';
import { shopifyAdapter, stripeAdapter, zendeskAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import type { Adapted, Headers } from '../../../layers/core/src/ingest/sources/types.js';

/*
 * Provider payloads that are schema-valid for the provider but would poison a customer (sums past
 * 2^53) or fail the write (over-long keys, implausible dates) are refused with a 422 naming the
 * provider's own field.
 */

const sample = (source: string, name: string): Record<string, any> =>
  JSON.parse(readFileSync(join(process.cwd(), 'events', source, name), 'utf8'));

function refusedAt(adapt: () => Adapted): string[] {
  try {
    adapt();
    return [];
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return e.issues.map((i) => i.path);
  }
}

const shopifyHeaders = (topic: string, extra: Headers = {}): Headers => ({
  'x-shopify-topic': topic,
  'x-shopify-event-id': 'evt-1',
  ...extra,
});
const shopify = (name: string, topic: string, patch: (p: Record<string, any>) => void, headers: Headers = {}) => {
  const p = sample('shopify', name);
  patch(p);
  return refusedAt(() => shopifyAdapter.adapt(p, shopifyHeaders(topic, headers)));
};
const order = (patch: (p: Record<string, any>) => void, headers: Headers = {}) =>
  shopify('orders-paid.json', 'orders/paid', patch, headers);
const stripe = (name: string, patch: (p: Record<string, any>) => void) => {
  const p = sample('stripe', name);
  patch(p);
  return refusedAt(() => stripeAdapter.adapt(p, {}));
};
const zendesk = (name: string, patch: (p: Record<string, any>) => void) => {
  const p = sample('zendesk', name);
  patch(p);
  return refusedAt(() => zendeskAdapter.adapt(p, { 'x-zendesk-webhook-invocation-id': 'inv-1' }));
};

describe('stripe bounds', () => {
  it('refuses a charge.succeeded of 2^53 - 1 at data.object.amount', () => {
    expect(stripe('charge-succeeded.json', (e) => (e.data.object.amount = Number.MAX_SAFE_INTEGER))).toContain('data.object.amount');
  });

  it('refuses a charge.refunded amount_refunded over 10^12', () => {
    expect(stripe('charge-refunded.json', (e) => (e.data.object.amount_refunded = 1e12 + 1))).toContain('data.object.amount_refunded');
  });

  it('refuses a created of 99999999999999 with a ValidationError instead of "Invalid time value"', () => {
    const paths = stripe('charge-succeeded.json', (e) => {
      e.created = 99999999999999;
      e.data.object.created = 99999999999999;
    });
    expect(paths).toEqual(expect.arrayContaining(['created', 'data.object.created']));
  });

  it('refuses a created before 2000-01-01', () => {
    expect(stripe('invoice-payment-failed.json', (e) => (e.created = 1))).toContain('created');
  });

  it('refuses an event id longer than 255 characters at id', () => {
    expect(stripe('charge-succeeded.json', (e) => (e.id = `evt_${'x'.repeat(252)}`))).toContain('id');
  });

  it('refuses zzz, which is three letters but not an ISO 4217 code', () => {
    expect(stripe('charge-succeeded.json', (e) => (e.data.object.currency = 'zzz'))).toContain('data.object.currency');
  });

  it('refuses a subscription item quantity over 10^6', () => {
    expect(stripe('customer-subscription-created.json', (e) => (e.data.object.items.data[0].quantity = 1e6 + 1))).toContain(
      'data.object.items.data.0.quantity',
    );
  });

  it('refuses a metadata sku or category longer than 200 characters at its metadata path', () => {
    expect(stripe('charge-succeeded.json', (e) => (e.data.object.metadata.category = 'c'.repeat(201)))).toContain(
      'data.object.metadata.category',
    );
    expect(stripe('charge-succeeded.json', (e) => (e.data.object.metadata.sku = 's'.repeat(201)))).toContain('data.object.metadata.sku');
  });

  it('refuses a whitespace-only subscription id', () => {
    expect(stripe('customer-subscription-deleted.json', (e) => (e.data.object.id = '  '))).toContain('data.object.id');
  });
});

describe('shopify bounds', () => {
  it('refuses a total_price past 10^12 minor units at total_price', () => {
    expect(order((o) => (o.total_price = '90071992547409.91'))).toContain('total_price');
    expect(order((o) => (o.total_price = '10000000000.01'))).toContain('total_price');
  });

  it('refuses a line item price past 10^12 minor units at its price', () => {
    expect(order((o) => (o.line_items[0].price = '10000000000.01'))).toContain('line_items.0.price');
  });

  it('refuses a 1,000-digit decimal amount cheaply, at the field', () => {
    expect(order((o) => (o.total_price = '9'.repeat(1000)))).toContain('total_price');
  });

  it('refuses a line item quantity over 10^6 at its quantity', () => {
    expect(order((o) => (o.line_items[0].quantity = 1e6 + 1))).toContain('line_items.0.quantity');
  });

  it('refuses an order id of 1,100 digits (as a string or as a JSON number)', () => {
    expect(
      order((o) => {
        o.id = '7'.repeat(1100);
        delete o.admin_graphql_api_id;
      }),
    ).toContain('id');
    expect(
      order((o) => {
        o.id = JSON.parse('7'.repeat(1100));
        delete o.admin_graphql_api_id;
      }),
    ).toContain('id');
    expect(order((o) => (o.admin_graphql_api_id = `gid://shopify/Order/${'7'.repeat(1100)}`))).toContain('admin_graphql_api_id');
  });

  it('refuses an X-Shopify-Event-Id longer than 255 characters', () => {
    expect(shopify('customers-update.json', 'customers/update', () => {}, { 'x-shopify-event-id': 'e'.repeat(256) })).toContain(
      'headers.x-shopify-event-id',
    );
  });

  it('refuses a vendor, sku or title longer than 200 characters at its line item field', () => {
    expect(order((o) => (o.line_items[0].vendor = 'v'.repeat(201)))).toContain('line_items.0.vendor');
    expect(order((o) => (o.line_items[0].sku = 's'.repeat(201)))).toContain('line_items.0.sku');
    expect(order((o) => (o.line_items[0].title = 't'.repeat(201)))).toContain('line_items.0.title');
  });

  it('refuses an order of more than 500 line items at line_items', () => {
    expect(order((o) => (o.line_items = Array.from({ length: 501 }, (_, i) => ({ ...o.line_items[0], id: i + 1 }))))).toContain(
      'line_items',
    );
  });

  it('still accepts an order from 40 vendors, each vendor a category', () => {
    const o = sample('shopify', 'orders-paid.json');
    o.line_items = Array.from({ length: 40 }, (_, i) => ({
      ...o.line_items[0],
      id: i + 1,
      sku: `SKU-${i}`,
      vendor: `V${i}`,
      price: '1.00',
      quantity: 1,
    }));
    o.total_price = '40.00';
    const result = shopifyAdapter.adapt(o, shopifyHeaders('orders/paid'));
    if (result.kind !== 'touchpoint' || result.touchpoint.type !== 'purchase') throw new Error('expected a purchase');
    expect(new Set(result.touchpoint.data.items.map((i) => i.category)).size).toBe(40);
  });

  it('refuses ZZZ as an order currency', () => {
    expect(order((o) => (o.currency = 'ZZZ'))).toContain('currency');
  });

  it('refuses an order created before 2000-01-01 or more than a day ahead', () => {
    expect(
      order((o) => {
        o.created_at = '1999-01-01T00:00:00Z';
        o.processed_at = null;
      }),
    ).toContain('created_at');
    expect(order((o) => (o.processed_at = '9999-01-01T00:00:00Z'))).toContain('processed_at');
  });

  it('refuses a refund transaction amount past 10^12 minor units at its amount', () => {
    expect(shopify('refunds-create.json', 'refunds/create', (r) => (r.transactions[0].amount = '90071992547409.91'))).toContain(
      'transactions.0.amount',
    );
  });
});

describe('zendesk bounds', () => {
  it('refuses a ticket id of 256 digits at detail.id', () => {
    expect(zendesk('ticket-created.json', (e) => (e.detail.id = '1'.repeat(256)))).toContain('detail.id');
  });

  it('refuses an event id longer than 255 characters at id', () => {
    expect(zendesk('ticket-created.json', (e) => (e.id = 'i'.repeat(256)))).toContain('id');
  });

  it('refuses a ticket created before 2000-01-01 at detail.created_at', () => {
    expect(zendesk('ticket-created.json', (e) => (e.detail.created_at = '1999-12-31T00:00:00Z'))).toContain('detail.created_at');
  });

  it('refuses a subject longer than 2,000 characters at detail.subject', () => {
    expect(zendesk('ticket-created.json', (e) => (e.detail.subject = 's'.repeat(2001)))).toContain('detail.subject');
  });

  it('refuses a requester id of 256 digits at detail.requester_id', () => {
    expect(zendesk('ticket-created.json', (e) => (e.detail.requester_id = '9'.repeat(256)))).toContain('detail.requester_id');
  });
});
