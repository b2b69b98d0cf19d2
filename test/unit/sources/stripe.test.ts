import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Stripe from 'stripe';
import { ConfigError, SignatureError, ValidationError } from '../../../layers/core/src/errors.js';
import { ADAPTERS, stripeAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import type { Adapted } from '../../../layers/core/src/ingest/sources/types.js';
import type { Touchpoint } from '../../../layers/core/src/touchpoint.js';

const DIR = join(process.cwd(), 'events', 'stripe');
const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
const readSample = (name: string, dir = DIR) => readFileSync(join(dir, name), 'utf8');
const loadSample = (name: string, dir = DIR): Record<string, any> => JSON.parse(readSample(name, dir));

const SECRET = 'whsec_patronStripeTestSecret0001';
const OTHER = 'whsec_patronStripeOldSecret9999';
const NOW = new Date('2025-04-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const BODY = readSample('charge-succeeded.json');

/** Independent signer: the Stripe SDK's own test header generator. */
const stripeHeader = (payload: string, secret = SECRET, timestamp = NOW_S) => ({
  'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }),
});

function touchpointOf(result: Adapted): { dedupeKey: string; eventType: string; touchpoint: Touchpoint } {
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

const ANN = { email: 'ann@example.com', phone: '+14155550101', externalId: 'cus_PtrnAnnExample1' };

describe('stripe source: Stripe-Signature', () => {
  it('accepts a delivery signed by the Stripe SDK', () => {
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY), [SECRET], NOW)).not.toThrow();
  });

  it('accepts a delivery signed with the second of two configured secrets', () => {
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY), [OTHER, SECRET], NOW)).not.toThrow();
  });

  it('accepts a header carrying two v1 signatures while Stripe rolls the endpoint secret', () => {
    const old = stripeHeader(BODY, OTHER)['stripe-signature'];
    const current = stripeHeader(BODY, SECRET)['stripe-signature'];
    const combined = `${old},v1=${current.split('v1=')[1]}`;
    expect(combined.match(/v1=/g)).toHaveLength(2);
    expect(() => stripeAdapter.verify(BODY, { 'stripe-signature': combined }, [SECRET], NOW)).not.toThrow();
  });

  it('finds the header in the capitalisation Stripe documents', () => {
    const headers = { 'Stripe-Signature': stripeHeader(BODY)['stripe-signature'] };
    expect(() => stripeAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
  });

  it('rejects a delivery signed with another secret', () => {
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY, OTHER), [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a body changed after signing', () => {
    const tampered = BODY.replace('"amount": 4999', '"amount": 1');
    expect(tampered).not.toBe(BODY);
    expect(() => stripeAdapter.verify(tampered, stripeHeader(BODY), [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a signature moved onto another timestamp', () => {
    const header = stripeHeader(BODY)['stripe-signature'].replace(`t=${NOW_S}`, `t=${NOW_S - 1}`);
    expect(() => stripeAdapter.verify(BODY, { 'stripe-signature': header }, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a delivery without the Stripe-Signature header', () => {
    expect(() => stripeAdapter.verify(BODY, {}, [SECRET], NOW)).toThrow(/missing stripe-signature/);
  });

  it('rejects a header without a timestamp or without a v1 signature', () => {
    const header = stripeHeader(BODY)['stripe-signature'];
    const noTimestamp = header.replace(/^t=\d+,/, '');
    const noV1 = header.replace('v1=', 'v0=');
    expect(() => stripeAdapter.verify(BODY, { 'stripe-signature': noTimestamp }, [SECRET], NOW)).toThrow(/no timestamp/);
    expect(() => stripeAdapter.verify(BODY, { 'stripe-signature': noV1 }, [SECRET], NOW)).toThrow(/no v1/);
  });

  it('accepts a timestamp 299 seconds old and rejects one 301 seconds old', () => {
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY, SECRET, NOW_S - 299), [SECRET], NOW)).not.toThrow();
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY, SECRET, NOW_S - 301), [SECRET], NOW)).toThrow(/too old/);
  });

  it('rejects a timestamp more than 300 seconds in the future', () => {
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY, SECRET, NOW_S + 301), [SECRET], NOW)).toThrow(/in the future/);
  });

  it('refuses to verify when no secret is configured', () => {
    expect(() => stripeAdapter.verify(BODY, stripeHeader(BODY), [], NOW)).toThrow(ConfigError);
  });

  it('signs deliveries that its verifier and the Stripe SDK both accept', () => {
    const now = new Date();
    const headers = stripeAdapter.sign(BODY, SECRET, now, 'evt_ignored_for_stripe');
    expect(() => stripeAdapter.verify(BODY, headers, [SECRET], now)).not.toThrow();
    const event = Stripe.webhooks.constructEvent(BODY, headers['stripe-signature'] as string, SECRET);
    expect(event.id).toBe('evt_3PtrnAnnCharge0001');
    expect(() => stripeAdapter.verify(BODY, headers, [OTHER], now)).toThrow(SignatureError);
  });
});

describe('stripe source: sample events', () => {
  const adaptSample = (name: string) => stripeAdapter.adapt(loadSample(name), {});

  it('covers every sample in events/stripe', () => {
    expect(jsonFiles(DIR)).toEqual([
      'charge-refunded.json',
      'charge-succeeded.json',
      'customer-subscription-created.json',
      'customer-subscription-deleted.json',
      'invoice-payment-failed.json',
      'unsupported-customer-created.json',
    ]);
  });

  it('maps charge.succeeded to a purchase of one line item built from the metadata', () => {
    expect(touchpointOf(adaptSample('charge-succeeded.json'))).toEqual({
      kind: 'touchpoint',
      eventType: 'charge.succeeded',
      dedupeKey: 'evt_3PtrnAnnCharge0001',
      touchpoint: {
        type: 'purchase',
        occurredAt: '2025-03-14T15:51:33.000Z',
        customer: ANN,
        data: {
          orderId: 'ch_3PtrnAnnCharge0001',
          currency: 'USD',
          totalMinor: 4999,
          items: [
            {
              sku: 'GRND-CARE-12',
              productId: 'prod_PtrnGrinderCare',
              name: 'Burr grinder care plan (12 months)',
              category: 'coffee-equipment',
              quantity: 1,
              unitPriceMinor: 4999,
            },
          ],
        },
      },
    });
  });

  it('falls back to sku and category "payment" when the charge has no metadata', () => {
    const payload = loadSample('charge-succeeded.json');
    payload.data.object.metadata = {};
    const { touchpoint } = touchpointOf(stripeAdapter.adapt(payload, {}));
    expect(touchpoint).toMatchObject({ data: { items: [{ sku: 'payment', category: 'payment', quantity: 1 }] } });
  });

  it('identifies a guest charge by its receipt email alone', () => {
    const payload = loadSample('charge-succeeded.json');
    payload.data.object.customer = null;
    payload.data.object.billing_details = { email: null, phone: null };
    expect(touchpointOf(stripeAdapter.adapt(payload, {})).touchpoint.customer).toEqual({ email: 'ann@example.com' });
  });

  it('maps charge.refunded to a refund of only this event’s increment of amount_refunded', () => {
    expect(touchpointOf(adaptSample('charge-refunded.json'))).toEqual({
      kind: 'touchpoint',
      eventType: 'charge.refunded',
      dedupeKey: 'evt_3PtrnAnnRefund0001',
      touchpoint: {
        type: 'refund',
        occurredAt: '2025-03-20T09:12:06.000Z',
        customer: ANN,
        data: { orderId: 'ch_3PtrnAnnCharge0001', currency: 'USD', amountMinor: 2000 },
      },
    });
  });

  it('refunds the whole amount_refunded when the event has no previous_attributes', () => {
    const payload = loadSample('charge-refunded.json');
    delete payload.data.previous_attributes;
    const { touchpoint } = touchpointOf(stripeAdapter.adapt(payload, {}));
    expect(touchpoint).toMatchObject({ type: 'refund', data: { amountMinor: 3000 } });
  });

  it('ignores a charge.refunded that did not increase amount_refunded', () => {
    const payload = loadSample('charge-refunded.json');
    payload.data.previous_attributes.amount_refunded = 3000;
    expect(stripeAdapter.adapt(payload, {}).kind).toBe('ignored');
  });

  it('maps customer.subscription.created to subscription_started priced per quantity', () => {
    expect(touchpointOf(adaptSample('customer-subscription-created.json')).touchpoint).toEqual({
      type: 'subscription_started',
      occurredAt: '2025-04-02T07:30:00.000Z',
      customer: { externalId: 'cus_PtrnAnnExample1' },
      data: {
        subscriptionId: 'sub_1PtrnAnnBeanClub',
        productId: 'prod_PtrnBeanClub',
        plan: 'Bean Club Monthly',
        currency: 'USD',
        amountMinor: 3600,
      },
    });
  });

  it('names the plan by its price id when the price has no nickname', () => {
    const payload = loadSample('customer-subscription-created.json');
    payload.data.object.items.data[0].price.nickname = null;
    expect(touchpointOf(stripeAdapter.adapt(payload, {})).touchpoint).toMatchObject({
      data: { plan: 'price_1PtrnBeanClubMonthly' },
    });
  });

  it('maps customer.subscription.deleted to subscription_cancelled with the customer’s feedback', () => {
    expect(touchpointOf(adaptSample('customer-subscription-deleted.json'))).toMatchObject({
      dedupeKey: 'evt_1PtrnBobSubDeleted',
      touchpoint: {
        type: 'subscription_cancelled',
        occurredAt: '2025-04-30T23:59:59.000Z',
        customer: { externalId: 'cus_PtrnBobSample02' },
        data: { subscriptionId: 'sub_1PtrnBobBeanClub', productId: 'prod_PtrnBeanClub', reason: 'too_expensive' },
      },
    });
  });

  it('maps invoice.payment_failed to payment_failed for the amount due', () => {
    expect(touchpointOf(adaptSample('invoice-payment-failed.json')).touchpoint).toEqual({
      type: 'payment_failed',
      occurredAt: '2025-04-01T07:30:00.000Z',
      customer: { email: 'bob@example.org', externalId: 'cus_PtrnBobSample02' },
      data: { invoiceId: 'in_1PtrnBobBeanClub02', currency: 'USD', amountMinor: 19000 },
    });
  });

  it('ignores a known event type it does not map, such as customer.created', () => {
    expect(adaptSample('unsupported-customer-created.json')).toEqual({
      kind: 'ignored',
      eventType: 'customer.created',
      reason: expect.stringContaining('not mapped'),
    });
  });

  it('rejects a subscription event that names no customer', () => {
    const payload = loadSample('customer-subscription-created.json');
    delete payload.data.object.customer;
    expect(validationIssues(() => stripeAdapter.adapt(payload, {}))).toContain('data.object.customer');
  });

  it('rejects a payload that is not an event envelope', () => {
    expect(validationIssues(() => stripeAdapter.adapt({ object: 'event' }, {}))).toEqual(['id', 'type']);
  });

  it('is the adapter registered for the stripe source', () => {
    expect(ADAPTERS.stripe).toBe(stripeAdapter);
  });
});

describe('stripe source: invalid payloads', () => {
  const INVALID = join(DIR, 'invalid');
  const expectedPath: Record<string, string> = {
    'missing-identity.json': 'data.object.billing_details.email',
    'negative-amount.json': 'data.object.amount',
    'bad-currency.json': 'data.object.currency',
    'bad-timestamp.json': 'data.object.created',
    'unsafe-amount.json': 'data.object.amount',
    'implausible-created.json': 'data.object.created',
  };

  it('has an expected field path for every invalid sample', () => {
    expect(jsonFiles(INVALID)).toEqual(Object.keys(expectedPath).sort());
  });

  it.each(Object.entries(expectedPath))('rejects %s with a ValidationError at %s', (name, path) => {
    expect(validationIssues(() => stripeAdapter.adapt(loadSample(name, INVALID), {}))).toContain(path);
  });

  it('ships a malformed.txt that is not JSON at all (the caller answers it as a parse error)', () => {
    expect(() => JSON.parse(readSample('malformed.txt', INVALID))).toThrow(SyntaxError);
  });
});
