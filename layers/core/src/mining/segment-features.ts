/**
 * The columns k-means clusters buyers on, and how a customer's features fill a row of them.
 * Scaling (log or not) is per column; see scaling.ts.
 */
import type { ColumnSpec } from './scaling.js';
import type { CustomerFeatures } from './types.js';

/** The k-means columns: recency, frequency, average order (with amounts) and tenure. */
export function columnsFor(hasAmounts: boolean): ColumnSpec[] {
  const cols: ColumnSpec[] = [
    { name: 'daysSinceLastPurchase', log: true },
    { name: 'frequency', log: true },
  ];
  if (hasAmounts) cols.push({ name: 'averageOrderValue', log: true });
  cols.push({ name: 'tenureDays', log: false });
  return cols;
}

export function rawRow(f: CustomerFeatures, cols: readonly ColumnSpec[], out: Float64Array): Float64Array {
  for (let j = 0; j < cols.length; j++) out[j] = f[cols[j]!.name as 'frequency'] as number;
  return out;
}
