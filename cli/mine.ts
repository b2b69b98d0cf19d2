/**
 * `patron mine`: transaction file → CustomerHistory[] → mine() → customers.csv, flags.csv,
 * features.csv, summary.json, segments.svg.
 */
import path from 'node:path';
import {
  mine as coreMine,
  MINING_DEFAULTS,
  type CustomerHistory,
  type MiningOptions,
  type MiningResult,
} from '../layers/core/src/mining/index.js';
import { Opts, parse, type OptionSpec } from './args.js';
import { CliError, InputError, UsageError } from './errors.js';
import { makeDir, readText, writeText } from './files.js';
import { buildHistories, lastDate } from './histories.js';
import type { Io } from './io.js';
import { reporter } from './progress.js';
import { FORMATS, readTransactions, sniffFormat, type Format } from './readers.js';
import { segmentsSvg } from './svg.js';
import { customersCsv, featuresCsv, flagsCsv, segmentProfiles, summaryJson } from './writers.js';

export const MINE_USAGE = `Usage: patron mine --transactions FILE --out DIR [--format cdnow|groceries|csv]
                   [--as-of YYYY-MM-DD] [--k N] [--seed N] [--unit weeks|days]

Segment customers (k-means on scaled RFM/behaviour features), score churn risk and CLV
(BG/NBD + Gamma-Gamma) and flag churn-risk, up-sell and cross-sell candidates.

Options:
  --transactions FILE  the transaction log
  --format F           cdnow:     CDNOW_master.txt (header customer_id date number_of_cds
                                  dollar_value) or CDNOW_sample.txt (5 columns, no header),
                                  whitespace-separated, dates YYYYMMDD (layout detected)
                       groceries: Member_number,Date,itemDescription, dates DD-MM-YYYY; the
                                  item names are the categories; no amounts, so no monetary
                                  features and empty money columns
                       csv:       header customer_id,date,amount[,category], ISO dates
                                  (YYYY-MM-DD), amount in major units (negative = refund)
                       default: sniffed from the header / extension
  --as-of DATE         measurement date: later transactions are ignored, recency and age are
                       measured to DATE (default: the date of the last transaction)
  --k N                number of segments (default: chosen by silhouette)
  --seed N             k-means seed (default: the pipeline's)
  --unit U             time unit of the CLV models and of frequency/recency/T: weeks
                       (default, as in the BG/NBD literature) or days
  --out DIR            output directory (created if missing)
  --quiet              no progress output
  --debug              show stack traces on errors
  -h, --help           this help

Writes to DIR:
  customers.csv  customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,churn_risk
                 (money in major units; empty without amounts)
  flags.csv      customer_id,type,score,suggestion,reasons (cross-sell: one row per
                 suggested category, best first; reasons joined with "; ")
  features.csv   the scaled feature matrix k-means ran on
  summary.json   k, inertia, segment table, model parameters, counts, timings (ms)
  segments.svg   bubble chart of the segments (recency x frequency, size, value)
Exit codes: 0 ok, 1 bad input file, 2 bad usage.
`;

const OPTIONS: OptionSpec = {
  transactions: { type: 'string' },
  format: { type: 'string' },
  'as-of': { type: 'string' },
  k: { type: 'string' },
  seed: { type: 'string' },
  unit: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export type MineFn = (histories: CustomerHistory[], options: MiningOptions) => MiningResult | Promise<MiningResult>;

export interface MineDeps {
  /** The pipeline; default: `mine` from the core's mining module. */
  mine?: MineFn;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

export async function runMine(argv: readonly string[], io: Io, deps: MineDeps = {}): Promise<number> {
  const { values } = parse(argv, OPTIONS, MINE_USAGE);
  if (values.help) {
    io.stdout.write(MINE_USAGE);
    return 0;
  }
  const o = new Opts(values, MINE_USAGE);
  const file = o.required('transactions');
  const outDir = o.required('out');
  const formatFlag = o.choice('format', FORMATS);
  const asOfFlag = o.date('as-of');
  const k = o.integer('k', 2);
  const seed = o.integer('seed', 0);
  const unit = o.choice('unit', ['weeks', 'days'] as const) ?? MINING_DEFAULTS.unit;
  const progress = reporter(io, o.flag('quiet'));
  const timings: Record<string, number> = {};
  const started = performance.now();

  // read
  const read = progress.phase('read');
  const text = readText(file);
  const format: Format | undefined = formatFlag ?? sniffFormat(text, file);
  if (!format) throw new UsageError(`cannot tell the format of ${file}; pass --format ${FORMATS.join('|')}`, MINE_USAGE);
  const parsed = readTransactions(format, text, file, (done, total) => read.update(done, total, 'parsing'));
  const defaultAsOf = lastDate(parsed.rows);
  if (!defaultAsOf) throw new InputError(file, 0, 'no transactions');
  const asOf = asOfFlag ?? defaultAsOf;
  const { histories, stats } = buildHistories(parsed.rows, asOf);
  if (histories.length === 0) {
    throw new CliError(
      `${file}: no purchases on or before ${asOf.toISOString().slice(0, 10)} (first purchase ${parsed.rows
        .reduce((m, r) => (r.date.getTime() < m.getTime() ? r.date : m), defaultAsOf)
        .toISOString()
        .slice(0, 10)})`,
    );
  }
  timings.read = read.end(
    `${fmt(parsed.rows.length)} rows (${parsed.layout}), ${fmt(histories.length)} customers, ${fmt(stats.purchaseDays)} purchase days`,
  );

  // mine
  const mine = deps.mine ?? coreMine;
  const minePhase = progress.phase('mine');
  const options: MiningOptions = {
    asOf,
    unit,
    ...(k !== undefined ? { k } : {}),
    ...(seed !== undefined ? { seed } : {}),
    onProgress: (phase, done, total) => minePhase.update(done, total, phase),
  };
  const result = await mine(histories, options);
  timings.mine = minePhase.end(`k=${result.k}, ${fmt(result.flags.length)} flags`);

  // write
  const write = progress.phase('write');
  const ctx = { hasAmounts: parsed.hasAmounts };
  makeDir(outDir);
  const files: [string, () => string][] = [
    ['customers.csv', () => customersCsv(result, ctx)],
    ['flags.csv', () => flagsCsv(result)],
    ['features.csv', () => featuresCsv(result)],
    [
      'segments.svg',
      () =>
        segmentsSvg(segmentProfiles(result, ctx), {
          title: 'Customer segments',
          subtitle: `${fmt(result.customers.length)} customers · ${path.basename(file)} · as of ${asOf.toISOString().slice(0, 10)}`,
          valueMetric: ctx.hasAmounts ? 'clv' : 'purchases',
          currency: format === 'cdnow' ? 'USD' : histories.find((h) => h.currency)?.currency,
        }),
    ],
  ];
  const writeStarted = performance.now();
  files.forEach(([name, build], i) => {
    writeText(path.join(outDir, name), build());
    write.update(i + 1, files.length + 1, name);
  });
  timings.write = Math.round(performance.now() - writeStarted);
  timings.total = Math.round(performance.now() - started);
  const flagRows = result.flags.reduce(
    (n, f) => n + (f.type === 'cross-sell' && f.suggestions && f.suggestions.length > 0 ? f.suggestions.length : 1),
    0,
  );
  const summary = summaryJson(result, ctx, {
    input: { file, format, layout: parsed.layout },
    unit,
    asOf,
    options: { k: k ?? null, seed: seed ?? null, unit, asOfDefaulted: asOfFlag === undefined },
    counts: {
      rows: stats.rows,
      rowsAfterAsOf: stats.rowsAfterAsOf,
      refunds: stats.refunds,
      purchaseDays: stats.purchaseDays,
      customersWithoutPurchases: stats.customersWithoutPurchases,
      flagRows,
    },
    timingsMs: { ...timings, ...Object.fromEntries(Object.entries(result.timingsMs).map(([key, v]) => [`mine.${key}`, Math.round(v)])) },
  });
  writeText(path.join(outDir, 'summary.json'), summary);
  write.end(`5 files in ${outDir}`);

  io.stdout.write(
    `${fmt(result.customers.length)} customers, ${result.segments.length} segments (k=${result.k}), ${fmt(result.flags.length)} flags; wrote ${outDir}: customers.csv flags.csv features.csv summary.json segments.svg\n`,
  );
  return 0;
}
