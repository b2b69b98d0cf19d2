/**
 * TxRow[] (from readers.ts) → CustomerHistory[] (the mining contract), applying `--as-of`:
 *  - rows dated after `asOf` are ignored;
 *  - all purchase rows of one customer on one UTC calendar day form ONE PurchaseEvent
 *    (amounts summed, category units summed), as in the CLV literature;
 *  - negative amounts are refunds (CustomerHistory.refunds), not purchases;
 *  - customers without a purchase on or before `asOf` are left out.
 * Output is sorted by customer id (numeric ids numerically), purchases by date.
 */
import type { CustomerHistory, PurchaseEvent } from '../layers/core/src/mining/types.js';
import type { TxRow } from './readers.js';

export interface HistoryStats {
  rows: number;
  rowsAfterAsOf: number;
  refunds: number;
  customers: number;
  /** Customers whose only rows are refunds (or who first bought after asOf). */
  customersWithoutPurchases: number;
  purchaseDays: number;
  firstDate: Date | null;
  lastDate: Date | null;
}

/** Date of the last row (the default `--as-of`), or null for no rows. */
export function lastDate(rows: readonly TxRow[]): Date | null {
  let max = -Infinity;
  for (const r of rows) if (r.date.getTime() > max) max = r.date.getTime();
  return Number.isFinite(max) ? new Date(max) : null;
}

export function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) {
    const d = Number(a) - Number(b);
    if (d !== 0) return d;
  } else if (na !== nb) {
    return na ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function buildHistories(rows: readonly TxRow[], asOf: Date): { histories: CustomerHistory[]; stats: HistoryStats } {
  const cutoff = asOf.getTime();
  interface Acc {
    days: Map<number, PurchaseEvent>;
    refunds: { date: Date; amountMinor: number }[];
  }
  const byCustomer = new Map<string, Acc>();
  let rowsAfterAsOf = 0;
  let refunds = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const r of rows) {
    const t = r.date.getTime();
    if (t > cutoff) {
      rowsAfterAsOf++;
      continue;
    }
    let acc = byCustomer.get(r.customerId);
    if (!acc) {
      acc = { days: new Map(), refunds: [] };
      byCustomer.set(r.customerId, acc);
    }
    if (r.amountMinor !== undefined && r.amountMinor < 0) {
      acc.refunds.push({ date: r.date, amountMinor: -r.amountMinor });
      refunds++;
      continue;
    }
    if (t < first) first = t;
    if (t > last) last = t;
    let ev = acc.days.get(t);
    if (!ev) {
      ev = { date: r.date, categories: {} };
      acc.days.set(t, ev);
    }
    if (r.amountMinor !== undefined) ev.amountMinor = (ev.amountMinor ?? 0) + r.amountMinor;
    if (r.categories) {
      for (const [c, n] of Object.entries(r.categories)) ev.categories[c] = (ev.categories[c] ?? 0) + n;
    }
  }
  const histories: CustomerHistory[] = [];
  let withoutPurchases = 0;
  let purchaseDays = 0;
  for (const id of [...byCustomer.keys()].sort(compareIds)) {
    const acc = byCustomer.get(id)!;
    if (acc.days.size === 0) {
      withoutPurchases++;
      continue;
    }
    const purchases = [...acc.days.values()].sort((p, q) => p.date.getTime() - q.date.getTime());
    purchaseDays += purchases.length;
    const h: CustomerHistory = { customerId: id, purchases };
    if (acc.refunds.length > 0) h.refunds = acc.refunds.sort((p, q) => p.date.getTime() - q.date.getTime());
    histories.push(h);
  }
  return {
    histories,
    stats: {
      rows: rows.length,
      rowsAfterAsOf,
      refunds,
      customers: histories.length,
      customersWithoutPurchases: withoutPurchases,
      purchaseDays,
      firstDate: Number.isFinite(first) ? new Date(first) : null,
      lastDate: Number.isFinite(last) ? new Date(last) : null,
    },
  };
}
