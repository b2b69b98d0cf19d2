/** Loaders for the shared public data sets (read in place from ../shared/datasets, never copied). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TransactionRow } from '../../../layers/core/src/mining/features.js';

export const GROCERIES_CSV = path.resolve(process.cwd(), '../shared/datasets/groceries/Groceries_dataset.csv');

/** Groceries_dataset.csv: `Member_number,Date,itemDescription`, dates DD-MM-YYYY; item = category. */
export function groceriesRows(): TransactionRow[] {
  const lines = readFileSync(GROCERIES_CSV, 'utf8').split(/\r?\n/);
  if (lines[0]?.trim() !== 'Member_number,Date,itemDescription') throw new Error(`unexpected header: ${lines[0]}`);
  const rows: TransactionRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [member, date, item] = line.split(',');
    const m = /^(\d{2})-(\d{2})-(\d{4})$/.exec(date ?? '');
    if (!member || !m || !item) throw new Error(`line ${i + 1}: cannot parse "${line}"`);
    rows.push({ customerId: member, date: new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]))), category: item });
  }
  return rows;
}

export const CDNOW_MASTER = path.resolve(process.cwd(), '../shared/datasets/cdnow/CDNOW_master.txt');

/**
 * CDNOW_master.txt (`customer_id date number_of_cds dollar_value`, dates YYYYMMDD) as
 * transaction rows with amounts in cents. A lean parser for speed under jest; the strict one
 * is clv/cdnow.ts parseCdnowMaster.
 */
export function cdnowRows(): TransactionRow[] {
  const rows: TransactionRow[] = [];
  for (const line of readFileSync(CDNOW_MASTER, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 4 || f[0] === 'customer_id') continue;
    const ymd = f[1]!;
    rows.push({
      customerId: f[0]!,
      date: new Date(Date.UTC(+ymd.slice(0, 4), +ymd.slice(4, 6) - 1, +ymd.slice(6, 8))),
      amountMinor: Math.round(Number(f[3]) * 100),
    });
  }
  return rows;
}
