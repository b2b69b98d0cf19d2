import { purchaseFromTouchpoint } from '../campaigns/attribution.js';
import type { PurchaseEnroller } from '../playbooks/playbook-service.js';
import { outboundEvent, type EventPublisher } from '../outbound/events.js';
import { announce } from '../outbound/publisher.js';
import { logger } from '../observability.js';
import type { CountryCode } from 'libphonenumber-js';
import { BadRequestError, NotFoundError, PayloadTooLargeError, ValidationError, ConfigError } from '../errors.js';
import { identityOf } from '../identity/normalize.js';
import type { PiiHasher } from '../identity/pii-hasher.js';
import { liveOwners, resolveCustomer } from '../identity/resolver.js';
import type { AliasCache } from '../identity/alias-cache.js';
import { type CustomerStore, idempotencyKeyOf, type WriteResult } from '../store/customer-store.js';
import { UpdateBuilder } from '../store/update-builder.js';
import { normalizeInstant, orderIndexPk, touchpointSk } from '../store/keys.js';
import { jsonBytes, type SourceName, type StoredTouchpoint, type Touchpoint } from '../touchpoint.js';
import { attributeTouchpoint, reattributeCustomer } from '../campaigns/attribution-service.js';
import type { CampaignStore } from '../store/campaign-store.js';
import type { OfferStore } from '../store/offer-store.js';
import { getAdapter } from './sources/index.js';
import type { Headers } from './sources/types.js';
import { applyTouchpoint } from './aggregates.js';

/** Larger bodies are refused before verification: no provider sends single events this big. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

/**
 * DynamoDB's hard limits that a touchpoint write must respect. The schema bounds (BOUNDS in
 * touchpoint.ts) keep keys and item size under them by construction; assertStorable re-checks
 * them, and checks the one limit the bounds cannot (the update expression, whose length depends on
 * the store's placeholder names), before identity resolution can create a customer.
 */
export const DYNAMO_LIMITS = {
  sortKeyBytes: 1024,
  partitionKeyBytes: 2048,
  /** The stored item, with margin under DynamoDB's 400 KB for its own size accounting. */
  itemBytes: 350 * 1024,
  /** "The maximum length of any expression string is 4 KB." */
  expressionBytes: 4096,
} as const;

/**
 * Each outcome is a metric name (ParkingOutcome's too). `parked`: a refund that arrived before its order, kept (202) until
 * the order is stored; `unparked`: such a refund applied when its order arrived. parked minus
 * unparked is what still waits (or expired unapplied after PARKED_TTL_DAYS).
 */
export type DeliveryOutcome = 'accepted' | 'duplicate' | 'ignored' | 'rejected';
export type ParkingOutcome = 'parked' | 'unparked';

export interface IngestObserver {
  delivery(
    source: string,
    outcome: DeliveryOutcome | ParkingOutcome,
    detail: { eventType?: string; eventId?: string; customerId?: string; reason?: string },
  ): void;
}

export interface IngestDeps {
  store: CustomerStore;
  hashPii: PiiHasher;
  webhookSecrets: Record<SourceName, string[]>;
  now: () => Date;
  observer: IngestObserver;
  defaultPhoneRegion?: CountryCode;
  aliasCache?: AliasCache;
  /** When given, purchases and refunds are attributed to offers and campaigns (campaigns/attribution-service.ts). */
  attribution?: { offers: OfferStore; campaigns: CampaignStore; events?: EventPublisher };
  /** When given, purchases enroll their customer in purchase-triggered playbooks (playbooks/playbook-service.ts). */
  enroller?: PurchaseEnroller;
  /**
   * When given, flushed after every delivery, whatever its answer: the per-source counts the
   * observer recorded (ingest/source-activity.ts), written at most once per interval; never throws.
   */
  activity?: { flushDue(): Promise<void> };
}

export type IngestResult =
  | {
      status: 'stored' | 'duplicate';
      touchpointId: string;
      customerId: string;
      type: Touchpoint['type'];
      eventType: string;
      merged: string[];
    }
  | { status: 'ignored'; eventType: string; reason: string; parked?: true };

/**
 * One webhook delivery, end to end: size, signature on the raw body, JSON, provider payload to
 * canonical touchpoint, identity resolution, and the idempotent write.
 */
export async function ingestWebhook(deps: IngestDeps, sourceName: string, rawBody: string, headers: Headers): Promise<IngestResult> {
  const adapter = getAdapter(sourceName);
  if (!adapter) throw new NotFoundError(`Unknown webhook source '${sourceName}'`);
  const source = adapter.name;
  try {
    if (Buffer.byteLength(rawBody, 'utf8') > MAX_WEBHOOK_BYTES) {
      throw new PayloadTooLargeError(`Webhook body exceeds ${MAX_WEBHOOK_BYTES} bytes`);
    }
    const secrets = deps.webhookSecrets[source];
    if (secrets.length === 0) throw new ConfigError(`No webhook secret configured for source '${source}'`);
    const now = deps.now();
    adapter.verify(rawBody, headers, secrets, now);

    let payload: unknown;
    try {
      payload = JSON.parse(rawBody);
    } catch {
      throw new BadRequestError('Body is not valid JSON');
    }
    const adapted = adapter.adapt(payload, headers);
    if (adapted.kind === 'ignored') {
      deps.observer.delivery(source, 'ignored', { eventType: adapted.eventType, reason: adapted.reason });
      return { status: 'ignored', eventType: adapted.eventType, reason: adapted.reason };
    }

    const result =
      adapted.kind === 'order-touchpoint'
        ? await storeForOrder(deps, source, adapted.touchpoint, adapted.dedupeKey, adapted.orderId, now, adapted.eventType)
        : await store(deps, source, adapted.touchpoint, adapted.dedupeKey, now, adapted.indexOrderId);
    if (result.status !== 'ignored') {
      // Stored or duplicate alike: a crash after the write must not lose the attribution (or strand
      // the order's parked refunds); both are idempotent, and an error here makes the provider retry.
      await attribute(deps, source, result, adapted.touchpoint);
      await enroll(deps, source, result, adapted.touchpoint);
      if (adapted.kind === 'touchpoint' && adapted.indexOrderId) await applyParked(deps, source, adapted.indexOrderId, now);
    }
    if (result.status === 'ignored') {
      const { code, ...ignored } = result;
      deps.observer.delivery(source, ignored.parked ? 'parked' : 'ignored', {
        eventType: adapted.eventType,
        eventId: adapted.dedupeKey,
        reason: code,
      });
      return { ...ignored, eventType: adapted.eventType };
    }
    deps.observer.delivery(source, result.status === 'stored' ? 'accepted' : 'duplicate', {
      eventType: adapted.eventType,
      eventId: adapted.dedupeKey,
      customerId: result.customerId,
    });
    return { ...result, eventType: adapted.eventType };
  } catch (error) {
    if (!(error instanceof ConfigError) && error instanceof Error && 'status' in error) {
      deps.observer.delivery(source, 'rejected', { reason: (error as { code?: string }).code });
    }
    throw error;
  } finally {
    await deps.activity?.flushDue();
  }
}

/** Attributes a stored purchase or refund to the customer's offers and campaigns (when wired). */
async function attribute(
  deps: IngestDeps,
  source: SourceName,
  stored: { touchpointId: string; customerId: string; merged?: string[] },
  tp: Touchpoint,
): Promise<void> {
  if (!deps.attribution) return;
  const attribution = { ...deps.attribution, now: deps.now };
  if (stored.merged?.length) {
    if (deps.attribution.events) {
      const at = deps.now();
      await announce(
        deps.attribution.events,
        stored.merged.map((mergedId) =>
          outboundEvent('customer.merged', [stored.customerId, mergedId], { customerId: stored.customerId, mergedId }, at),
        ),
      );
    }
    // A merge brought another customer's purchases: they may answer the survivor's offers and campaigns.
    await reattributeCustomer(attribution, stored.customerId);
  }
  if (tp.type !== 'purchase' && tp.type !== 'refund') return;
  await attributeTouchpoint(attribution, stored.customerId, {
    id: stored.touchpointId,
    source,
    type: tp.type,
    occurredAt: normalizeInstant(tp.occurredAt),
    data: tp.data as Record<string, unknown>,
  });
}

/** Starts the purchase-triggered playbooks this purchase matches (idempotent per order). */
async function enroll(
  deps: IngestDeps,
  source: SourceName,
  stored: { touchpointId: string; customerId: string },
  tp: Touchpoint,
): Promise<void> {
  if (!deps.enroller || tp.type !== 'purchase') return;
  const purchase = purchaseFromTouchpoint({
    id: stored.touchpointId,
    source,
    type: tp.type,
    occurredAt: normalizeInstant(tp.occurredAt),
    data: tp.data as Record<string, unknown>,
  });
  if (!purchase) return;
  const listening = await deps.enroller.listening();
  if (!listening.any) return;
  // Only looked up when a first-purchase playbook exists: the profile counts purchases as they are stored.
  const firstPurchase = listening.firstPurchase && (await deps.store.getProfile(stored.customerId, true))?.purchaseCount === 1;
  await deps.enroller.enroll(stored.customerId, { ...purchase, firstPurchase, lines: purchase.items });
}

function toStored(source: SourceName, tp: Touchpoint, dedupeKey: string, customerId: string, receivedAt: string): StoredTouchpoint {
  return {
    id: `${source}:${dedupeKey}`,
    customerId,
    source,
    dedupeKey,
    type: tp.type,
    occurredAt: normalizeInstant(tp.occurredAt),
    receivedAt,
    data: tp.data as Record<string, unknown>,
  };
}

const orderUpdate = (tp: Touchpoint, source: SourceName) => applyTouchpoint(new UpdateBuilder(), tp).addToSet('sources', [source]);

type Stored = { status: 'stored' | 'duplicate'; touchpointId: string; customerId: string; type: Touchpoint['type']; merged: string[] };
type Ignored = { status: 'ignored'; code: string; eventType: string; reason: string; parked?: true };

const erasedIgnored = (tp: Touchpoint, erasedAt?: string): Ignored => ({
  status: 'ignored',
  code: 'customer_erased',
  eventType: tp.type,
  reason: `the customer was erased${erasedAt ? ` on ${erasedAt}` : ''}; events from before the erasure are not stored again`,
});

/**
 * A redelivery of an event already stored: answered with the original's customer (followed
 * through merges), or ignored when that customer was erased. Checked before identity resolution
 * too, so a redelivery naming another email does not create a customer for it.
 */
async function duplicateOf(
  deps: IngestDeps,
  tp: Touchpoint,
  original: { customerId: string; touchpointId: string },
  nowIso: string,
): Promise<Stored | Ignored> {
  const live = (await liveOwners(deps.store, [original.customerId], nowIso)).get(original.customerId);
  if (!live) return erasedIgnored(tp);
  return { status: 'duplicate', touchpointId: original.touchpointId, customerId: live, type: tp.type, merged: [] };
}

/**
 * Consent is applied on duplicates too, to the original's customer: it is idempotent (latest
 * wins by occurredAt), and a crash after the write must not lose it.
 */
async function withConsent(deps: IngestDeps, source: SourceName, tp: Touchpoint, result: Stored | Ignored): Promise<Stored | Ignored> {
  if (tp.type === 'consent_changed' && result.status !== 'ignored') {
    const at = normalizeInstant(tp.occurredAt);
    await deps.store.applyConsent(result.customerId, tp.data.channel, { granted: tp.data.granted, at, source });
  }
  return result;
}

/** The idempotency key of an incoming touchpoint (see idempotencyKeyOf). */
const keyOf = (tp: Touchpoint, dedupeKey: string) =>
  idempotencyKeyOf({ type: tp.type, dedupeKey, data: tp.data as Record<string, unknown> });

/**
 * A touchpoint that names only an order (a Shopify refund) goes to the customer whose purchase
 * carries that order id. A refund of an order Patron has not seen yet (providers may deliver the
 * refund first, and never retry a 2xx) is parked under the order, answered 202 `parked`, and
 * applied when the order's purchase is stored (applyParked). Its event marker makes that exactly once.
 */
async function storeForOrder(
  deps: IngestDeps,
  source: SourceName,
  tp: Touchpoint,
  dedupeKey: string,
  orderId: string,
  now: Date,
  eventType: string,
): Promise<Stored | Ignored> {
  const nowIso = now.toISOString();
  assertStorable(source, tp, dedupeKey, orderUpdate(tp, source));
  const marker = await deps.store.getEventMarker(source, keyOf(tp, dedupeKey));
  if (marker) return duplicateOf(deps, tp, marker, nowIso);
  const owner = await orderCustomer(deps, source, orderId, nowIso);
  if (owner) return writeForOrder(deps, source, tp, dedupeKey, orderId, owner, nowIso);

  await deps.store.parkTouchpoint({ source, orderId, dedupeKey, eventType, touchpoint: tp, parkedAt: nowIso });
  // The order may have been stored between the look-up and the park, after its own look for
  // parked refunds: look once more, so one of the two deliveries applies the refund.
  if (await orderCustomer(deps, source, orderId, nowIso)) await applyParked(deps, source, orderId, now);
  const reason = `names order ${orderId} but no customer, and Patron holds no purchase of that order yet; parked until the order arrives`;
  return { status: 'ignored', code: 'order_unknown', eventType: tp.type, reason, parked: true };
}

async function orderCustomer(deps: IngestDeps, source: SourceName, orderId: string, nowIso: string): Promise<string | undefined> {
  const owner = await deps.store.orderOwner(source, orderId);
  return owner ? (await liveOwners(deps.store, [owner], nowIso)).get(owner) : undefined;
}

async function writeForOrder(
  deps: IngestDeps,
  source: SourceName,
  tp: Touchpoint,
  dedupeKey: string,
  orderId: string,
  firstOwner: string,
  nowIso: string,
): Promise<Stored | Ignored> {
  let customerId: string | undefined = firstOwner;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!customerId) {
      const reason = `names order ${orderId} but its customer is gone (erased); not attributable`;
      return { status: 'ignored', code: 'order_unknown', eventType: tp.type, reason };
    }
    const stored = toStored(source, tp, dedupeKey, customerId, nowIso);
    const written = await deps.store.writeTouchpoint(stored, orderUpdate(tp, source));
    if (written.outcome === 'customer-moved') {
      customerId = await orderCustomer(deps, source, orderId, nowIso);
      continue;
    }
    return outcomeOf(deps, tp, stored, written, nowIso, []);
  }
  throw new Error('Touchpoint write did not settle: the customer kept moving');
}

/** A stored or duplicate write as the delivery's result. */
function outcomeOf(
  deps: IngestDeps,
  tp: Touchpoint,
  stored: StoredTouchpoint,
  written: WriteResult,
  nowIso: string,
  merged: string[],
): Promise<Stored | Ignored> | Stored {
  if (written.outcome === 'duplicate' && written.original) return duplicateOf(deps, tp, written.original, nowIso);
  const status = written.outcome === 'stored' ? 'stored' : 'duplicate';
  return { status, touchpointId: stored.id, customerId: stored.customerId, type: tp.type, merged };
}

/**
 * Applies the refunds parked for an order once its purchase is stored, to the order's customer,
 * then removes them. Each refund carries its own event marker, so a refund applied twice (two
 * deliveries of the order, or the order and the refund racing) counts once.
 */
async function applyParked(deps: IngestDeps, source: SourceName, orderId: string, now: Date): Promise<void> {
  const parked = await deps.store.parkedTouchpoints(source, orderId);
  if (parked.length === 0) return;
  const nowIso = now.toISOString();
  const owner = await orderCustomer(deps, source, orderId, nowIso);
  if (!owner) return;
  for (const p of parked) {
    const result = await writeForOrder(deps, source, p.touchpoint, p.dedupeKey, orderId, owner, nowIso);
    if (result.status === 'ignored') continue;
    await attribute(deps, source, result, p.touchpoint);
    await deps.store.unparkTouchpoint(source, orderId, p.dedupeKey);
    if (result.status === 'stored') {
      deps.observer.delivery(source, 'unparked', { eventType: p.eventType, eventId: p.dedupeKey, customerId: result.customerId });
    }
  }
}

/** A customer id as long as any ULID, for measuring an item before its customer is known. */
const SIZING_CUSTOMER_ID = '0'.repeat(26);

const tooBig = (path: string, message: string): never => {
  throw new ValidationError(`The delivery cannot be stored: ${path} ${message}`, [{ path, message }]);
};

/**
 * Proves a touchpoint write cannot fail on DynamoDB's size limits, before anything is written
 * (identity resolution creates customers and claims aliases: a write failing after it would
 * leave an empty customer behind). Everything measured depends only on the touchpoint: the item
 * is sized with a ULID-length customer id, and the profile update is the one `store` builds.
 */
export function assertStorable(source: SourceName, tp: Touchpoint, dedupeKey: string, update: UpdateBuilder, indexOrderId?: string): void {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  if (bytes(touchpointSk(tp.occurredAt, source, dedupeKey)) > DYNAMO_LIMITS.sortKeyBytes) tooBig('eventId', 'is too long to be a key');
  if (indexOrderId !== undefined && bytes(orderIndexPk(source, indexOrderId)) > DYNAMO_LIMITS.partitionKeyBytes) {
    tooBig('data.orderId', 'is too long to be a key');
  }
  const item = {
    pk: SIZING_CUSTOMER_ID,
    sk: touchpointSk(tp.occurredAt, source, dedupeKey),
    ...toStored(source, tp, dedupeKey, SIZING_CUSTOMER_ID, tp.occurredAt),
  };
  if (jsonBytes(item) > DYNAMO_LIMITS.itemBytes) tooBig('data', `makes a stored item over ${DYNAMO_LIMITS.itemBytes} bytes`);
  if (bytes(update.expression()) > DYNAMO_LIMITS.expressionBytes) {
    tooBig(
      tp.type === 'purchase' ? 'data.items' : 'data',
      'has too many distinct categories or products to update the profile in one write',
    );
  }
}

/** The profile update of one touchpoint: aggregates, identifiers and names. */
function profileUpdate(
  source: SourceName,
  tp: Touchpoint,
  aliasHashes: string[],
  identity: ReturnType<typeof identityOf>,
  opts: { capped?: boolean } = {},
): UpdateBuilder {
  const update = applyTouchpoint(new UpdateBuilder(), tp, opts)
    .addToSet('sources', [source])
    .addToSet('aliasHashes', aliasHashes)
    .addToSet('emails', identity.email ? [identity.email] : [])
    .addToSet('phones', identity.phone ? [identity.phone] : [])
    .addToSet('externalIds', identity.externalId ? [identity.externalId] : []);
  if (tp.type === 'profile_updated') {
    update.set('firstName', tp.customer.firstName).set('lastName', tp.customer.lastName);
  } else {
    update.setIfNotExists('firstName', tp.customer.firstName).setIfNotExists('lastName', tp.customer.lastName);
  }
  return update;
}

/** DynamoDB's refusal to grow an item past 400 KB, inside a cancelled transaction or alone. */
export function isProfileTooLarge(error: unknown): boolean {
  const e = error as { name?: string; message?: string; CancellationReasons?: { Code?: string; Message?: string }[] };
  const tooLarge = (m?: string) => /item size (to update )?has exceeded the maximum allowed size/i.test(m ?? '');
  if (e?.name === 'TransactionCanceledException')
    return (e.CancellationReasons ?? []).some((r) => r.Code === 'ValidationError' && tooLarge(r.Message));
  return e?.name === 'ValidationException' && tooLarge(e.message);
}

async function store(
  deps: IngestDeps,
  source: SourceName,
  tp: Touchpoint,
  dedupeKey: string,
  now: Date,
  indexOrderId?: string,
): Promise<Stored | Ignored> {
  const identity = identityOf(tp.customer, source, deps.defaultPhoneRegion);
  if (identity.keys.length === 0) {
    throw new ValidationError('The customer cannot be identified', [
      { path: 'customer', message: `no usable identifier (unreadable: ${identity.dropped.join(', ') || 'none'})` },
    ]);
  }
  const aliasHashes = identity.keys.map(deps.hashPii);
  // Every check that can reject the delivery happens here, before resolveCustomer writes anything.
  assertStorable(source, tp, dedupeKey, profileUpdate(source, tp, aliasHashes, identity), indexOrderId);
  const nowIso = now.toISOString();
  const merged: string[] = [];
  const marker = await deps.store.getEventMarker(source, keyOf(tp, dedupeKey));
  if (marker) return withConsent(deps, source, tp, await duplicateOf(deps, tp, marker, nowIso));

  for (let attempt = 0; attempt < 5; attempt++) {
    const cached = attempt === 0 ? deps.aliasCache?.lookup(aliasHashes) : undefined;
    const resolution = cached
      ? { customerId: cached, merges: [] }
      : await resolveCustomer(deps.store, aliasHashes, nowIso, {
          trustAliases: attempt === 0,
          occurredAt: normalizeInstant(tp.occurredAt),
        });
    if ('erasedAt' in resolution) return erasedIgnored(tp, resolution.erasedAt);
    merged.push(...resolution.merges.map((m) => m.mergedId));
    const customerId = resolution.customerId;
    const stored = toStored(source, tp, dedupeKey, customerId, nowIso);
    const update = profileUpdate(source, tp, aliasHashes, identity);

    let written: Awaited<ReturnType<typeof deps.store.writeTouchpoint>>;
    try {
      written = await deps.store.writeTouchpoint(stored, update, { indexOrderId });
    } catch (error) {
      if (!isProfileTooLarge(error)) throw error;
      // The profile cannot grow any more (DynamoDB's 400 KB): store and count the touchpoint with
      // the bounded aggregates only, instead of failing the delivery for ever (providers retry).
      logger.warn('profile at its size limit: aggregates capped', { customerId, source });
      written = await deps.store.writeTouchpoint(stored, profileUpdate(source, tp, aliasHashes, identity, { capped: true }), {
        indexOrderId,
      });
    }
    if (written.outcome === 'customer-moved') {
      deps.aliasCache?.forget(aliasHashes);
      continue;
    }
    deps.aliasCache?.remember(aliasHashes, customerId);
    return withConsent(deps, source, tp, await outcomeOf(deps, tp, stored, written, nowIso, merged));
  }
  throw new Error('Touchpoint write did not settle: the customer kept moving');
}
