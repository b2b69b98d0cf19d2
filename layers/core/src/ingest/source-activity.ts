/**
 * Per-source delivery counts without a DynamoDB write per delivery. Each container counts the
 * outcomes of its webhook deliveries in memory, per source and hour, and flushes a source at
 * most once per FLUSH_INTERVAL_MS: one UpdateItem per hour bucket (ADD the counts, SET the last
 * delivery times), usually one. A source's first delivery after a quiet period (nothing flushed
 * for an interval) flushes at once, so while a source delivers, its stored lastDeliveryAt is never
 * older than the interval. Counts still buffered when a container is recycled are lost: at most
 * what one container received from one source within one interval after its last flush.
 *
 * A flush is best effort: a failed write is logged and its counts go back into the buffer (to be
 * flushed with the next one), and the webhook's answer never depends on it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { logger as defaultLogger } from '../observability.js';
import type { DeliveryOutcome, IngestObserver, ParkingOutcome } from './ingest.js';

/** What a source's deliveries are counted as: the webhook's answer (a parked refund is a 202 kept for later). */
export const ACTIVITY_OUTCOMES = ['accepted', 'duplicate', 'ignored', 'parked', 'rejected'] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];
export type ActivityCounts = Partial<Record<ActivityOutcome, number>>;

/**
 * How often one container flushes one source at most. Short enough that a burst's tail is seconds
 * behind, long enough that a busy container writes a source every 10 s instead of per delivery.
 */
export const FLUSH_INTERVAL_MS = 10_000;
/** How often one container refreshes a source's long-lived last-delivery marker at most. */
export const MARKER_INTERVAL_MS = 3_600_000;

/** One hour bucket's counts as one flush writes them (ADD), with the newest times it saw (SET). */
export interface SourceBucketFlush {
  source: string;
  /** The start of the hour, ISO. */
  hour: string;
  counts: ActivityCounts;
  /** The newest delivery of the bucket that was not rejected, ISO. */
  lastDeliveryAt?: string;
  lastRejectedAt?: string;
}

export interface SourceActivityWriter {
  addBucket(flush: SourceBucketFlush): Promise<void>;
  /** The long-lived marker: a silence longer than the buckets' TTL is still known. */
  touchLast(source: string, last: { lastDeliveryAt?: string; lastRejectedAt?: string }): Promise<void>;
}

interface Bucket {
  counts: ActivityCounts;
  lastDelivery?: number;
  lastRejected?: number;
}

interface SourceState {
  buckets: Map<string, Bucket>;
  lastFlushAt?: number;
  lastMarkerAt?: number;
  lastDelivery?: number;
  lastRejected?: number;
}

const hourOf = (ms: number) => {
  const d = new Date(ms);
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
};

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const maxOf = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

export class SourceActivity {
  private readonly sources = new Map<string, SourceState>();
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly markerMs: number;
  private readonly log: Pick<Logger, 'warn'>;

  constructor(
    private readonly writer: SourceActivityWriter,
    opts: { now?: () => number; flushIntervalMs?: number; markerIntervalMs?: number; log?: Pick<Logger, 'warn'> } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.intervalMs = opts.flushIntervalMs ?? FLUSH_INTERVAL_MS;
    this.markerMs = opts.markerIntervalMs ?? MARKER_INTERVAL_MS;
    this.log = opts.log ?? defaultLogger;
  }

  /** Counts one delivery (in memory only). */
  record(source: string, outcome: ActivityOutcome, at = this.now()): void {
    const state = this.state(source);
    const hour = hourOf(at);
    const bucket = state.buckets.get(hour) ?? { counts: {} };
    bucket.counts[outcome] = (bucket.counts[outcome] ?? 0) + 1;
    if (outcome === 'rejected') bucket.lastRejected = maxOf(bucket.lastRejected, at);
    else bucket.lastDelivery = maxOf(bucket.lastDelivery, at);
    state.buckets.set(hour, bucket);
  }

  /** What is counted and not flushed yet, per outcome (over every source, or one). */
  buffered(source?: string): Required<ActivityCounts> {
    const total = Object.fromEntries(ACTIVITY_OUTCOMES.map((o) => [o, 0])) as Required<ActivityCounts>;
    for (const [name, state] of this.sources)
      if (source === undefined || name === source)
        for (const b of state.buckets.values()) for (const o of ACTIVITY_OUTCOMES) total[o] += b.counts[o] ?? 0;
    return total;
  }

  /** The sources with counts waiting whose last flush is at least an interval ago (or that never flushed). */
  due(): string[] {
    const now = this.now();
    return [...this.sources]
      .filter(([, s]) => s.buckets.size > 0 && (s.lastFlushAt === undefined || now - s.lastFlushAt >= this.intervalMs))
      .map(([name]) => name);
  }

  /** Flushes every due source; never throws. */
  async flushDue(): Promise<void> {
    await Promise.all(this.due().map((source) => this.flush(source)));
  }

  private async flush(source: string): Promise<void> {
    const state = this.state(source);
    const now = this.now();
    const taken = [...state.buckets];
    state.buckets = new Map();
    state.lastFlushAt = now;
    for (const [, b] of taken) {
      state.lastDelivery = maxOf(state.lastDelivery, b.lastDelivery);
      state.lastRejected = maxOf(state.lastRejected, b.lastRejected);
    }
    const failed: [string, Bucket][] = [];
    await Promise.all(
      taken.map(async ([hour, b]) => {
        try {
          await this.writer.addBucket({
            source,
            hour,
            counts: b.counts,
            ...(b.lastDelivery !== undefined ? { lastDeliveryAt: iso(b.lastDelivery) } : {}),
            ...(b.lastRejected !== undefined ? { lastRejectedAt: iso(b.lastRejected) } : {}),
          });
        } catch (error) {
          failed.push([hour, b]);
          this.log.warn('source activity flush failed; counts kept for the next flush', { source, hour, error: String(error) });
        }
      }),
    );
    for (const [hour, b] of failed) this.restore(state, hour, b);
    if (state.lastMarkerAt === undefined || now - state.lastMarkerAt >= this.markerMs) {
      try {
        await this.writer.touchLast(source, {
          ...(state.lastDelivery !== undefined ? { lastDeliveryAt: iso(state.lastDelivery) } : {}),
          ...(state.lastRejected !== undefined ? { lastRejectedAt: iso(state.lastRejected) } : {}),
        });
        state.lastMarkerAt = now;
      } catch (error) {
        this.log.warn('source last-delivery marker failed', { source, error: String(error) });
      }
    }
  }

  private restore(state: SourceState, hour: string, b: Bucket): void {
    const into = state.buckets.get(hour) ?? { counts: {} };
    for (const o of ACTIVITY_OUTCOMES) if (b.counts[o]) into.counts[o] = (into.counts[o] ?? 0) + b.counts[o];
    into.lastDelivery = maxOf(into.lastDelivery, b.lastDelivery);
    into.lastRejected = maxOf(into.lastRejected, b.lastRejected);
    state.buckets.set(hour, into);
  }

  private state(source: string): SourceState {
    let state = this.sources.get(source);
    if (!state) {
      state = { buckets: new Map() };
      this.sources.set(source, state);
    }
    return state;
  }
}

/** An observer that also counts each delivery's outcome (an unparked refund is no delivery of its own). */
export function countingObserver(inner: IngestObserver, activity: SourceActivity): IngestObserver {
  return {
    delivery(source, outcome: DeliveryOutcome | ParkingOutcome, detail) {
      inner.delivery(source, outcome, detail);
      if (outcome !== 'unparked') activity.record(source, outcome);
    },
  };
}
