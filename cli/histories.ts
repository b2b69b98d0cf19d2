/**
 * TxRow[] (from readers.ts) → CustomerHistory[] (the mining contract), applying `--as-of`:
 *  - rows dated after `asOf` are ignored;
 *  - all purchase rows of one customer on one UTC calendar day form ONE PurchaseEvent
 *    (amounts summed, category units summed), as in the CLV literature;
 *  - negative amounts are refunds (CustomerHistory.refunds), not purchases;
 *  - customers without a purchase on or before `asOf` are left out.
 * The grouping is the core's `historiesFromTransactions` (customers sorted by id, purchases by date).
 */
import { historiesFromTransactions, type CustomerHistory, type TransactionRow } from '../layers/core/src/mining/index.js';
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

export function buildHistories(rows: readonly TxRow[], asOf: Date): { histories: CustomerHistory[]; stats: HistoryStats } {
  const cutoff = asOf.getTime();
  const purchases: TransactionRow[] = [];
  const refundsBy = new Map<string, { date: Date; amountMinor: number }[]>();
  const seen = new Set<string>();
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
    seen.add(r.customerId);
    if (r.amountMinor !== undefined && r.amountMinor < 0) {
      let list = refundsBy.get(r.customerId);
      if (!list) {
        list = [];
        refundsBy.set(r.customerId, list);
      }
      list.push({ date: r.date, amountMinor: -r.amountMinor });
      refunds++;
      continue;
    }
    if (t < first) first = t;
    if (t > last) last = t;
    const cats = r.categories ? Object.entries(r.categories) : [];
    if (cats.length === 0) {
      purchases.push({ customerId: r.customerId, date: r.date, ...(r.amountMinor !== undefined ? { amountMinor: r.amountMinor } : {}) });
    } else {
      // the amount goes on the first category row only, so the day's total stays right
      cats.forEach(([category, quantity], i) => {
        purchases.push({
          customerId: r.customerId,
          date: r.date,
          category,
          quantity,
          ...(i === 0 && r.amountMinor !== undefined ? { amountMinor: r.amountMinor } : {}),
        });
      });
    }
  }
  const histories = historiesFromTransactions(purchases);
  let purchaseDays = 0;
  for (const h of histories) {
    purchaseDays += h.purchases.length;
    const list = refundsBy.get(h.customerId);
    if (list) h.refunds = list.sort((p, q) => p.date.getTime() - q.date.getTime());
  }
  return {
    histories,
    stats: {
      rows: rows.length,
      rowsAfterAsOf,
      refunds,
      customers: histories.length,
      customersWithoutPurchases: seen.size - histories.length,
      purchaseDays,
      firstDate: Number.isFinite(first) ? new Date(first) : null,
      lastDate: Number.isFinite(last) ? new Date(last) : null,
    },
  };
}
