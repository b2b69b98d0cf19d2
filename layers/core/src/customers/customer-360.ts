import { z } from 'zod';
import { LIFECYCLE_STAGES, VALUE_TIERS } from '../mining/lifecycle.js';
import { CONSENT_CHANNELS } from '../touchpoint.js';
import { safeNumber, safeNumberMap, SUBSCRIPTION_SEPARATOR, type ProfileItem } from './profile.js';

const Money = z.object({ currency: z.string(), amountMinor: z.number().int() }).meta({ id: 'Money' });
const ConsentState = z
  .object({ granted: z.boolean(), at: z.string(), source: z.string() })
  .nullable()
  .meta({ description: 'Latest known choice for the channel (by occurredAt), or null when never stated' });

export const Customer360 = z
  .object({
    id: z.string(),
    name: z.object({ first: z.string().optional(), last: z.string().optional() }),
    identifiers: z.object({ emails: z.array(z.string()), phones: z.array(z.string()), externalIds: z.array(z.string()) }),
    consent: z.object(
      Object.fromEntries(CONSENT_CHANNELS.map((c) => [c, ConsentState])) as Record<(typeof CONSENT_CHANNELS)[number], typeof ConsentState>,
    ),
    firstSeen: z.string().nullable(),
    lastSeen: z.string().nullable(),
    aggregatesCapped: z.boolean().optional().meta({
      description:
        'The profile reached its size limit: counts and sums stay exact, product, category, ticket and subscription lists stopped growing',
    }),
    touchpointCount: z.number().int(),
    touchpointsByType: z.record(z.string(), z.number().int()),
    purchaseCount: z.number().int(),
    revenue: z.array(Money),
    averageOrderValue: z.array(Money),
    refunds: z.object({ count: z.number().int(), amounts: z.array(Money) }),
    categories: z.record(z.string(), z.number().int()).meta({ description: 'Units bought per category' }),
    ownedProducts: z.array(z.string()),
    activeSubscriptions: z.array(z.object({ subscriptionId: z.string(), productId: z.string() })),
    openTickets: z.array(z.string()),
    complaints: z.number().int(),
    averageSatisfaction: z.number().nullable(),
    ratingsCount: z.number().int(),
    paymentFailures: z.number().int(),
    sourceSystems: z.array(z.string()),
    mergedFrom: z.array(z.string()),
    createdAt: z.string(),
    mining: z
      .object({
        runId: z.string(),
        segment: z.string(),
        clvMinor: z.number().int(),
        pAlive: z.number(),
        churnRisk: z.number().meta({ description: 'Churn score with service signals (ranks churn-risk flags)' }),
        churnProbability: z.number().optional().meta({ description: "Calibrated P(no purchase in the run's churn horizon)" }),
        model: z.string().optional().meta({ description: "The purchase model behind P(alive), or 'rule'" }),
        lifecycle: z.enum(LIFECYCLE_STAGES).optional(),
        valueTier: z.enum(VALUE_TIERS).optional(),
        nextPurchaseDate: z.string().nullable().optional().meta({ description: 'Expected next purchase day (YYYY-MM-DD)' }),
        expectedPurchases: z.number(),
        scoredAt: z.string(),
      })
      .nullable()
      .meta({ description: 'From the latest mining run that scored this customer; null before any run' }),
  })
  .meta({ id: 'Customer360' });
export type Customer360 = z.infer<typeof Customer360>;

const sorted = (s?: Iterable<string>) => [...(s ?? [])].sort();
const money = (m: Record<string, unknown> | undefined) =>
  Object.entries(safeNumberMap(m))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, amountMinor]) => ({ currency, amountMinor }));

/**
 * Shapes the stored profile (plus the history span) into the public customer 360. Every stored
 * number goes through safeNumber (profile.ts): a BigInt or a number past 2^53 left by older
 * writes is clamped to Number.MAX_SAFE_INTEGER rather than making the read throw.
 */
export function toCustomer360(p: ProfileItem, span: { first?: string; last?: string }, mining: Customer360['mining'] = null): Customer360 {
  const purchases = safeNumber(p.purchaseCount);
  const ratingCount = safeNumber(p.ratingCount);
  const solved = new Set(p.solvedTicketIds ?? []);
  const cancelled = new Set(p.cancelledSubscriptions ?? []);
  const activeSubscriptions = sorted(p.startedSubscriptions)
    .map((s) => {
      const [subscriptionId = '', productId = ''] = s.split(SUBSCRIPTION_SEPARATOR);
      return { subscriptionId, productId };
    })
    .filter((s) => !cancelled.has(s.subscriptionId));
  return {
    id: p.customerId,
    name: { first: p.firstName, last: p.lastName },
    identifiers: { emails: sorted(p.emails), phones: sorted(p.phones), externalIds: sorted(p.externalIds) },
    consent: Object.fromEntries(CONSENT_CHANNELS.map((c) => [c, p.consent?.[c] ?? null])) as Customer360['consent'],
    firstSeen: span.first ?? null,
    lastSeen: span.last ?? null,
    ...(p.aggregatesCapped ? { aggregatesCapped: true } : {}),
    touchpointCount: safeNumber(p.touchpointCount),
    touchpointsByType: safeNumberMap(p.typeCounts),
    purchaseCount: purchases,
    revenue: money(p.revenue),
    averageOrderValue: purchases ? money(p.revenue).map((m) => ({ ...m, amountMinor: Math.round(m.amountMinor / purchases) })) : [],
    refunds: { count: safeNumber(p.refundCount), amounts: money(p.refunded) },
    categories: safeNumberMap(p.categoryQuantities),
    ownedProducts: [...new Set([...sorted(p.ownedProducts), ...activeSubscriptions.map((s) => s.productId)])],
    activeSubscriptions,
    openTickets: sorted(p.openedTicketIds).filter((t) => !solved.has(t)),
    complaints: p.complaintTicketIds?.size ?? 0,
    averageSatisfaction: ratingCount ? Math.round((safeNumber(p.ratingSum) / ratingCount) * 100) / 100 : null,
    ratingsCount: ratingCount,
    paymentFailures: safeNumber(p.paymentFailureCount),
    sourceSystems: sorted(p.sources),
    mergedFrom: p.mergedFrom ?? [],
    createdAt: p.createdAt,
    mining,
  };
}
