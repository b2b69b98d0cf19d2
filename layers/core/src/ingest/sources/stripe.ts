import { NameText, Text } from './fields.js';
import { z } from 'zod';
import { SignatureError } from '../../errors.js';
import { BOUNDS, ISO_CURRENCIES, isPlausibleInstantMs, PLAUSIBLE_INSTANT_MESSAGE, type CustomerRef } from '../../touchpoint.js';
import { fieldError, parsePayload, toTouchpoint } from './generic.js';
import { anyMatch, assertFresh, DEFAULT_TOLERANCE_SECONDS, hmacSha256Hex, parseUnixSeconds, requireHeader, usableSecrets } from './hmac.js';
import type { Adapted, Headers, SourceAdapter } from './types.js';

/*
 * Stripe webhooks. Signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`, where v1 is
 * the hex HMAC-SHA256 of `${t}.${rawBody}` keyed with the endpoint secret used as a plain string
 * (the `whsec_...` value as is, not base64-decoded). Several v1 entries appear while Stripe rolls
 * an endpoint secret. Timestamps more than 300 s away from now, either way, are rejected.
 *
 * Events mapped (the event id `evt_...` is the dedupe key):
 *   charge.succeeded               -> purchase (orderId = charge id, one line item)
 *   charge.refunded                -> refund (this event's increment of amount_refunded)
 *   customer.subscription.created  -> subscription_started
 *   customer.subscription.deleted  -> subscription_cancelled
 *   invoice.payment_failed         -> payment_failed
 * Amounts are already integer minor units; currencies come lowercase and are uppercased.
 */

/** A Stripe object id (`evt_...`, `ch_...`, `sub_...`): not blank, at most 255 characters. */
const StripeId = z.string().trim().min(1, 'must not be blank').max(BOUNDS.maxIdLength, `must be at most ${BOUNDS.maxIdLength} characters`);
const Currency = z
  .string()
  .regex(/^[a-zA-Z]{3}$/, 'must be a three-letter ISO 4217 code such as usd')
  .transform((c) => c.toUpperCase())
  .refine((c) => ISO_CURRENCIES.has(c), 'must be a three-letter ISO 4217 code such as usd');
const Amount = z
  .number()
  .int('must be an integer in minor units')
  .nonnegative()
  .max(BOUNDS.maxMinorUnits, `must be at most ${BOUNDS.maxMinorUnits} minor units`);
/** Unix seconds of a plausible instant: [2000-01-01, now + 1 day] (99999999999999 is not a date). */
const UnixTime = z
  .number()
  .int('must be unix seconds')
  .positive('must be unix seconds')
  .refine((s) => isPlausibleInstantMs(s * 1000), PLAUSIBLE_INSTANT_MESSAGE);
/** A reference Stripe sends as an id, or as the object itself when the API call expanded it. */
const Ref = z.union([StripeId, z.looseObject({ id: StripeId })]).transform((r) => (typeof r === 'string' ? r : r.id));
/** Metadata values used as sku, product id and category: at most 200 characters each. */
const MetaValue = z.string().max(BOUNDS.maxNameLength, `must be at most ${BOUNDS.maxNameLength} characters`).optional();
const Metadata = z
  .object({ sku: MetaValue, product_id: MetaValue, category: MetaValue })
  .catchall(z.string())
  .nullish()
  .transform((m): Record<string, string | undefined> => m ?? {});
const MetaName = (meta: Record<string, string | undefined>, key: string): string | undefined => meta[key]?.trim() || undefined;

const Charge = z.looseObject({
  id: StripeId,
  amount: Amount,
  amount_refunded: Amount.default(0),
  currency: Currency,
  created: UnixTime,
  customer: Ref.nullish(),
  billing_details: z.looseObject({ email: Text, phone: Text }).nullish(),
  receipt_email: Text,
  description: NameText,
  metadata: Metadata,
  refunds: z.looseObject({ data: z.array(z.looseObject({ reason: Text })).default([]) }).nullish(),
});

const Price = z.looseObject({
  id: StripeId,
  product: Ref,
  nickname: NameText,
  unit_amount: Amount.nullish(),
  currency: Currency,
});

const Subscription = z.looseObject({
  id: StripeId,
  customer: Ref,
  created: UnixTime.optional(),
  start_date: UnixTime.optional(),
  canceled_at: UnixTime.nullish(),
  ended_at: UnixTime.nullish(),
  cancellation_details: z.looseObject({ reason: Text, feedback: Text }).nullish(),
  items: z.looseObject({
    data: z
      .array(
        z.looseObject({
          price: Price,
          quantity: z.number().int().nonnegative().max(BOUNDS.maxQuantity, `must be at most ${BOUNDS.maxQuantity}`).default(1),
        }),
      )
      .min(1, 'a subscription needs at least one item'),
  }),
});

const Invoice = z.looseObject({
  id: StripeId,
  customer: Ref.nullish(),
  customer_email: Text,
  customer_phone: Text,
  amount_due: Amount,
  currency: Currency,
  last_finalization_error: z.looseObject({ message: Text }).nullish(),
});

/** The event envelope with `data.object` typed by the event type. */
const eventOf = <O extends z.ZodType>(object: O) =>
  z.looseObject({
    id: StripeId,
    type: z.string().min(1),
    created: UnixTime,
    data: z.looseObject({
      object,
      previous_attributes: z.looseObject({ amount_refunded: Amount.optional() }).nullish(),
    }),
  });

const Envelope = z.looseObject({ id: StripeId, type: z.string().min(1).max(BOUNDS.maxNameLength) });

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

function identity(ref: CustomerRef, path: string, what: string): CustomerRef {
  const clean = Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined)) as CustomerRef;
  if (!clean.email && !clean.phone && !clean.externalId) fieldError(path, `${what} names no customer`);
  return clean;
}

function chargeCustomer(charge: z.output<typeof Charge>): CustomerRef {
  return identity(
    {
      email: charge.billing_details?.email ?? charge.receipt_email,
      phone: charge.billing_details?.phone,
      externalId: charge.customer ?? undefined,
    },
    'data.object.billing_details.email',
    'charge (billing_details.email, receipt_email or customer)',
  );
}

const touchpointResult = (eventType: string, dedupeKey: string, candidate: unknown): Adapted => ({
  kind: 'touchpoint',
  eventType,
  dedupeKey,
  touchpoint: toTouchpoint(candidate, 'touchpoint'),
});

function adaptEvent(type: string, payload: unknown): Adapted {
  switch (type) {
    case 'charge.succeeded': {
      const event = parsePayload(eventOf(Charge), payload, 'Stripe charge event');
      const charge = event.data.object;
      const meta = charge.metadata;
      return touchpointResult(type, event.id, {
        type: 'purchase',
        occurredAt: iso(charge.created),
        customer: chargeCustomer(charge),
        data: {
          orderId: charge.id,
          currency: charge.currency,
          totalMinor: charge.amount,
          items: [
            {
              sku: MetaName(meta, 'sku') ?? 'payment',
              productId: MetaName(meta, 'product_id'),
              name: charge.description,
              category: MetaName(meta, 'category') ?? 'payment',
              quantity: 1,
              unitPriceMinor: charge.amount,
            },
          ],
        },
      });
    }

    case 'charge.refunded': {
      const event = parsePayload(eventOf(Charge), payload, 'Stripe charge event');
      const charge = event.data.object;
      // amount_refunded is cumulative; previous_attributes holds its value before this refund,
      // so a second partial refund counts only its own amount.
      const before = event.data.previous_attributes?.amount_refunded ?? 0;
      const amountMinor = charge.amount_refunded - before;
      if (amountMinor <= 0) {
        return { kind: 'ignored', eventType: type, reason: 'charge.refunded did not increase amount_refunded' };
      }
      return touchpointResult(type, event.id, {
        type: 'refund',
        occurredAt: iso(event.created),
        customer: chargeCustomer(charge),
        data: {
          orderId: charge.id,
          currency: charge.currency,
          amountMinor,
          reason: charge.refunds?.data[0]?.reason,
        },
      });
    }

    case 'customer.subscription.created': {
      const event = parsePayload(eventOf(Subscription), payload, 'Stripe subscription event');
      const sub = event.data.object;
      const item = sub.items.data[0];
      if (!item) return fieldError('data.object.items.data', 'is empty');
      const unit = item.price.unit_amount;
      return touchpointResult(type, event.id, {
        type: 'subscription_started',
        occurredAt: iso(sub.start_date ?? sub.created ?? event.created),
        customer: { externalId: sub.customer },
        data: {
          subscriptionId: sub.id,
          productId: item.price.product,
          plan: item.price.nickname ?? item.price.id,
          currency: item.price.currency,
          amountMinor: unit === null || unit === undefined ? undefined : unit * item.quantity,
        },
      });
    }

    case 'customer.subscription.deleted': {
      const event = parsePayload(eventOf(Subscription), payload, 'Stripe subscription event');
      const sub = event.data.object;
      return touchpointResult(type, event.id, {
        type: 'subscription_cancelled',
        occurredAt: iso(sub.ended_at ?? sub.canceled_at ?? event.created),
        customer: { externalId: sub.customer },
        data: {
          subscriptionId: sub.id,
          productId: sub.items.data[0]?.price.product,
          // The customer's own words when given (`too_expensive`), else why Stripe ended it.
          reason: sub.cancellation_details?.feedback ?? sub.cancellation_details?.reason,
        },
      });
    }

    case 'invoice.payment_failed': {
      const event = parsePayload(eventOf(Invoice), payload, 'Stripe invoice event');
      const invoice = event.data.object;
      return touchpointResult(type, event.id, {
        type: 'payment_failed',
        occurredAt: iso(event.created),
        customer: identity(
          {
            email: invoice.customer_email,
            phone: invoice.customer_phone,
            externalId: invoice.customer ?? undefined,
          },
          'data.object.customer_email',
          'invoice (customer_email or customer)',
        ),
        data: {
          invoiceId: invoice.id,
          currency: invoice.currency,
          amountMinor: invoice.amount_due,
          reason: invoice.last_finalization_error?.message,
        },
      });
    }

    default:
      return { kind: 'ignored', eventType: type, reason: `event type ${type} is not mapped` };
  }
}

/** `t=...,v1=...,v1=...` into its timestamp and v1 signatures (other schemes are skipped). */
function parseSignatureHeader(header: string): { timestamp?: string; v1: string[] } {
  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && timestamp === undefined) timestamp = value;
    else if (key === 'v1' && value) v1.push(value);
  }
  return { timestamp, v1 };
}

export const stripeAdapter: SourceAdapter = {
  name: 'stripe',

  verify(rawBody: string, headers: Headers, secrets: readonly string[], now: Date): void {
    const keys = usableSecrets(secrets, 'stripe');
    const { timestamp, v1 } = parseSignatureHeader(requireHeader(headers, 'stripe-signature'));
    if (!timestamp) throw new SignatureError('Stripe-Signature has no timestamp');
    if (v1.length === 0) throw new SignatureError('Stripe-Signature has no v1 signature');
    assertFresh(parseUnixSeconds(timestamp), now, DEFAULT_TOLERANCE_SECONDS);
    const signed = `${timestamp}.${rawBody}`;
    if (
      !anyMatch(
        keys.map((k) => hmacSha256Hex(k, signed)),
        v1,
      )
    ) {
      throw new SignatureError('Stripe signature does not match');
    }
  },

  adapt(payload: unknown): Adapted {
    const { type } = parsePayload(Envelope, payload, 'Stripe event');
    return adaptEvent(type, payload);
  },

  sign(rawBody: string, secret: string, now: Date): Headers {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    return { 'stripe-signature': `t=${timestamp},v1=${hmacSha256Hex(secret, `${timestamp}.${rawBody}`)}` };
  },
};
