/**
 * `patron mine`: transaction file → CustomerHistory[] → mine() → customers.csv, flags.csv,
 * features.csv, summary.json, segments.svg.
 */
import path from 'node:path';
import {
  mine as coreMine,
  MINING_DEFAULTS,
  type CustomerHistory,
  type MiningResult,
  type PipelineOptions,
} from '../layers/core/src/mining/index.js';
import { Opts, parse, type OptionSpec } from './args.js';
import { CliError, InputError, UsageError } from './errors.js';
import { makeDir, readText, writeText } from './files.js';
import { buildHistories, lastDate } from './histories.js';
import type { Io } from './io.js';
import { reporter } from './progress.js';
import { FORMATS, readTransactions, sniffFormat, type Format } from './readers.js';
import { segmentsSvg } from './svg.js';
import { customersCsv, featuresCsv, flagsCsv, reasonTable, rulesCsv, segmentProfiles, summaryJson } from './writers.js';

const D = MINING_DEFAULTS;
/** Default per-type flag budget: the pipeline's (the same share for every type). */
const FLAG_SHARE = Math.max(...Object.values(D.flagBudget));

export const MINE_USAGE = `Usage: patron mine --transactions FILE --out DIR [--format cdnow|groceries|csv]
                   [--as-of YYYY-MM-DD] [--k N] [--seed N] [--unit weeks|days]
                   [--churn-horizon-days N] [--margin X] [--discount-rate X]
                   [--horizon-months N] [--flag-share X]

Segment customers (k-means on scaled RFM/behaviour features), score P(alive) with the purchase
model a holdout in time chooses (BG/NBD, Pareto/NBD or MBG/NBD), the churn probability and CLV
(+ Gamma-Gamma), assign lifecycle stages and value tiers, and flag churn-risk, up-sell,
cross-sell, prospect, reorder-due and moment candidates.

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
  --churn-horizon-days N
                       churn = no purchase within N days: churn_probability is
                       P(no purchase in the next N days); whole number 7..730
                       (default ${D.churn.horizonDays})
  --margin X           profit margin of the CLV, a fraction of spend, 0 < X <= 1
                       (default ${D.clv.margin}: CLV is discounted revenue)
  --discount-rate X    monthly discount rate of the CLV, 0 <= X < 1 (default ${D.clv.discountRatePerPeriod})
  --horizon-months N   CLV horizon in months, whole number 1..120 (default ${D.clv.horizonPeriods})
  --flag-share X       flags per type at most this share of the buyers (the best by expected
                       value, then score), 0 < X <= 1 (default ${FLAG_SHARE})
  --out DIR            output directory (created if missing)
  --quiet              no progress output
  --debug              show stack traces on errors
  -h, --help           this help

Writes to DIR:
  customers.csv  customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,
                 churn_risk,model,churn_probability,value_tier,lifecycle,next_purchase_date
                 (money in major units, empty without amounts; model = the purchase model
                 behind p_alive or 'rule'; next_purchase_date YYYY-MM-DD, empty for prospects
                 and lapsed customers). 'patron clv --summary' reads this file.
  flags.csv      customer_id,type,score,suggestion,reason_ids,date (cross-sell: one row per
                 suggested category, best first; reason_ids like R3;R17 refer to rules.csv;
                 date: reorder-due = expected purchase day, moment = the anniversary)
  rules.csv      reason_id,customers,text: each distinct reason text once, with the number of
                 flags giving it
  features.csv   the scaled feature matrix k-means ran on
  summary.json   k, inertia, segment table, models (chosen, pAliveSource, parameters),
                 modelChoice, churn (horizon, backtest, evaluation: ECE, AUC), warnings, notes,
                 kSelection, tiers, funnel, counts, timings (ms)
  segments.svg   bubble chart of the segments (recency x frequency, size, value)
Fit warnings go to stderr as 'warning: ...' lines, also with --quiet.
Exit codes: 0 ok, 1 bad input file, 2 bad usage.
`;

const OPTIONS: OptionSpec = {
  transactions: { type: 'string' },
  format: { type: 'string' },
  'as-of': { type: 'string' },
  k: { type: 'string' },
  seed: { type: 'string' },
  unit: { type: 'string' },
  'churn-horizon-days': { type: 'string' },
  margin: { type: 'string' },
  'discount-rate': { type: 'string' },
  'horizon-months': { type: 'string' },
  'flag-share': { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export type MineFn = (histories: CustomerHistory[], options: PipelineOptions) => MiningResult | Promise<MiningResult>;

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
  const churnHorizonDays = o.integer('churn-horizon-days', 7, 730) ?? D.churn.horizonDays;
  const margin = o.number('margin', (n) => n > 0 && n <= 1, 'a number > 0 and <= 1') ?? D.clv.margin;
  const discountRate = o.number('discount-rate', (n) => n >= 0 && n < 1, 'a number >= 0 and < 1') ?? D.clv.discountRatePerPeriod;
  const horizonMonths = o.integer('horizon-months', 1, 120) ?? D.clv.horizonPeriods;
  const flagShare = o.number('flag-share', (n) => n > 0 && n <= 1, 'a number > 0 and <= 1') ?? FLAG_SHARE;
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
  const flagBudget = Object.fromEntries(Object.keys(D.flagBudget).map((type) => [type, flagShare]));
  const options: PipelineOptions = {
    asOf,
    unit,
    ...(k !== undefined ? { k } : {}),
    ...(seed !== undefined ? { seed } : {}),
    churnHorizonDays,
    flagBudget,
    clv: {
      horizonPeriods: horizonMonths,
      periodsPerUnit: D.clv.periodsPerUnit[unit],
      margin,
      discountRatePerPeriod: discountRate,
    },
    onProgress: (phase, done, total) => minePhase.update(done, total, phase),
  };
  const result = await mine(histories, options);
  timings.mine = minePhase.end(`k=${result.k}, ${fmt(result.flags.length)} flags`);
  // fit diagnostics a user must see: on stderr even with --quiet
  for (const w of result.warnings ?? []) io.stderr.write(`warning: ${w}\n`);

  // write
  const write = progress.phase('write');
  const ctx = { hasAmounts: parsed.hasAmounts };
  makeDir(outDir);
  const reasons = reasonTable(result);
  const files: [string, () => string][] = [
    ['customers.csv', () => customersCsv(result, ctx)],
    ['flags.csv', () => flagsCsv(result, reasons)],
    ['rules.csv', () => rulesCsv(result, reasons)],
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
    options: {
      k: k ?? null,
      seed: seed ?? null,
      unit,
      asOfDefaulted: asOfFlag === undefined,
      churnHorizonDays,
      flagShare,
      clv: { horizonMonths, margin, discountRatePerMonth: discountRate },
    },
    counts: {
      rows: stats.rows,
      rowsAfterAsOf: stats.rowsAfterAsOf,
      refunds: stats.refunds,
      purchaseDays: stats.purchaseDays,
      customersWithoutPurchases: stats.customersWithoutPurchases,
      flagRows,
      reasons: reasons.rows.length,
    },
    timingsMs: { ...timings, ...Object.fromEntries(Object.entries(result.timingsMs).map(([key, v]) => [`mine.${key}`, Math.round(v)])) },
  });
  writeText(path.join(outDir, 'summary.json'), summary);
  write.end(`${files.length + 1} files in ${outDir}`);

  io.stdout.write(
    `${fmt(result.customers.length)} customers, ${result.segments.length} segments (k=${result.k}), ${fmt(result.flags.length)} flags; wrote ${outDir}: customers.csv flags.csv rules.csv features.csv summary.json segments.svg\n`,
  );
  return 0;
}
