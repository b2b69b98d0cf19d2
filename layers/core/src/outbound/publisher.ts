import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, metrics } from '../observability.js';
import type { EventPublisher, OutboundEvent } from './events.js';
import type { OutboundMessage } from './schema.js';

export const EVENTS_NOT_PUBLISHED_METRIC = 'OutboundEventsNotPublished';

/** Events go to the outbound queue; the outbound worker puts them on the bus and delivers them. */
export function queuePublisher(queue: { send(messages: OutboundMessage[]): Promise<void> }): EventPublisher {
  return { publish: (events) => queue.send(events.map((event) => ({ kind: 'event', event }))) };
}

/**
 * Announces what already happened. The change is committed by then, so a failure to queue its
 * events must not turn the caller's success into an error (a client would retry and, without an
 * idempotency key, do it twice): it is logged and counted (OutboundEventsNotPublished) instead.
 * The same happening announced again (a retry, a replay) carries the same event id, so nothing is
 * delivered twice.
 */
export async function announce(publisher: EventPublisher, events: readonly OutboundEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await publisher.publish(events);
  } catch (error) {
    logger.error('outbound events not published', {
      types: [...new Set(events.map((e) => e.type))],
      ids: events.slice(0, 10).map((e) => e.id),
      error: error instanceof Error ? error.message : String(error),
    });
    metrics.addMetric(EVENTS_NOT_PUBLISHED_METRIC, MetricUnit.Count, events.length);
  }
}
