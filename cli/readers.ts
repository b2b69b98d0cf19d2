/**
 * Transaction-file readers for `patron mine`. Each turns the text of one file into
 * {@link TxRow}s and reports malformed input as {@link InputError} `FILE:LINE: what is wrong`.
 *
 * Formats:
 *  - cdnow:     Fader & Hardie's CDNOW log, whitespace-separated. Two layouts, detected from
 *               the first non-blank line: master (optional header
 *               `customer_id date number_of_cds dollar_value`, 4 columns) and sample
 *               (no header, 5 columns: master id, sample id, date, CDs, dollars). Dates YYYYMMDD.
 *               The customer id is the master id in both. No categories.
 *  - groceries: `Member_number,Date,itemDescription` (Kaggle Groceries), dates DD-MM-YYYY, one row
 *               per item; the item name is the category. No amounts.
 *  - csv:       header with `customer_id,date,amount` and optionally `category` (any order,
 *               extra columns ignored). Dates ISO `YYYY-MM-DD` (a time part after `T` or a
 *               space is ignored: the calendar day as written counts). Amounts in major units
 *               with at most 2 decimals' precision kept (converted to minor units = × 100,
 *               rounded); a negative amount is a refund.
 */
import { csvField, parseCsv } from './csv.js';
import { InputError, LineError } from './errors.js';

export type Format = 'cdnow' | 'groceries' | 'csv';
export const FORMATS: readonly Format[] = ['cdnow', 'groceries', 'csv'];

export interface TxRow {
  customerId: string;
  /** UTC midnight of the calendar day. */
  date: Date;
  /** Minor units; undefined when the format has no amounts. Negative = refund. */
  amountMinor?: number;
  /** Units per category in this row. */
  categories?: Record<string, number>;
  /** 1-based line in the source file. */
  line: number;
}

export interface ReadResult {
  rows: TxRow[];
  /** What was detected, e.g. 'cdnow-master', 'cdnow-sample', 'groceries', 'csv'. */
  layout: string;
  /** True when the rows carry amounts (monetary features available). */
  hasAmounts: boolean;
  hasCategories: boolean;
}

export type ProgressFn = (done: number, total: number) => void;

/** Validated UTC date, or a message saying what is wrong. */
function calendarDate(y: number, m: number, d: number): Date | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date;
}

export function parseYyyymmdd(s: string, line: number): Date {
  if (!/^\d{8}$/.test(s)) throw new LineError(line, `date '${s}' is not YYYYMMDD`);
  const date = calendarDate(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)));
  if (!date) throw new LineError(line, `date '${s}' is not a calendar day`);
  return date;
}

export function parseDdMmYyyy(s: string, line: number): Date {
  const m = /^(\d{1,2})-(\d{1,2})-(\d{4})$/.exec(s);
  if (!m) throw new LineError(line, `date '${s}' is not DD-MM-YYYY`);
  const date = calendarDate(Number(m[3]), Number(m[2]), Number(m[1]));
  if (!date) throw new LineError(line, `date '${s}' is not a calendar day`);
  return date;
}

/** `YYYY-MM-DD`, optionally followed by `T…` or ` …` (time ignored). */
export function parseIsoDate(s: string, line: number, what = 'date'): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(s);
  if (!m) throw new LineError(line, `${what} '${s}' is not YYYY-MM-DD`);
  const date = calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  if (!date) throw new LineError(line, `${what} '${s}' is not a calendar day`);
  return date;
}

/** Major units → minor units (× 100, rounded). */
export function parseAmountMinor(s: string, line: number, what = 'amount'): number {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s)) throw new LineError(line, `${what} '${s}' is not a number`);
  const minor = Math.round(Number(s) * 100);
  if (!Number.isSafeInteger(minor)) throw new LineError(line, `${what} '${s}' is out of range`);
  return minor === 0 ? 0 : minor;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

/** Run a line-based parser, turning LineError into InputError for `file`. */
function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LineError) throw new InputError(file, err.line, err.detail);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------
// CDNOW

const CDNOW_HEADER = ['customer_id', 'date', 'number_of_cds', 'dollar_value'];

export function readCdnow(text: string, file: string, progress?: ProgressFn): ReadResult {
  return inFile(file, () => {
    const all = text.split('\n');
    const total = all.length;
    const rows: TxRow[] = [];
    let layout: 'cdnow-master' | 'cdnow-sample' | undefined;
    for (let i = 0; i < total; i++) {
      const line = i + 1;
      const trimmed = all[i]!.trim();
      if (trimmed === '') continue;
      const f = trimmed.split(/\s+/);
      if (layout === undefined) {
        if (f.length === 4 && f.every((v, j) => v.toLowerCase() === CDNOW_HEADER[j])) {
          layout = 'cdnow-master';
          continue;
        }
        if (f.length === 4) layout = 'cdnow-master';
        else if (f.length === 5) layout = 'cdnow-sample';
        else {
          throw new LineError(
            line,
            `expected a CDNOW master line (customer_id date number_of_cds dollar_value) or sample line (5 columns: id sample_id date cds dollars), got ${f.length} field${f.length === 1 ? '' : 's'}`,
          );
        }
      }
      const expected = layout === 'cdnow-master' ? 4 : 5;
      if (f.length !== expected) {
        throw new LineError(
          line,
          `expected ${expected} fields (${layout === 'cdnow-master' ? 'master' : 'sample'} layout), got ${f.length}`,
        );
      }
      const o = layout === 'cdnow-master' ? 0 : 1;
      const id = f[0]!;
      if (!/^\d+$/.test(id)) throw new LineError(line, `customer id '${id}' is not a number`);
      if (o === 1 && !/^\d+$/.test(f[1]!)) throw new LineError(line, `sample id '${f[1]}' is not a number`);
      const date = parseYyyymmdd(f[1 + o]!, line);
      const cds = f[2 + o]!;
      if (!/^\d+$/.test(cds)) throw new LineError(line, `number_of_cds '${cds}' is not a whole number`);
      const dollars = f[3 + o]!;
      const amountMinor = parseAmountMinor(dollars, line, 'dollar_value');
      if (amountMinor < 0) throw new LineError(line, `dollar_value '${dollars}' is negative`);
      rows.push({ customerId: id, date, amountMinor, line });
      if (progress && (rows.length & 0x3fff) === 0) progress(line, total);
    }
    if (layout === undefined) throw new LineError(0, 'no records (the file is empty)');
    progress?.(total, total);
    return { rows, layout, hasAmounts: true, hasCategories: false };
  });
}

// ---------------------------------------------------------------------------------------
// CSV-based formats

interface Columns {
  [name: string]: number;
}

function header(fields: readonly string[]): Columns {
  const cols: Columns = {};
  fields.forEach((f, i) => {
    const key = f.trim().toLowerCase();
    if (!(key in cols)) cols[key] = i;
  });
  return cols;
}

function requireColumns(cols: Columns, names: readonly string[], line: number, expected: string): number[] {
  const missing = names.filter((n) => !(n in cols));
  if (missing.length > 0) {
    throw new LineError(line, `header lacks column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${expected})`);
  }
  return names.map((n) => cols[n]!);
}

function field(fields: readonly string[], index: number, name: string, line: number): string {
  const v = fields[index];
  if (v === undefined) throw new LineError(line, `missing ${name} (expected at least ${index + 1} fields, got ${fields.length})`);
  return v.trim();
}

export function readGroceries(text: string, file: string, progress?: ProgressFn): ReadResult {
  return inFile(file, () => {
    const total = countLines(text);
    const rows: TxRow[] = [];
    let cols: number[] | undefined;
    for (const rec of parseCsv(text)) {
      if (!cols) {
        cols = requireColumns(
          header(rec.fields),
          ['member_number', 'date', 'itemdescription'],
          rec.line,
          'Member_number,Date,itemDescription',
        );
        continue;
      }
      const [ci, di, ii] = cols as [number, number, number];
      const id = field(rec.fields, ci, 'Member_number', rec.line);
      if (id === '') throw new LineError(rec.line, 'empty Member_number');
      const date = parseDdMmYyyy(field(rec.fields, di, 'Date', rec.line), rec.line);
      const item = field(rec.fields, ii, 'itemDescription', rec.line);
      if (item === '') throw new LineError(rec.line, 'empty itemDescription');
      rows.push({ customerId: id, date, categories: { [item]: 1 }, line: rec.line });
      if (progress && (rows.length & 0x3fff) === 0) progress(rec.line, total);
    }
    if (!cols) throw new LineError(0, 'no header (the file is empty)');
    progress?.(total, total);
    return { rows, layout: 'groceries', hasAmounts: false, hasCategories: true };
  });
}

export function readTransactionsCsv(text: string, file: string, progress?: ProgressFn): ReadResult {
  return inFile(file, () => {
    const total = countLines(text);
    const rows: TxRow[] = [];
    let cols: { id: number; date: number; amount: number; category?: number } | undefined;
    let hasCategories = false;
    for (const rec of parseCsv(text)) {
      if (!cols) {
        const h = header(rec.fields);
        const [id, date, amount] = requireColumns(h, ['customer_id', 'date', 'amount'], rec.line, 'customer_id,date,amount[,category]') as [
          number,
          number,
          number,
        ];
        cols = { id, date, amount, category: h.category };
        continue;
      }
      const id = field(rec.fields, cols.id, 'customer_id', rec.line);
      if (id === '') throw new LineError(rec.line, 'empty customer_id');
      const date = parseIsoDate(field(rec.fields, cols.date, 'date', rec.line), rec.line);
      const amountMinor = parseAmountMinor(field(rec.fields, cols.amount, 'amount', rec.line), rec.line);
      const row: TxRow = { customerId: id, date, amountMinor, line: rec.line };
      if (cols.category !== undefined) {
        const category = (rec.fields[cols.category] ?? '').trim();
        if (category !== '') {
          row.categories = { [category]: 1 };
          hasCategories = true;
        }
      }
      rows.push(row);
      if (progress && (rows.length & 0x3fff) === 0) progress(rec.line, total);
    }
    if (!cols) throw new LineError(0, 'no header (the file is empty)');
    progress?.(total, total);
    return { rows, layout: 'csv', hasAmounts: true, hasCategories };
  });
}

export function readTransactions(format: Format, text: string, file: string, progress?: ProgressFn): ReadResult {
  switch (format) {
    case 'cdnow':
      return readCdnow(text, file, progress);
    case 'groceries':
      return readGroceries(text, file, progress);
    case 'csv':
      return readTransactionsCsv(text, file, progress);
  }
}

/**
 * Guess the format from the first non-blank line (header sniffing), falling back to the
 * extension (.txt → cdnow). Returns undefined when unsure.
 */
export function sniffFormat(text: string, file: string): Format | undefined {
  const first =
    text
      .replace(/^\ufeff/, '')
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  const lower = first.toLowerCase();
  if (/^member_number\s*,/.test(lower) && lower.includes('itemdescription')) return 'groceries';
  if (lower.includes(',')) {
    const names = lower.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
    if (['customer_id', 'date', 'amount'].every((n) => names.includes(n))) return 'csv';
  }
  const ws = first.split(/\s+/);
  if (lower.replace(/\s+/g, ' ') === CDNOW_HEADER.join(' ')) return 'cdnow';
  if ((ws.length === 4 || ws.length === 5) && ws.every((v) => /^[\d.]+$/.test(v))) return 'cdnow';
  if (file.toLowerCase().endsWith('.txt')) return 'cdnow';
  return undefined;
}

// ---------------------------------------------------------------------------------------
// RFM summary CSV (patron clv)

export interface SummaryRow {
  customerId: string;
  frequency: number;
  recency: number;
  T: number;
  monetary?: number;
  line: number;
}

export interface SummaryFile {
  rows: SummaryRow[];
  hasMonetary: boolean;
  idColumn: string;
}

function num(s: string, name: string, line: number): number {
  if (s === '' || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) throw new LineError(line, `${name} '${s}' is not a number`);
  return Number(s);
}

/**
 * Read an RFM summary: header row, id column first, then `frequency`, `recency`, `T` in any
 * order (matched by name, case-insensitively; extra columns ignored) and optionally
 * `monetary_value` or `monetary` (as `patron mine` writes customers.csv; monetary_value wins
 * when both are there). A monetary column that is empty on every row (mine without amounts)
 * counts as absent; empty on some rows only is an error. Checks: frequency a whole number
 * >= 0, 0 <= recency <= T, recency = 0 when frequency = 0, monetary >= 0, ids unique.
 */
export function readSummaryCsv(text: string, file: string): SummaryFile {
  return inFile(file, () => {
    const rows: SummaryRow[] = [];
    const seen = new Map<string, number>();
    let cols: { f: number; r: number; t: number; m?: number } | undefined;
    let idColumn = '';
    let monetaryName = 'monetary_value';
    let emptyMonetaryLine: number | undefined;
    let filledMonetaryLine: number | undefined;
    for (const rec of parseCsv(text)) {
      if (!cols) {
        const h = header(rec.fields);
        idColumn = (rec.fields[0] ?? '').trim();
        const [f, r, t] = requireColumns(
          h,
          ['frequency', 'recency', 't'],
          rec.line,
          'id,frequency,recency,T[,monetary_value|monetary]',
        ) as [number, number, number];
        if ([f, r, t].includes(0)) throw new LineError(rec.line, `the first column must be the customer id, not '${idColumn}'`);
        monetaryName = h.monetary_value !== undefined ? 'monetary_value' : 'monetary';
        cols = { f, r, t, m: h.monetary_value ?? h.monetary };
        continue;
      }
      const line = rec.line;
      const id = (rec.fields[0] ?? '').trim();
      if (id === '') throw new LineError(line, 'empty customer id');
      const prev = seen.get(id);
      if (prev !== undefined) throw new LineError(line, `duplicate customer id ${csvField(id)} (first on line ${prev})`);
      seen.set(id, line);
      const frequency = num(field(rec.fields, cols.f, 'frequency', line), 'frequency', line);
      const recency = num(field(rec.fields, cols.r, 'recency', line), 'recency', line);
      const T = num(field(rec.fields, cols.t, 'T', line), 'T', line);
      if (!(Number.isInteger(frequency) && frequency >= 0)) throw new LineError(line, `frequency ${frequency} is not a whole number >= 0`);
      if (recency < 0) throw new LineError(line, `recency ${recency} is negative`);
      if (recency > T) throw new LineError(line, `recency ${recency} is greater than T ${T}`);
      if (frequency === 0 && recency !== 0) throw new LineError(line, `recency ${recency} must be 0 when frequency is 0`);
      const row: SummaryRow = { customerId: id, frequency, recency, T, line };
      if (cols.m !== undefined) {
        const m = field(rec.fields, cols.m, monetaryName, line);
        if (m === '') {
          emptyMonetaryLine ??= line;
          if (filledMonetaryLine !== undefined) throw mixedMonetary(monetaryName, line, filledMonetaryLine);
        } else {
          filledMonetaryLine ??= line;
          if (emptyMonetaryLine !== undefined) throw mixedMonetary(monetaryName, emptyMonetaryLine, line);
          const monetary = num(m, monetaryName, line);
          if (monetary < 0) throw new LineError(line, `${monetaryName} ${monetary} is negative`);
          row.monetary = monetary;
        }
      }
      rows.push(row);
    }
    if (!cols) throw new LineError(0, 'no header (the file is empty)');
    if (rows.length === 0) throw new LineError(0, 'no customer rows after the header');
    return { rows, hasMonetary: cols.m !== undefined && filledMonetaryLine !== undefined, idColumn };
  });
}

function mixedMonetary(name: string, emptyLine: number, filledLine: number): LineError {
  return new LineError(emptyLine, `${name} is empty here but not on line ${filledLine} (fill it on every row or on none)`);
}
