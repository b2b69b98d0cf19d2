/** Number formatting for human-readable flag reasons. */

const digitsCache = new Map<string, number>();

/** Minor-unit digits of an ISO currency (EUR 2, JPY 0, ...); 2 when unknown. */
export function currencyDigits(currency: string | undefined): number {
  if (!currency) return 2;
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

/** "EUR 412.50" (or "412.50" without a currency) from minor units. */
export function formatMoney(minor: number, currency?: string): string {
  const digits = currencyDigits(currency);
  const major = (minor / 10 ** digits).toFixed(digits);
  return currency ? `${currency} ${major}` : major;
}

/** 0.1234 → "12.3%". */
export function pct(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}

/** Fixed decimals without trailing noise: fmt(3.14159, 1) → "3.1". */
export function fmt(v: number, digits = 2): string {
  return v.toFixed(digits);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
