/**
 * Transaction log → RFM summary (the input of BG/NBD and Gamma-Gamma), plus parsers for the
 * CDNOW data set used by Fader & Hardie (files in ../shared/datasets/cdnow/). Pure: callers
 * read the files and pass the text.
 */

export type TimeUnit = 'weeks' | 'days';

export interface Transaction {
  customerId: string;
  /** Calendar day of the purchase; only the UTC date matters (time of day is ignored). */
  date: Date;
  amount: number;
}

export interface SummarizeOptions {
  /** Last day (inclusive, UTC) of the calibration period. */
  calibrationEnd: Date;
  /** Last day (inclusive, UTC) of the holdout period; without it no holdout fields are filled. */
  observationEnd?: Date;
  unit: TimeUnit;
}

export interface CustomerSummary {
  customerId: string;
  /** Day of the first purchase (UTC midnight). */
  firstPurchase: Date;
  /** x: repeat transactions in calibration = distinct purchase days − 1. */
  frequency: number;
  /** t_x: time from the first purchase to the last calibration purchase (0 if x = 0). */
  recency: number;
  /** T: time from the first purchase to the end of calibration (`calibrationEnd`). */
  T: number;
  /** Mean value of the REPEAT transactions in calibration (first excluded); 0 when x = 0. */
  monetary: number;
  /** Transactions (distinct days) in (calibrationEnd, observationEnd]; 0 without observationEnd. */
  holdoutFrequency: number;
  /** Total spend in the holdout period. */
  holdoutAmount: number;
}

const DAY_MS = 86_400_000;

function dayNumber(d: Date): number {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid date');
  return Math.floor(ms / DAY_MS);
}

/** Length of `days` days in `unit`. */
export function daysToUnit(days: number, unit: TimeUnit): number {
  return unit === 'weeks' ? days / 7 : days;
}

/** Length of the interval (from, to] in `unit`, counting whole UTC days. */
export function periodLength(from: Date, to: Date, unit: TimeUnit): number {
  return daysToUnit(dayNumber(to) - dayNumber(from), unit);
}

/**
 * Build the per-customer calibration summary (lifetimes' `summary_data_from_transaction_data`
 * conventions):
 *  - all records of one customer on one UTC calendar day form ONE transaction (amounts summed);
 *  - customers whose first purchase is after `calibrationEnd` are not in the cohort and are
 *    left out; so are their records;
 *  - x, t_x, T, monetary as documented on {@link CustomerSummary}; times in `unit`, measured
 *    between calendar days (a purchase on `calibrationEnd` itself gives t_x = T);
 *  - holdout counts cover the days after `calibrationEnd` up to and including
 *    `observationEnd`; later records are ignored.
 * Output is sorted by customerId.
 */
export function summarize(transactions: Iterable<Transaction>, opts: SummarizeOptions): CustomerSummary[] {
  const calEnd = dayNumber(opts.calibrationEnd);
  const obsEnd = opts.observationEnd ? dayNumber(opts.observationEnd) : undefined;
  if (obsEnd !== undefined && obsEnd < calEnd) throw new RangeError('observationEnd is before calibrationEnd');

  // customer → day → amount
  const byCustomer = new Map<string, Map<number, number>>();
  let i = 0;
  for (const t of transactions) {
    if (!Number.isFinite(t.amount)) throw new RangeError(`transaction ${i}: amount must be finite (got ${t.amount})`);
    let day: number;
    try {
      day = dayNumber(t.date);
    } catch {
      throw new RangeError(`transaction ${i}: invalid date`);
    }
    let days = byCustomer.get(t.customerId);
    if (!days) {
      days = new Map();
      byCustomer.set(t.customerId, days);
    }
    days.set(day, (days.get(day) ?? 0) + t.amount);
    i++;
  }

  const out: CustomerSummary[] = [];
  for (const [customerId, days] of byCustomer) {
    const sorted = [...days.keys()].sort((p, q) => p - q);
    const first = sorted[0]!;
    if (first > calEnd) continue;
    let last = first;
    let repeats = 0;
    let repeatAmount = 0;
    let holdoutFrequency = 0;
    let holdoutAmount = 0;
    for (const d of sorted) {
      const amount = days.get(d)!;
      if (d <= calEnd) {
        if (d !== first) {
          repeats++;
          repeatAmount += amount;
          last = d;
        }
      } else if (obsEnd !== undefined && d <= obsEnd) {
        holdoutFrequency++;
        holdoutAmount += amount;
      }
    }
    out.push({
      customerId,
      firstPurchase: new Date(first * DAY_MS),
      frequency: repeats,
      recency: daysToUnit(last - first, opts.unit),
      T: daysToUnit(calEnd - first, opts.unit),
      monetary: repeats > 0 ? repeatAmount / repeats : 0,
      holdoutFrequency,
      holdoutAmount,
    });
  }
  out.sort((p, q) => (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0));
  return out;
}

// ---------------------------------------------------------------------------------------
// CDNOW

/** Calibration end of the standard CDNOW split: 39 weeks after the cohort's start (1997-01-01). */
export const CDNOW_CALIBRATION_END = new Date(Date.UTC(1997, 8, 30));
/** Holdout end: 1998-06-30, another 39 weeks (1997-10-01 … 1998-06-30 = 273 days). */
export const CDNOW_OBSERVATION_END = new Date(Date.UTC(1998, 5, 30));
/** Holdout length in weeks (= 39). */
export const CDNOW_HOLDOUT_WEEKS = periodLength(CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, 'weeks');

export interface CdnowRecord extends Transaction {
  /** Sample id (CDNOW_sample.txt only). */
  sampleId?: string;
  cds: number;
  /** 1-based line number in the source text. */
  line: number;
}

export class CdnowParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CdnowParseError';
  }
}

const MASTER_HEADER = ['customer_id', 'date', 'number_of_cds', 'dollar_value'];

function parseDate(s: string, line: number): Date {
  if (!/^\d{8}$/.test(s)) throw new CdnowParseError(line, `bad date "${s}" (expected YYYYMMDD)`);
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(4, 6));
  const d = Number(s.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    throw new CdnowParseError(line, `bad date "${s}" (no such calendar day)`);
  }
  return date;
}

function parseId(s: string, what: string, line: number): string {
  if (!/^\d+$/.test(s)) throw new CdnowParseError(line, `bad ${what} "${s}"`);
  return s;
}

function parseCds(s: string, line: number): number {
  if (!/^\d+$/.test(s)) throw new CdnowParseError(line, `bad number_of_cds "${s}"`);
  return Number(s);
}

function parseDollars(s: string, line: number): number {
  if (!/^\d+(\.\d+)?$/.test(s)) throw new CdnowParseError(line, `bad dollar_value "${s}"`);
  return Number(s);
}

function* lines(text: string): Generator<[number, string[]]> {
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i++) {
    const trimmed = all[i]!.trim();
    if (trimmed === '') continue;
    yield [i + 1, trimmed.split(/\s+/)];
  }
}

/**
 * Parse CDNOW_master.txt: optional header `customer_id date number_of_cds dollar_value`,
 * then whitespace-separated `id YYYYMMDD cds dollars` lines (CRLF or LF, blank lines
 * skipped). Throws {@link CdnowParseError} naming the line on anything malformed.
 */
export function parseCdnowMaster(text: string): CdnowRecord[] {
  const out: CdnowRecord[] = [];
  let first = true;
  for (const [line, f] of lines(text)) {
    if (first) {
      first = false;
      if (f.length === MASTER_HEADER.length && f.every((v, i) => v === MASTER_HEADER[i])) continue;
    }
    if (f.length !== 4) throw new CdnowParseError(line, `expected 4 fields, got ${f.length}`);
    out.push({
      customerId: parseId(f[0]!, 'customer_id', line),
      date: parseDate(f[1]!, line),
      cds: parseCds(f[2]!, line),
      amount: parseDollars(f[3]!, line),
      line,
    });
  }
  return out;
}

/**
 * Parse CDNOW_sample.txt (no header): `masterId sampleId YYYYMMDD cds dollars`. The
 * customerId is the master id, so sample records join with the master file.
 */
export function parseCdnowSample(text: string): CdnowRecord[] {
  const out: CdnowRecord[] = [];
  for (const [line, f] of lines(text)) {
    if (f.length !== 5) throw new CdnowParseError(line, `expected 5 fields, got ${f.length}`);
    out.push({
      customerId: parseId(f[0]!, 'customer id', line),
      sampleId: parseId(f[1]!, 'sample id', line),
      date: parseDate(f[2]!, line),
      cds: parseCds(f[3]!, line),
      amount: parseDollars(f[4]!, line),
      line,
    });
  }
  return out;
}

/** The standard CDNOW split: calibration through 1997-09-30, holdout through 1998-06-30, weeks. */
export function summarizeCdnow(records: Iterable<Transaction>): CustomerSummary[] {
  return summarize(records, {
    calibrationEnd: CDNOW_CALIBRATION_END,
    observationEnd: CDNOW_OBSERVATION_END,
    unit: 'weeks',
  });
}
