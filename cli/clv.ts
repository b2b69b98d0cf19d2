/**
 * `patron clv`: fit BG/NBD, Pareto/NBD and MBG/NBD (and Gamma-Gamma) to an RFM summary CSV,
 * print the parameters, optionally forecast per customer (BG/NBD + Gamma-Gamma).
 */
import {
  conditionalExpectedAverageSpend,
  conditionalExpectedPurchases,
  customerLifetimeValue,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  pAlive,
  type BgNbdFit,
  type GammaGammaFit,
  type MbgNbdFit,
  type ParetoNbdFit,
} from '../layers/core/src/mining/clv/index.js';
import { fitDiagnostics, type PurchaseModel } from '../layers/core/src/mining/purchase-model.js';
import { MINING_DEFAULTS } from '../layers/core/src/mining/defaults.js';
import { Opts, parse, type OptionSpec } from './args.js';
import { csvRow, round } from './csv.js';
import { CliError, UsageError } from './errors.js';
import { readText, writeText } from './files.js';
import type { Io } from './io.js';
import { readSummaryCsv, type SummaryRow } from './readers.js';

const D = MINING_DEFAULTS;

export const CLV_USAGE = `Usage: patron clv --summary FILE [--horizon T [--out FILE]] [--penalizer X]
                  [--unit weeks|days] [--horizon-months N] [--margin X] [--discount-rate X]

Fit the purchase models BG/NBD (Fader, Hardie & Lee 2005), Pareto/NBD (Schmittlein, Morrison
& Colombo 1987) and MBG/NBD (Batislam, Denizel & Filiztekin 2007) and, when the summary has
monetary values, the Gamma-Gamma spend model to a per-customer RFM summary.

Options:
  --summary FILE    CSV with a header row: the customer id column first, then frequency,
                    recency, T in any order (matched by name), optionally monetary_value or
                    monetary (the customers.csv of 'patron mine' works as it is).
                    frequency = repeat purchases, recency = time of the last purchase since
                    the first, T = time since the first purchase; any time unit (the
                    parameters alpha, beta and --horizon are in that unit). monetary = mean
                    value of the repeat purchases (any currency unit); a monetary column
                    empty on every row counts as absent.
  --horizon T       also forecast each customer over the next T time units with BG/NBD and
                    write id,p_alive,expected_purchases[,expected_spend,clv]
                    (expected_spend = expected_purchases x Gamma-Gamma expected value per
                    purchase, undiscounted; clv = discounted margin over --horizon-months;
                    both in the unit of monetary and only with monetary values)
  --out FILE        where the forecast goes (default: stdout; the parameter JSON then goes
                    to stderr so stdout stays a clean CSV)
  --penalizer X     L2 penalty on the parameters, as in lifetimes (default ${D.penalizer})
  --unit U          time unit of frequency/recency/T, for the month-based clv column: weeks
                    (default, what 'patron mine' writes) or days
  --horizon-months N
                    clv horizon in months, whole number 1..120 (default ${D.clv.horizonPeriods})
  --margin X        profit margin of the clv, a fraction of spend, 0 < X <= 1 (default ${D.clv.margin})
  --discount-rate X monthly discount rate of the clv, 0 <= X < 1 (default ${D.clv.discountRatePerPeriod})
                    (--unit, --horizon-months, --margin and --discount-rate need --horizon)
  --debug           show stack traces on errors
  -h, --help        this help

Prints JSON: {"bgnbd":{"r","alpha","a","b","logLikelihood","iterations"},
              "paretoNbd":{"r","alpha","s","beta","logLikelihood","iterations"},
              "mbgNbd":{"r","alpha","a","b","logLikelihood","iterations"},
              "gammaGamma":{"p","q","v","logLikelihood"}}
A model that cannot be fitted is {"error": "why"} instead (exit 0 while one purchase model
fits). gammaGamma is null when the summary has no monetary values; it is fitted on the
customers with frequency > 0 and monetary > 0.
Exit codes: 0 ok, 1 bad input file or no purchase model could be fitted (or the forecast's
BG/NBD / Gamma-Gamma failed), 2 bad usage.
`;

const OPTIONS: OptionSpec = {
  summary: { type: 'string' },
  horizon: { type: 'string' },
  out: { type: 'string' },
  penalizer: { type: 'string' },
  unit: { type: 'string' },
  'horizon-months': { type: 'string' },
  margin: { type: 'string' },
  'discount-rate': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** A fit, or why it failed. */
export type Fitted<T> = { ok: true; fit: T } | { ok: false; error: string };

export interface SummaryFit {
  bgnbd: Fitted<BgNbdFit>;
  paretoNbd: Fitted<ParetoNbdFit>;
  mbgNbd: Fitted<MbgNbdFit>;
  /** null without monetary values. */
  gammaGamma: Fitted<GammaGammaFit> | null;
}

type Failed = { error: string };

export interface ClvOutput {
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number; warnings?: string[] } | Failed;
  paretoNbd: { r: number; alpha: number; s: number; beta: number; logLikelihood: number; iterations: number; warnings?: string[] } | Failed;
  mbgNbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number; warnings?: string[] } | Failed;
  gammaGamma: { p: number; q: number; v: number; logLikelihood: number } | Failed | null;
}

/** Runs a fit; a failure (ModelFitError, a numerical error) becomes its message. */
export function attempt<T>(fn: () => T): Fitted<T> {
  try {
    return { ok: true, fit: fn() };
  } catch (err) {
    if (err instanceof Error) return { ok: false, error: err.message };
    throw err;
  }
}

/** Fits every model; failures are recorded, not thrown. */
export function fitSummary(rows: readonly SummaryRow[], hasMonetary: boolean, penalizer: number): SummaryFit {
  const bgnbd = attempt(() => fitBgNbd(rows, { penalizer }));
  const paretoNbd = attempt(() => fitParetoNbd(rows, { penalizer }));
  const mbgNbd = attempt(() => fitMbgNbd(rows, { penalizer }));
  let gammaGamma: Fitted<GammaGammaFit> | null = null;
  if (hasMonetary) {
    const spenders = rows
      .filter((r) => r.frequency > 0 && (r.monetary ?? 0) > 0)
      .map((r) => ({ frequency: r.frequency, monetary: r.monetary! }));
    gammaGamma =
      spenders.length === 0
        ? { ok: false, error: 'gamma-gamma fit failed: no customer has frequency > 0 and monetary > 0' }
        : attempt(() => fitGammaGamma(spenders, { penalizer }));
  }
  return { bgnbd, paretoNbd, mbgNbd, gammaGamma };
}

const shown = <T, U>(f: Fitted<T>, pick: (fit: T) => U): U | Failed => (f.ok ? pick(f.fit) : { error: f.error });

/** The model's fit diagnostics (purchase-model.ts fitDiagnostics), when there are any. */
const diagnosed = (model: PurchaseModel) => {
  const warnings = fitDiagnostics(model);
  return warnings.length ? { warnings } : {};
};

export function clvJson(fit: SummaryFit): ClvOutput {
  return {
    bgnbd: shown(fit.bgnbd, ({ r, alpha, a, b, logLikelihood, iterations }) => ({
      r,
      alpha,
      a,
      b,
      logLikelihood,
      iterations,
      ...diagnosed({ name: 'bgnbd', r, alpha, a, b }),
    })),
    paretoNbd: shown(fit.paretoNbd, ({ r, alpha, s, beta, logLikelihood, iterations }) => ({
      r,
      alpha,
      s,
      beta,
      logLikelihood,
      iterations,
      ...diagnosed({ name: 'paretoNbd', r, alpha, s, beta }),
    })),
    mbgNbd: shown(fit.mbgNbd, ({ r, alpha, a, b, logLikelihood, iterations }) => ({
      r,
      alpha,
      a,
      b,
      logLikelihood,
      iterations,
      ...diagnosed({ name: 'mbgNbd', r, alpha, a, b }),
    })),
    gammaGamma: fit.gammaGamma && shown(fit.gammaGamma, ({ p, q, v, logLikelihood }) => ({ p, q, v, logLikelihood })),
  };
}

/** CLV settings of the forecast's clv column (months; periodsPerUnit = months per time unit). */
export interface ForecastClv {
  horizonMonths: number;
  periodsPerUnit: number;
  margin: number;
  discountRatePerMonth: number;
}

export const DEFAULT_FORECAST_CLV: ForecastClv = {
  horizonMonths: D.clv.horizonPeriods,
  periodsPerUnit: D.clv.periodsPerUnit.weeks,
  margin: D.clv.margin,
  discountRatePerMonth: D.clv.discountRatePerPeriod,
};

/** The per-customer forecast CSV. */
export function forecastCsv(
  rows: readonly SummaryRow[],
  idColumn: string,
  fit: { bgnbd: BgNbdFit; gammaGamma: GammaGammaFit | null },
  horizon: number,
  clv: ForecastClv = DEFAULT_FORECAST_CLV,
): string {
  const gg = fit.gammaGamma;
  if (gg && !(gg.q > 1)) {
    throw new CliError(`gamma-gamma: q = ${gg.q} <= 1, so the mean spend (and expected_spend) is undefined`);
  }
  const header = [idColumn || 'id', 'p_alive', 'expected_purchases', ...(gg ? ['expected_spend', 'clv'] : [])];
  let out = csvRow(header);
  for (const c of rows) {
    const alive = pAlive(fit.bgnbd, c.frequency, c.recency, c.T);
    const purchases = conditionalExpectedPurchases(fit.bgnbd, horizon, c.frequency, c.recency, c.T);
    const values: (string | number)[] = [c.customerId, round(alive, 6), round(purchases, 6)];
    if (gg) {
      const monetary = c.frequency > 0 ? (c.monetary ?? 0) : 0;
      values.push(round(purchases * conditionalExpectedAverageSpend(gg, c.frequency, monetary), 4));
      const value = customerLifetimeValue({
        bgnbd: fit.bgnbd,
        gammaGamma: gg,
        x: c.frequency,
        t_x: c.recency,
        T: c.T,
        monetary,
        horizonPeriods: clv.horizonMonths,
        periodsPerUnit: clv.periodsPerUnit,
        margin: clv.margin,
        discountRatePerPeriod: clv.discountRatePerMonth,
      });
      values.push(round(value, 4));
    }
    out += csvRow(values);
  }
  return out;
}

export function runClv(argv: readonly string[], io: Io): number {
  const { values } = parse(argv, OPTIONS, CLV_USAGE);
  if (values.help) {
    io.stdout.write(CLV_USAGE);
    return 0;
  }
  const o = new Opts(values, CLV_USAGE);
  const file = o.required('summary');
  const horizon = o.number('horizon', (n) => n > 0, 'a number > 0');
  const out = o.string('out');
  const penalizer = o.number('penalizer', (n) => n >= 0, 'a number >= 0') ?? D.penalizer;
  const unit = o.choice('unit', ['weeks', 'days'] as const);
  const horizonMonths = o.integer('horizon-months', 1, 120);
  const margin = o.number('margin', (n) => n > 0 && n <= 1, 'a number > 0 and <= 1');
  const discountRate = o.number('discount-rate', (n) => n >= 0 && n < 1, 'a number >= 0 and < 1');
  if (out !== undefined && horizon === undefined)
    throw new UsageError('--out needs --horizon (the forecast is what --out receives)', CLV_USAGE);
  const clvFlags = { unit, 'horizon-months': horizonMonths, margin, 'discount-rate': discountRate };
  const given = Object.entries(clvFlags).find(([, v]) => v !== undefined);
  if (given && horizon === undefined)
    throw new UsageError(`--${given[0]} needs --horizon (it shapes the forecast's clv column)`, CLV_USAGE);
  const clv: ForecastClv = {
    horizonMonths: horizonMonths ?? D.clv.horizonPeriods,
    periodsPerUnit: D.clv.periodsPerUnit[unit ?? 'weeks'],
    margin: margin ?? D.clv.margin,
    discountRatePerMonth: discountRate ?? D.clv.discountRatePerPeriod,
  };

  const summary = readSummaryCsv(readText(file), file);
  const fit = fitSummary(summary.rows, summary.hasMonetary, penalizer);
  const failures = [fit.bgnbd, fit.paretoNbd, fit.mbgNbd].flatMap((f) => (f.ok ? [] : [f.error]));
  if (failures.length === 3) throw new CliError(`no purchase model could be fitted: ${failures.join('; ')}`);
  const output = clvJson(fit);
  for (const [name, model] of Object.entries(output))
    for (const w of (model as { warnings?: string[] } | null)?.warnings ?? []) io.stderr.write(`warning: ${name}: ${w}\n`);
  const json = `${JSON.stringify(output, null, 2)}\n`;
  if (horizon === undefined) {
    io.stdout.write(json);
    return 0;
  }
  if (!fit.bgnbd.ok) throw new CliError(`the forecast needs BG/NBD: ${fit.bgnbd.error}`);
  if (fit.gammaGamma && !fit.gammaGamma.ok) throw new CliError(`the forecast's spend needs Gamma-Gamma: ${fit.gammaGamma.error}`);
  const csv = forecastCsv(summary.rows, summary.idColumn, { bgnbd: fit.bgnbd.fit, gammaGamma: fit.gammaGamma?.fit ?? null }, horizon, clv);
  if (out === undefined) {
    io.stderr.write(json);
    io.stdout.write(csv);
  } else {
    writeText(out, csv);
    io.stdout.write(json);
  }
  return 0;
}
