import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors.js';
import { OFFER_CHANNELS, OFFER_KINDS, RULE_NAMES, Severity, type RuleName } from './schema.js';

/**
 * The rule set: which rules run, how severe their findings are and their thresholds. Operators
 * keep it as JSON; `parseRuleSet` fills every omitted field with its default (so `{}` is the
 * default rule set) and rejects unknown or invalid fields with their paths.
 */

export { RULE_NAMES, type RuleName };

const Kinds = z.array(z.enum(OFFER_KINDS));
const Days = z.number().int().min(0).max(3650);
const Count = z.number().int().min(0);

/**
 * Settings every rule has: `enabled`; `severity` replaces the rule's own severity (e.g. make
 * quiet-period a block); `overridable` lets a block be accepted by a person with a reason (the
 * offer's `override`), which turns it into a warning that says so.
 */
function rule<S extends z.ZodRawShape>(shape: S, overridable = false) {
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      severity: Severity.optional(),
      overridable: z.boolean().default(overridable),
      ...shape,
    })
    .prefault({} as never); // every field has a default; TS cannot see that through the generic shape
}

export const RuleSetConfig = z
  .strictObject({
    /** Who counts as a top-tier (VIP) customer, for high-value-penalty and service-tier-mismatch. */
    highValue: z
      .strictObject({
        /** Segments of the latest mining run that count as top tier. */
        topSegments: z.array(z.string().min(1)).default(['Champions', 'Loyal', "Can't lose them"]),
        /**
         * Top X % of customers by CLV count as top tier. The store turns this into
         * `mining.clvTier` (the engine sees one customer, not the distribution).
         */
        topClvPercent: z.number().gt(0).max(100).default(10),
        /** Also top tier: CLV at or above this (minor units of the main currency); null = off. */
        clvMinorAtLeast: z.number().int().nonnegative().nullable().default(null),
        /** Also top tier: revenue to date at or above this (minor units); null = off. The largest depositor. */
        revenueMinorAtLeast: z.number().int().nonnegative().nullable().default(null),
      })
      .prefault({}),
    rules: z
      .strictObject({
        'conflicting-terms': rule({
          /** Kinds that quote a price; an offer conflicts only with active offers of these kinds. */
          kinds: Kinds.default(['offer', 'upsell', 'cross-sell', 'retention']),
          /** Also compare offers of different products in the same productFamily. */
          matchFamily: z.boolean().default(true),
          /** Term fields left out of the comparison (e.g. a free-text note). */
          ignoreTermKeys: z.array(z.string()).default([]),
        }),
        'duplicate-offer': rule({}),
        'already-owned': rule({
          /** Kinds that sell the product (retention is excluded: it is meant for holders). */
          kinds: Kinds.default(['offer', 'upsell', 'cross-sell']),
          /** Also block when the customer holds another product of the offered productFamily. */
          matchFamily: z.boolean().default(true),
          /** Catalog: productId -> productFamily, for owned products whose family the facts do not carry. */
          productFamilies: z.record(z.string(), z.string()).default({}),
          /**
           * Product ids or families bought again and again (consumables): a past purchase of these
           * does not count as holding them. Subscriptions and memberships always count.
           */
          repeatable: z.array(z.string().min(1)).default([]),
        }),
        'high-value-penalty': rule(
          {
            kinds: Kinds.default(['penalty', 'fee', 'collection']),
          },
          true,
        ),
        'service-tier-mismatch': rule({
          /** productId (or productFamily) -> its premium variant. Empty = the rule cannot fire. */
          premiumVariants: z.record(z.string(), z.string()).default({}),
        }),
        'sell-after-complaint': rule({
          kinds: Kinds.default(['upsell', 'cross-sell']),
          /** A complaint or low rating this many days back or fewer counts. */
          withinDays: Days.default(30),
          /** A rating (or lifetime average) at or below this is low satisfaction (scale 1-5). */
          satisfactionAtMost: z.number().min(0).max(5).default(2),
          /** A churn-risk flag (or mining churnRisk) at or above this counts. */
          churnRiskAtLeast: z.number().min(0).max(1).default(0.7),
          /** Any open ticket counts. */
          openTickets: z.boolean().default(true),
        }),
        'contact-fatigue': rule({
          /** Rolling window, in days back from now (a contact exactly windowDays ago still counts). */
          windowDays: Days.min(1).default(7),
          /** Most contacts allowed per channel in the window, this one included. */
          perChannel: Count.default(2),
          /** Per-channel exceptions to perChannel, e.g. {"email": 3}. */
          channelLimits: z.partialRecord(z.enum(OFFER_CHANNELS), Count).default({}),
          /** Most contacts allowed over all channels in the window, this one included. */
          total: Count.default(4),
          /** Kinds never held back: service the customer asked for, legally required collection notices. */
          exemptKinds: Kinds.default(['service', 'collection']),
        }),
        'no-consent': rule({
          /** Channels that need a known opt-in; the others need only the absence of an opt-out. */
          optInChannels: z.array(z.enum(['email', 'sms', 'phone'])).default(['email', 'sms']),
          /** Kinds sent regardless of (marketing) consent: service and legally required collection notices. */
          exemptKinds: Kinds.default(['service', 'collection']),
        }),
        'quiet-period': rule({
          /** Sales kinds held back during the quiet period. */
          kinds: Kinds.default(['offer', 'upsell', 'cross-sell']),
          /** Days after the event during which to stay quiet (day `days` itself is still quiet). */
          days: Days.default(14),
          events: z
            .array(z.enum(['complaint', 'payment-failure', 'cancellation']))
            .default(['complaint', 'payment-failure', 'cancellation']),
        }),
        'exclusive-offers': rule({
          /** Term fields that make an offer a discount. */
          discountKeys: z.array(z.string().min(1)).default(['discountPercent', 'discountAmount']),
          /** How a discount without `stackable` is treated. */
          stackableByDefault: z.boolean().default(true),
        }),
        'stale-profile': rule({
          /** Warn when the newest of lastSeen/profileUpdatedAt is older than this. */
          maxProfileAgeDays: Days.default(365),
          /** Warn when the mining scores (mining.scoredAt) are older than this. */
          maxScoreAgeDays: Days.default(30),
          /** Warn when the latest mining run failed. */
          warnOnFailedRun: z.boolean().default(true),
        }),
        /** Never overridable: a rule set saying `overridable: true` is refused. */
        holdout: z
          .strictObject({
            enabled: z.boolean().default(true),
            severity: Severity.optional(),
            overridable: z.literal(false, { error: 'holdout cannot be overridable' }).default(false),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .meta({ id: 'OfferRuleSet' });
export type RuleSetConfig = z.infer<typeof RuleSetConfig>;
export type RuleSetInput = z.input<typeof RuleSetConfig>;
export type RuleConfig<N extends RuleName> = RuleSetConfig['rules'][N];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The default rule set (= `parseRuleSet({})`), frozen. */
export const DEFAULT_RULES: RuleSetConfig = deepFreeze(RuleSetConfig.parse({}));

/**
 * Parses a rule set from JSON text or an already-parsed object. Omitted fields take their
 * defaults. Fails with a ValidationError listing each bad field by path (e.g.
 * `rules.contact-fatigue.perChannel`).
 */
export function parseRuleSet(json: unknown): RuleSetConfig {
  let input = json;
  if (typeof json === 'string') {
    try {
      input = JSON.parse(json);
    } catch (e) {
      throw new ValidationError('The rule set is not valid JSON', [{ path: '(root)', message: (e as Error).message }]);
    }
  }
  const result = RuleSetConfig.safeParse(input);
  if (!result.success) {
    const issues: FieldIssue[] = result.error.issues.flatMap((i) => {
      const base = i.path.map(String);
      // Unknown keys come as one issue on the parent: name each key so the path points at it.
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: [...base, k].join('.'), message: `unknown field ${k}` }));
      return [{ path: base.join('.') || '(root)', message: i.message }];
    });
    throw new ValidationError('Invalid offer rule set', issues);
  }
  return result.data;
}
