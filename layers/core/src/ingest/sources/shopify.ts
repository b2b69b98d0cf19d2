import { NameText, Text } from './fields.js';
import { z } from 'zod';
import { SignatureError } from '../../errors.js';
import { BOUNDS, Currency, PlausibleDateTime, Quantity, type CustomerRef, type LineItem } from '../../touchpoint.js';
import { assertEventId, fieldError, parsePayload, toTouchpoint } from './generic.js';
import { anyMatch, getHeader, hmacSha256Base64, requireHeader, usableSecrets } from './hmac.js';
import type { Adapted, Headers, SourceAdapter } from './types.js';

/*
 * Shopify webhooks (REST/JSON payloads). Signature: `X-Shopify-Hmac-Sha256` is the base64
 * HMAC-SHA256 of the raw body keyed with the app's client secret. Shopify signs no timestamp,
 * so redelivery is handled by the dedupe key, not by a replay window.
 *
 * Topics mapped:
 *   orders/create, orders/paid   -> purchase (dedupeKey `order:<id>`: both describe one purchase;
 *                                   `total_discounts`, when above zero, becomes discountMinor;
 *                                   orders/create of an order still awaiting payment, or voided,
 *                                   is ignored since orders/paid will follow if it is ever paid)
 *   refunds/create               -> refund. Shopify's Refund payload carries `order_id` and
 *                                   usually no customer: the refund goes to whoever placed the
 *                                   order (orders are indexed at ingest). A refund of an order
 *                                   Patron never saw is `ignored` (unattributable) rather than
 *                                   rejected (a 4xx would make Shopify retry and eventually drop
 *                                   the subscription)
 *   customers/create, customers/update     -> profile_updated
 *   customers_email_marketing_consent/update -> consent_changed (email)
 *   customers_marketing_consent/update       -> consent_changed (sms)
 *
 * Consent: a customers/update payload holds the current consent state but not the previous
 * one, so it cannot tell whether consent changed in this update; it stays profile_updated
 * (with the consent states in its data). The dedicated consent topics, which Shopify sends
 * exactly when consent changes (and which replace the consent fields in customer payloads from
 * API version 2025-01), are what become consent_changed.
 */

// ---------------------------------------------------------------------------------------------
// Money: Shopify sends decimal strings ("19.99"); canonical amounts are integer minor units.

/** ISO 4217 currencies whose minor unit is not 2 decimals (the rest are 2). */
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

export function minorUnitExponent(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

/**
 * Converts a non-negative decimal string to integer minor units with string/BigInt arithmetic
 * (no float ever touches the amount). Extra decimals are accepted only when they are zeros
 * ("1500.00" JPY is 1500; "1500.50" JPY is an error, not a silent rounding).
 */
export function decimalToMinor(amount: string, currency: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) throw new RangeError('must be a non-negative decimal amount such as "19.99"');
  const whole = m[1] ?? '0';
  const fraction = m[2] ?? '';
  const exponent = minorUnitExponent(currency);
  if (/[^0]/.test(fraction.slice(exponent))) {
    throw new RangeError(`has more decimals than ${currency} allows (${exponent})`);
  }
  const padded = fraction.slice(0, exponent).padEnd(exponent, '0');
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(padded || '0');
  if (minor > BigInt(BOUNDS.maxMinorUnits)) throw new RangeError(`is too large (at most ${BOUNDS.maxMinorUnits} minor units)`);
  return Number(minor);
}

function money(amount: string, currency: string, path: string): number {
  try {
    return decimalToMinor(amount, currency);
  } catch (e) {
    return fieldError(path, (e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// Payload schemas: only the fields used; everything else Shopify sends passes through.

/** Shopify ids are integers in JSON; strings of digits are accepted too. Kept as strings. */
/**
 * A JSON integer id. Not `.int()`: zod's int rejects values beyond 2^53, and ids that large do
 * occur (JSON.parse rounds them, consistently, so they still identify their object).
 */
const WholeNumber = z.number().nonnegative().refine(Number.isInteger, 'must be a whole number');
const Id = z
  .union(
    [
      WholeNumber,
      z.string().max(BOUNDS.maxIdLength, `must be at most ${BOUNDS.maxIdLength} characters`).regex(/^\d+$/, 'must be a numeric id'),
    ],
    {
      error: 'must be a numeric id',
    },
  )
  .transform(String);
/** A decimal amount string; long enough for any amount under the bound, short enough to parse cheaply. */
const Decimal = z.string().max(32, 'must be at most 32 characters');
/** `gid://shopify/Order/<id>`: its id is bounded like the numeric one. */
const Gid = z.string().max(BOUNDS.maxIdLength + 40, `must be at most ${BOUNDS.maxIdLength + 40} characters`);
const IsoDateTime = PlausibleDateTime;

/**
 * Ids above 2^53 lose precision in JSON.parse; `admin_graphql_api_id` ("gid://shopify/Order/123")
 * carries the same id as a string, so it wins when present.
 */
function preciseId(id: string, gid: string | undefined): string {
  const m = gid ? /\/(\d+)$/.exec(gid) : null;
  return m?.[1] ?? id;
}

const Consent = z.looseObject({
  state: z.string().min(1),
  opt_in_level: z.string().nullish(),
  consent_updated_at: IsoDateTime.nullish(),
});

const Customer = z.looseObject({
  id: Id,
  admin_graphql_api_id: Gid.optional(),
  email: Text,
  phone: Text,
  first_name: NameText,
  last_name: NameText,
  state: Text,
  created_at: IsoDateTime.nullish(),
  updated_at: IsoDateTime.nullish(),
  email_marketing_consent: Consent.nullish(),
  sms_marketing_consent: Consent.nullish(),
});
type Customer = z.output<typeof Customer>;

const OrderLineItem = z.looseObject({
  id: Id,
  product_id: Id.nullish(),
  variant_id: Id.nullish(),
  sku: NameText,
  title: NameText,
  name: NameText,
  vendor: NameText,
  /** Not part of Shopify's order line items today; honoured if an app or API version adds it. */
  product_type: NameText,
  quantity: Quantity,
  price: Decimal,
});

const Order = z.looseObject({
  id: Id,
  admin_graphql_api_id: Gid.optional(),
  email: Text,
  contact_email: Text,
  phone: Text,
  customer: Customer.nullish(),
  created_at: IsoDateTime,
  processed_at: IsoDateTime.nullish(),
  currency: Currency,
  total_price: Decimal,
  /** The order's discounts (codes, automatic, manual) in the shop currency; "0.00" when none. */
  total_discounts: Decimal.nullish(),
  financial_status: Text,
  line_items: z
    .array(OrderLineItem)
    .min(1, 'an order needs at least one line item')
    .max(BOUNDS.maxItems, `an order may have at most ${BOUNDS.maxItems} line items`),
});

const RefundTransaction = z.looseObject({
  kind: z.string(),
  status: Text,
  amount: Decimal,
  currency: Currency,
});

const Refund = z.looseObject({
  id: Id,
  order_id: Id,
  created_at: IsoDateTime,
  processed_at: IsoDateTime.nullish(),
  note: Text,
  transactions: z.array(RefundTransaction).max(BOUNDS.maxItems, `must have at most ${BOUNDS.maxItems} transactions`).default([]),
  /** Not in Shopify's Refund payload; present only if an upstream enriches the delivery. */
  email: Text,
  customer: Customer.nullish(),
});

const EmailConsentUpdate = z.looseObject({
  customer_id: Id,
  email_address: Text,
  email_marketing_consent: Consent,
});

const SmsConsentUpdate = z.looseObject({
  id: Id,
  phone: Text,
  sms_marketing_consent: Consent,
});

// ---------------------------------------------------------------------------------------------

/** The reference without its undefined fields. */
const compact = (ref: CustomerRef): CustomerRef =>
  Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined)) as CustomerRef;

function customerRef(c: Customer | null | undefined, extra: Partial<CustomerRef> = {}): CustomerRef {
  return compact({
    email: extra.email ?? c?.email,
    phone: extra.phone ?? c?.phone,
    externalId: c ? preciseId(c.id, c.admin_graphql_api_id) : undefined,
    firstName: c?.first_name,
    lastName: c?.last_name,
  });
}

const hasIdentity = (c: CustomerRef) => Boolean(c.email || c.phone || c.externalId);

/** Consent states that are a decision; `pending`, `invalid`, `redacted` are not. */
const CONSENT_GRANTED: Record<string, boolean> = {
  subscribed: true,
  unsubscribed: false,
  not_subscribed: false,
};

const UNPAID = new Set(['pending', 'voided']);

function adaptOrder(topic: string, payload: unknown): Adapted {
  const order = parsePayload(Order, payload, 'Shopify order');
  if (topic === 'orders/create' && order.financial_status && UNPAID.has(order.financial_status)) {
    return {
      kind: 'ignored',
      eventType: topic,
      reason: `order is ${order.financial_status}; it counts as a purchase once orders/paid arrives`,
    };
  }
  const customer = customerRef(order.customer, {
    email: order.email ?? order.contact_email,
    phone: order.phone,
  });
  if (!hasIdentity(customer)) fieldError('email', 'order names no customer (email, phone or customer.id)');
  const orderId = preciseId(order.id, order.admin_graphql_api_id);
  const items: LineItem[] = order.line_items.map((li, i) => ({
    sku: li.sku ?? (li.variant_id ? `variant:${li.variant_id}` : `line_item:${li.id}`),
    productId: li.product_id ?? undefined,
    name: li.title ?? li.name,
    // Order line items carry `vendor` but no product type (that lives on the product).
    category: li.product_type ?? li.vendor ?? 'uncategorized',
    quantity: li.quantity,
    unitPriceMinor: money(li.price, order.currency, `line_items.${i}.price`),
  }));
  const discountMinor = order.total_discounts ? money(order.total_discounts, order.currency, 'total_discounts') : 0;
  const touchpoint = toTouchpoint(
    {
      type: 'purchase',
      occurredAt: order.processed_at ?? order.created_at,
      customer,
      data: {
        orderId,
        currency: order.currency,
        totalMinor: money(order.total_price, order.currency, 'total_price'),
        discountMinor: discountMinor > 0 ? discountMinor : undefined,
        items,
      },
    },
    'touchpoint',
  );
  return { kind: 'touchpoint', eventType: topic, dedupeKey: `order:${orderId}`, touchpoint, indexOrderId: String(orderId) };
}

function adaptRefund(topic: string, payload: unknown, eventId: string): Adapted {
  const refund = parsePayload(Refund, payload, 'Shopify refund');
  // Money actually returned: successful refund transactions (failed attempts are listed too).
  const refunded = refund.transactions
    .map((t, index) => ({ ...t, index }))
    .filter((t) => t.kind === 'refund' && (t.status === undefined || t.status === 'success'));
  const currency = refunded[0]?.currency;
  if (refunded.some((t) => t.currency !== currency)) {
    fieldError('transactions', 'refund transactions use more than one currency');
  }
  const amountMinor = refunded.reduce((sum, t) => sum + money(t.amount, t.currency, `transactions.${t.index}.amount`), 0);
  if (!currency || amountMinor === 0) {
    return { kind: 'ignored', eventType: topic, reason: 'refund moved no money (restock or adjustment only)' };
  }
  const customer = customerRef(refund.customer, { email: refund.email });
  const named = hasIdentity(customer);
  const touchpoint = toTouchpoint(
    {
      type: 'refund',
      occurredAt: refund.processed_at ?? refund.created_at,
      // Validated with a stand-in identity, then emptied: the order's customer is looked up at ingest.
      customer: named ? customer : { externalId: 'order-owner' },
      data: { orderId: String(refund.order_id), currency, amountMinor, reason: refund.note },
    },
    'touchpoint',
  );
  if (named) return { kind: 'touchpoint', eventType: topic, dedupeKey: eventId, touchpoint };
  return {
    kind: 'order-touchpoint',
    eventType: topic,
    dedupeKey: eventId,
    orderId: String(refund.order_id),
    touchpoint: { ...touchpoint, customer: {} },
  };
}

function adaptCustomer(topic: string, payload: unknown, eventId: string): Adapted {
  const c = parsePayload(Customer, payload, 'Shopify customer');
  const occurredAt = c.updated_at ?? c.created_at;
  if (!occurredAt) fieldError('updated_at', 'is required');
  const data = Object.fromEntries(
    Object.entries({
      firstName: c.first_name,
      lastName: c.last_name,
      accountState: c.state,
      emailMarketingConsent: c.email_marketing_consent?.state,
      smsMarketingConsent: c.sms_marketing_consent?.state,
    }).filter(([, v]) => v !== undefined),
  );
  const touchpoint = toTouchpoint({ type: 'profile_updated', occurredAt, customer: customerRef(c), data }, 'touchpoint');
  return { kind: 'touchpoint', eventType: topic, dedupeKey: eventId, touchpoint };
}

interface ConsentDelivery {
  channel: 'email' | 'sms';
  consent: z.output<typeof Consent>;
  /** Where the consent object sits in the payload, for error paths. */
  consentPath: string;
  customer: CustomerRef;
}

function adaptConsent(topic: string, eventId: string, headers: Headers, d: ConsentDelivery): Adapted {
  const granted = CONSENT_GRANTED[d.consent.state];
  if (granted === undefined) {
    return { kind: 'ignored', eventType: topic, reason: `consent state ${d.consent.state} is not a decision` };
  }
  // consent_updated_at is null for customers who never gave an answer; the delivery time is
  // then the best statement of when the state was recorded.
  const occurredAt = d.consent.consent_updated_at ?? getHeader(headers, 'x-shopify-triggered-at');
  if (!occurredAt) fieldError(`${d.consentPath}.consent_updated_at`, 'is required');
  const touchpoint = toTouchpoint(
    { type: 'consent_changed', occurredAt, customer: d.customer, data: { channel: d.channel, granted } },
    'touchpoint',
  );
  return { kind: 'touchpoint', eventType: topic, dedupeKey: eventId, touchpoint };
}

/**
 * Best-effort topic for a body, used only by `sign` (demo, benchmark, tests) since the adapter
 * interface does not pass the topic; callers that know it should set `x-shopify-topic` themselves.
 */
export function inferShopifyTopic(rawBody: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const o = body as Record<string, unknown>;
  if ('refund_line_items' in o || ('order_id' in o && 'transactions' in o)) return 'refunds/create';
  if ('customer_id' in o && 'email_marketing_consent' in o) {
    return 'customers_email_marketing_consent/update';
  }
  if ('sms_marketing_consent' in o && !('created_at' in o)) return 'customers_marketing_consent/update';
  if ('line_items' in o) {
    if (o.cancelled_at) return 'orders/cancelled';
    return o.financial_status === 'paid' ? 'orders/paid' : 'orders/create';
  }
  if ('first_name' in o || 'addresses' in o) {
    return o.created_at && o.created_at === o.updated_at ? 'customers/create' : 'customers/update';
  }
  return undefined;
}

export const shopifyAdapter: SourceAdapter = {
  name: 'shopify',

  verify(rawBody: string, headers: Headers, secrets: readonly string[]): void {
    const keys = usableSecrets(secrets, 'shopify');
    const signature = requireHeader(headers, 'x-shopify-hmac-sha256');
    if (
      !anyMatch(
        keys.map((k) => hmacSha256Base64(k, rawBody)),
        [signature],
      )
    ) {
      throw new SignatureError('Shopify HMAC does not match');
    }
  },

  adapt(payload: unknown, headers: Headers): Adapted {
    const topic = getHeader(headers, 'x-shopify-topic')?.trim().toLowerCase();
    if (!topic) fieldError('headers.x-shopify-topic', 'is required');
    const eventId = getHeader(headers, 'x-shopify-event-id')?.trim() || getHeader(headers, 'x-shopify-webhook-id')?.trim();
    if (!eventId) fieldError('headers.x-shopify-event-id', 'is required (or x-shopify-webhook-id)');
    assertEventId(eventId, 'headers.x-shopify-event-id');

    switch (topic) {
      case 'orders/create':
      case 'orders/paid':
        return adaptOrder(topic, payload);
      case 'refunds/create':
        return adaptRefund(topic, payload, eventId);
      case 'customers/create':
      case 'customers/update':
        return adaptCustomer(topic, payload, eventId);
      case 'customers_email_marketing_consent/update': {
        const p = parsePayload(EmailConsentUpdate, payload, 'Shopify email consent');
        return adaptConsent(topic, eventId, headers, {
          channel: 'email',
          consent: p.email_marketing_consent,
          consentPath: 'email_marketing_consent',
          customer: compact({ email: p.email_address, externalId: p.customer_id }),
        });
      }
      case 'customers_marketing_consent/update': {
        const p = parsePayload(SmsConsentUpdate, payload, 'Shopify SMS consent');
        return adaptConsent(topic, eventId, headers, {
          channel: 'sms',
          consent: p.sms_marketing_consent,
          consentPath: 'sms_marketing_consent',
          customer: compact({ phone: p.phone, externalId: p.id }),
        });
      }
      default:
        return { kind: 'ignored', eventType: topic, reason: `topic ${topic} is not mapped` };
    }
  },

  sign(rawBody: string, secret: string, now: Date, eventId: string): Headers {
    const topic = inferShopifyTopic(rawBody);
    return {
      'x-shopify-hmac-sha256': hmacSha256Base64(secret, rawBody),
      ...(topic ? { 'x-shopify-topic': topic } : {}),
      'x-shopify-event-id': eventId,
      'x-shopify-webhook-id': eventId,
      'x-shopify-triggered-at': now.toISOString(),
      'x-shopify-shop-domain': 'patron-demo.myshopify.com',
      'x-shopify-api-version': '2025-01',
    };
  },
};
