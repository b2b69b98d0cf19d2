import { outboundEvent, type EventPublisher } from '../outbound/events.js';
import { announce } from '../outbound/publisher.js';
import { logger } from '../observability.js';
import type { CampaignStore, StoredAssignment } from '../store/campaign-store.js';
import type { AuditRecord, OfferStore, StoredConversion, StoredOffer } from '../store/offer-store.js';
import {
  assignmentsToCredit,
  creditOf,
  creditStands,
  DEFAULT_ATTRIBUTION_DAYS,
  offerToConvert,
  purchaseFromTouchpoint,
  refundFromTouchpoint,
  type AttributablePurchase,
  type AttributableRefund,
} from './attribution.js';
import { DAY_MS } from '../time.js';
import type { Campaign } from './schema.js';

/**
 * Responses attributed at ingest (the rules are in attribution.ts): a stored purchase converts the
 * customer's open offer it answers and is credited to the campaign assignments it falls within; a
 * refund of that order takes its share back, and a full refund reverses the conversion. Runs on
 * every delivery of a purchase or refund, duplicates included (a crash after the touchpoint's write
 * must not lose its attribution), and every write is conditional on what it changes, so a
 * redelivery, a retry or a concurrent delivery attributes once.
 */
export interface AttributionDeps {
  offers: OfferStore;
  campaigns: CampaignStore;
  now: () => Date;
  /** Where `offer.converted` is announced. */
  events?: EventPublisher;
}

export interface AttributionReport {
  offersConverted: string[];
  campaignsCredited: string[];
  refundsApplied: number;
  conversionsReversed: string[];
}

export interface AttributableTouchpoint {
  id: string;
  source: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** A status change made by attribution, with its reason, for the offer's audit trail. */
function attributionAudit(
  offerId: string,
  at: string,
  from: StoredOffer['status'],
  to: StoredOffer['status'],
  reason: string,
): AuditRecord {
  return { offerId, at, action: 'status-changed', actor: 'attribution', from, to, reason };
}

/** A lost race for an offer (another purchase converted it) is retried on a fresh read this often. */
const MAX_ATTEMPTS = 3;

export async function attributeTouchpoint(
  deps: AttributionDeps,
  customerId: string,
  tp: AttributableTouchpoint,
): Promise<AttributionReport | undefined> {
  const purchase = purchaseFromTouchpoint(tp);
  if (purchase) return attributePurchase(deps, customerId, purchase);
  const refund = refundFromTouchpoint(tp);
  if (refund) return applyRefund(deps, customerId, refund);
  return undefined;
}

/** The campaigns the customer's offers and assignments name, read once each. */
async function campaignsOf(deps: AttributionDeps, ids: Iterable<string | undefined>): Promise<Map<string, Campaign>> {
  const unique = [...new Set([...ids].filter((id): id is string => Boolean(id)))];
  const found = await Promise.all(unique.map((id) => deps.campaigns.getCampaign(id)));
  return new Map(found.flatMap((c) => (c ? [[c.id, c] as const] : [])));
}

async function attributePurchase(deps: AttributionDeps, customerId: string, purchase: AttributablePurchase): Promise<AttributionReport> {
  const report: AttributionReport = { offersConverted: [], campaignsCredited: [], refundsApplied: 0, conversionsReversed: [] };
  const { offers: stored, assignments } = await deps.campaigns.attributionState(customerId);
  if (!stored.length && !assignments.length) return report; // most purchases: nothing to attribute
  const campaigns = await campaignsOf(deps, [...stored.map((s) => s.offer.campaignId), ...assignments.map((a) => a.campaignId)]);
  const daysOf = (campaignId?: string) => (campaignId && campaigns.get(campaignId)?.attributionDays) || DEFAULT_ATTRIBUTION_DAYS;

  let offers = stored;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // One order converts one offer: a redelivery finds the offer it converted and stops here.
    if (offers.some((s) => s.conversion?.orderKey === purchase.orderKey)) break;
    const target = offerToConvert(
      offers.map((s) => s.offer),
      purchase,
      daysOf,
    );
    if (!target) break;
    const { offer, revenueMinor } = target;
    const at = deps.now().toISOString();
    const conversion: StoredConversion = {
      ...creditOf(purchase, revenueMinor),
      touchpointId: purchase.touchpointId,
      orderKey: purchase.orderKey,
      from: offer.status,
    };
    const converted = await deps.offers.convert({
      offer,
      conversion,
      at,
      audit: attributionAudit(
        offer.id,
        at,
        offer.status,
        'converted',
        `purchase ${purchase.touchpointId} on ${purchase.occurredAt.slice(0, 10)}: ${revenueMinor} ${purchase.currency} (minor units) of what the offer named, within ${daysOf(offer.campaignId)} days of the offer`,
      ),
    });
    if (converted) {
      report.offersConverted.push(offer.id);
      if (deps.events) {
        const data = {
          offerId: offer.id,
          customerId,
          kind: offer.kind,
          ...(offer.productId ? { productId: offer.productId } : {}),
          ...(offer.campaignId ? { campaignId: offer.campaignId } : {}),
          touchpointId: purchase.touchpointId,
          revenueMinor,
          currency: purchase.currency,
        };
        await announce(deps.events, [outboundEvent('offer.converted', [offer.id, purchase.orderKey], data, new Date(at))]);
      }
      break;
    }
    offers = await deps.offers.storedOffers(customerId);
  }

  const credits = assignmentsToCredit(assignments, purchase, (id) => campaigns.get(id));
  for (const { assignment, revenueMinor } of credits) {
    if (await deps.campaigns.creditPurchase(customerId, assignment.campaignId, purchase.orderKey, creditOf(purchase, revenueMinor))) {
      report.campaignsCredited.push(assignment.campaignId);
    }
  }
  if (report.offersConverted.length || report.campaignsCredited.length) {
    logger.info('purchase attributed', { customerId, touchpointId: purchase.touchpointId, ...report });
    // A refund of this order that arrived first (a source that does not park refunds) applies now.
    const since = new Date(Date.parse(purchase.occurredAt) - EARLY_REFUND_DAYS * DAY_MS).toISOString();
    for (const tp of await deps.offers.touchpointsSince(customerId, since)) {
      const refund = tp.type === 'refund' ? refundFromTouchpoint({ ...tp, source: sourceOfTouchpointId(tp.id) }) : undefined;
      if (refund?.orderKey === purchase.orderKey) {
        const applied = await applyRefund(deps, customerId, refund);
        report.refundsApplied += applied.refundsApplied;
        report.conversionsReversed.push(...applied.conversionsReversed);
      }
    }
  }
  return report;
}

/**
 * After a merge: the survivor's purchases and refunds since its earliest open offer or campaign
 * assignment are attributed again, oldest first, so a purchase the merged-away customer made
 * (attributed then to offers and assignments the survivor did not share) answers the survivor's
 * offers and campaigns too, the same as the erasure's recount would find. Idempotent like the rest.
 */
export async function reattributeCustomer(deps: AttributionDeps, customerId: string): Promise<AttributionReport> {
  const report: AttributionReport = { offersConverted: [], campaignsCredited: [], refundsApplied: 0, conversionsReversed: [] };
  const { offers: stored, assignments } = await deps.campaigns.attributionState(customerId);
  const starts = [
    ...stored.filter((s) => s.offer.status === 'active' || s.offer.status === 'accepted').map((s) => s.offer.createdAt),
    ...assignments.map((a) => a.assignedAt),
  ].sort();
  if (!starts.length) return report;
  const touchpoints = await deps.offers.touchpointsSince(customerId, starts[0]!);
  for (const tp of touchpoints.reverse()) {
    const found = await attributeTouchpoint(deps, customerId, { ...tp, source: sourceOfTouchpointId(tp.id) });
    if (!found) continue;
    report.offersConverted.push(...found.offersConverted);
    report.campaignsCredited.push(...found.campaignsCredited);
    report.refundsApplied += found.refundsApplied;
    report.conversionsReversed.push(...found.conversionsReversed);
  }
  return report;
}

/** How far before its order a refund is looked for when the order arrives after it. */
const EARLY_REFUND_DAYS = 7;

/** A touchpoint id is `<source>:<dedupeKey>`. */
const sourceOfTouchpointId = (id: string) => id.slice(0, Math.max(0, id.indexOf(':')));

async function applyRefund(deps: AttributionDeps, customerId: string, refund: AttributableRefund): Promise<AttributionReport> {
  const report: AttributionReport = { offersConverted: [], campaignsCredited: [], refundsApplied: 0, conversionsReversed: [] };
  const { offers: stored, assignments } = await deps.campaigns.attributionState(customerId);
  // A refund in another currency than the purchase it names cannot be compared with it: not applied.
  const sameOrder = (c: { orderKey?: string; currency: string } | undefined) =>
    c?.orderKey === refund.orderKey && c.currency === refund.currency;
  for (const { offer } of stored.filter((s) => sameOrder(s.conversion))) {
    if (await deps.offers.refundConversion(customerId, offer.id, refund.orderKey, refund.refundKey, refund.amountMinor)) {
      report.refundsApplied++;
    }
  }
  // Reverse what is now refunded in full (also after a crash between the refund and the reversal).
  const refunded = (await deps.offers.storedOffers(customerId)).filter(
    (s): s is { offer: StoredOffer; conversion: StoredConversion } =>
      s.offer.status === 'converted' && s.conversion?.orderKey === refund.orderKey && !creditStands(s.conversion),
  );
  for (const { offer, conversion } of refunded) {
    const at = deps.now().toISOString();
    const reversed = await deps.offers.reverseConversion({
      offer,
      conversion,
      at,
      audit: attributionAudit(
        offer.id,
        at,
        'converted',
        conversion.from,
        `the converting purchase ${conversion.touchpointId} was refunded in full (refund ${refund.refundKey})`,
      ),
    });
    if (reversed) report.conversionsReversed.push(offer.id);
  }
  for (const a of assignments.filter((x: StoredAssignment) => x.conversions[refund.orderKey]?.currency === refund.currency)) {
    if (await deps.campaigns.refundCredit(customerId, a.campaignId, refund.orderKey, refund.refundKey, refund.amountMinor)) {
      report.refundsApplied++;
    }
  }
  if (report.refundsApplied || report.conversionsReversed.length) logger.info('refund attributed', { customerId, ...report });
  return report;
}
