/**
 * The outbound worker (the `outbound` function, fed by the outbound queue). Two messages:
 * - `event`: put the event on the stack's EventBridge bus, then create one delivery per active
 *   subscription to its type (conditional: once per event and subscription, so a redelivered
 *   message or the same event announced twice makes no second delivery) and queue attempt 0.
 * - `deliver`: one attempt of one delivery, under a per-endpoint concurrency limit (lease slots),
 *   signed and sent by sender.ts; then delivered, a retry scheduled with backoff, or failed.
 *
 * Deliveries live in DynamoDB and their next attempts in SQS, so a restart loses nothing. SQS holds a
 * message back at most 15 minutes: a longer wait is taken in hops (the message comes back early,
 * sees `nextAttemptAt` ahead, and goes back with the rest of the wait).
 */
import { pendingDelivery, type OutboundStore, type StoredDelivery, type StoredSubscription } from '../store/outbound-store.js';
import type { OutboundEvent } from './events.js';
import type { OutboundMessage } from './schema.js';
import type { DeliveryOutcome, OutboundRequest } from './sender.js';
import { liveSecrets } from './subscription-service.js';
import type { UrlGuardOptions } from './url-guard.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
/**
 * Waits after each failed attempt: Svix's published schedule (immediately, 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h, 10 h), about 27.6 hours from the first attempt to the last. Each wait gets up to
 * 20% more (jitter, so deliveries that failed together do not come back together), never less:
 * the retries span at least 27.6 hours, past the 24 a receiver may be down for.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [5 * S, 5 * MIN, 30 * MIN, 2 * H, 5 * H, 10 * H, 10 * H];
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** Sends in flight to one subscription's endpoint at most. */
export const ENDPOINT_CONCURRENCY = 4;
/** SQS's longest DelaySeconds. */
export const MAX_QUEUE_DELAY_S = 900;
/** A lease or an attempt is held this long (the sender's 10 s timeout plus margin); then others may take it. */
const HOLD_MS = 30 * S;
const JITTER = 0.2;

export interface EventBus {
  put(events: readonly OutboundEvent[]): Promise<void>;
}

export interface OutboundWorkerDeps {
  outbound: OutboundStore;
  queue: { send(messages: OutboundMessage[], options?: { delaySeconds?: number }): Promise<void> };
  /** Where exhausted deliveries are parked for operators (the outbound DLQ). */
  deadLetters?: { send(messages: unknown[]): Promise<void> };
  /** The stack's EventBridge bus (absent locally when the template has none). */
  bus?: EventBus;
  send(request: OutboundRequest, guard: UrlGuardOptions): Promise<DeliveryOutcome>;
  urlGuard: UrlGuardOptions;
  now?: () => Date;
  random?: () => number;
}

/** The wait before attempt `attemptsMade + 1` (1-based count of attempts made), with jitter (0 to +20%). */
export function retryDelayMs(attemptsMade: number, random: () => number = Math.random): number {
  const base = RETRY_SCHEDULE_MS[Math.min(attemptsMade, RETRY_SCHEDULE_MS.length) - 1] ?? RETRY_SCHEDULE_MS[0]!;
  return Math.round(base * (1 + JITTER * random()));
}

export async function handleOutboundMessage(deps: OutboundWorkerDeps, message: OutboundMessage): Promise<void> {
  if (message.kind === 'event') await fanOut(deps, message.event as OutboundEvent);
  else await deliver(deps, message.subscriptionId, message.eventId, message.attempt);
}

const wants = (s: StoredSubscription, type: string) => s.status === 'active' && s.events.includes(type);

async function fanOut(deps: OutboundWorkerDeps, event: OutboundEvent): Promise<void> {
  await deps.bus?.put([event]);
  const now = deps.now?.() ?? new Date();
  const messages: OutboundMessage[] = [];
  for (const subscription of (await deps.outbound.listSubscriptions()).filter((s) => wants(s, event.type))) {
    const created = await deps.outbound.createDelivery(pendingDelivery(subscription.id, event, now), now);
    // Created before a crash but never queued: queue it now (a duplicate message loses the claim).
    const stranded = !created && (await deps.outbound.getDelivery(subscription.id, event.id))?.status === 'pending';
    if (created || stranded) messages.push({ kind: 'deliver', subscriptionId: subscription.id, eventId: event.id, attempt: 0 });
  }
  await deps.queue.send(messages);
}

const later = (deps: OutboundWorkerDeps, message: OutboundMessage, waitMs: number) =>
  deps.queue.send([message], { delaySeconds: Math.min(MAX_QUEUE_DELAY_S, Math.max(0, Math.ceil(waitMs / 1000))) });

async function deliver(deps: OutboundWorkerDeps, subscriptionId: string, eventId: string, attempt: number): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const message: OutboundMessage = { kind: 'deliver', subscriptionId, eventId, attempt };
  const delivery = await deps.outbound.getDelivery(subscriptionId, eventId);
  if (!delivery || !['pending', 'retrying', 'sending'].includes(delivery.status)) return;
  if (delivery.nextAttemptAt && delivery.nextAttemptAt > now.toISOString()) {
    await later(deps, message, Date.parse(delivery.nextAttemptAt) - now.getTime());
    return;
  }
  const subscription = await deps.outbound.getSubscription(subscriptionId);
  if (subscription?.status !== 'active') {
    await deps.outbound.recordOutcome(subscriptionId, eventId, {
      status: 'cancelled',
      lastError: subscription ? `subscription disabled: ${subscription.disabledReason ?? 'by request'}` : 'subscription deleted',
    });
    return;
  }
  const slot = await deps.outbound.acquireLease(subscriptionId, ENDPOINT_CONCURRENCY, now, HOLD_MS);
  if (slot === undefined) {
    // The endpoint has its fill of sends in flight: come back in 1-3 s, without spending an attempt.
    await later(deps, message, 1000 + 2000 * (deps.random ?? Math.random)());
    return;
  }
  let outcome: DeliveryOutcome;
  try {
    const claimed = await deps.outbound.claimAttempt(subscriptionId, eventId, attempt, now, HOLD_MS);
    if (!claimed) return; // another copy of this message has the attempt
    outcome = await deps.send(
      { url: subscription.url, eventId, body: delivery.payload, secrets: liveSecrets(subscription, now), now },
      deps.urlGuard,
    );
  } finally {
    await deps.outbound.releaseLease(subscriptionId, slot);
  }
  await record(deps, subscription, delivery, attempt + 1, outcome, now);
}

async function record(
  deps: OutboundWorkerDeps,
  subscription: StoredSubscription,
  delivery: StoredDelivery,
  attemptsMade: number,
  outcome: DeliveryOutcome,
  now: Date,
): Promise<void> {
  const { id } = subscription;
  const { eventId } = delivery;
  const status = 'status' in outcome ? outcome.status : undefined;
  if (outcome.outcome === 'delivered') {
    await deps.outbound.recordOutcome(id, eventId, { status: 'delivered', lastStatusCode: status, deliveredAt: now.toISOString() });
    return;
  }
  if (outcome.outcome === 'retry' && attemptsMade < MAX_ATTEMPTS) {
    const wait = retryDelayMs(attemptsMade, deps.random);
    await deps.outbound.recordOutcome(id, eventId, {
      status: 'retrying',
      lastStatusCode: status,
      lastError: outcome.reason,
      nextAttemptAt: new Date(now.getTime() + wait).toISOString(),
    });
    await later(deps, { kind: 'deliver', subscriptionId: id, eventId, attempt: attemptsMade }, wait);
    return;
  }
  // Failed for good: 410 Gone, a URL the guard now refuses, or every attempt spent.
  const reason =
    outcome.outcome === 'gone'
      ? 'the receiver answered 410 Gone'
      : outcome.outcome === 'refused'
        ? `the URL is refused now: ${outcome.reason}`
        : `${attemptsMade} attempts failed over ${Math.round((now.getTime() - Date.parse(delivery.createdAt)) / H)} h (last: ${outcome.reason})`;
  await deps.outbound.recordOutcome(id, eventId, { status: 'failed', lastStatusCode: status, lastError: reason });
  await deps.deadLetters?.send([{ subscriptionId: id, eventId, type: delivery.type, reason, failedAt: now.toISOString() }]);
  await deps.outbound.updateSubscription(id, { status: 'disabled', disabledReason: reason, updatedAt: now.toISOString() }, [], {
    expression: '#current = :active',
    names: { '#current': 'status' },
    values: { ':active': 'active' },
  });
}
