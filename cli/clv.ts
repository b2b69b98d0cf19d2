/**
 * `patron clv`: fit BG/NBD (and Gamma-Gamma) to an RFM summary CSV, print the parameters,
 * optionally forecast per customer.
 */
import {
  conditionalExpectedAverageSpend,
  conditionalExpectedPurchases,
  fitBgNbd,
  fitGammaGamma,
  ModelFitError,
  pAlive,
  type BgNbdFit,
  type GammaGammaFit,
} from '../layers/core/src/mining/clv/index.js';
import { MINING_DEFAULTS } from '../layers/core/src/mining/defaults.js';
import { Opts, parse, type OptionSpec } from './args.js';
import { csvRow, round } from './csv.js';
import { CliError, UsageError } from './errors.js';
import { readText, writeText } from './files.js';
import type { Io } from './io.js';
import { readSummaryCsv, type SummaryRow } from './readers.js';

export const CLV_USAGE = `Usage: patron clv --summary FILE [--horizon T [--out FILE]] [--penalizer X]

Fit the BG/NBD purchase model (Fader, Hardie & Lee 2005) and, when the summary has a
monetary_value column, the Gamma-Gamma spend model to a per-customer RFM summary.

Options:
  --summary FILE    CSV with a header row: the customer id column first, then frequency,
                    recency, T in any order (matched by name), optionally monetary_value.
                    frequency = repeat purchases, recency = time of the last purchase since
                    the first, T = time since the first purchase; any time unit (the
                    parameter alpha and --horizon are in that unit). monetary_value = mean
                    value of the repeat purchases (any currency unit).
  --horizon T       also forecast each customer over the next T time units and write
                    id,p_alive,expected_purchases[,expected_spend] (expected_spend =
                    expected_purchases x Gamma-Gamma expected value per purchase, in the
                    unit of monetary_value; only with a monetary_value column)
  --out FILE        where the forecast goes (default: stdout; the parameter JSON then goes
                    to stderr so stdout stays a clean CSV)
  --penalizer X     L2 penalty on the parameters, as in lifetimes (default ${MINING_DEFAULTS.penalizer})
  --debug           show stack traces on errors
  -h, --help        this help

Prints JSON: {"bgnbd":{"r","alpha","a","b","logLikelihood","iterations"},
              "gammaGamma":{"p","q","v","logLikelihood"}}
gammaGamma is null when the summary has no monetary_value column. Gamma-Gamma is fitted on
the customers with frequency > 0 and monetary_value > 0.
Exit codes: 0 ok, 1 bad input file or model fit failure, 2 bad usage.
`;

const OPTIONS: OptionSpec = {
  summary: { type: 'string' },
  horizon: { type: 'string' },
  out: { type: 'string' },
  penalizer: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export interface ClvOutput {
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number };
  gammaGamma: { p: number; q: number; v: number; logLikelihood: number } | null;
}

export function fitSummary(
  rows: readonly SummaryRow[],
  hasMonetary: boolean,
  penalizer: number,
): { bgnbd: BgNbdFit; gammaGamma: GammaGammaFit | null } {
  const bgnbd = fitModel(() => fitBgNbd(rows, { penalizer }));
  let gammaGamma: GammaGammaFit | null = null;
  if (hasMonetary) {
    const spenders = rows
      .filter((r) => r.frequency > 0 && (r.monetary ?? 0) > 0)
      .map((r) => ({ frequency: r.frequency, monetary: r.monetary! }));
    if (spenders.length === 0) {
      throw new CliError('gamma-gamma fit failed: no customer has frequency > 0 and monetary_value > 0');
    }
    gammaGamma = fitModel(() => fitGammaGamma(spenders, { penalizer }));
  }
  return { bgnbd, gammaGamma };
}

function fitModel<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ModelFitError) throw new CliError(err.message);
    throw err;
  }
}

export function clvJson(fit: { bgnbd: BgNbdFit; gammaGamma: GammaGammaFit | null }): ClvOutput {
  const { r, alpha, a, b, logLikelihood, iterations } = fit.bgnbd;
  const gg = fit.gammaGamma;
  return {
    bgnbd: { r, alpha, a, b, logLikelihood, iterations },
    gammaGamma: gg ? { p: gg.p, q: gg.q, v: gg.v, logLikelihood: gg.logLikelihood } : null,
  };
}

/** The per-customer forecast CSV. */
export function forecastCsv(
  rows: readonly SummaryRow[],
  idColumn: string,
  fit: { bgnbd: BgNbdFit; gammaGamma: GammaGammaFit | null },
  horizon: number,
): string {
  const gg = fit.gammaGamma;
  if (gg && !(gg.q > 1)) {
    throw new CliError(`gamma-gamma: q = ${gg.q} <= 1, so the mean spend (and expected_spend) is undefined`);
  }
  const header = [idColumn || 'id', 'p_alive', 'expected_purchases', ...(gg ? ['expected_spend'] : [])];
  let out = csvRow(header);
  for (const c of rows) {
    const alive = pAlive(fit.bgnbd, c.frequency, c.recency, c.T);
    const purchases = conditionalExpectedPurchases(fit.bgnbd, horizon, c.frequency, c.recency, c.T);
    const values: (string | number)[] = [c.customerId, round(alive, 6), round(purchases, 6)];
    if (gg) values.push(round(purchases * conditionalExpectedAverageSpend(gg, c.frequency, c.frequency > 0 ? (c.monetary ?? 0) : 0), 4));
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
  const penalizer = o.number('penalizer', (n) => n >= 0, 'a number >= 0') ?? MINING_DEFAULTS.penalizer;
  if (out !== undefined && horizon === undefined)
    throw new UsageError('--out needs --horizon (the forecast is what --out receives)', CLV_USAGE);

  const summary = readSummaryCsv(readText(file), file);
  const fit = fitSummary(summary.rows, summary.hasMonetary, penalizer);
  const json = `${JSON.stringify(clvJson(fit), null, 2)}\n`;
  if (horizon === undefined) {
    io.stdout.write(json);
    return 0;
  }
  const csv = forecastCsv(summary.rows, summary.idColumn, fit, horizon);
  if (out === undefined) {
    io.stderr.write(json);
    io.stdout.write(csv);
  } else {
    writeText(out, csv);
    io.stdout.write(json);
  }
  return 0;
}
