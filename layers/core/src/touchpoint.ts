import { z } from 'zod';

/**
 * The canonical touchpoint: what every source adapter produces and what the `generic`
 * source accepts as its body. Amounts are integers in minor units (cents) with an ISO 4217
 * currency, so no float ever touches money.
 */
export const SOURCES = ['generic', 'shopify', 'stripe', 'zendesk'] as const;
export type SourceName = (typeof SOURCES)[number];

export const CONSENT_CHANNELS = ['email', 'sms', 'phone'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

export const Currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
export const MinorUnits = z.number().int('must be an integer amount in minor units');
export const IsoDateTime = z.iso.datetime({ offset: true });

export const CustomerRef = z
  .object({
    email: z.string().trim().email().optional(),
    phone: z.string().trim().min(4).optional(),
    /** The source system's own customer id (Shopify customer id, Stripe cus_..., Zendesk user id). */
    externalId: z.string().trim().min(1).optional(),
    firstName: z.string().trim().optional(),
    lastName: z.string().trim().optional(),
  })
  .refine((c) => c.email || c.phone || c.externalId, {
    message: 'needs at least one of email, phone or externalId',
  });
export type CustomerRef = z.infer<typeof CustomerRef>;

export const LineItem = z.object({
  sku: z.string().min(1),
  productId: z.string().min(1).optional(),
  name: z.string().optional(),
  category: z.string().min(1),
  quantity: z.number().int().positive(),
  unitPriceMinor: MinorUnits.nonnegative(),
});
export type LineItem = z.infer<typeof LineItem>;

const base = {
  occurredAt: IsoDateTime,
  customer: CustomerRef,
};

export const Touchpoint = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('purchase'),
    data: z.object({
      orderId: z.string().min(1),
      currency: Currency,
      totalMinor: MinorUnits.nonnegative(),
      items: z.array(LineItem).min(1),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('refund'),
    data: z.object({
      orderId: z.string().optional(),
      currency: Currency,
      amountMinor: MinorUnits.positive(),
      reason: z.string().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('ticket_opened'),
    data: z.object({
      ticketId: z.string().min(1),
      subject: z.string().optional(),
      priority: z.string().optional(),
      /** A ticket that is a complaint (tagged or typed so by the helpdesk). */
      complaint: z.boolean().default(false),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('ticket_solved'),
    data: z.object({ ticketId: z.string().min(1) }),
  }),
  z.object({
    ...base,
    type: z.literal('satisfaction_rated'),
    data: z.object({
      /** 1 (very unhappy) to 5 (very happy); helpdesks' good/bad map to 5/1. */
      score: z.number().int().min(1).max(5),
      ticketId: z.string().optional(),
      comment: z.string().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('subscription_started'),
    data: z.object({
      subscriptionId: z.string().min(1),
      productId: z.string().min(1),
      plan: z.string().optional(),
      currency: Currency.optional(),
      amountMinor: MinorUnits.nonnegative().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('subscription_cancelled'),
    data: z.object({
      subscriptionId: z.string().min(1),
      productId: z.string().min(1).optional(),
      reason: z.string().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('payment_failed'),
    data: z.object({
      invoiceId: z.string().optional(),
      currency: Currency,
      amountMinor: MinorUnits.nonnegative(),
      reason: z.string().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.enum(['email_opened', 'email_clicked']),
    data: z.object({
      campaignId: z.string().optional(),
      messageId: z.string().optional(),
      url: z.string().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.enum(['web_visit', 'inquiry']),
    data: z.object({ url: z.string().optional(), topic: z.string().optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('coupon_requested'),
    data: z.object({ code: z.string().optional(), campaignId: z.string().optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('consent_changed'),
    data: z.object({ channel: z.enum(CONSENT_CHANNELS), granted: z.boolean() }),
  }),
  z.object({
    ...base,
    type: z.literal('profile_updated'),
    data: z.object({}).passthrough(),
  }),
]);
export type Touchpoint = z.infer<typeof Touchpoint>;
export type TouchpointType = Touchpoint['type'];
export const TOUCHPOINT_TYPES = [
  'purchase',
  'refund',
  'ticket_opened',
  'ticket_solved',
  'satisfaction_rated',
  'subscription_started',
  'subscription_cancelled',
  'payment_failed',
  'email_opened',
  'email_clicked',
  'web_visit',
  'inquiry',
  'coupon_requested',
  'consent_changed',
  'profile_updated',
] as const satisfies readonly TouchpointType[];

/** A touchpoint as stored: the canonical fields plus where it came from and whom it belongs to. */
export interface StoredTouchpoint {
  id: string;
  customerId: string;
  source: SourceName;
  /** The provider's event id (or the adapter's dedupe key) that makes redelivery idempotent. */
  dedupeKey: string;
  type: TouchpointType;
  occurredAt: string;
  receivedAt: string;
  data: Record<string, unknown>;
}
