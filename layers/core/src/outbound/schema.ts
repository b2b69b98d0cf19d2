/**
 * Webhook subscriptions and their deliveries: the API's bodies and views, and the outbound
 * queue's messages. Bounds: a URL of at most 2,048 characters, at most 100 subscriptions.
 */
import { z } from 'zod';
import { printable } from '../offers/schema.js';
import { EVENT_TYPES } from './events.js';

export const SUBSCRIPTION_LIMITS = {
  MAX_URL_LENGTH: 2048,
  MAX_DESCRIPTION_LENGTH: 500,
  MAX_SUBSCRIPTIONS: 100,
  /** Deliveries listed per page. */
  MAX_PAGE: 100,
} as const;

const Url = z
  .string()
  .trim()
  .min(1)
  .max(SUBSCRIPTION_LIMITS.MAX_URL_LENGTH)
  .meta({ description: 'https URL (locally also http://localhost); private, link-local and metadata addresses are refused' });
const Events = z
  .array(z.enum(EVENT_TYPES))
  .min(1)
  .max(EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, 'must not repeat an event type');
const Description = z
  .string()
  .trim()
  .max(SUBSCRIPTION_LIMITS.MAX_DESCRIPTION_LENGTH)
  .refine(printable(true), 'must not contain control characters or unpaired surrogates');

export const SubscriptionCreate = z
  .strictObject({ url: Url, events: Events, description: Description.optional() })
  .meta({ id: 'SubscriptionCreate', description: `The receiver's URL and the events it wants (${EVENT_TYPES.join(', ')})` });
export type SubscriptionCreate = z.infer<typeof SubscriptionCreate>;

export const SubscriptionPatch = z
  .strictObject({
    url: Url.optional(),
    events: Events.optional(),
    description: Description.optional(),
    status: z.enum(['active', 'disabled']).optional().meta({ description: 'active re-enables a disabled subscription' }),
  })
  .refine((p) => Object.keys(p).length > 0, 'must change at least one field')
  .meta({ id: 'SubscriptionPatch' });
export type SubscriptionPatch = z.infer<typeof SubscriptionPatch>;

export const SUBSCRIPTION_STATUSES = ['active', 'disabled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const SubscriptionView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(EVENT_TYPES)),
    description: z.string().optional(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    disabledReason: z.string().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** When the previous secret stops signing (after a rotation). */
    previousSecretExpiresAt: z.string().optional(),
  })
  .meta({ id: 'Subscription', description: 'A webhook subscription (its signing secret is shown only when created or rotated)' });
export type SubscriptionView = z.infer<typeof SubscriptionView>;

export const SubscriptionWithSecret = z
  .object({
    subscription: SubscriptionView,
    secret: z.string().meta({ description: 'whsec_…: verify deliveries with it (standardwebhooks or svix). Shown once.' }),
  })
  .meta({ id: 'SubscriptionWithSecret' });

export const SubscriptionList = z.object({ items: z.array(SubscriptionView) }).meta({ id: 'SubscriptionList' });

export const DELIVERY_STATUSES = ['pending', 'sending', 'retrying', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DeliveryView = z
  .object({
    eventId: z.string(),
    type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    createdAt: z.string(),
    lastAttemptAt: z.string().optional(),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    deliveredAt: z.string().optional(),
  })
  .meta({ id: 'Delivery', description: 'One event on its way to one subscription' });
export type DeliveryView = z.infer<typeof DeliveryView>;

export const DeliveryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(SUBSCRIPTION_LIMITS.MAX_PAGE).default(50),
  status: z.enum(DELIVERY_STATUSES).optional(),
  cursor: z.string().min(1).max(512).optional().meta({ description: 'nextCursor of the previous page' }),
});
export const DeliveryPage = z
  .object({ items: z.array(DeliveryView), nextCursor: z.string().nullable() })
  .meta({ id: 'DeliveryPage', description: 'Newest first; pass nextCursor as cursor for the next page (null: no more)' });
export const TestDelivery = z.object({ eventId: z.string(), status: z.enum(DELIVERY_STATUSES) }).meta({ id: 'TestDelivery' });

/** What travels on the outbound queue. */
export const OutboundMessage = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    event: z.object({ id: z.string(), type: z.string(), timestamp: z.string(), data: z.record(z.string(), z.unknown()) }),
  }),
  z.object({ kind: z.literal('deliver'), subscriptionId: z.string(), eventId: z.string(), attempt: z.number().int().min(0) }),
]);
export type OutboundMessage = z.infer<typeof OutboundMessage>;
