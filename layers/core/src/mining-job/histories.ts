import type { Item } from '../store/dynamo.js';
import type { CustomerHistory, PurchaseEvent } from '../mining/types.js';

type Optional = 'currency' | 'firstSeen' | 'source';

/**
 * Turns one customer's stored items (profile + touchpoints) into the mining core's history.
 * Several purchases on one UTC day become one transaction, as the CLV models expect (amounts
 * and discounts summed; `discountMinor` stays undefined when no order of the day carries one).
 * Web visits, inquiries and coupon requests become date lists (the prospect model's signals);
 * `firstSeen` is the earliest valid date of any touchpoint and `source` that touchpoint's source.
 */
export function historyFromItems(customerId: string, items: Item[]): CustomerHistory {
  const byDay = new Map<string, PurchaseEvent>();
  const h: Required<Omit<CustomerHistory, Optional>> & Pick<CustomerHistory, Optional> = {
    customerId,
    purchases: [],
    refunds: [],
    tickets: [],
    ratings: [],
    paymentFailures: [],
    subscriptionsStarted: [],
    subscriptionsCancelled: [],
    emailEvents: [],
    visits: [],
    inquiries: [],
    couponRequests: [],
  };
  for (const item of items) {
    const data = (item.data ?? {}) as Record<string, unknown>;
    const date = new Date(String(item.occurredAt));
    if (typeof item.type === 'string' && Number.isFinite(date.getTime()) && (!h.firstSeen || date < h.firstSeen)) {
      h.firstSeen = date;
      if (typeof item.source === 'string') h.source = item.source;
      else delete h.source;
    }
    switch (item.type) {
      case 'purchase': {
        const day = date.toISOString().slice(0, 10);
        const p = byDay.get(day) ?? { date: new Date(`${day}T00:00:00.000Z`), amountMinor: 0, categories: {}, products: [] };
        p.amountMinor = (p.amountMinor ?? 0) + Number(data.totalMinor ?? 0);
        if (data.discountMinor !== undefined) p.discountMinor = (p.discountMinor ?? 0) + Number(data.discountMinor);
        for (const line of (data.items ?? []) as { category: string; quantity: number; sku: string; productId?: string }[]) {
          p.categories[line.category] = (p.categories[line.category] ?? 0) + line.quantity;
          p.products!.push(line.productId ?? line.sku);
        }
        byDay.set(day, p);
        h.currency = String(data.currency ?? h.currency ?? '');
        break;
      }
      case 'refund':
        h.refunds.push({ date, amountMinor: Number(data.amountMinor ?? 0) });
        break;
      case 'ticket_opened':
        h.tickets.push({ date, complaint: Boolean(data.complaint) });
        break;
      case 'satisfaction_rated':
        h.ratings.push({ date, score: Number(data.score) });
        break;
      case 'payment_failed':
        h.paymentFailures.push(date);
        break;
      case 'subscription_started':
        h.subscriptionsStarted.push({ date, productId: String(data.productId) });
        break;
      case 'subscription_cancelled':
        h.subscriptionsCancelled.push({ date, productId: data.productId ? String(data.productId) : undefined });
        break;
      case 'email_opened':
      case 'email_clicked':
        h.emailEvents.push({ date, kind: item.type === 'email_opened' ? 'opened' : 'clicked' });
        break;
      case 'web_visit':
        h.visits.push(date);
        break;
      case 'inquiry':
        h.inquiries.push(date);
        break;
      case 'coupon_requested':
        h.couponRequests.push(date);
        break;
      default:
        break;
    }
  }
  h.purchases = [...byDay.values()].sort((a, b) => a.date.getTime() - b.date.getTime());
  if (!h.currency) delete h.currency;
  return h;
}

/** Histories travel through S3 as JSON lines; dates become ISO strings and back. */
export function encodeHistory(h: CustomerHistory): unknown {
  return JSON.parse(JSON.stringify(h));
}

const DATE_KEYS = new Set(['date']);
export function decodeHistory(raw: unknown): CustomerHistory {
  const h = JSON.parse(JSON.stringify(raw), (key, value) =>
    DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value,
  ) as CustomerHistory;
  const dates = (list: Date[] | undefined) => list?.map((d) => new Date(d as unknown as string));
  if (h.paymentFailures) h.paymentFailures = dates(h.paymentFailures);
  if (h.visits) h.visits = dates(h.visits);
  if (h.inquiries) h.inquiries = dates(h.inquiries);
  if (h.couponRequests) h.couponRequests = dates(h.couponRequests);
  if (h.firstSeen !== undefined) h.firstSeen = new Date(h.firstSeen as unknown as string);
  return h;
}

/**
 * Largest magnitude of an amount, quantity or score the job accepts (in minor units: 10^13 of
 * the currency). Larger values are corrupt data (a total past Number.MAX_SAFE_INTEGER, an
 * overflowed counter), and one of them would drag the model fit.
 */
export const MAX_PLAUSIBLE_VALUE = 1e15;

function badNumber(value: unknown): boolean {
  return typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_PLAUSIBLE_VALUE;
}

function badDate(value: unknown): boolean {
  return !(value instanceof Date) || !Number.isFinite(value.getTime());
}

/**
 * Why a history cannot be mined (a value that is not a finite, plausible number, or a date that
 * is not a date), or undefined when it can. The job skips such a customer before the fit sample
 * and before scoring, and reports it in the run.
 */
export function historyProblem(h: CustomerHistory): string | undefined {
  for (const p of h.purchases ?? []) {
    if (badDate(p.date)) return 'purchase with an invalid date';
    if (p.amountMinor !== undefined && badNumber(p.amountMinor))
      return `purchase amount ${String(p.amountMinor)} is not a plausible number`;
    if (p.discountMinor !== undefined && badNumber(p.discountMinor))
      return `purchase discount ${String(p.discountMinor)} is not a plausible number`;
    for (const [category, units] of Object.entries(p.categories ?? {}))
      if (badNumber(units)) return `purchase quantity ${String(units)} of '${category}' is not a plausible number`;
  }
  for (const r of h.refunds ?? []) {
    if (badDate(r.date)) return 'refund with an invalid date';
    if (badNumber(r.amountMinor)) return `refund amount ${String(r.amountMinor)} is not a plausible number`;
  }
  for (const r of h.ratings ?? []) {
    if (badDate(r.date)) return 'rating with an invalid date';
    if (badNumber(r.score)) return `rating ${String(r.score)} is not a plausible number`;
  }
  const dated: [string, { date: Date }[] | undefined][] = [
    ['ticket', h.tickets],
    ['subscription start', h.subscriptionsStarted],
    ['subscription cancellation', h.subscriptionsCancelled],
    ['email event', h.emailEvents],
  ];
  for (const [what, list] of dated) for (const e of list ?? []) if (badDate(e.date)) return `${what} with an invalid date`;
  const dates: [string, Date[] | undefined][] = [
    ['payment failure', h.paymentFailures],
    ['web visit', h.visits],
    ['inquiry', h.inquiries],
    ['coupon request', h.couponRequests],
  ];
  for (const [what, list] of dates) for (const d of list ?? []) if (badDate(d)) return `${what} with an invalid date`;
  if (h.firstSeen !== undefined && badDate(h.firstSeen)) return 'first-seen date is invalid';
  if (h.source !== undefined && typeof h.source !== 'string') return 'source is not a string';
  return undefined;
}
