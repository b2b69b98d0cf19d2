import { z } from 'zod';
import { VALUE_TIERS } from '../mining/lifecycle.js';
import { FLAG_TYPES } from '../mining/types.js';
import { BoundedId, IsoDate, normalizeCampaignId, OFFER_CHANNELS, OFFER_LIMITS, windowEnd, windowStart } from '../offers/schema.js';

/**
 * Campaigns with a control group: a campaign names its audience (flag type, segment, value tier,
 * product) and channel, and keeps `holdoutPercent` % of the customers it reaches out of it (the
 * control group), so its effect can be measured against them. Field names are the public API's.
 */

export const CAMPAIGN_STATUSES = ['active', 'ended'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const ASSIGNMENT_GROUPS = ['treatment', 'control'] as const;
export type AssignmentGroup = (typeof ASSIGNMENT_GROUPS)[number];

export const CAMPAIGN_LIMITS = {
  MAX_HOLDOUT_PERCENT: 50,
  DEFAULT_HOLDOUT_PERCENT: 10,
  MIN_ATTRIBUTION_DAYS: 1,
  MAX_ATTRIBUTION_DAYS: 365,
  DEFAULT_ATTRIBUTION_DAYS: 30,
  /** Customer ids per batch assignment. */
  MAX_BATCH: 500,
  /** Campaigns per page of GET /campaigns. */
  MAX_PAGE: 200,
  DEFAULT_PAGE: 50,
} as const;
const C = CAMPAIGN_LIMITS;

const campaignFields = {
  name: BoundedId.meta({ description: `1-${OFFER_LIMITS.MAX_ID_LENGTH} characters` }),
  flagType: z.enum(FLAG_TYPES).optional().meta({ description: 'The mining flag the campaign acts on' }),
  segment: BoundedId.optional(),
  valueTier: z.enum(VALUE_TIERS).optional(),
  productId: BoundedId.optional(),
  productFamily: BoundedId.optional(),
  channel: z.enum(OFFER_CHANNELS),
  holdoutPercent: z
    .number()
    .min(0)
    .max(C.MAX_HOLDOUT_PERCENT)
    // DynamoDB cannot store magnitudes below 1e-130 (a 500 found by the probe); a hundredth of a
    // percent is finer than any campaign needs.
    .refine((v) => !(v > 0 && v < 0.01), 'must be 0 or at least 0.01')
    .default(C.DEFAULT_HOLDOUT_PERCENT)
    .meta({ description: `Share of the assigned customers kept in the control group, 0-${C.MAX_HOLDOUT_PERCENT} %` }),
  attributionDays: z
    .number()
    .int()
    .min(C.MIN_ATTRIBUTION_DAYS)
    .max(C.MAX_ATTRIBUTION_DAYS)
    .default(C.DEFAULT_ATTRIBUTION_DAYS)
    .meta({ description: 'Days after a contact during which a conversion counts for the campaign' }),
  startsAt: IsoDate,
  endsAt: IsoDate.optional(),
};

export const CampaignCreate = z
  .strictObject(campaignFields)
  .superRefine((c, ctx) => {
    if (c.endsAt && windowEnd(c.endsAt) < windowStart(c.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must not be before startsAt' });
    }
  })
  .meta({
    id: 'CampaignCreate',
    description: 'endsAt must not be before startsAt; unknown fields are refused',
    examples: [{ name: 'Win back', flagType: 'churn-risk', channel: 'phone', holdoutPercent: 10, startsAt: '2026-11-30' }],
  });
export type CampaignCreate = z.infer<typeof CampaignCreate>;

export const Campaign = z
  .object({
    id: z.string().meta({ description: 'Campaign id (ULID)' }),
    name: z.string(),
    flagType: z.enum(FLAG_TYPES).optional(),
    segment: z.string().optional(),
    valueTier: z.enum(VALUE_TIERS).optional(),
    productId: z.string().optional(),
    productFamily: z.string().optional(),
    channel: z.enum(OFFER_CHANNELS),
    holdoutPercent: z.number(),
    attributionDays: z.number().int(),
    startsAt: z.string(),
    endsAt: z.string().optional(),
    status: z.enum(CAMPAIGN_STATUSES),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof Campaign>;

export const CampaignEnvelope = z.object({ campaign: Campaign }).meta({ id: 'CampaignEnvelope' });

export const CampaignStatusChange = z
  .strictObject({ status: z.literal('ended') })
  .meta({ id: 'CampaignStatusChange', description: 'Ends the campaign now (endsAt becomes now); no customer is assigned after' });
export type CampaignStatusChange = z.infer<typeof CampaignStatusChange>;

export const CampaignListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(C.MAX_PAGE).default(C.DEFAULT_PAGE),
  cursor: z.string().min(1).max(4096).optional(),
});

export const CampaignPage = z
  .object({ items: z.array(Campaign), nextCursor: z.string().nullable() })
  .meta({ id: 'CampaignPage', description: 'Newest first; pass nextCursor as cursor for the next page' });

export const AssignmentRequest = z
  .strictObject({
    customerId: BoundedId.optional(),
    email: z.email().max(OFFER_LIMITS.MAX_EMAIL_LENGTH).optional(),
  })
  .superRefine((a, ctx) => {
    if (!a.customerId && !a.email) ctx.addIssue({ code: 'custom', path: ['customerId'], message: 'customerId or email is required' });
  })
  .meta({
    id: 'AssignmentRequest',
    description: 'customerId or email; given both, they must name the same customer (422 otherwise)',
    examples: [{ email: 'ann@example.com' }],
  });
export type AssignmentRequest = z.infer<typeof AssignmentRequest>;

export const BatchAssignmentRequest = z
  .strictObject({
    customerIds: z.array(BoundedId).min(1).max(C.MAX_BATCH).optional(),
    fromFlags: z
      .strictObject({
        limit: z.number().int().min(1).max(C.MAX_BATCH).default(C.MAX_BATCH),
        cursor: z.string().min(1).max(4096).optional(),
      })
      .optional()
      .meta({
        description: `Assign the customers of the latest run's flags of the campaign's flagType (and its segment and valueTier, when set), best first: at most limit (1-${C.MAX_BATCH}) per call; pass nextCursor as cursor for the next ones`,
      }),
  })
  .superRefine((b, ctx) => {
    if ((b.customerIds === undefined) === (b.fromFlags === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['customerIds'], message: 'give either customerIds or fromFlags' });
    }
  })
  .meta({
    id: 'BatchAssignmentRequest',
    description: `customerIds (1-${C.MAX_BATCH}) or fromFlags, not both`,
    examples: [{ fromFlags: { limit: 100 } }],
  });
export type BatchAssignmentRequest = z.infer<typeof BatchAssignmentRequest>;

export const Assignment = z
  .object({
    campaignId: z.string(),
    customerId: z.string().meta({ description: 'The live customer (a merged id answers with the surviving customer)' }),
    group: z.enum(ASSIGNMENT_GROUPS),
    assignedAt: z.string(),
  })
  .meta({ id: 'CampaignAssignment', description: 'Decided once, on the first assignment, and kept' });
export type Assignment = z.infer<typeof Assignment>;

export const BatchAssignmentResult = z
  .object({
    assignments: z.array(Assignment),
    unknown: z.array(z.string()).meta({ description: 'Requested ids with no live customer (unknown or erased)' }),
    nextCursor: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'fromFlags: where the next call resumes; null at the end of the list' }),
  })
  .meta({ id: 'BatchAssignmentResult' });

export { normalizeCampaignId };

const GroupFigures = z.object({
  customers: z.number().int(),
  converted: z.number().int(),
  rate: z.number().nullable().meta({ description: 'converted / customers; null for an empty group' }),
  revenueMinor: z.number().int().meta({ description: 'Credited revenue net of refunds, minor units' }),
});
const ResultRow = z.object({
  treatment: GroupFigures.extend({ contacted: z.number().int().meta({ description: 'Reached by an offer under the campaign' }) }),
  control: GroupFigures,
  uplift: z.object({
    absolute: z.number().nullable().meta({ description: 'Treatment rate − control rate' }),
    relative: z.number().nullable().meta({ description: 'Treatment rate / control rate − 1' }),
    ci95: z.tuple([z.number(), z.number()]).nullable().meta({ description: "Newcombe's hybrid score interval of absolute" }),
    relativeCi95: z.tuple([z.number(), z.number()]).nullable(),
    pValue: z.number().nullable().meta({ description: 'Two-sided pooled two-proportion z-test' }),
    z: z.number().nullable(),
  }),
  incrementalRevenueMinor: z.number().int().nullable(),
  confidence: z.number(),
  method: z.string(),
  conclusive: z.boolean().meta({ description: 'False while a group is below the minimum sample; see note' }),
  note: z.string().optional(),
});
export const CampaignResultsSchema = ResultRow.extend({
  campaign: Campaign,
  asOf: z.string(),
  currency: z.string().nullable().meta({ description: 'The currency of every revenue figure: the one most credited purchases are in' }),
  otherCurrencies: z
    .record(z.string(), z.object({ treatmentMinor: z.number().int(), controlMinor: z.number().int() }))
    .optional()
    .meta({ description: 'Revenue credited in other currencies, per group; not in revenueMinor or incrementalRevenueMinor' }),
  bySegment: z.array(ResultRow.extend({ segment: z.string().nullable() })),
  byValueTier: z.array(ResultRow.extend({ valueTier: z.string().nullable() })),
  byChannel: z.array(ResultRow.extend({ channel: z.string() })),
  measurement: z.string().meta({ description: 'How customers and conversions are counted, in words' }),
}).meta({ id: 'CampaignResults' });
