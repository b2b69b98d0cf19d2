/**
 * Webhook subscriptions (POST/GET/PATCH/DELETE /subscriptions, rotate-secret, deliveries, test).
 * A URL is checked by the SSRF guard when it is set, and again by the sender on every attempt (a
 * host may start resolving somewhere private later).
 */
import { shapeCheckedCursor } from '../http/cursor.js';
import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import {
  pendingDelivery,
  type DeliveryPosition,
  type OutboundStore,
  type StoredDelivery,
  type StoredSubscription,
} from '../store/outbound-store.js';
import { outboundEvent, TEST_EVENT_TYPE } from './events.js';
import {
  SUBSCRIPTION_LIMITS,
  type DeliveryView,
  type OutboundMessage,
  type SubscriptionCreate,
  type SubscriptionPatch,
  type SubscriptionView,
  type DeliveryStatus,
} from './schema.js';
import { checkDeliveryUrl, type UrlGuardOptions } from './url-guard.js';

/** How long a rotated-out secret keeps signing, so receivers can switch without losing a delivery. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;
/** Secrets signing at once (each adds a signature to every delivery): rotations within a day stop there. */
export const MAX_LIVE_SECRETS = 4;

export interface SubscriptionDeps {
  outbound: OutboundStore;
  /** Sends to the outbound queue (the test delivery). */
  outboundQueue: { send(messages: OutboundMessage[]): Promise<void> };
  urlGuard: UrlGuardOptions;
  now?: () => Date;
}

/** `whsec_` + 24 random bytes in base64, as Standard Webhooks and Svix write secrets. */
export const newSigningSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

const nowOf = (deps: SubscriptionDeps) => deps.now?.() ?? new Date();

export function viewOf(s: StoredSubscription, now: Date): SubscriptionView {
  const previous = s.secrets.slice(1).find((x) => x.expiresAt && x.expiresAt > now.toISOString());
  return {
    id: s.id,
    url: s.url,
    events: s.events as SubscriptionView['events'],
    ...(s.description ? { description: s.description } : {}),
    status: s.status,
    ...(s.disabledReason ? { disabledReason: s.disabledReason } : {}),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...(previous?.expiresAt ? { previousSecretExpiresAt: previous.expiresAt } : {}),
  };
}

export function deliveryViewOf(d: StoredDelivery): DeliveryView {
  return {
    eventId: d.eventId,
    type: d.type,
    status: d.status,
    attempts: d.attempts,
    createdAt: d.createdAt,
    ...(d.lastAttemptAt ? { lastAttemptAt: d.lastAttemptAt } : {}),
    ...(d.lastStatusCode !== undefined ? { lastStatusCode: d.lastStatusCode } : {}),
    ...(d.lastError ? { lastError: d.lastError } : {}),
    ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt } : {}),
    ...(d.deliveredAt ? { deliveredAt: d.deliveredAt } : {}),
  };
}

/** The URL as the guard sees it, or a 422 naming the field and the reason. */
async function guardedUrl(url: string, guard: UrlGuardOptions): Promise<string> {
  const verdict = await checkDeliveryUrl(url, guard);
  if (!verdict.ok) throw new ValidationError('Invalid request body', [{ path: 'body.url', message: verdict.reason }]);
  // Bounded as stored: normalising percent-encodes, so 1,000 characters can become 6,000.
  const normalized = verdict.url.toString();
  if (normalized.length > SUBSCRIPTION_LIMITS.MAX_URL_LENGTH)
    throw new ValidationError('Invalid request body', [
      {
        path: 'body.url',
        message: `must be at most ${SUBSCRIPTION_LIMITS.MAX_URL_LENGTH} characters once encoded (it is ${normalized.length})`,
      },
    ]);
  return normalized;
}

/** Secrets still signing at `now`, newest first. */
export const liveSecrets = (s: Pick<StoredSubscription, 'secrets'>, now: Date): string[] =>
  s.secrets.filter((x, i) => i === 0 || (x.expiresAt !== undefined && x.expiresAt > now.toISOString())).map((x) => x.secret);

export async function createSubscription(
  deps: SubscriptionDeps,
  body: SubscriptionCreate,
): Promise<{ subscription: SubscriptionView; secret: string }> {
  const url = await guardedUrl(body.url, deps.urlGuard);
  const now = nowOf(deps).toISOString();
  const secret = newSigningSecret();
  const stored: StoredSubscription = {
    id: ulid(),
    url,
    events: body.events,
    ...(body.description ? { description: body.description } : {}),
    status: 'active',
    secrets: [{ secret }],
    createdAt: now,
    updatedAt: now,
  };
  if (!(await deps.outbound.putSubscription(stored, SUBSCRIPTION_LIMITS.MAX_SUBSCRIPTIONS)))
    throw new ConflictError(`At most ${SUBSCRIPTION_LIMITS.MAX_SUBSCRIPTIONS} subscriptions; delete one first`);
  return { subscription: viewOf(stored, nowOf(deps)), secret };
}

async function found(deps: SubscriptionDeps, id: string): Promise<StoredSubscription> {
  const s = await deps.outbound.getSubscription(id);
  if (!s) throw new NotFoundError(`No subscription ${id}`);
  return s;
}

export async function getSubscription(deps: SubscriptionDeps, id: string): Promise<SubscriptionView> {
  return viewOf(await found(deps, id), nowOf(deps));
}

export async function listSubscriptions(deps: SubscriptionDeps): Promise<{ items: SubscriptionView[] }> {
  const now = nowOf(deps);
  return { items: (await deps.outbound.listSubscriptions()).map((s) => viewOf(s, now)) };
}

export async function patchSubscription(deps: SubscriptionDeps, id: string, patch: SubscriptionPatch): Promise<SubscriptionView> {
  await found(deps, id);
  const url = patch.url === undefined ? undefined : await guardedUrl(patch.url, deps.urlGuard);
  const updated = await deps.outbound.updateSubscription(
    id,
    {
      ...(url ? { url } : {}),
      ...(patch.events ? { events: patch.events } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.status ? { status: patch.status } : {}),
      updatedAt: nowOf(deps).toISOString(),
    },
    // Re-enabling clears why it was disabled.
    patch.status === 'active' ? ['disabledReason'] : [],
  );
  if (!updated) throw new NotFoundError(`No subscription ${id}`);
  return viewOf(updated, nowOf(deps));
}

export async function deleteSubscription(deps: SubscriptionDeps, id: string): Promise<void> {
  if (!(await deps.outbound.deleteSubscription(id))) throw new NotFoundError(`No subscription ${id}`);
}

/** A new secret signs from now on; the previous one keeps signing for SECRET_OVERLAP_MS (both sign meanwhile). */
export async function rotateSecret(deps: SubscriptionDeps, id: string): Promise<{ subscription: SubscriptionView; secret: string }> {
  const current = await found(deps, id);
  const now = nowOf(deps);
  const secret = newSigningSecret();
  const expiresAt = new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString();
  // Every secret still in its overlap keeps it: a receiver that has not switched yet keeps verifying.
  const overlapping = current.secrets.slice(1).filter((x) => x.expiresAt && x.expiresAt > now.toISOString());
  if (overlapping.length + 2 > MAX_LIVE_SECRETS)
    throw new ConflictError(
      `At most ${MAX_LIVE_SECRETS} secrets sign at once: wait until ${overlapping.map((x) => x.expiresAt ?? '').sort()[0]} for the oldest to expire`,
    );
  const secrets = [{ secret }, { secret: current.secrets[0]!.secret, expiresAt }, ...overlapping];
  const updated = await deps.outbound.updateSubscription(id, { secrets, updatedAt: now.toISOString() }, [], {
    expression: 'updatedAt = :seen',
    values: { ':seen': current.updatedAt },
  });
  if (!updated) throw new ConflictError('The subscription changed meanwhile; retry');
  return { subscription: viewOf(updated, now), secret };
}

/**
 * A delivery cursor names a position inside one subscription's own deliveries (the query is pinned
 * to the subscription), so it needs no signature: it is checked for shape, and anything else is a 400.
 */
const DeliveryCursor = z.object({ createdAt: z.iso.datetime(), eventId: z.string().regex(/^evt_[0-9A-Z]{26}$/) }).strict();
const deliveryCursor = shapeCheckedCursor<DeliveryPosition>(DeliveryCursor);

export async function listDeliveries(
  deps: SubscriptionDeps,
  id: string,
  query: { limit: number; status?: DeliveryStatus; cursor?: string },
): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const after = query.cursor ? deliveryCursor.decode(query.cursor) : undefined;
  await found(deps, id);
  const page = await deps.outbound.listDeliveries(id, query.limit, {
    ...(query.status ? { status: query.status } : {}),
    ...(after ? { after } : {}),
  });
  return { items: page.items.map(deliveryViewOf), nextCursor: page.next ? deliveryCursor.encode(page.next) : null };
}

/** Queues a `subscription.test` event to this subscription only. */
export async function sendTestEvent(deps: SubscriptionDeps, id: string): Promise<{ eventId: string; status: DeliveryStatus }> {
  const subscription = await found(deps, id);
  if (subscription.status !== 'active')
    throw new ConflictError(`The subscription is disabled (${subscription.disabledReason ?? 'by request'}): PATCH it to active first`);
  const now = nowOf(deps);
  // A fresh id per test: each press of the button is its own delivery.
  const event = outboundEvent(TEST_EVENT_TYPE, [id, ulid()], { subscriptionId: id, message: 'A test event from Patron' }, now);
  await deps.outbound.createDelivery(pendingDelivery(subscription.id, event, now), now);
  await deps.outboundQueue.send([{ kind: 'deliver', subscriptionId: id, eventId: event.id, attempt: 0 }]);
  return { eventId: event.id, status: 'pending' };
}
