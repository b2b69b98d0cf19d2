/**
 * Numbers, money, dates and durations through Intl, in the locale of the interface language the
 * user chose (Persian gets Persian digits, Russian its own separators), never hand-formatted.
 */
let locale = 'en';
export const setFormatLocale = (next: string) => {
  locale = next;
};

export const number = (n: number, digits = 0) =>
  new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n);

/** Always `digits` decimals (scores: 1.00 beside 0.99). */
export const fixed = (n: number, digits: number) =>
  new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);

export const percent = (share: number, digits = 0) =>
  new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: digits }).format(share);

/**
 * Minor units in a currency (ISO 4217). Without one (run-wide figures mix customers' currencies),
 * the amount in major units with two decimals and no symbol, rather than a symbol that may be wrong.
 */
export function money(amountMinor: number, currency?: string | null): string {
  if (!currency) return fixed(amountMinor / 100, 2);
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amountMinor / 10 ** digits);
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A calendar day (YYYY-MM-DD is a UTC date in the API). */
export function date(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

/** "3 hours ago" / "in 2 days", in the largest unit that fits. */
export function relative(iso: string, now = Date.now()): string {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 31_536_000],
    ['month', 2_592_000],
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(Math.round(seconds / size), unit);
}

export const durationMs = (ms: number) =>
  ms < 1000
    ? `${number(ms)} ms`
    : new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', maximumFractionDigits: 1 }).format(ms / 1000);

/** "1 hour", "6 hours", in the chosen language's own plural rules. */
export const hours = (n: number) => new Intl.NumberFormat(locale, { style: 'unit', unit: 'hour', unitDisplay: 'long' }).format(n);
