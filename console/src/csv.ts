/** The flags export: RFC 4180 CSV a spreadsheet opens as text, never as formulas. */
import type { Flag } from './types.js';

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: unknown): string {
  const s = value === undefined || value === null ? '' : String(value);
  // Text starting with = + - @ (or a tab or CR) is run as a formula by spreadsheets (CSV injection):
  // a leading apostrophe keeps it text. Numbers are numbers, a minus sign included.
  // Leading spaces or line breaks do not stop a spreadsheet from reading what follows as a formula.
  const safe = typeof value !== 'number' && /^[\s\u00a0]*[=+\-@]|^[\t\r\n]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function flagsCsv(flags: readonly Flag[]): string {
  const header = ['customerId', 'type', 'score', 'expectedValueMinor', 'segment', 'valueTier', 'lifecycle', 'reasons'];
  const rows = flags.map((f) => [
    f.customerId,
    f.type,
    f.score,
    f.expectedValueMinor,
    f.segment,
    f.valueTier,
    f.lifecycle,
    f.reasons.join('; '),
  ]);
  return `${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}
