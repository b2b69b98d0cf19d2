/** Loaders for the shared public data sets (read in place from ../shared/datasets, never copied). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readGroceries } from '../../../cli/readers.js';
import type { TransactionRow } from '../../../layers/core/src/mining/features.js';

export const GROCERIES_CSV = path.resolve(process.cwd(), '../shared/datasets/groceries/Groceries_dataset.csv');

/** Groceries_dataset.csv by the CLI's reader (`Member_number,Date,itemDescription`); item = category. */
export function groceriesRows(): TransactionRow[] {
  return readGroceries(readFileSync(GROCERIES_CSV, 'utf8'), GROCERIES_CSV).rows.map((r) => ({
    customerId: r.customerId,
    date: r.date,
    category: Object.keys(r.categories!)[0]!,
  }));
}
