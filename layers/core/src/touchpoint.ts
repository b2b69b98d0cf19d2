import { z } from 'zod';

/**
 * The canonical touchpoint: what every source adapter produces and what the `generic`
 * source accepts as its body. Amounts are integers in minor units (cents) with an ISO 4217
 * currency, so no float ever touches money.
 */
import { CONSENT_CHANNELS, SOURCES } from './vocabulary.js';

export { CONSENT_CHANNELS, SOURCES };
export type SourceName = (typeof SOURCES)[number];

export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/**
 * Bounds on every number, length, count, depth and date a touchpoint may carry. They exist so
 * that a schema-valid delivery is always storable and always readable: sums of amounts stay
 * exact (far below 2^53), keys stay under DynamoDB's key limits, items under its 400 KB.
 *
 * Worst case item size. Per field the bounds allow, in ASCII JSON, a line item of about
 * 4 x 200 characters of text plus ~90 bytes of names and numbers, so 500 items would be ~445 KB
 * (and up to 3x that in multi-byte UTF-8): the per-field bounds alone do NOT keep an item under
 * 400 KB. MAX_TOUCHPOINT_BYTES closes that gap: the whole canonical touchpoint, serialised as
 * UTF-8 JSON, is at most 256 KB (the webhook body limit, so a generic body never hits it). The
 * stored item adds an envelope of at most ~2.5 KB (pk/sk with a 255-character dedupe key, id,
 * customerId, source, type, occurredAt, receivedAt, gsi1pk/gsi1sk), and DynamoDB's own size
 * (attribute names + values, 1 byte per list/map element, numbers of at most 21 bytes) is not
 * larger than the JSON by more than ~2 bytes per number (2 numbers per item, ~2 KB for 500
 * items). Worst case: ~256 + 2.5 + 2 = ~261 KB, well under 400 KB.
 * Keys: the touchpoint sort key (store/keys.ts) is a prefix, the 24-character instant, the source
 * and the dedupe key (at most 255 + 6 characters, <= 783 bytes in UTF-8), under the 1,024-byte
 * sort key limit; the order index key (prefix, source, order id) is under the 2,048-byte limit.
 */
export const BOUNDS = {
  /** 10^12 minor units (10 billion in a 2-decimal currency): sums of 9,000 of them stay exact. */
  maxMinorUnits: 1_000_000_000_000,
  maxQuantity: 1_000_000,
  /** Event ids, order ids, ticket ids, subscription ids, external ids. */
  maxIdLength: 255,
  /** Categories, skus, product ids, product and person names. */
  maxNameLength: 200,
  /** Free text (subjects, comments, reasons, urls). */
  maxTextLength: 2_000,
  maxItems: 500,
  maxCategoriesPerPurchase: 100,
  /** profile_updated `data`: nesting depth (the top-level object is depth 1) and total keys. */
  maxDataDepth: 8,
  maxDataKeys: 100,
  maxTouchpointBytes: 256 * 1024,
  /** occurredAt must lie in [earliest, now + future tolerance]. */
  earliestInstantMs: Date.UTC(2000, 0, 1),
  futureToleranceMs: 24 * 60 * 60 * 1000,
} as const;

/** True for an instant (ms since the epoch) in [2000-01-01, now + 1 day]. */
export function isPlausibleInstantMs(ms: number): boolean {
  return Number.isFinite(ms) && ms >= BOUNDS.earliestInstantMs && ms <= Date.now() + BOUNDS.futureToleranceMs;
}
export const PLAUSIBLE_INSTANT_MESSAGE = 'must lie between 2000-01-01 and one day from now';

/** ISO 4217 codes, as the runtime's ICU data knows them (ZZZ is not one). */
export const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
export const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
  .refine((c) => ISO_CURRENCIES.has(c), 'must be an ISO 4217 code such as EUR');
export const MinorUnits = z
  .number()
  .int('must be an integer amount in minor units')
  .max(BOUNDS.maxMinorUnits, `must be at most ${BOUNDS.maxMinorUnits} minor units`);
export const Quantity = z.number().int().positive().max(BOUNDS.maxQuantity, `must be at most ${BOUNDS.maxQuantity}`);
export const IsoDateTime = z.iso.datetime({ offset: true });
/** An ISO instant in [2000-01-01, now + 1 day]: what every occurredAt must be. */
export const PlausibleDateTime = IsoDateTime.refine((v) => isPlausibleInstantMs(Date.parse(v)), PLAUSIBLE_INSTANT_MESSAGE);

/** An identifier: trimmed, not blank, at most 255 characters. */
export const IdText = z
  .string()
  .trim()
  .min(1, 'must not be blank')
  .max(BOUNDS.maxIdLength, `must be at most ${BOUNDS.maxIdLength} characters`);
/** A sku, category, product id or name: trimmed, not blank, at most 200 characters. */
export const NameText = z
  .string()
  .trim()
  .min(1, 'must not be blank')
  .max(BOUNDS.maxNameLength, `must be at most ${BOUNDS.maxNameLength} characters`);
const PersonName = z.string().trim().max(BOUNDS.maxNameLength, `must be at most ${BOUNDS.maxNameLength} characters`);
const FreeText = z.string().max(BOUNDS.maxTextLength, `must be at most ${BOUNDS.maxTextLength} characters`);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks free-form data (profile_updated) iteratively, so even 10,000 levels of nesting cannot
 * overflow the stack: depth, total key count, array length, prototype-polluting keys, string
 * lengths and numbers DynamoDB can store. Returns
 * the first problem with its path, or undefined. Stops at the first level past the depth bound.
 */
export function freeFormProblem(value: unknown): { path: (string | number)[]; message: string } | undefined {
  const stack: { v: unknown; depth: number; path: (string | number)[] }[] = [{ v: value, depth: 1, path: [] }];
  let keys = 0;
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string' && v.length > BOUNDS.maxTextLength) {
      return { path, message: `must be at most ${BOUNDS.maxTextLength} characters` };
    }
    // DynamoDB numbers span 1e-130 to 9.99e125 in magnitude: 1e139 would fail the write.
    if (typeof v === 'number' && (Math.abs(v) > BOUNDS.maxMinorUnits || (v !== 0 && Math.abs(v) < 1e-100))) {
      return {
        path,
        message: `must be a number between -${BOUNDS.maxMinorUnits} and ${BOUNDS.maxMinorUnits} (and not below 1e-100 in magnitude)`,
      };
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > BOUNDS.maxDataDepth) return { path, message: `nests deeper than ${BOUNDS.maxDataDepth} levels` };
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    if (Array.isArray(v) && v.length > BOUNDS.maxDataKeys) return { path, message: `must have at most ${BOUNDS.maxDataKeys} elements` };
    for (const [k, child] of entries) {
      if (typeof k === 'string') {
        keys++;
        if (FORBIDDEN_KEYS.has(k)) return { path: [...path, k], message: 'is a forbidden key' };
        if (keys > BOUNDS.maxDataKeys) return { path, message: `must have at most ${BOUNDS.maxDataKeys} keys in all` };
        if (k.length > BOUNDS.maxNameLength)
          return { path: [...path, k], message: `key must be at most ${BOUNDS.maxNameLength} characters` };
      }
      stack.push({ v: child, depth: depth + 1, path: [...path, k] });
    }
  }
  return undefined;
}

export const CustomerRef = z
  .object({
    email: z.string().trim().max(254, 'must be at most 254 characters').email().optional(),
    phone: z.string().trim().min(4).max(64, 'must be at most 64 characters').optional(),
    /** The source system's own customer id (Shopify customer id, Stripe cus_..., Zendesk user id). */
    externalId: IdText.optional(),
    firstName: PersonName.optional(),
    lastName: PersonName.optional(),
  })
  .refine((c) => c.email || c.phone || c.externalId, {
    message: 'needs at least one of email, phone or externalId',
  });
export type CustomerRef = z.infer<typeof CustomerRef>;

export const LineItem = z.object({
  sku: NameText,
  productId: NameText.optional(),
  name: z.string().trim().max(BOUNDS.maxNameLength, `must be at most ${BOUNDS.maxNameLength} characters`).optional(),
  category: NameText,
  quantity: Quantity,
  unitPriceMinor: MinorUnits.nonnegative(),
});
export type LineItem = z.infer<typeof LineItem>;

const base = {
  occurredAt: PlausibleDateTime,
  customer: CustomerRef,
};

const TouchpointShape = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('purchase'),
    data: z.object({
      orderId: IdText,
      currency: Currency,
      totalMinor: MinorUnits.nonnegative(),
      /** The order's discount (coupons, automatic discounts) in minor units; absent when none or unknown. */
      discountMinor: MinorUnits.nonnegative().optional(),
      items: z
        .array(LineItem)
        .min(1)
        .max(BOUNDS.maxItems, `must have at most ${BOUNDS.maxItems} items`)
        .refine(
          (items) => new Set(items.map((i) => i.category)).size <= BOUNDS.maxCategoriesPerPurchase,
          `must span at most ${BOUNDS.maxCategoriesPerPurchase} distinct categories`,
        ),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('refund'),
    data: z.object({
      orderId: IdText.optional(),
      currency: Currency,
      amountMinor: MinorUnits.positive(),
      reason: FreeText.optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('ticket_opened'),
    data: z.object({
      ticketId: IdText,
      subject: FreeText.optional(),
      priority: NameText.optional(),
      /** A ticket that is a complaint (tagged or typed so by the helpdesk). */
      complaint: z.boolean().default(false),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('ticket_solved'),
    data: z.object({ ticketId: IdText }),
  }),
  z.object({
    ...base,
    type: z.literal('satisfaction_rated'),
    data: z.object({
      /** 1 (very unhappy) to 5 (very happy); helpdesks' good/bad map to 5/1. */
      score: z.number().int().min(1).max(5),
      ticketId: IdText.optional(),
      comment: FreeText.optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('subscription_started'),
    data: z.object({
      subscriptionId: IdText,
      productId: NameText,
      plan: NameText.optional(),
      currency: Currency.optional(),
      amountMinor: MinorUnits.nonnegative().optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('subscription_cancelled'),
    data: z.object({
      subscriptionId: IdText,
      productId: NameText.optional(),
      reason: FreeText.optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('payment_failed'),
    data: z.object({
      invoiceId: IdText.optional(),
      currency: Currency,
      amountMinor: MinorUnits.nonnegative(),
      reason: FreeText.optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.enum(['email_opened', 'email_clicked']),
    data: z.object({
      campaignId: IdText.optional(),
      messageId: IdText.optional(),
      url: FreeText.optional(),
    }),
  }),
  z.object({
    ...base,
    type: z.enum(['web_visit', 'inquiry']),
    data: z.object({ url: FreeText.optional(), topic: FreeText.optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('coupon_requested'),
    data: z.object({ code: NameText.optional(), campaignId: IdText.optional() }),
  }),
  z.object({
    ...base,
    type: z.literal('consent_changed'),
    data: z.object({ channel: z.enum(CONSENT_CHANNELS), granted: z.boolean() }),
  }),
  z.object({
    ...base,
    type: z.literal('profile_updated'),
    // The raw input is checked first (see freeFormProblem): hostile nesting fails fast, and a
    // `__proto__` key is seen before an object copy would turn it into a prototype.
    data: z
      .unknown()
      .superRefine((data, ctx) => {
        const problem = freeFormProblem(data);
        if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      })
      .pipe(z.object({}).passthrough()),
  }),
]);

/** UTF-8 bytes of the value as JSON; Infinity when it cannot be serialised (too deep, cyclic). */
export function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The canonical touchpoint, with the whole-touchpoint size bound (see BOUNDS) on top. */
export const Touchpoint = TouchpointShape.superRefine((tp, ctx) => {
  if (jsonBytes(tp) > BOUNDS.maxTouchpointBytes) {
    ctx.addIssue({
      code: 'custom',
      path: ['data'],
      message: `the touchpoint must serialise to at most ${BOUNDS.maxTouchpointBytes} bytes`,
    });
  }
});
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
