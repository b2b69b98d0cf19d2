/**
 * Tiny RFC 4180 CSV helpers: a writer with proper quoting and a reader that reports the
 * (1-based) line each record starts on, so callers can point at bad input.
 */
import { LineError } from './errors.js';

export type CsvValue = string | number | boolean | null | undefined;

/** One field: empty for null/undefined/NaN; quoted when it holds `,` `"` CR LF or edge spaces. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '';
    return String(value);
  }
  const s = String(value);
  if (/[",\r\n]/.test(s) || /^\s|\s$/.test(s)) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

/** One record, newline-terminated (LF). */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

/** Header + rows as one string. */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  let out = csvRow(header);
  for (const r of rows) out += csvRow(r);
  return out;
}

/** Fixed-decimal number without trailing noise: round(1.23456, 4) → 1.2346; -0 → 0. */
export function round(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return r === 0 ? 0 : r;
}

export interface CsvRecord {
  /** Line the record starts on (1-based). */
  line: number;
  fields: string[];
}

/**
 * Parse CSV text (LF or CRLF, optional UTF-8 BOM, quoted fields with `""` escapes and
 * embedded newlines). Blank lines are skipped. Throws {@link LineError} on an unterminated
 * quote or on text after a closing quote.
 */
export function* parseCsv(text: string): Generator<CsvRecord> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let atRecordEnd = false;
    // one record
    while (!atRecordEnd) {
      if (text[i] === '"') {
        // quoted field
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new LineError(quoteLine, 'unterminated quoted field');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new LineError(line, `unexpected character '${text[i]}' after a closing quote`);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 /* , */ || c === 10 /* \n */ || c === 13 /* \r */) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      field = '';
      if (i >= n) {
        atRecordEnd = true;
      } else if (text[i] === ',') {
        i++;
        if (i >= n) fields.push('');
        atRecordEnd = i >= n;
      } else {
        // \r\n or \n (a lone \r counts as a line end too)
        if (text[i] === '\r') i++;
        if (text[i] === '\n') i++;
        line++;
        atRecordEnd = true;
      }
    }
    if (fields.length === 1 && fields[0] === '') continue; // blank line
    yield { line: start, fields };
  }
}
