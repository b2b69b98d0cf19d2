import { createHmac } from 'node:crypto';
import { SHOPIFY_TOPICS } from '../../helpers/samples.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, SignatureError, ValidationError } from '../../../layers/core/src/errors.js';
import { ADAPTERS, decimalToMinor, inferShopifyTopic, shopifyAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import type { Adapted } from '../../../layers/core/src/ingest/sources/types.js';
import type { Touchpoint } from '../../../layers/core/src/touchpoint.js';

const DIR = join(process.cwd(), 'events', 'shopify');
const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
const readSample = (name: string, dir = DIR) => readFileSync(join(dir, name), 'utf8');
const loadSample = (name: string, dir = DIR): Record<string, any> => JSON.parse(readSample(name, dir));

const SECRET = 'shpss_patron_test_app_secret_0001';
const OTHER = 'shpss_rotated_out_secret_9999';
const NOW = new Date('2025-04-01T12:00:00Z');
const BODY = readSample('orders-paid.json');

/** Independent signer: Shopify's scheme computed with node:crypto directly. */
const shopifyHmac = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body, 'utf8').digest('base64');

const deliveryHeaders = (topic: string, extra: Record<string, string> = {}) => ({
  'x-shopify-topic': topic,
  'x-shopify-event-id': `evt-${topic}`,
  'x-shopify-webhook-id': `wh-${topic}`,
  'x-shopify-triggered-at': '2025-04-01T11:59:58.000Z',
  ...extra,
});

function adapt(name: string, topic: string, dir = DIR): Adapted {
  return shopifyAdapter.adapt(loadSample(name, dir), deliveryHeaders(topic));
}

function touchpointOf(result: Adapted): { dedupeKey: string; touchpoint: Touchpoint } {
  if (result.kind !== 'touchpoint') throw new Error(`expected a touchpoint, got ${JSON.stringify(result)}`);
  return result;
}

function validationIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.path);
    throw e;
  }
  throw new Error('expected a ValidationError');
}

const ANN = {
  email: 'ann@example.com',
  phone: '+14155550101',
  externalId: '7390112301',
  firstName: 'Ann',
  lastName: 'Example',
};

describe('shopify source: X-Shopify-Hmac-Sha256 signature', () => {
  it('accepts a body signed with the app secret', () => {
    const headers = { 'x-shopify-hmac-sha256': shopifyHmac(BODY) };
    expect(() => shopifyAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
  });

  it('accepts a body signed with the second of two configured secrets', () => {
    const headers = { 'x-shopify-hmac-sha256': shopifyHmac(BODY) };
    expect(() => shopifyAdapter.verify(BODY, headers, [OTHER, SECRET], NOW)).not.toThrow();
  });

  it('finds the header in the capitalisation Shopify documents', () => {
    const headers = { 'X-Shopify-Hmac-Sha256': shopifyHmac(BODY) };
    expect(() => shopifyAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
  });

  it('rejects a body signed with another secret', () => {
    const headers = { 'x-shopify-hmac-sha256': shopifyHmac(BODY, OTHER) };
    expect(() => shopifyAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a body changed after signing, even by whitespace', () => {
    const headers = { 'x-shopify-hmac-sha256': shopifyHmac(BODY) };
    expect(() => shopifyAdapter.verify(`${BODY} `, headers, [SECRET], NOW)).toThrow(SignatureError);
    const cheaper = BODY.replace('"total_price": "71.50"', '"total_price": "1.50"');
    expect(cheaper).not.toBe(BODY);
    expect(() => shopifyAdapter.verify(cheaper, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a delivery without the signature header', () => {
    expect(() => shopifyAdapter.verify(BODY, { 'x-shopify-topic': 'orders/paid' }, [SECRET], NOW)).toThrow(/missing x-shopify-hmac-sha256/);
  });

  it('rejects a truncated signature without throwing anything but a SignatureError', () => {
    const headers = { 'x-shopify-hmac-sha256': shopifyHmac(BODY).slice(0, 10) };
    expect(() => shopifyAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('refuses to verify when no secret is configured', () => {
    const headers = { 'x-shopify-hmac-sha256': shopifyHmac(BODY, '') };
    expect(() => shopifyAdapter.verify(BODY, headers, [''], NOW)).toThrow(ConfigError);
  });

  it('signs deliveries its verifier accepts, with the topic and ids Shopify would send', () => {
    const headers = shopifyAdapter.sign(BODY, SECRET, NOW, 'evt-signed-1');
    expect(headers['x-shopify-hmac-sha256']).toBe(shopifyHmac(BODY));
    expect(headers['x-shopify-topic']).toBe('orders/paid');
    expect(headers['x-shopify-event-id']).toBe('evt-signed-1');
    expect(() => shopifyAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
    expect(touchpointOf(shopifyAdapter.adapt(JSON.parse(BODY), headers)).touchpoint.type).toBe('purchase');
  });
});

describe('shopify source: sample deliveries', () => {
  const topics = SHOPIFY_TOPICS;

  it('knows the topic of every sample, and sign infers the same topic from the body', () => {
    expect(jsonFiles(DIR)).toEqual(Object.keys(topics).sort());
    for (const [name, topic] of Object.entries(topics)) {
      const inferred = inferShopifyTopic(readSample(name));
      // orders/create of a paid order is indistinguishable from orders/paid by its body.
      expect([topic, name === 'orders-create.json' ? 'orders/paid' : topic]).toContain(inferred);
    }
  });

  it('maps orders/paid to a purchase in minor units with every line item', () => {
    const { dedupeKey, touchpoint } = touchpointOf(adapt('orders-paid.json', 'orders/paid'));
    expect(dedupeKey).toBe('order:5873458724907');
    expect(touchpoint).toEqual({
      type: 'purchase',
      occurredAt: '2025-03-14T14:21:32.000Z',
      customer: ANN,
      data: {
        orderId: '5873458724907',
        currency: 'USD',
        totalMinor: 7150,
        items: [
          {
            sku: 'BEAN-ETH-250',
            productId: '8123456700001',
            name: 'Ethiopia Yirgacheffe',
            category: 'Patron Roasters',
            quantity: 2,
            unitPriceMinor: 1600,
          },
          {
            // No SKU on this line item: the variant id stands in.
            sku: 'variant:44211234500002',
            productId: '8123456700002',
            name: 'Ceramic pour-over dripper',
            category: 'Kettle & Co',
            quantity: 1,
            unitPriceMinor: 3200,
          },
        ],
      },
    });
  });

  it('gives orders/create and orders/paid of one order the same dedupe key and touchpoint', () => {
    const created = touchpointOf(adapt('orders-create.json', 'orders/create'));
    const paid = touchpointOf(adapt('orders-paid.json', 'orders/paid'));
    expect(created.dedupeKey).toBe(paid.dedupeKey);
    expect(created.touchpoint).toEqual(paid.touchpoint);
  });

  it('converts a yen order without multiplying by 100 (JPY has no minor unit)', () => {
    const { touchpoint } = touchpointOf(adapt('orders-paid-jpy.json', 'orders/paid'));
    expect(touchpoint).toMatchObject({
      type: 'purchase',
      occurredAt: '2025-04-05T01:59:58.000Z',
      customer: { email: 'chloe@example.com', externalId: '7390112303', firstName: 'Chloé' },
      data: { currency: 'JPY', totalMinor: 5300, items: [{ sku: 'BEAN-ETH-500', quantity: 2, unitPriceMinor: 2400 }] },
    });
  });

  it('ignores orders/create of an order still awaiting payment', () => {
    expect(adapt('orders-create-pending.json', 'orders/create')).toEqual({
      kind: 'ignored',
      eventType: 'orders/create',
      reason: expect.stringContaining('pending'),
    });
  });

  it("hands a refund whose payload names no customer (as Shopify refunds do) to the order's customer", () => {
    expect(adapt('refunds-create.json', 'refunds/create')).toEqual({
      kind: 'order-touchpoint',
      eventType: 'refunds/create',
      dedupeKey: 'evt-refunds/create',
      orderId: '5873458724907',
      touchpoint: {
        type: 'refund',
        occurredAt: '2025-03-20T09:12:05.000Z',
        customer: {},
        data: { orderId: '5873458724907', currency: 'USD', amountMinor: 1738, reason: 'Bag arrived torn' },
      },
    });
  });

  it('indexes the order id of a purchase, so refunds of the order find its customer', () => {
    expect(adapt('orders-paid.json', 'orders/paid')).toMatchObject({ kind: 'touchpoint', indexOrderId: '5873458724907' });
  });

  it('maps a refund that carries a customer to the sum of its successful refund transactions', () => {
    const payload = loadSample('refunds-create.json');
    payload.customer = { id: 7390112301, email: 'ann@example.com' };
    payload.transactions.push({ ...payload.transactions[0], id: 2, amount: '5.00', status: 'failure' });
    payload.transactions.push({ ...payload.transactions[0], id: 3, amount: '2.62' });
    const { dedupeKey, touchpoint } = touchpointOf(shopifyAdapter.adapt(payload, deliveryHeaders('refunds/create')));
    expect(dedupeKey).toBe('evt-refunds/create');
    expect(touchpoint).toEqual({
      type: 'refund',
      occurredAt: '2025-03-20T09:12:05.000Z',
      customer: { email: 'ann@example.com', externalId: '7390112301' },
      data: { orderId: '5873458724907', currency: 'USD', amountMinor: 2000, reason: 'Bag arrived torn' },
    });
  });

  it('maps customers/create to profile_updated keyed by the Shopify customer id', () => {
    const { dedupeKey, touchpoint } = touchpointOf(adapt('customers-create.json', 'customers/create'));
    expect(dedupeKey).toBe('evt-customers/create');
    expect(touchpoint).toEqual({
      type: 'profile_updated',
      occurredAt: '2025-04-01T21:00:00.000Z',
      customer: { email: 'dee@example.org', externalId: '7390112304', firstName: 'Dee', lastName: 'Newman' },
      data: { firstName: 'Dee', lastName: 'Newman', accountState: 'disabled' },
    });
  });

  it('maps customers/update to profile_updated with the new name', () => {
    const { touchpoint } = touchpointOf(adapt('customers-update.json', 'customers/update'));
    expect(touchpoint).toMatchObject({
      type: 'profile_updated',
      occurredAt: '2025-03-22T20:45:10.000Z',
      customer: { ...ANN, lastName: 'Example-Smith' },
    });
  });

  it('keeps a customers/update that carries consent fields a profile update, since it cannot tell a change', () => {
    const payload = loadSample('customers-update.json');
    payload.email_marketing_consent = { state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: null };
    payload.sms_marketing_consent = { state: 'not_subscribed', opt_in_level: null, consent_updated_at: null };
    const { touchpoint } = touchpointOf(shopifyAdapter.adapt(payload, deliveryHeaders('customers/update')));
    expect(touchpoint.type).toBe('profile_updated');
    expect(touchpoint.data).toMatchObject({ emailMarketingConsent: 'subscribed', smsMarketingConsent: 'not_subscribed' });
  });

  it('maps an email marketing consent update to consent_changed granted on the email channel', () => {
    const { touchpoint } = touchpointOf(adapt('customers-email-marketing-consent-update.json', 'customers_email_marketing_consent/update'));
    expect(touchpoint).toEqual({
      type: 'consent_changed',
      occurredAt: '2025-03-14T14:25:00.000Z',
      customer: { email: 'ann@example.com', externalId: '7390112301' },
      data: { channel: 'email', granted: true },
    });
  });

  it('maps an SMS marketing consent update to consent_changed withdrawn on the sms channel', () => {
    const { touchpoint } = touchpointOf(adapt('customers-marketing-consent-update.json', 'customers_marketing_consent/update'));
    expect(touchpoint).toEqual({
      type: 'consent_changed',
      occurredAt: '2025-03-19T07:00:00.000Z',
      customer: { phone: '+14155550102', externalId: '7390112302' },
      data: { channel: 'sms', granted: false },
    });
  });

  it('ignores a consent state that is not a decision, such as pending double opt-in', () => {
    const payload = loadSample('customers-email-marketing-consent-update.json');
    payload.email_marketing_consent.state = 'pending';
    expect(shopifyAdapter.adapt(payload, deliveryHeaders('customers_email_marketing_consent/update')).kind).toBe('ignored');
  });

  it('dates a consent update without consent_updated_at by the delivery time', () => {
    const payload = loadSample('customers-email-marketing-consent-update.json');
    payload.email_marketing_consent.consent_updated_at = null;
    const { touchpoint } = touchpointOf(shopifyAdapter.adapt(payload, deliveryHeaders('customers_email_marketing_consent/update')));
    expect(touchpoint.occurredAt).toBe('2025-04-01T11:59:58.000Z');
  });

  it('ignores a known topic it does not map, such as orders/cancelled', () => {
    expect(adapt('unsupported-orders-cancelled.json', 'orders/cancelled')).toEqual({
      kind: 'ignored',
      eventType: 'orders/cancelled',
      reason: expect.stringContaining('not mapped'),
    });
  });
});

describe('shopify source: mapping rules', () => {
  const order = () => loadSample('orders-paid.json');
  const purchaseOf = (payload: unknown) => {
    const { touchpoint } = touchpointOf(shopifyAdapter.adapt(payload, deliveryHeaders('orders/paid')));
    if (touchpoint.type !== 'purchase') throw new Error('not a purchase');
    return touchpoint;
  };

  it('prefers product_type over vendor and falls back to uncategorized', () => {
    const payload = order();
    payload.line_items[0].product_type = 'Coffee beans';
    payload.line_items[1].vendor = null;
    expect(purchaseOf(payload).data.items.map((i) => i.category)).toEqual(['Coffee beans', 'uncategorized']);
  });

  it('takes the order id from admin_graphql_api_id, which survives ids beyond 2^53', () => {
    const payload = order();
    payload.id = 9007199254740992; // what JSON.parse makes of ...993
    payload.admin_graphql_api_id = 'gid://shopify/Order/9007199254740993';
    expect(purchaseOf(payload).data.orderId).toBe('9007199254740993');
  });

  it('maps total_discounts to discountMinor when above zero, and leaves it out at "0.00" or absent', () => {
    const payload = order();
    payload.total_discounts = '6.40';
    expect(purchaseOf(payload).data.discountMinor).toBe(640);
    const zero = order();
    expect(zero.total_discounts).toBe('0.00');
    expect('discountMinor' in purchaseOf(zero).data).toBe(false);
    const absent = order();
    delete absent.total_discounts;
    expect('discountMinor' in purchaseOf(absent).data).toBe(false);
  });

  it('rejects a negative or inexact total_discounts with a 422 naming the field', () => {
    for (const bad of ['-1.00', '1.005', 'ten']) {
      const payload = order();
      payload.total_discounts = bad;
      let error: unknown;
      try {
        shopifyAdapter.adapt(payload, deliveryHeaders('orders/paid'));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).status).toBe(422);
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['total_discounts']);
    }
  });

  it('identifies a guest checkout by the order email alone', () => {
    const payload = order();
    payload.customer = null;
    payload.phone = null;
    expect(purchaseOf(payload).customer).toEqual({ email: 'ann@example.com' });
  });

  it('uses X-Shopify-Webhook-Id when X-Shopify-Event-Id is absent', () => {
    const headers: Record<string, string | undefined> = deliveryHeaders('customers/create');
    delete headers['x-shopify-event-id'];
    expect(touchpointOf(shopifyAdapter.adapt(loadSample('customers-create.json'), headers)).dedupeKey).toBe('wh-customers/create');
  });

  it('rejects a delivery with neither an event id nor a webhook id', () => {
    const headers = { 'x-shopify-topic': 'customers/create' };
    expect(validationIssues(() => shopifyAdapter.adapt(loadSample('customers-create.json'), headers))).toEqual([
      'headers.x-shopify-event-id',
    ]);
  });

  it('rejects a delivery without a topic', () => {
    const headers = { 'x-shopify-event-id': 'evt-1' };
    expect(validationIssues(() => shopifyAdapter.adapt(order(), headers))).toEqual(['headers.x-shopify-topic']);
  });

  it('converts decimal strings to minor units exactly, honouring each currency exponent', () => {
    expect(decimalToMinor('19.99', 'USD')).toBe(1999);
    expect(decimalToMinor('0.1', 'EUR')).toBe(10);
    expect(decimalToMinor('1500', 'JPY')).toBe(1500);
    expect(decimalToMinor('1500.00', 'JPY')).toBe(1500);
    expect(decimalToMinor('1.234', 'KWD')).toBe(1234);
    expect(decimalToMinor('12.30', 'GBP')).toBe(1230);
  });

  it('refuses amounts it cannot convert exactly', () => {
    expect(() => decimalToMinor('1.005', 'USD')).toThrow(/more decimals/);
    expect(() => decimalToMinor('-1.00', 'USD')).toThrow(/non-negative/);
    expect(() => decimalToMinor('1e3', 'USD')).toThrow(/non-negative/);
    expect(() => decimalToMinor('99999999999999999', 'USD')).toThrow(/too large/);
  });

  it('is the adapter registered for the shopify source', () => {
    expect(ADAPTERS.shopify).toBe(shopifyAdapter);
  });
});

describe('shopify source: invalid payloads', () => {
  const INVALID = join(DIR, 'invalid');
  const expectedPath: Record<string, string> = {
    'missing-identity.json': 'email',
    'negative-amount.json': 'total_price',
    'bad-currency.json': 'currency',
    'bad-timestamp.json': 'created_at',
    'fractional-yen.json': 'line_items.0.price',
    'huge-order-id.json': 'id',
    'huge-quantity.json': 'line_items.0.quantity',
  };

  it('has an expected field path for every invalid sample', () => {
    expect(jsonFiles(INVALID)).toEqual(Object.keys(expectedPath).sort());
  });

  it.each(Object.entries(expectedPath))('rejects %s as orders/paid with a ValidationError at %s', (name, path) => {
    expect(validationIssues(() => adapt(name, 'orders/paid', INVALID))).toContain(path);
  });

  it('ships a malformed.txt that is not JSON at all (the caller answers it as a parse error)', () => {
    expect(() => JSON.parse(readSample('malformed.txt', INVALID))).toThrow(SyntaxError);
  });
});
