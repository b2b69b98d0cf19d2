/**
 * What Patron tells other systems, and in which shape. Every event is a Standard Webhooks payload
 * (`type`, `timestamp`, `data`), with an id derived from what happened (not drawn at random), so
 * the same happening announced twice (a retried request, a re-run tick, a redelivered message)
 * carries the same id: the outbound worker delivers it once per subscription, and receivers that
 * deduplicate on `webhook-id` see it once. Data holds ids and figures, never personal data: a
 * subscriber asks the API for the customer when it needs more.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const EVENT_TYPES = [
  'flag.raised',
  'flag.cleared',
  'offer.registered',
  'offer.converted',
  'action.due',
  'action.blocked',
  'customer.merged',
  'customer.erased',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Sent by POST /subscriptions/{id}/test to that subscription only; nobody subscribes to it. */
export const TEST_EVENT_TYPE = 'subscription.test';
export type AnyEventType = EventType | typeof TEST_EVENT_TYPE;

/** EventBridge's `source` on the stack's bus (detail-type is the event type). */
export const EVENT_SOURCE = 'patron';

export interface OutboundEvent {
  /** `evt_` + 26 base32 characters: the `webhook-id`, stable across retries. */
  id: string;
  type: AnyEventType;
  /** When it happened (ISO). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** The JSON body a subscriber receives (Standard Webhooks' recommended shape). */
export const EventPayload = z
  .object({
    type: z.string(),
    timestamp: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({
    id: 'EventPayload',
    description: 'A webhook body: the event type, when it happened, and its data (ids and figures, no personal data)',
  });

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 130 bits of SHA-256 in Crockford base32: as long as a ULID, and unguessable from outside. */
export function eventIdOf(type: string, ...parts: readonly string[]): string {
  const digest = createHash('sha256')
    .update([type, ...parts].join('\u0000'))
    .digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === 26) break;
  }
  return `evt_${out}`;
}

/** An event whose id is derived from its type and what identifies the happening. */
export function outboundEvent(type: AnyEventType, identity: readonly string[], data: Record<string, unknown>, at: Date): OutboundEvent {
  return { id: eventIdOf(type, ...identity), type, timestamp: at.toISOString(), data };
}

export const payloadOf = (event: OutboundEvent): string =>
  JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });

/** Where events go: the outbound queue (the worker fans them out to the bus and the subscriptions). */
export interface EventPublisher {
  publish(events: readonly OutboundEvent[]): Promise<void>;
}

/** For functions and tests that announce nothing. */
export const SILENT_PUBLISHER: EventPublisher = { publish: async () => {} };
