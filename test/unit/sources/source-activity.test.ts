import fc from 'fast-check';
import {
  ACTIVITY_OUTCOMES,
  type ActivityOutcome,
  countingObserver,
  FLUSH_INTERVAL_MS,
  SourceActivity,
  type SourceBucketFlush,
} from '../../../layers/core/src/ingest/source-activity.js';
import { healthOf } from '../../../layers/core/src/ingest/source-health.js';
import type { SourceStats } from '../../../layers/core/src/store/source-stats-store.js';

const T0 = Date.parse('2026-11-30T10:59:50.000Z');

/** A writer that records each flush (and can be told to fail). */
function fakeWriter() {
  const flushes: SourceBucketFlush[] = [];
  const markers: { source: string; lastDeliveryAt?: string }[] = [];
  const w = {
    flushes,
    markers,
    fail: false,
    addBucket: async (f: SourceBucketFlush) => {
      if (w.fail) throw new Error('throttled');
      flushes.push(structuredClone(f));
    },
    touchLast: async (source: string, last: { lastDeliveryAt?: string }) => {
      if (w.fail) throw new Error('throttled');
      markers.push({ source, ...last });
    },
  };
  return w;
}

const quiet = { warn: () => undefined };

describe('SourceActivity: coalesced per-source delivery counts', () => {
  it('flushes the first delivery at once, then at most once per interval per source', async () => {
    let now = T0;
    const writer = fakeWriter();
    const activity = new SourceActivity(writer, { now: () => now, log: quiet });
    activity.record('generic', 'accepted');
    await activity.flushDue();
    expect(writer.flushes).toEqual([
      { source: 'generic', hour: '2026-11-30T10:00:00.000Z', counts: { accepted: 1 }, lastDeliveryAt: new Date(T0).toISOString() },
    ]);
    // Within the interval: buffered, no write.
    for (let i = 0; i < 5; i++) {
      now += 1_000;
      activity.record('generic', i % 2 ? 'duplicate' : 'rejected');
      await activity.flushDue();
    }
    expect(writer.flushes).toHaveLength(1);
    expect(activity.buffered('generic')).toMatchObject({ duplicate: 2, rejected: 3 });
    // Another source has its own clock: its first delivery flushes at once.
    activity.record('shopify', 'ignored');
    await activity.flushDue();
    expect(writer.flushes.map((f) => f.source)).toEqual(['generic', 'shopify']);
    // The interval over (and the hour turned): one write per hour bucket, with that hour's times.
    now = T0 + FLUSH_INTERVAL_MS;
    activity.record('generic', 'accepted');
    await activity.flushDue();
    const late = writer.flushes.slice(2);
    expect(late).toEqual([
      {
        source: 'generic',
        hour: '2026-11-30T10:00:00.000Z',
        counts: { duplicate: 2, rejected: 3 },
        lastDeliveryAt: new Date(T0 + 4_000).toISOString(),
        lastRejectedAt: new Date(T0 + 5_000).toISOString(),
      },
      { source: 'generic', hour: '2026-11-30T11:00:00.000Z', counts: { accepted: 1 }, lastDeliveryAt: new Date(now).toISOString() },
    ]);
    expect(activity.buffered()).toEqual({ accepted: 0, duplicate: 0, ignored: 0, parked: 0, rejected: 0 });
    // The long-lived marker: once per source per hour, not with every flush.
    expect(writer.markers.map((m) => m.source)).toEqual(['generic', 'shopify']);
  });

  it('a failed flush never throws, keeps its counts and retries with the next due flush', async () => {
    let now = T0;
    const writer = fakeWriter();
    const warnings: unknown[] = [];
    const activity = new SourceActivity(writer, { now: () => now, log: { warn: (...a: unknown[]) => void warnings.push(a) } });
    writer.fail = true;
    activity.record('stripe', 'accepted');
    await expect(activity.flushDue()).resolves.toBeUndefined();
    expect(warnings.length).toBeGreaterThan(0);
    expect(activity.buffered('stripe').accepted).toBe(1);
    writer.fail = false;
    now += FLUSH_INTERVAL_MS;
    activity.record('stripe', 'accepted');
    await activity.flushDue();
    expect(writer.flushes.reduce((n, f) => n + (f.counts.accepted ?? 0), 0)).toBe(2);
  });

  it('property: whatever the timing, failures and sources, flushed + buffered == recorded, and no source flushes twice within an interval', async () => {
    const step = fc.record({
      source: fc.constantFrom('generic', 'shopify', 'stripe', 'zendesk'),
      outcome: fc.constantFrom(...ACTIVITY_OUTCOMES),
      advanceMs: fc.integer({ min: 0, max: 3 * FLUSH_INTERVAL_MS }),
      failing: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 80 }), async (steps) => {
        let now = T0;
        const writer = fakeWriter();
        const activity = new SourceActivity(writer, { now: () => now, log: quiet });
        const recorded: Record<string, number> = {};
        const writesAt: { source: string; at: number }[] = [];
        for (const s of steps) {
          now += s.advanceMs;
          writer.fail = s.failing;
          activity.record(s.source, s.outcome as ActivityOutcome);
          recorded[s.outcome] = (recorded[s.outcome] ?? 0) + 1;
          const before = writer.flushes.length;
          const due = activity.due();
          await activity.flushDue();
          if (writer.flushes.length > before) for (const source of due) writesAt.push({ source, at: now });
        }
        const flushed: Record<string, number> = {};
        for (const f of writer.flushes) for (const [o, n] of Object.entries(f.counts)) flushed[o] = (flushed[o] ?? 0) + (n ?? 0);
        const buffered = activity.buffered();
        for (const o of ACTIVITY_OUTCOMES) expect((flushed[o] ?? 0) + buffered[o]).toBe(recorded[o] ?? 0);
        for (const source of ['generic', 'shopify', 'stripe', 'zendesk']) {
          const times = writesAt.filter((w) => w.source === source).map((w) => w.at);
          for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(FLUSH_INTERVAL_MS);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the counting observer records every delivery outcome but an unparked refund (no delivery of its own)', () => {
    const writer = fakeWriter();
    const activity = new SourceActivity(writer, { now: () => T0, log: quiet });
    const seen: string[] = [];
    const observer = countingObserver({ delivery: (_s, o) => void seen.push(o) }, activity);
    for (const o of ['accepted', 'duplicate', 'ignored', 'rejected', 'parked', 'unparked'] as const) observer.delivery('generic', o, {});
    expect(seen).toHaveLength(6);
    expect(activity.buffered('generic')).toEqual({ accepted: 1, duplicate: 1, ignored: 1, parked: 1, rejected: 1 });
  });
});

describe('source health (GET /sources)', () => {
  const now = new Date('2026-11-30T12:30:00.000Z');
  const counts = (accepted: number, rejected = 0) => ({ accepted, duplicate: 0, ignored: 0, parked: 0, rejected });

  it('counts the 24-hour and 7-day windows in whole hours and takes the newest last delivery', () => {
    const stats: SourceStats = {
      buckets: [
        { hour: '2026-11-23T10:00:00.000Z', counts: counts(100) }, // older than 7 days: not counted
        { hour: '2026-11-23T12:00:00.000Z', counts: counts(7) },
        { hour: '2026-11-29T12:00:00.000Z', counts: counts(5, 1) },
        { hour: '2026-11-30T12:00:00.000Z', counts: counts(2), lastDeliveryAt: '2026-11-30T12:20:00.000Z' },
      ],
      lastDeliveryAt: '2026-11-30T11:00:00.000Z',
    };
    const h = healthOf('generic', stats, now, 24);
    expect(h.last24h).toEqual(counts(7, 1));
    expect(h.last7d).toEqual(counts(14, 1));
    expect(h).toMatchObject({ lastDeliveryAt: '2026-11-30T12:20:00.000Z', silentForSeconds: 600, stale: false, lastRejectedAt: null });
  });

  it('is stale when it delivered before but not within staleAfterHours, even past the buckets’ TTL (the marker)', () => {
    const marker: SourceStats = { buckets: [], lastDeliveryAt: '2026-11-10T12:30:00.000Z' };
    expect(healthOf('stripe', marker, now, 24)).toMatchObject({ stale: true, silentForSeconds: 20 * 86_400 });
    expect(healthOf('stripe', marker, now, 720)).toMatchObject({ stale: false });
    expect(healthOf('zendesk', { buckets: [] }, now, 1)).toMatchObject({ stale: false, silentForSeconds: null, lastDeliveryAt: null });
  });
});
