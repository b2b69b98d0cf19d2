import { DAY_MS } from '../time.js';
import { SELLING_KINDS, windowStart } from '../offers/schema.js';
import { CAMPAIGN_LIMITS } from './schema.js';

/**
 * Which offers and campaign assignments a purchase answers: pure decisions over plain data (the
 * I/O is attribution-service.ts). A purchase converts an offer when it buys what the offer named
 * (its productId as the line's product id or sku, or its productFamily as the line's category; an
 * offer naming neither is answered by any purchase) within the offer's attribution window: from
 * the later of its registration and validFrom, for its campaign's attributionDays (30 without a
 * campaign). A campaign assignment is credited the same way from its assignment date, with the
 * campaign's product, so the treatment and the control group are measured by one rule.
 */

export interface PurchaseLine {
  sku: string;
  productId?: string;
  category: string;
  quantity: number;
  unitPriceMinor: number;
}

/** The purchase as attribution reads it (a stored purchase touchpoint). */
export interface AttributablePurchase {
  /** The touchpoint id (`<source>:<dedupeKey>`). */
  touchpointId: string;
  /** `<source>:<orderId>`: refunds name the order, so conversions are keyed by it. */
  orderKey: string;
  occurredAt: string;
  currency: string;
  totalMinor: number;
  items: readonly PurchaseLine[];
}

export interface ProductScope {
  productId?: string;
  productFamily?: string;
}

export const DEFAULT_ATTRIBUTION_DAYS = CAMPAIGN_LIMITS.DEFAULT_ATTRIBUTION_DAYS;

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/**
 * The revenue of the purchase's lines that match the scope, in minor units (never more than the
 * order's total, so discounts are not counted as revenue); the order's total when the scope names
 * no product; undefined when nothing matches.
 */
export function matchedRevenue(scope: ProductScope, purchase: Pick<AttributablePurchase, 'items' | 'totalMinor'>): number | undefined {
  if (!scope.productId && !scope.productFamily) return purchase.totalMinor;
  const lines = purchase.items.filter(
    (line) =>
      (scope.productId !== undefined && (line.productId === scope.productId || line.sku === scope.productId)) ||
      (scope.productFamily !== undefined && same(line.category, scope.productFamily)),
  );
  if (!lines.length) return undefined;
  const lineTotal = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0);
  return Math.min(lineTotal, purchase.totalMinor);
}

/** [start, end] in ms: `days` days from `from`. */
export function windowFrom(fromIso: string, days: number): [number, number] {
  const start = Date.parse(fromIso);
  return [start, start + days * DAY_MS];
}

export const inWindow = (atIso: string, [start, end]: [number, number]) => {
  const at = Date.parse(atIso);
  return at >= start && at <= end;
};

export interface AttributableOffer extends ProductScope {
  id: string;
  kind: string;
  status: string;
  createdAt: string;
  validFrom?: string;
  campaignId?: string;
}

/** An offer's attribution window: from the later of its registration and validFrom. */
export function offerWindow(offer: AttributableOffer, attributionDays: number): [number, number] {
  const from = Math.max(Date.parse(offer.createdAt), offer.validFrom ? windowStart(offer.validFrom) : Number.NEGATIVE_INFINITY);
  return windowFrom(new Date(from).toISOString(), attributionDays);
}

/** Statuses a purchase can convert: open, or accepted by the customer and not yet bought. */
export const CONVERTIBLE_STATUSES: readonly string[] = ['active', 'accepted'];
/** Kinds a purchase answers: what sells, and messages (a win-back call or mail). A fee, penalty, collection or service action is not "converted" by a sale. */
export const CONVERTIBLE_KINDS: readonly string[] = [...SELLING_KINDS, 'message'];

/**
 * The offer this purchase converts: the earliest registered of those it answers (one purchase is
 * one response, credited to the first contact that asked for it). Undefined when none.
 */
export function offerToConvert<O extends AttributableOffer>(
  offers: readonly O[],
  purchase: AttributablePurchase,
  attributionDaysOf: (campaignId: string | undefined) => number,
): { offer: O; revenueMinor: number } | undefined {
  const candidates = offers
    .filter(
      (o) =>
        CONVERTIBLE_KINDS.includes(o.kind) &&
        CONVERTIBLE_STATUSES.includes(o.status) &&
        inWindow(purchase.occurredAt, offerWindow(o, attributionDaysOf(o.campaignId))),
    )
    .flatMap((offer) => {
      const revenueMinor = matchedRevenue(offer, purchase);
      return revenueMinor === undefined ? [] : [{ offer, revenueMinor }];
    })
    .sort((a, b) => a.offer.createdAt.localeCompare(b.offer.createdAt) || a.offer.id.localeCompare(b.offer.id));
  return candidates[0];
}

export interface AttributableAssignment {
  campaignId: string;
  assignedAt: string;
  /** Credits start here instead of at assignedAt (a merge of a customer of the other group). */
  creditsFrom?: string;
}

/** The assignments this purchase is a response within: the campaign's product, from the assignment date. */
export function assignmentsToCredit<A extends AttributableAssignment>(
  assignments: readonly A[],
  purchase: AttributablePurchase,
  campaignOf: (campaignId: string) => (ProductScope & { attributionDays: number }) | undefined,
): { assignment: A; revenueMinor: number }[] {
  return assignments.flatMap((assignment) => {
    const campaign = campaignOf(assignment.campaignId);
    if (!campaign || !inWindow(purchase.occurredAt, windowFrom(assignment.assignedAt, campaign.attributionDays))) return [];
    if (assignment.creditsFrom && purchase.occurredAt < assignment.creditsFrom) return [];
    const revenueMinor = matchedRevenue(campaign, purchase);
    return revenueMinor === undefined ? [] : [{ assignment, revenueMinor }];
  });
}

/** A touchpoint item as stored, read back into a purchase (undefined for anything else). */
export function purchaseFromTouchpoint(tp: {
  id: string;
  source: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}): AttributablePurchase | undefined {
  if (tp.type !== 'purchase') return undefined;
  const d = tp.data as { orderId?: unknown; currency?: unknown; totalMinor?: unknown; items?: unknown };
  if (typeof d.orderId !== 'string' || !Array.isArray(d.items)) return undefined;
  return {
    touchpointId: tp.id,
    orderKey: orderKeyOf(tp.source, d.orderId),
    occurredAt: tp.occurredAt,
    currency: String(d.currency ?? ''),
    totalMinor: Number(d.totalMinor ?? 0),
    items: d.items as PurchaseLine[],
  };
}

export const orderKeyOf = (source: string, orderId: string) => `${source}:${orderId}`;

/**
 * A purchase credited to an offer or assignment. Refunds name the order, not its lines, so a refund
 * takes back the same share of the credited revenue as of the order (a full refund takes it all).
 */
export interface CreditedPurchase {
  at: string;
  revenueMinor: number;
  orderTotalMinor: number;
  refundedMinor: number;
  currency: string;
  /** Refund touchpoint id -> amount, so a redelivered refund applies once. */
  refunds: Record<string, number>;
}

export function creditOf(purchase: AttributablePurchase, revenueMinor: number): CreditedPurchase {
  return {
    at: purchase.occurredAt,
    revenueMinor,
    orderTotalMinor: purchase.totalMinor,
    refundedMinor: 0,
    currency: purchase.currency,
    refunds: {},
  };
}

/** False once the order is refunded in full: the response is taken back. */
export function creditStands(c: Pick<CreditedPurchase, 'refundedMinor' | 'orderTotalMinor'>): boolean {
  return c.refundedMinor <= 0 || c.refundedMinor < c.orderTotalMinor;
}

/** The credited revenue net of refunds (the refunded share of the order), in whole minor units. */
export function netRevenueOf(c: Pick<CreditedPurchase, 'revenueMinor' | 'refundedMinor' | 'orderTotalMinor'>): number {
  if (!creditStands(c)) return 0;
  if (c.refundedMinor <= 0 || c.orderTotalMinor <= 0) return c.revenueMinor;
  return Math.round(c.revenueMinor * (1 - c.refundedMinor / c.orderTotalMinor));
}

/** The refund a touchpoint is (undefined for anything else, or a refund naming no order). */
export function refundFromTouchpoint(tp: {
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
}): AttributableRefund | undefined {
  if (tp.type !== 'refund' || typeof tp.data.orderId !== 'string') return undefined;
  return {
    refundKey: tp.id,
    orderKey: orderKeyOf(tp.source, tp.data.orderId),
    amountMinor: Number(tp.data.amountMinor ?? 0),
    currency: String(tp.data.currency ?? ''),
  };
}

/** A refund as attribution reads it: the order it names, its amount and currency (a refund in another currency than the credit is not applied). */
export interface AttributableRefund {
  refundKey: string;
  orderKey: string;
  amountMinor: number;
  currency: string;
}
