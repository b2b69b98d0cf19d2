/**
 * GET /sources: per webhook source, when it last delivered, how its deliveries were answered in
 * the last 24 hours and 7 days, and whether it has gone quiet. Read from the coalesced hour
 * buckets (ingest/source-activity.ts): no write per delivery, so what a container counted since
 * its last write shows at its next delivery from the source one flush interval or more later.
 */
import { z } from 'zod';
import type { SourceStats, SourceStatsStore } from '../store/source-stats-store.js';
import { SOURCES } from '../touchpoint.js';
import { ACTIVITY_OUTCOMES, type ActivityCounts, FLUSH_INTERVAL_MS } from './source-activity.js';

export const SourcesQuery = z.strictObject({
  staleAfterHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(720)
    .default(24)
    .meta({ description: 'A source that has delivered before but not for this many hours is stale (1-720, default 24)' }),
});
export type SourcesQuery = z.infer<typeof SourcesQuery>;

const Counts = z
  .object(
    Object.fromEntries(ACTIVITY_OUTCOMES.map((o) => [o, z.number().int()])) as Record<(typeof ACTIVITY_OUTCOMES)[number], z.ZodNumber>,
  )
  .meta({
    id: 'DeliveryCounts',
    description:
      'Deliveries by answer: accepted (stored, 201), duplicate (a redelivery, 200), ignored (an event type Patron does not use or an erased customer, 202), parked (a refund before its order, 202), rejected (bad signature, invalid payload or body: the 4xx answers)',
  });

export const SourceHealth = z
  .object({
    source: z.enum(SOURCES),
    lastDeliveryAt: z.string().nullable().meta({ description: 'The newest delivery that was not rejected; null if none is known' }),
    lastRejectedAt: z.string().nullable(),
    stale: z.boolean().meta({ description: 'Delivered before, but not within staleAfterHours' }),
    silentForSeconds: z.number().int().nullable().meta({ description: 'Seconds since lastDeliveryAt; null if none is known' }),
    last24h: Counts,
    last7d: Counts,
  })
  .meta({ id: 'SourceHealth' });
export type SourceHealth = z.infer<typeof SourceHealth>;

export const SourcesHealth = z
  .object({
    asOf: z.string(),
    staleAfterHours: z.number().int(),
    flushIntervalSeconds: z.number().int().meta({
      description:
        'The shortest time between two writes of a source by one Lambda container (the counts in between are written at its next delivery after it)',
    }),
    sources: z.array(SourceHealth),
  })
  .meta({ id: 'SourcesHealth' });
export type SourcesHealth = z.infer<typeof SourcesHealth>;

const HOUR_MS = 3_600_000;

export async function sourcesHealth(deps: { sourceStats: SourceStatsStore; now: () => Date }, q: SourcesQuery): Promise<SourcesHealth> {
  const now = deps.now();
  const since = new Date(now.getTime() - 7 * 24 * HOUR_MS);
  const stats = await Promise.all(SOURCES.map((s) => deps.sourceStats.read(s, since)));
  return {
    asOf: now.toISOString(),
    staleAfterHours: q.staleAfterHours,
    flushIntervalSeconds: Math.round(FLUSH_INTERVAL_MS / 1000),
    sources: SOURCES.map((source, i) => healthOf(source, stats[i]!, now, q.staleAfterHours)),
  };
}

const zero = () => Object.fromEntries(ACTIVITY_OUTCOMES.map((o) => [o, 0])) as Required<ActivityCounts>;
const newest = (xs: (string | undefined)[]) =>
  xs
    .filter((x): x is string => !!x)
    .sort()
    .at(-1);

/**
 * One source's health from its stored stats. The 24-hour window is counted in whole hours: the
 * bucket of the hour 24 hours ago counts in full (likewise for 7 days), so a window may hold up
 * to one hour more than its name.
 */
export function healthOf(source: (typeof SOURCES)[number], stats: SourceStats, now: Date, staleAfterHours: number): SourceHealth {
  const last24h = zero();
  const last7d = zero();
  const dayStart = new Date(now.getTime() - 24 * HOUR_MS);
  dayStart.setUTCMinutes(0, 0, 0);
  const weekStart = new Date(now.getTime() - 7 * 24 * HOUR_MS);
  weekStart.setUTCMinutes(0, 0, 0);
  for (const b of stats.buckets) {
    const at = new Date(b.hour).getTime();
    for (const o of ACTIVITY_OUTCOMES) {
      if (at >= weekStart.getTime()) last7d[o] += b.counts[o];
      if (at >= dayStart.getTime()) last24h[o] += b.counts[o];
    }
  }
  const lastDeliveryAt = newest([stats.lastDeliveryAt, ...stats.buckets.map((b) => b.lastDeliveryAt)]) ?? null;
  const lastRejectedAt = newest([stats.lastRejectedAt, ...stats.buckets.map((b) => b.lastRejectedAt)]) ?? null;
  const silentForSeconds = lastDeliveryAt ? Math.max(0, Math.floor((now.getTime() - new Date(lastDeliveryAt).getTime()) / 1000)) : null;
  return {
    source,
    lastDeliveryAt,
    lastRejectedAt,
    stale: silentForSeconds !== null && silentForSeconds > staleAfterHours * 3600,
    silentForSeconds,
    last24h,
    last7d,
  };
}
