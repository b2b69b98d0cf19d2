import { BOUNDS } from '../touchpoint.js';
import { DAY_MS } from '../time.js';
import { z } from 'zod';

/**
 * The contract of the offer rules engine: what an employee, campaign or system proposes to do to
 * a customer (`OfferRequest`), what is already on record (`RegisteredOffer`), and what the engine
 * answers (`Finding`s aggregated into a `Decision`). Field names are the ones of the public API.
 */

import { OFFER_CHANNELS, OFFER_KINDS } from '../vocabulary.js';

export { OFFER_CHANNELS, OFFER_KINDS };
export type OfferKind = (typeof OFFER_KINDS)[number];

/** Kinds that sell the customer a product: they must name the product (`productId`). */
export const SELLING_KINDS = ['offer', 'upsell', 'cross-sell', 'retention'] as const satisfies readonly OfferKind[];
/** Kinds that take money from the customer or chase it. */
export const PENALTY_KINDS = ['penalty', 'fee', 'collection'] as const satisfies readonly OfferKind[];

export type OfferChannel = (typeof OFFER_CHANNELS)[number];

/** `converted`: a purchase answered it (set by attribution at ingest, never by PATCH; see campaigns/attribution.ts). */
export const OFFER_STATUSES = ['active', 'accepted', 'declined', 'withdrawn', 'expired', 'converted'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/** The rules, in evaluation order (their settings are in config.ts; kept here so an override can name them). */
export const RULE_NAMES = [
  'conflicting-terms',
  'duplicate-offer',
  'already-owned',
  'high-value-penalty',
  'service-tier-mismatch',
  'sell-after-complaint',
  'contact-fatigue',
  'no-consent',
  'quiet-period',
  'exclusive-offers',
  'stale-profile',
  'holdout',
] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/**
 * Bounds of every input field: an id, product, channel, team or actor has at most MAX_ID_LENGTH
 * characters, a reason or other free text at most MAX_TEXT_LENGTH; `terms` has at most
 * MAX_TERM_FIELDS fields, named in at most MAX_TERM_KEY_LENGTH characters, whose strings have at
 * most MAX_ID_LENGTH characters and whose numbers are finite and within ±MAX_TERM_NUMBER.
 */
export const OFFER_LIMITS = {
  // The same lengths as touchpoints' names and free text (BOUNDS), and amounts' 10^12.
  MAX_ID_LENGTH: BOUNDS.maxNameLength,
  MAX_TEXT_LENGTH: BOUNDS.maxTextLength,
  MAX_EMAIL_LENGTH: 320,
  MAX_TERM_FIELDS: 50,
  MAX_TERM_KEY_LENGTH: 64,
  MAX_TERM_NUMBER: BOUNDS.maxMinorUnits,
} as const;
const L = OFFER_LIMITS;

/** Control characters, and text that is not well-formed UTF-16 (a lone surrogate cannot be stored or shown). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LINE_BREAKS = new Set([9, 10, 13]);
export const printable = (allowLineBreaks: boolean) => (s: string) => {
  if (LONE_SURROGATE.test(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && !(allowLineBreaks && LINE_BREAKS.has(c))) || c === 127) return false;
  }
  return true;
};
/** A non-empty, trimmed identifier or short label (ids, products, teams, actors): no control characters. */
export const BoundedId = z
  .string()
  .trim()
  .min(1)
  .max(L.MAX_ID_LENGTH)
  .refine(printable(false), 'must not contain control characters or unpaired surrogates');
/** Non-empty, trimmed free text (reasons): line breaks and tabs allowed, other control characters not. */
export const BoundedText = z
  .string()
  .trim()
  .min(1)
  .max(L.MAX_TEXT_LENGTH)
  .refine(printable(true), 'must not contain control characters or unpaired surrogates');
/** DynamoDB stores magnitudes down to 1e-130; anything this small in a term is a mistake anyway. */
const MIN_TERM_MAGNITUDE = 1e-100;
const TermNumber = z
  .number()
  .min(-L.MAX_TERM_NUMBER)
  .max(L.MAX_TERM_NUMBER)
  .refine((n) => n === 0 || Math.abs(n) >= MIN_TERM_MAGNITUDE, `must be 0 or at least ${MIN_TERM_MAGNITUDE} in magnitude`);

/** An unknown field is named in the issue, cut short so a huge field name is not echoed whole. */
const unknownFields = (iss: { code?: string; keys?: readonly string[] }) => {
  if (iss.code !== 'unrecognized_keys' || !iss.keys) return undefined;
  const names = iss.keys.slice(0, 5).map((k) => (k.length > L.MAX_TERM_KEY_LENGTH ? `${k.slice(0, L.MAX_TERM_KEY_LENGTH)}…` : k));
  return `unknown field${iss.keys.length > 1 ? 's' : ''} ${names.join(', ')}${iss.keys.length > 5 ? ` and ${iss.keys.length - 5} more` : ''}`;
};

/**
 * A calendar date (`2026-11-23`, read as UTC) or an ISO date-time with offset, within 2000-2100:
 * anything else is a typo (a year 0001 or 9999) that would make a window never open or never close.
 */
export const IsoDate = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:mm:ssZ)',
  })
  .refine((d) => {
    const year = new Date(windowStart(d)).getUTCFullYear();
    return year >= 2000 && year <= 2100;
  }, 'must be a date between 2000 and 2100');

/**
 * Price and conditions. The named fields are the common ones; any other field is kept as long as
 * it is a number or a string (e.g. `"period": "2026-11"` for a monthly fee), and takes part in
 * term comparisons like the named ones.
 */
export const OfferTerms = z
  .object({
    amount: TermNumber.optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
      .optional(),
    rate: TermNumber.optional(),
    termMonths: z.number().int().nonnegative().max(L.MAX_TERM_NUMBER).optional(),
    discountPercent: z
      .number()
      .min(0)
      .max(100)
      .refine((n) => n === 0 || n >= MIN_TERM_MAGNITUDE, `must be 0 or at least ${MIN_TERM_MAGNITUDE}`)
      .optional(),
  })
  .catchall(
    z.union([TermNumber, z.string().max(L.MAX_ID_LENGTH)], {
      error: `must be a number within ±${L.MAX_TERM_NUMBER} (0, or at least ${MIN_TERM_MAGNITUDE} in magnitude) or a string of at most ${L.MAX_ID_LENGTH} characters`,
    }),
  )
  .superRefine((terms, ctx) => {
    const keys = Object.keys(terms);
    if (keys.length > L.MAX_TERM_FIELDS) ctx.addIssue({ code: 'custom', message: `must have at most ${L.MAX_TERM_FIELDS} fields` });
    if (keys.some((k) => k.length > L.MAX_TERM_KEY_LENGTH)) {
      ctx.addIssue({ code: 'custom', message: `field names must have at most ${L.MAX_TERM_KEY_LENGTH} characters` });
    }
  })
  .meta({
    id: 'OfferTerms',
    description: `At most ${L.MAX_TERM_FIELDS} fields, named in at most ${L.MAX_TERM_KEY_LENGTH} characters; numbers within ±${L.MAX_TERM_NUMBER}, strings of at most ${L.MAX_ID_LENGTH} characters`,
  });
export type OfferTerms = z.infer<typeof OfferTerms>;

export const OfferOverride = z
  .object({
    actor: z.string().trim().min(1, 'names the person taking responsibility').max(L.MAX_ID_LENGTH),
    reason: z.string().trim().min(1, 'says why the finding is overridden').max(L.MAX_TEXT_LENGTH),
    rules: z.array(z.enum(RULE_NAMES)).min(1).max(RULE_NAMES.length).optional().meta({
      description:
        'The rules whose blocks the person accepts; without it, every overridable block is. Naming a rule the rule set does not make overridable is a 422.',
    }),
  })
  .meta({ id: 'OfferOverride', description: 'A person accepting an overridable block, with the reason; recorded in the audit trail' });
export type OfferOverride = z.infer<typeof OfferOverride>;

const nonEmpty = BoundedId;

/** Characters that print as nothing: a copied id carrying one must not read as another id. */
const INVISIBLE = /[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;

/**
 * Campaign ids are ULIDs, read as Crockford base32 reads them: in any letter case, with O for 0
 * and I or L for 1, and without invisible characters. Whatever the spelling, an offer's campaignId
 * must then name a campaign (offer-service.ts): free text goes in `campaignLabel`.
 */
const CAMPAIGN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function normalizeCampaignId(id: string): string {
  const visible = id.replace(INVISIBLE, '');
  if (!/^[0-9A-TV-Z]{26}$/i.test(visible)) return id;
  return visible.toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
}

const offerFields = {
  customerId: nonEmpty.optional(),
  email: z.email().max(L.MAX_EMAIL_LENGTH).optional(),
  kind: z.enum(OFFER_KINDS),
  productId: nonEmpty.optional(),
  productFamily: nonEmpty.optional(),
  terms: OfferTerms.optional(),
  channel: z.enum(OFFER_CHANNELS),
  campaignId: nonEmpty
    .transform(normalizeCampaignId)
    .refine((id) => CAMPAIGN_ID.test(id), 'must be a campaign id (26 characters of Crockford base32, as POST /campaigns answers)')
    .optional()
    .meta({ description: 'A campaign id (POST /campaigns): it must name a campaign, whose holdout then applies' }),
  campaignLabel: nonEmpty.optional().meta({ description: 'Free text naming a campaign Patron does not manage (e.g. a newsletter issue)' }),
  team: nonEmpty.optional(),
  validFrom: IsoDate.optional(),
  validUntil: IsoDate.optional(),
  exclusionGroup: nonEmpty.optional(),
  /** For discounts: false = must not be combined with another discount on the same product/family. */
  stackable: z.boolean().optional(),
  /** Treatment level; `standard` and `premium` are the known ones. */
  tier: z.union([z.enum(['standard', 'premium']), nonEmpty]).optional(),
  override: OfferOverride.optional(),
};

/**
 * A proposed offer or action. Strict: an unknown (e.g. misspelt) field is a validation error
 * rather than silently ignored, since an ignored `productid` would let a conflict through.
 */
export const OfferRequest = z
  .strictObject(offerFields, { error: unknownFields })
  .superRefine((o, ctx) => {
    if (!o.customerId && !o.email) {
      ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'customerId or email is required' });
    }
    if ((SELLING_KINDS as readonly string[]).includes(o.kind) && !o.productId) {
      ctx.addIssue({ code: 'custom', path: ['productId'], message: `is required for kind ${o.kind}` });
    }
    if (o.validFrom && o.validUntil && windowStart(o.validFrom) > windowEnd(o.validUntil)) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must not be before validFrom' });
    }
  })
  .meta({
    id: 'OfferRequest',
    // What the refinements above check, which JSON Schema cannot say as plainly.
    description: `customerId or email is required; productId is required for kinds ${SELLING_KINDS.join(', ')}; validUntil must not be before validFrom.`,
  });
export type OfferRequest = z.infer<typeof OfferRequest>;

/** An offer as the store keeps it. */
export const RegisteredOffer = z
  .object({
    id: z.string(),
    customerId: z.string(),
    kind: z.enum(OFFER_KINDS),
    productId: z.string().optional(),
    productFamily: z.string().optional(),
    terms: OfferTerms.optional(),
    channel: z.enum(OFFER_CHANNELS),
    campaignId: z.string().optional(),
    campaignLabel: z.string().optional(),
    team: z.string().optional(),
    validFrom: IsoDate.optional(),
    validUntil: IsoDate.optional(),
    exclusionGroup: z.string().optional(),
    stackable: z.boolean().optional(),
    tier: z.string().optional(),
    status: z.enum(OFFER_STATUSES),
    createdAt: z.string(),
    createdBy: z.string().optional(),
    override: OfferOverride.optional(),
    targeting: z
      .object({ flagType: z.string().optional(), segment: z.string().optional(), valueTier: z.string().optional() })
      .optional()
      .meta({
        description:
          "Whom the offer targeted, as the latest mining run saw the customer at registration: the campaign's flag type (or the customer's flag matching the offer's kind), segment and value tier. Response rates are counted by these.",
      }),
    attributionEndsAt: z.string().optional().meta({
      description:
        "Until this instant a matching purchase converts the offer: attributionDays (the campaign's, else 30) from the later of its registration and validFrom",
    }),
    conversion: z
      .object({
        touchpointId: z.string(),
        occurredAt: z.string(),
        revenueMinor: z.number().meta({ description: 'Revenue of the matching lines, net of the refunded share of the order' }),
        refundedMinor: z.number(),
        currency: z.string(),
      })
      .optional()
      .meta({ description: 'The purchase that converted the offer (status converted)' }),
  })
  .meta({ id: 'RegisteredOffer' });
export type RegisteredOffer = z.infer<typeof RegisteredOffer>;

export const SEVERITIES = ['warn', 'block'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const Finding = z
  .object({
    rule: z.string(),
    severity: Severity,
    message: z.string().meta({ description: 'A sentence a person understands, with the numbers' }),
    evidence: z.record(z.string(), z.unknown()).meta({ description: 'The conflicting offer id, touchpoint date, flag score or numbers' }),
    overridable: z.boolean().optional().meta({
      description: 'On a block: whether a person may accept it with a reason (an `override` on POST /offers); absent on warnings',
    }),
  })
  .meta({ id: 'OfferFinding' });
export type Finding = z.infer<typeof Finding>;

export const Decision = z
  .enum(['allow', 'warn', 'block'])
  .meta({ id: 'OfferDecision', description: 'The worst finding severity; allow when there is none' });
export type Decision = z.infer<typeof Decision>;

export const Evaluation = z.object({ decision: Decision, findings: z.array(Finding) }).meta({ id: 'OfferEvaluation' });
export type Evaluation = z.infer<typeof Evaluation>;

// ---- validity windows (shared with the rules) ----

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** First instant of a validity bound: a calendar date starts at 00:00 UTC. */
export function windowStart(d: string): number {
  return Date.parse(DATE_ONLY.test(d) ? `${d}T00:00:00Z` : d);
}

/** Last instant of a validity bound: a calendar date is valid through 23:59:59.999 UTC. */
export function windowEnd(d: string): number {
  return DATE_ONLY.test(d) ? Date.parse(`${d}T00:00:00Z`) + DAY_MS - 1 : Date.parse(d);
}
