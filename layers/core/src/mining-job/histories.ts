import type { Item } from '../store/dynamo.js';
import type { CustomerHistory, PurchaseEvent } from '../mining/types.js';

/**
 * Turns one customer's stored items (profile + touchpoints) into the mining core's history.
 * Several purchases on one UTC day become one transaction, as the CLV models expect.
 */
export function historyFromItems(customerId: string, items: Item[]): CustomerHistory {
  const byDay = new Map<string, PurchaseEvent>();
  const h: Required<Omit<CustomerHistory, 'currency'>> & { currency?: string } = {
    customerId,
    purchases: [],
    refunds: [],
    tickets: [],
    ratings: [],
    paymentFailures: [],
    subscriptionsStarted: [],
    subscriptionsCancelled: [],
    emailEvents: [],
  };
  for (const item of items) {
    const data = (item.data ?? {}) as Record<string, unknown>;
    const date = new Date(String(item.occurredAt));
    switch (item.type) {
      case 'purchase': {
        const day = date.toISOString().slice(0, 10);
        const p = byDay.get(day) ?? { date: new Date(`${day}T00:00:00.000Z`), amountMinor: 0, categories: {}, products: [] };
        p.amountMinor = (p.amountMinor ?? 0) + Number(data.totalMinor ?? 0);
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
  if (h.paymentFailures) h.paymentFailures = h.paymentFailures.map((d) => new Date(d as unknown as string));
  return h;
}
