/**
 * Turns the population's events into webhook deliveries, each rendered the way its provider
 * sends it (the shapes of events/<source>/*.json): purchases as Shopify orders/paid or Stripe
 * charge.succeeded, refunds where the purchase was paid, subscriptions and payment failures
 * from Stripe, tickets, ratings and the requester's user.created from Zendesk, and marketing,
 * web and consent events through the generic source (Patron's canonical schema). A customer
 * carries the same email and the same provider ids everywhere, so identity resolution can put
 * them back together.
 *
 * Bodies are rendered once; signatures are made at send time (`signDelivery`), since Stripe,
 * Zendesk and Standard Webhooks refuse timestamps more than 5 minutes old.
 */
import { ENV } from '../../layers/core/src/config.js';
import { ADAPTERS } from '../../layers/core/src/ingest/sources/index.js';
import { SATISFACTION_TRIGGER_TYPE } from '../../layers/core/src/ingest/sources/zendesk.js';
import { SOURCES, type SourceName, type Touchpoint, type TouchpointType } from '../../layers/core/src/touchpoint.js';
import { BY_SKU, CURRENCY, type Product } from './catalog.js';
import { allEvents, type DemoCustomer, type DemoEvent, type Population } from './population.js';
import { Rng } from './random.js';

export interface DeliveryExpectation {
  /** What the endpoint should make of it: the touchpoint type stored, or `ignored`. */
  type: TouchpointType | 'ignored';
  customerKey: string;
}

/** A rendered delivery waiting for its signature. */
export interface PendingDelivery {
  source: SourceName;
  path: string;
  /** The provider's event id (Stripe `evt_`, Shopify event id, Zendesk event, `webhook-id`). */
  eventId: string;
  /** The provider's event type or topic (`orders/paid`, `charge.refunded`, ...). */
  eventType: string;
  body: string;
  /** Headers that are not part of the signature (topic, user agent). */
  headers: Record<string, string>;
  expect: DeliveryExpectation;
  /** The canonical touchpoint the adapter should read back from the body. */
  touchpoint: Touchpoint;
}

export interface Delivery {
  source: SourceName;
  path: string;
  eventId: string;
  headers: Record<string, string>;
  body: string;
  expect: DeliveryExpectation;
}

export interface DeliveryOptions {
  /**
   * Shopify's refunds/create payload names the order but not the customer. `plain` (default)
   * sends that exact shape, which Patron attributes through its order index; `enriched` adds
   * `email` and `customer` as a Flow or middleware forwarding it might.
   */
  shopifyRefunds?: 'enriched' | 'plain';
}

export type WebhookSecrets = Record<SourceName, string>;

/** The signing secret per source: the first of each comma-separated env value. */
export function webhookSecretsFrom(env: Record<string, string | undefined>): WebhookSecrets {
  const out = {} as WebhookSecrets;
  for (const source of SOURCES) {
    const name = ENV.webhookSecret[source];
    const first = env[name]
      ?.split(',')
      .map((s) => s.trim())
      .find(Boolean);
    if (!first) throw new Error(`${name} is not set: the demo cannot sign ${source} deliveries`);
    out[source] = first;
  }
  return out;
}

/** Adds the provider's signature headers, stamped `now`. Call right before sending. */
export function signDelivery(d: PendingDelivery, secrets: WebhookSecrets, now: Date = new Date()): Delivery {
  const signed = ADAPTERS[d.source].sign(d.body, secrets[d.source], now, d.eventId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [k, v] of Object.entries(signed)) if (v !== undefined) headers[k] = v;
  Object.assign(headers, d.headers);
  return { source: d.source, path: d.path, eventId: d.eventId, headers, body: d.body, expect: d.expect };
}

/**
 * Renders the deliveries lazily, oldest event first: the default population's bodies weigh
 * nearly 60 MB together (Shopify orders are big), so the sender pulls them one at a time. The
 * sequence is deterministic for a given population.
 */
export function* renderDeliveries(population: Population, options: DeliveryOptions = {}): Generator<PendingDelivery> {
  const renderer = new Renderer(population, options);
  for (const e of allEvents(population)) yield renderer.render(e);
}

/** All deliveries at once (tests, small populations). */
export function buildDeliveries(population: Population, options: DeliveryOptions = {}): PendingDelivery[] {
  return [...renderDeliveries(population, options)];
}

// ---------------------------------------------------------------------------------------------

const SHOP_DOMAIN = 'patron-demo.myshopify.com';
const STRIPE_API_VERSION = '2024-06-20';
const ZENDESK_ACCOUNT = 10000001;
const ZENDESK_AGENTS = ['360099887766', '360099887767', '360099887768', '360099887769'];
const VAT_RATE = 0.19;

const COUNTRY_NAMES: Record<string, string> = {
  DE: 'Germany',
  NL: 'Netherlands',
  AT: 'Austria',
  BE: 'Belgium',
  FR: 'France',
  IE: 'Ireland',
  DK: 'Denmark',
  IT: 'Italy',
  ES: 'Spain',
  PT: 'Portugal',
  CH: 'Switzerland',
};

/** "12.90" from 1290: Shopify's decimal strings, without floating point. */
export const decimal = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

const money = (minor: number) => {
  const m = { amount: decimal(minor), currency_code: CURRENCY };
  return { shop_money: m, presentment_money: m };
};

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** Last Sunday of a month, 01:00 UTC: when EU summer time starts (March) and ends (October). */
function euSwitch(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, lastDay.getUTCDate() - lastDay.getUTCDay(), 1);
}

/** The shop's local time (Europe/Berlin) with its offset, as Shopify writes timestamps. */
export function shopTime(ms: number): string {
  const year = new Date(ms).getUTCFullYear();
  const summer = ms >= euSwitch(year, 2) && ms < euSwitch(year, 9);
  const offset = summer ? 2 : 1;
  const local = new Date(ms + offset * 3_600_000).toISOString().slice(0, 19);
  return `${local}+0${offset}:00`;
}

/** Zendesk's seconds-precision UTC (`2025-03-19T14:02:11Z`). */
const zendeskSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

interface ShopifyOrderRef {
  orderId: string;
  lineItemIds: Map<string, string>;
  lineItems: unknown[];
  transactionId: string;
  customer: Record<string, unknown>;
}

interface Card {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  paymentMethod: string;
}

class Renderer {
  private readonly rng: Rng;
  private readonly customers: Map<string, DemoCustomer>;
  private readonly firstSeen = new Map<string, number>();
  private readonly shopifyOrders = new Map<string, ShopifyOrderRef>();
  private readonly charges = new Map<string, Record<string, unknown>>();
  private readonly subscriptions = new Map<string, Record<string, unknown>>();
  private readonly tickets = new Map<string, Record<string, unknown>>();
  private readonly cards = new Map<string, Card>();
  private orderNumber = 1000;
  private invoiceNumber = 0;

  constructor(
    population: Population,
    private readonly options: DeliveryOptions,
  ) {
    // Event ids differ per asOf: a rerun against a persisted store on another day sends new
    // events, while a rerun with the same seed and asOf is all duplicates.
    this.rng = new Rng(population.seed, `deliveries:${population.asOf.toISOString()}`);
    this.customers = new Map(population.customers.map((c) => [c.key, c]));
    for (const c of population.customers) {
      const first = c.events[0];
      if (first) this.firstSeen.set(c.key, Date.parse(first.touchpoint.occurredAt));
    }
  }

  render(e: DemoEvent): PendingDelivery {
    const c = this.customers.get(e.customerKey);
    if (!c) throw new Error(`event for unknown customer ${e.customerKey}`);
    switch (e.source) {
      case 'generic':
        return this.generic(c, e);
      case 'shopify':
        return this.shopify(c, e);
      case 'stripe':
        return this.stripe(c, e);
      case 'zendesk':
        return this.zendesk(c, e);
    }
  }

  private pending(
    source: SourceName,
    e: DemoEvent,
    eventId: string,
    eventType: string,
    body: unknown,
    headers: Record<string, string>,
    ignored = false,
  ): PendingDelivery {
    return {
      source,
      path: `/webhooks/${source}`,
      eventId,
      eventType,
      body: JSON.stringify(body),
      headers,
      expect: { type: ignored ? 'ignored' : e.touchpoint.type, customerKey: e.customerKey },
      touchpoint: e.touchpoint,
    };
  }

  private uuid(): string {
    const h = this.rng.chars(32, '0123456789abcdef');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[this.rng.int(0, 3)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  private numericId(prefix: string, digits: number): string {
    return prefix + this.rng.chars(digits, '0123456789');
  }

  // ---- generic (Standard Webhooks, canonical body) -----------------------------------------

  private generic(_c: DemoCustomer, e: DemoEvent): PendingDelivery {
    const tp = e.touchpoint;
    const body = { type: tp.type, occurredAt: tp.occurredAt, customer: tp.customer, data: tp.data };
    return this.pending('generic', e, `msg_${this.rng.chars(27)}`, tp.type, body, { 'user-agent': 'Patron-Demo/1.0' });
  }

  // ---- Shopify -----------------------------------------------------------------------------

  private address(c: DemoCustomer) {
    return {
      first_name: c.firstName,
      last_name: c.lastName,
      company: null,
      address1: c.address1,
      address2: null,
      city: c.city,
      province: null,
      country: COUNTRY_NAMES[c.country] ?? c.country,
      zip: c.zip,
      phone: c.phone ?? null,
      name: `${c.firstName} ${c.lastName}`,
      province_code: null,
      country_code: c.country,
      latitude: null,
      longitude: null,
    };
  }

  private shopifyCustomer(c: DemoCustomer, at: number) {
    const created = this.firstSeen.get(c.key) ?? at;
    return {
      id: Number(c.ids.shopify),
      email: c.email,
      created_at: shopTime(created),
      updated_at: shopTime(at),
      first_name: c.firstName,
      last_name: c.lastName,
      state: 'enabled',
      note: null,
      verified_email: true,
      multipass_identifier: null,
      tax_exempt: false,
      phone: c.phone ?? null,
      currency: CURRENCY,
      tax_exemptions: [],
      admin_graphql_api_id: `gid://shopify/Customer/${c.ids.shopify}`,
      default_address: {
        ...this.address(c),
        id: Number(`91${c.ids.shopify.slice(2, 12)}`),
        customer_id: Number(c.ids.shopify),
        default: true,
      },
    };
  }

  private shopify(c: DemoCustomer, e: DemoEvent): PendingDelivery {
    const eventId = this.uuid();
    const headers = { 'user-agent': 'Shopify-Captain-Hook' };
    const tp = e.touchpoint;
    if (tp.type === 'purchase') {
      const body = this.shopifyOrder(c, e, tp);
      return this.pending('shopify', e, eventId, 'orders/paid', body, { ...headers, 'x-shopify-topic': 'orders/paid' });
    }
    if (tp.type === 'refund') {
      const plain = (this.options.shopifyRefunds ?? 'plain') === 'plain';
      const body = this.shopifyRefund(c, e, tp, plain);
      return this.pending('shopify', e, eventId, 'refunds/create', body, { ...headers, 'x-shopify-topic': 'refunds/create' });
    }
    throw new Error(`no Shopify rendering for ${tp.type}`);
  }

  private shopifyOrder(c: DemoCustomer, e: DemoEvent, tp: Extract<Touchpoint, { type: 'purchase' }>) {
    const at = Date.parse(tp.occurredAt);
    const { shippingMinor = 0, discountMinor = 0, discountCode } = e.meta;
    const orderId = tp.data.orderId;
    const number = ++this.orderNumber;
    const subtotal = tp.data.items.reduce((s, i) => s + i.unitPriceMinor * i.quantity, 0);
    const total = tp.data.totalMinor;
    const tax = Math.round(total - total / (1 + VAT_RATE));
    const lineItemIds = new Map<string, string>();
    // The order discount is spread over the lines in proportion to their price.
    let discountLeft = discountMinor;
    const lineItems = tp.data.items.map((item, i) => {
      const product = BY_SKU.get(item.sku) as Product;
      const id = this.numericId('143', 11);
      lineItemIds.set(item.sku, id);
      const lineTotal = item.unitPriceMinor * item.quantity;
      const lineDiscount = i === tp.data.items.length - 1 ? discountLeft : Math.round((discountMinor * lineTotal) / Math.max(1, subtotal));
      discountLeft -= lineDiscount;
      return {
        id: Number(id),
        admin_graphql_api_id: `gid://shopify/LineItem/${id}`,
        attributed_staffs: [],
        current_quantity: item.quantity,
        fulfillable_quantity: item.quantity,
        fulfillment_service: 'manual',
        fulfillment_status: null,
        gift_card: false,
        grams: 400,
        name: item.name,
        price: decimal(item.unitPriceMinor),
        price_set: money(item.unitPriceMinor),
        product_exists: true,
        product_id: Number(item.productId),
        // Not in Shopify's order line items (the type lives on the product); the demo shop adds
        // it so that Shopify and Stripe purchases share one category vocabulary, and the
        // adapter reads it when present.
        product_type: item.category,
        properties: [],
        quantity: item.quantity,
        requires_shipping: true,
        sku: item.sku,
        taxable: true,
        title: item.name,
        total_discount: '0.00',
        total_discount_set: money(0),
        variant_id: Number(product.variantId),
        variant_inventory_management: 'shopify',
        variant_title: null,
        vendor: product.vendor,
        tax_lines: [
          {
            channel_liable: false,
            price: decimal(Math.round(lineTotal - lineDiscount - (lineTotal - lineDiscount) / (1 + VAT_RATE))),
            price_set: money(Math.round(lineTotal - lineDiscount - (lineTotal - lineDiscount) / (1 + VAT_RATE))),
            rate: VAT_RATE,
            title: 'MwSt',
          },
        ],
        duties: [],
        discount_allocations: lineDiscount
          ? [{ amount: decimal(lineDiscount), amount_set: money(lineDiscount), discount_application_index: 0 }]
          : [],
      };
    });
    const customer = this.shopifyCustomer(c, at);
    const transactionId = this.numericId('70', 11);
    this.shopifyOrders.set(orderId, { orderId, lineItemIds, lineItems, transactionId, customer });
    const token = this.rng.chars(32, '0123456789abcdef');
    const landing = `/products/${(BY_SKU.get(tp.data.items[0]!.sku) as Product).handle}`;
    return {
      id: Number(orderId),
      admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
      app_id: 580111,
      browser_ip: `203.0.113.${this.rng.int(1, 254)}`,
      buyer_accepts_marketing: true,
      cancel_reason: null,
      cancelled_at: null,
      cart_token: this.rng.chars(32),
      checkout_id: Number(this.numericId('367', 11)),
      checkout_token: this.rng.chars(32, '0123456789abcdef'),
      closed_at: null,
      confirmation_number: this.rng.chars(9, 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'),
      confirmed: true,
      contact_email: c.email,
      created_at: shopTime(at - 1000),
      currency: CURRENCY,
      current_subtotal_price: decimal(subtotal - discountMinor),
      current_total_price: decimal(total),
      current_total_tax: decimal(tax),
      customer_locale: 'en',
      email: c.email,
      estimated_taxes: false,
      financial_status: 'paid',
      fulfillment_status: null,
      landing_site: landing,
      name: `#${number}`,
      note: null,
      number: number - 1000,
      order_number: number,
      order_status_url: `https://${SHOP_DOMAIN}/90000001/orders/${token}/authenticate?key=demo`,
      payment_gateway_names: ['shopify_payments'],
      phone: null,
      presentment_currency: CURRENCY,
      processed_at: shopTime(at),
      reference: null,
      source_name: 'web',
      subtotal_price: decimal(subtotal - discountMinor),
      subtotal_price_set: money(subtotal - discountMinor),
      tags: '',
      taxes_included: true,
      test: false,
      token,
      total_discounts: decimal(discountMinor),
      total_discounts_set: money(discountMinor),
      total_line_items_price: decimal(subtotal),
      total_line_items_price_set: money(subtotal),
      total_outstanding: '0.00',
      total_price: decimal(total),
      total_price_set: money(total),
      total_shipping_price_set: money(shippingMinor),
      total_tax: decimal(tax),
      total_tax_set: money(tax),
      total_weight: 400 * tp.data.items.reduce((s, i) => s + i.quantity, 0),
      updated_at: shopTime(at + 5000),
      user_id: null,
      billing_address: this.address(c),
      shipping_address: this.address(c),
      customer,
      discount_applications: discountCode
        ? [
            {
              target_type: 'line_item',
              type: 'discount_code',
              value: `${String(Math.round((discountMinor / Math.max(1, subtotal)) * 100))}.0`,
              value_type: 'percentage',
              allocation_method: 'across',
              target_selection: 'all',
              code: discountCode,
            },
          ]
        : [],
      discount_codes: discountCode ? [{ code: discountCode, amount: decimal(discountMinor), type: 'percentage' }] : [],
      fulfillments: [],
      refunds: [],
      line_items: lineItems,
      shipping_lines: shippingMinor
        ? [
            {
              id: Number(this.numericId('47', 11)),
              carrier_identifier: null,
              code: 'Standard',
              discounted_price: decimal(shippingMinor),
              price: decimal(shippingMinor),
              price_set: money(shippingMinor),
              source: 'shopify',
              title: 'Standard',
              tax_lines: [],
            },
          ]
        : [],
    };
  }

  private shopifyRefund(c: DemoCustomer, e: DemoEvent, tp: Extract<Touchpoint, { type: 'refund' }>, plain: boolean) {
    const at = Date.parse(tp.occurredAt);
    const order = tp.data.orderId ? this.shopifyOrders.get(tp.data.orderId) : undefined;
    if (!order) throw new Error(`refund of unknown Shopify order ${tp.data.orderId}`);
    const refundId = this.numericId('102', 10);
    const refundLineItems = (e.meta.refundItems ?? []).map((r) => {
      const lineItemId = order.lineItemIds.get(r.sku) ?? '0';
      const tax = Math.round(r.amountMinor - r.amountMinor / (1 + VAT_RATE));
      return {
        id: Number(this.numericId('40', 10)),
        quantity: r.quantity,
        line_item_id: Number(lineItemId),
        location_id: 71230000001,
        restock_type: 'return',
        subtotal: r.amountMinor / 100,
        total_tax: tax / 100,
        subtotal_set: money(r.amountMinor),
        total_tax_set: money(tax),
        line_item: order.lineItems.find((li) => String((li as { id: number }).id) === lineItemId),
      };
    });
    const body: Record<string, unknown> = {
      id: Number(refundId),
      order_id: Number(order.orderId),
      created_at: shopTime(at),
      note: tp.data.reason ?? null,
      user_id: 98765432101,
      processed_at: shopTime(at),
      restock: true,
      duties: [],
      total_duties_set: money(0),
      additional_fees: [],
      total_additional_fees_set: money(0),
      return: null,
      admin_graphql_api_id: `gid://shopify/Refund/${refundId}`,
      refund_line_items: refundLineItems,
      transactions: [
        {
          id: Number(this.numericId('70', 11)),
          order_id: Number(order.orderId),
          kind: 'refund',
          gateway: 'shopify_payments',
          status: 'success',
          message: 'Transaction approved',
          created_at: shopTime(at - 1000),
          test: false,
          authorization: null,
          location_id: null,
          user_id: 98765432101,
          parent_id: Number(order.transactionId),
          processed_at: shopTime(at - 1000),
          device_id: null,
          error_code: null,
          source_name: '1830279',
          receipt: {},
          amount: decimal(tp.data.amountMinor),
          currency: CURRENCY,
          payment_id: `c${order.transactionId}.2`,
          total_unsettled_set: money(0),
          manual_payment_gateway: false,
          admin_graphql_api_id: `gid://shopify/OrderTransaction/${order.transactionId}`,
        },
      ],
      order_adjustments: [],
    };
    if (!plain) {
      body.email = c.email;
      body.customer = { ...order.customer, updated_at: shopTime(at) };
    }
    return body;
  }

  // ---- Stripe ------------------------------------------------------------------------------

  private card(c: DemoCustomer): Card {
    let card = this.cards.get(c.key);
    if (!card) {
      card = {
        brand: this.rng.pick(['visa', 'visa', 'mastercard', 'amex']),
        last4: this.rng.chars(4, '0123456789'),
        expMonth: this.rng.int(1, 12),
        expYear: this.rng.int(2027, 2031),
        paymentMethod: `pm_1${this.rng.chars(23)}`,
      };
      this.cards.set(c.key, card);
    }
    return card;
  }

  private stripeEvent(type: string, created: number, object: unknown, automatic: boolean, previous?: Record<string, unknown>) {
    return {
      id: `evt_${automatic ? '1' : '3'}${this.rng.chars(23)}`,
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created,
      data: previous ? { object, previous_attributes: previous } : { object },
      livemode: false,
      pending_webhooks: 1,
      request: automatic ? { id: null, idempotency_key: null } : { id: `req_${this.rng.chars(14)}`, idempotency_key: this.uuid() },
      type,
    };
  }

  private stripe(c: DemoCustomer, e: DemoEvent): PendingDelivery {
    const tp = e.touchpoint;
    const headers = { 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
    let event: ReturnType<Renderer['stripeEvent']>;
    switch (tp.type) {
      case 'purchase':
        event = this.stripeEvent('charge.succeeded', unix(tp.occurredAt) + 1, this.charge(c, e, tp), Boolean(e.meta.invoiceId));
        break;
      case 'refund': {
        const charge = tp.data.orderId ? this.charges.get(tp.data.orderId) : undefined;
        if (!charge) throw new Error(`refund of unknown Stripe charge ${tp.data.orderId}`);
        const refunded = { ...charge, amount_refunded: tp.data.amountMinor, refunded: tp.data.amountMinor === charge.amount };
        event = this.stripeEvent('charge.refunded', unix(tp.occurredAt), refunded, false, { amount_refunded: 0, refunded: false });
        break;
      }
      case 'subscription_started':
        event = this.stripeEvent('customer.subscription.created', unix(tp.occurredAt) + 1, this.subscription(c, e, tp), false);
        break;
      case 'subscription_cancelled': {
        const sub = this.subscriptions.get(tp.data.subscriptionId);
        if (!sub) throw new Error(`cancellation of unknown subscription ${tp.data.subscriptionId}`);
        const at = unix(tp.occurredAt);
        const cancellation = e.meta.cancellation ?? { reason: 'cancellation_requested' };
        const ended = {
          ...sub,
          canceled_at: at,
          ended_at: at,
          status: 'canceled',
          cancellation_details: { comment: null, feedback: cancellation.feedback ?? null, reason: cancellation.reason },
        };
        event = this.stripeEvent('customer.subscription.deleted', at, ended, cancellation.reason === 'payment_failed');
        break;
      }
      case 'payment_failed':
        event = this.stripeEvent('invoice.payment_failed', unix(tp.occurredAt), this.failedInvoice(c, e, tp), true);
        break;
      default:
        throw new Error(`no Stripe rendering for ${tp.type}`);
    }
    return this.pending('stripe', e, event.id, event.type, event, headers);
  }

  private charge(c: DemoCustomer, e: DemoEvent, tp: Extract<Touchpoint, { type: 'purchase' }>) {
    const item = tp.data.items[0]!;
    const card = this.card(c);
    const suffix = tp.data.orderId.slice(4);
    const charge = {
      id: tp.data.orderId,
      object: 'charge',
      amount: tp.data.totalMinor,
      amount_captured: tp.data.totalMinor,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: `txn_3${suffix}`,
      billing_details: {
        address: { city: c.city, country: c.country, line1: c.address1, line2: null, postal_code: c.zip, state: null },
        email: c.email,
        name: `${c.firstName} ${c.lastName}`,
        phone: c.phone ?? null,
      },
      calculated_statement_descriptor: 'PATRON SHOP',
      captured: true,
      created: unix(tp.occurredAt),
      currency: CURRENCY.toLowerCase(),
      customer: c.ids.stripe,
      description: item.name ?? null,
      disputed: false,
      failure_code: null,
      failure_message: null,
      fraud_details: {},
      invoice: e.meta.invoiceId ?? null,
      livemode: false,
      metadata: { sku: item.sku, product_id: item.productId ?? '', category: item.category },
      outcome: {
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        seller_message: 'Payment complete.',
        type: 'authorized',
      },
      paid: true,
      payment_intent: `pi_3${suffix}`,
      payment_method: card.paymentMethod,
      payment_method_details: {
        card: {
          brand: card.brand,
          country: c.country,
          exp_month: card.expMonth,
          exp_year: card.expYear,
          funding: 'credit',
          last4: card.last4,
        },
        type: 'card',
      },
      receipt_email: c.email,
      receipt_number: null,
      receipt_url: `https://pay.stripe.com/receipts/payment/${this.rng.chars(40)}`,
      refunded: false,
      shipping: null,
      source: null,
      statement_descriptor: null,
      status: 'succeeded',
    };
    this.charges.set(tp.data.orderId, charge);
    return charge;
  }

  private subscription(c: DemoCustomer, e: DemoEvent, tp: Extract<Touchpoint, { type: 'subscription_started' }>) {
    const at = unix(tp.occurredAt);
    const interval = e.meta.interval ?? 'month';
    const intervalCount = e.meta.intervalCount ?? 1;
    const periodEnd = new Date(at * 1000);
    if (interval === 'month') periodEnd.setUTCMonth(periodEnd.getUTCMonth() + intervalCount);
    else periodEnd.setUTCFullYear(periodEnd.getUTCFullYear() + intervalCount);
    const id = tp.data.subscriptionId;
    const amount = tp.data.amountMinor ?? 0;
    const sub = {
      id,
      object: 'subscription',
      application: null,
      billing_cycle_anchor: at,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: 'charge_automatically',
      created: at,
      currency: CURRENCY.toLowerCase(),
      current_period_end: Math.floor(periodEnd.getTime() / 1000),
      current_period_start: at,
      customer: c.ids.stripe,
      default_payment_method: this.card(c).paymentMethod,
      ended_at: null,
      items: {
        object: 'list',
        data: [
          {
            id: `si_${this.rng.chars(14)}`,
            object: 'subscription_item',
            created: at + 1,
            metadata: {},
            price: {
              id: e.meta.priceId ?? 'price_unknown',
              object: 'price',
              active: true,
              billing_scheme: 'per_unit',
              created: 1704067200,
              currency: CURRENCY.toLowerCase(),
              livemode: false,
              lookup_key: null,
              metadata: {},
              nickname: tp.data.plan ?? null,
              product: tp.data.productId,
              recurring: { aggregate_usage: null, interval, interval_count: intervalCount, usage_type: 'licensed' },
              tax_behavior: 'inclusive',
              type: 'recurring',
              unit_amount: amount,
              unit_amount_decimal: String(amount),
            },
            quantity: 1,
            subscription: id,
          },
        ],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${id}`,
      },
      latest_invoice: `in_1${this.rng.chars(23)}`,
      livemode: false,
      metadata: {},
      start_date: at,
      status: 'active',
      trial_end: null,
      trial_start: null,
    };
    this.subscriptions.set(id, sub);
    return sub;
  }

  private failedInvoice(c: DemoCustomer, e: DemoEvent, tp: Extract<Touchpoint, { type: 'payment_failed' }>) {
    const at = unix(tp.occurredAt);
    const id = tp.data.invoiceId ?? `in_1${this.rng.chars(23)}`;
    const sub = e.meta.subscriptionId ? this.subscriptions.get(e.meta.subscriptionId) : undefined;
    const periodStart = (sub?.current_period_start as number | undefined) ?? at - 30 * 86400;
    return {
      id,
      object: 'invoice',
      account_country: 'DE',
      account_name: 'Patron Lifestyle Shop',
      amount_due: tp.data.amountMinor,
      amount_paid: 0,
      amount_remaining: tp.data.amountMinor,
      attempt_count: e.meta.attempt ?? 1,
      attempted: true,
      auto_advance: true,
      billing_reason: 'subscription_cycle',
      collection_method: 'charge_automatically',
      created: at - 3600,
      currency: CURRENCY.toLowerCase(),
      customer: c.ids.stripe,
      customer_email: c.email,
      customer_name: `${c.firstName} ${c.lastName}`,
      customer_phone: c.phone ?? null,
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_1PtrnDemo0001/live_${this.rng.chars(24)}`,
      last_finalization_error: null,
      lines: { object: 'list', data: [], has_more: false, total_count: 1, url: `/v1/invoices/${id}/lines` },
      livemode: false,
      next_payment_attempt: at + 3 * 86400,
      number: `PTRN-${String(++this.invoiceNumber).padStart(5, '0')}`,
      paid: false,
      payment_intent: `pi_3${this.rng.chars(24)}`,
      period_end: at - 3600,
      period_start: periodStart,
      status: 'open',
      subscription: e.meta.subscriptionId ?? null,
      subtotal: tp.data.amountMinor,
      total: tp.data.amountMinor,
    };
  }

  // ---- Zendesk -----------------------------------------------------------------------------

  /** `time` as Zendesk writes it: nanoseconds (those below the millisecond vary). */
  private zendeskTime(ms: number): string {
    return `${new Date(ms).toISOString().slice(0, 23)}${this.rng.chars(6, '0123456789')}Z`;
  }

  private zendesk(c: DemoCustomer, e: DemoEvent): PendingDelivery {
    const tp = e.touchpoint;
    const at = Date.parse(tp.occurredAt);
    const headers = { 'user-agent': 'Zendesk Webhook' };
    const envelope = (type: string, detail: Record<string, unknown>, event: Record<string, unknown>, subject = 'ticket') => ({
      account_id: ZENDESK_ACCOUNT,
      detail,
      event,
      id: this.uuid(),
      subject: `zen:${subject}:${String(detail.id)}`,
      time: this.zendeskTime(at),
      type,
      // The version Zendesk's reference shows for user events, and the one the ticket samples carry.
      zendesk_event_version: subject === 'user' ? '2022-06-20' : '2022-11-06',
    });
    switch (tp.type) {
      case 'profile_updated': {
        // zen:event-type:user.created: the end user behind the requester id, with their email.
        const detail = {
          created_at: zendeskSeconds(at),
          default_group_id: '0',
          email: c.email,
          external_id: '',
          id: c.ids.zendesk,
          organization_id: '0',
          role: 'end-user',
          updated_at: zendeskSeconds(at),
        };
        const body = envelope('zen:event-type:user.created', detail, {}, 'user');
        return this.pending('zendesk', e, body.id, body.type, body, headers);
      }
      case 'ticket_opened': {
        const ticket = e.meta.ticket;
        const detail = {
          actor_id: c.ids.zendesk,
          assignee_id: null,
          brand_id: '360001234567',
          created_at: zendeskSeconds(at),
          custom_status: '360007654321',
          description: ticket?.description ?? tp.data.subject ?? '',
          external_id: null,
          form_id: '360000111222',
          group_id: '360000333444',
          id: tp.data.ticketId,
          is_public: true,
          organization_id: null,
          priority: (tp.data.priority ?? 'normal').toUpperCase(),
          requester_id: c.ids.zendesk,
          status: 'NEW',
          subject: tp.data.subject ?? null,
          submitter_id: c.ids.zendesk,
          tags: ticket?.tags ?? [],
          type: tp.data.complaint ? 'PROBLEM' : 'QUESTION',
          updated_at: zendeskSeconds(at),
          via: { channel: this.rng.chance(0.6) ? 'web_form' : 'email' },
        };
        this.tickets.set(tp.data.ticketId, detail);
        const body = envelope('zen:event-type:ticket.created', detail, {});
        return this.pending('zendesk', e, body.id, body.type, body, headers);
      }
      case 'ticket_solved': {
        const opened = this.tickets.get(tp.data.ticketId);
        if (!opened) throw new Error(`solved ticket ${tp.data.ticketId} was never opened`);
        const agent = this.rng.pick(ZENDESK_AGENTS);
        const detail = { ...opened, actor_id: agent, assignee_id: agent, status: 'SOLVED', updated_at: zendeskSeconds(at) };
        this.tickets.set(tp.data.ticketId, detail);
        const body = envelope('zen:event-type:ticket.status_changed', detail, { current: 'SOLVED', previous: 'OPEN' });
        return this.pending('zendesk', e, body.id, body.type, body, headers);
      }
      case 'satisfaction_rated': {
        // The body of the "satisfaction changed" trigger (SATISFACTION_TRIGGER_BODY), plus the
        // rating's time (a trigger can add `{{ticket.updated_at_with_timestamp}}`); without it
        // the adapter would date the rating at delivery time. Trigger bodies carry no event id:
        // the invocation id header (signed by `sign`) stands in for it.
        const body = {
          type: SATISFACTION_TRIGGER_TYPE,
          subject: `zen:ticket:${tp.data.ticketId ?? ''}`,
          time: zendeskSeconds(at),
          detail: { id: tp.data.ticketId ?? '', requester_id: c.ids.zendesk, requester_email: c.email },
          event: { score: tp.data.score, comment: tp.data.comment ?? '' },
        };
        return this.pending('zendesk', e, this.uuid(), SATISFACTION_TRIGGER_TYPE, body, headers);
      }
      default:
        throw new Error(`no Zendesk rendering for ${tp.type}`);
    }
  }
}
