/**
 * The purchase-count models behind P(alive), expected purchases and P(no purchase), behind one
 * interface, and the choice between them by a holdout in time.
 *
 *   bgnbd      BG/NBD (Fader, Hardie & Lee 2005): a one-time buyer is alive for sure;
 *   paretoNbd  Pareto/NBD (Schmittlein, Morrison & Colombo 1987): dropout in continuous time;
 *   mbgNbd     MBG/NBD (Batislam, Denizel & Filiztekin 2007): may drop out after the first purchase.
 *
 * Choice: the histories are cut at asOf − holdout (the last third of the observed span, within
 * MINING_DEFAULTS.modelChoice's bounds); every candidate is fitted on the buyers at the cut and
 * predicts each one's purchases in the holdout; the model with the smallest root-mean-square
 * error of those predictions wins (the error of predicted holdout purchases, one of the two
 * criteria of the CLV literature; the log-likelihood of holdout counts needs each model's
 * conditional count distribution, which the Pareto/NBD has no cheap form for). The summary
 * keeps every candidate's figures. The winner is then refitted on everything up to asOf.
 *
 * Identification: a model whose dropout parameters run to their bounds (BG/NBD and MBG/NBD
 * with a + b beyond DEGENERATE_AB; Pareto/NBD with a mean lifetime β/(s−1)… beyond any horizon,
 * i.e. s/β below 1e-4 per unit) cannot tell who is gone; the run then warns, and P(alive) and
 * the lifecycle fall back to the stated recency rule (MINING_DEFAULTS.pAliveRule).
 */
import {
  conditionalExpectedPurchases as bgExpected,
  fitBgNbd,
  pAlive as bgPAlive,
  probabilityOfNoPurchases as bgNoPurchase,
  type RfmColumns,
  type RfmRow,
} from './clv/bgnbd.js';
import { fitMbgNbd, mbgNbdConditionalExpectedPurchases, mbgNbdPAlive, mbgNbdProbabilityOfNoPurchases } from './clv/mbgnbd.js';
import {
  fitParetoNbd,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdPAlive,
  paretoNbdProbabilityOfNoPurchases,
} from './clv/pareto-nbd.js';
import { MINING_DEFAULTS } from './defaults.js';
import type { CandidateScore, PurchaseModelName } from './types.js';

export type { CandidateScore };

const { exp, expm1, log1p, max, min, sqrt } = Math;

export type PurchaseModel =
  | { name: 'bgnbd'; r: number; alpha: number; a: number; b: number }
  | { name: 'paretoNbd'; r: number; alpha: number; s: number; beta: number }
  | { name: 'mbgNbd'; r: number; alpha: number; a: number; b: number };

export interface PurchaseModelFit {
  model: PurchaseModel;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

/** a + b beyond which BG/NBD-type dropout is a constant p (no heterogeneity visible). */
export const DEGENERATE_AB = 1e4;
/** Pareto/NBD: mean dropout rate s/β per unit below this is "nobody ever leaves". */
const MIN_DROPOUT_RATE = 1e-4;

/**
 * E[Y(t) | x, t_x, T] in the limit a, b → ∞ with a/(a+b) = p fixed (every customer drops out
 * with the same probability p after each purchase):
 *   P(alive) · (1/p) · (1 − ((α+T)/(α+T+p·t))^{r+x}),
 * P(alive) as in the BG/NBD (a/(b+x−1) → p/(1−p); 1 for one-time buyers) or the MBG/NBD
 * (a/(b+x) → p/(1−p), one-time buyers included). Fits on data without visible dropout run
 * off to a, b in the millions (Groceries: a ≈ 3.6e6), where the 2F1 series of the exact
 * formula needs on the order of a·z terms — millions, or no convergence at all — while the
 * limit is exact to ~1/(a+b) (0.06% at a+b = 1e4, checked against the exact formula).
 */
function fixedDropoutAlive(
  m: { name: 'bgnbd' | 'mbgNbd'; r: number; alpha: number; a: number; b: number },
  x: number,
  tx: number,
  T: number,
) {
  const { r, alpha, a, b } = m;
  const p = a / (a + b);
  // BG/NBD: no dropout before the first repeat purchase; MBG/NBD: after every purchase.
  return x === 0 && m.name === 'bgnbd' ? 1 : 1 / (1 + (p / (1 - p)) * ((alpha + T) / (alpha + tx)) ** (r + x));
}

function fixedDropoutExpected(
  m: { name: 'bgnbd' | 'mbgNbd'; r: number; alpha: number; a: number; b: number },
  t: number,
  x: number,
  tx: number,
  T: number,
) {
  const { r, alpha, a, b } = m;
  const p = a / (a + b);
  return (fixedDropoutAlive(m, x, tx, T) / p) * -expm1(-(r + x) * log1p((p * t) / (alpha + T)));
}

/**
 * P(no purchase in t) in the same limit: dropout happens only at a purchase, so an active
 * customer makes none in t with probability ((α+T)/(α+T+t))^{r+x}.
 */
function fixedDropoutNoPurchase(
  m: { name: 'bgnbd' | 'mbgNbd'; r: number; alpha: number; a: number; b: number },
  t: number,
  x: number,
  tx: number,
  T: number,
) {
  const alive = fixedDropoutAlive(m, x, tx, T);
  return 1 - alive + alive * exp(-(m.r + x) * log1p(t / (m.alpha + T)));
}

function bgExpectedSafe(m: Extract<PurchaseModel, { name: 'bgnbd' }>, t: number, x: number, tx: number, T: number): number {
  if (m.a + m.b > DEGENERATE_AB) return fixedDropoutExpected(m, t, x, tx, T);
  try {
    const v = bgExpected(m, t, x, tx, T);
    if (Number.isFinite(v)) return v;
  } catch {
    // the series did not converge: fall through to the limit
  }
  return fixedDropoutExpected(m, t, x, tx, T);
}

/**
 * The model functions below never throw: a series that does not converge at extreme parameters
 * (SeriesConvergenceError) gives NaN, so callers decide (usableOn rejects such a model for a run;
 * the pipeline falls back to the recency rule for a single customer).
 */
function total(f: () => number): number {
  try {
    return f();
  } catch {
    return Number.NaN;
  }
}

function pAliveRaw(m: PurchaseModel, x: number, tx: number, T: number): number {
  switch (m.name) {
    case 'bgnbd':
      return bgPAlive(m, x, tx, T);
    case 'paretoNbd':
      return paretoNbdPAlive(m, x, tx, T);
    case 'mbgNbd':
      return mbgNbdPAlive(m, x, tx, T);
  }
}

/** P(alive at T); NaN when it cannot be evaluated. */
export function pAliveOf(m: PurchaseModel, x: number, tx: number, T: number): number {
  return total(() => pAliveRaw(m, x, tx, T));
}

function expectedRaw(m: PurchaseModel, t: number, x: number, tx: number, T: number): number {
  switch (m.name) {
    case 'bgnbd':
      return bgExpectedSafe(m, t, x, tx, T);
    case 'paretoNbd':
      return paretoNbdConditionalExpectedPurchases(m, t, x, tx, T);
    case 'mbgNbd':
      return m.a + m.b > DEGENERATE_AB ? fixedDropoutExpected(m, t, x, tx, T) : mbgNbdConditionalExpectedPurchases(m, t, x, tx, T);
  }
}

/** Expected purchases in (T, T + t], t in the model's unit; NaN when it cannot be evaluated. */
export function expectedPurchasesOf(m: PurchaseModel, t: number, x: number, tx: number, T: number): number {
  const v = total(() => expectedRaw(m, t, x, tx, T));
  return Number.isFinite(v) ? max(0, v) : Number.NaN;
}

function noPurchaseRaw(m: PurchaseModel, t: number, x: number, tx: number, T: number): number {
  switch (m.name) {
    case 'bgnbd':
      return bgNoPurchase(m, t, x, tx, T);
    case 'paretoNbd':
      return paretoNbdProbabilityOfNoPurchases(m, t, x, tx, T);
    case 'mbgNbd':
      return m.a + m.b > DEGENERATE_AB ? fixedDropoutNoPurchase(m, t, x, tx, T) : mbgNbdProbabilityOfNoPurchases(m, t, x, tx, T);
  }
}

/** P(no purchase in (T, T + t]), t in the model's unit; NaN when it cannot be evaluated. */
export function noPurchaseProbabilityOf(m: PurchaseModel, t: number, x: number, tx: number, T: number): number {
  const v = total(() => noPurchaseRaw(m, t, x, tx, T));
  return Number.isFinite(v) ? min(1, max(0, v)) : Number.NaN;
}

/**
 * Why the model cannot be evaluated on these customers over these horizons (model units), or
 * undefined when every P(alive), expected purchases and P(no purchase) is a finite number. A
 * fit at extreme parameters (r or a + b in the millions) can be a likelihood optimum whose 2F1
 * series do not converge; such a model is not used for the run.
 */
export function unusableOn(m: PurchaseModel, rows: readonly RfmRow[], horizons: readonly number[]): string | undefined {
  for (const row of rows) {
    const { frequency: x, recency: tx, T } = row;
    if (!Number.isFinite(pAliveOf(m, x, tx, T))) return `P(alive) cannot be evaluated at x = ${x}, t_x = ${tx}, T = ${T}`;
    for (const t of horizons) {
      if (!Number.isFinite(expectedPurchasesOf(m, t, x, tx, T)) || !Number.isFinite(noPurchaseProbabilityOf(m, t, x, tx, T)))
        return `its forecasts cannot be evaluated at x = ${x}, t_x = ${tx}, T = ${T}, t = ${t.toPrecision(3)}`;
    }
  }
  return undefined;
}

/**
 * Median time (model unit) to the next purchase of a customer who is alive: the t at which
 * P(no purchase in t | alive) = 1/2 under the posterior purchase rate Gamma(r + x, α + T):
 * ((α+T)/(α+T+t))^{r+x} = 1/2  ⇒  t = (α + T)(2^{1/(r+x)} − 1). Dropout is left out on purpose:
 * it asks "when, if they buy again", which is what a reorder date means.
 */
export function medianTimeToNextPurchase(m: PurchaseModel, x: number, T: number): number {
  return (m.alpha + T) * expm1(Math.LN2 / (m.r + x));
}

/** Why the model cannot tell who has dropped out, or undefined when it can. */
export function dropoutUnidentified(m: PurchaseModel): string | undefined {
  if (m.name === 'paretoNbd') {
    const rate = m.s / m.beta;
    return rate < MIN_DROPOUT_RATE
      ? `Pareto/NBD dropout rate s/β = ${rate.toPrecision(3)} per unit: no dropout visible in the data`
      : undefined;
  }
  return m.a + m.b > DEGENERATE_AB
    ? `${m.name === 'bgnbd' ? 'BG/NBD' : 'MBG/NBD'} a = ${m.a.toPrecision(3)}, b = ${m.b.toPrecision(3)} at the bound: no dropout heterogeneity visible in the data`
    : undefined;
}

/** r beyond this: the purchase-rate distribution has collapsed to one rate (no heterogeneity). */
const MAX_RATE_SHAPE = 1e4;

/** What a fit's parameters say it could not identify (empty when nothing): dropout, purchase-rate spread. */
export function fitDiagnostics(m: PurchaseModel): string[] {
  const out: string[] = [];
  const dropout = dropoutUnidentified(m);
  if (dropout) out.push(dropout);
  if (m.r > MAX_RATE_SHAPE) {
    const label = m.name === 'bgnbd' ? 'BG/NBD' : m.name === 'paretoNbd' ? 'Pareto/NBD' : 'MBG/NBD';
    out.push(`${label} r = ${m.r.toPrecision(3)} at the bound: every customer looks like the same purchase rate (no spread to fit)`);
  }
  return out;
}

export interface FitPurchaseOptions {
  penalizer?: number;
  maxIterations?: number;
}

/** Each model's fitter and the parameters its fit returns. */
const FITTERS = {
  bgnbd: { fit: fitBgNbd, params: ['r', 'alpha', 'a', 'b'] },
  paretoNbd: { fit: fitParetoNbd, params: ['r', 'alpha', 's', 'beta'] },
  mbgNbd: { fit: fitMbgNbd, params: ['r', 'alpha', 'a', 'b'] },
} as const;

/** Fit one model; throws ModelFitError when it cannot be fitted. */
export function fitPurchaseModel(
  name: PurchaseModelName,
  data: readonly RfmRow[] | RfmColumns,
  opts: FitPurchaseOptions = {},
): PurchaseModelFit {
  const fitter = FITTERS[name];
  const fit = fitter.fit(data, {
    penalizer: opts.penalizer ?? MINING_DEFAULTS.penalizer,
    maxIterations: opts.maxIterations ?? MINING_DEFAULTS.fitIterations,
    requireConvergence: false,
  }) as unknown as Record<string, number> & { converged: boolean };
  const model = { name } as Record<string, unknown>;
  for (const p of fitter.params) model[p] = fit[p];
  return { model: model as PurchaseModel, logLikelihood: fit.logLikelihood!, iterations: fit.iterations!, converged: fit.converged };
}

/** One buyer at the holdout cut: calibration summary and purchases in the holdout. */
export interface HoldoutRow extends RfmRow {
  holdoutPurchases: number;
}

export function paramsOf(m: PurchaseModel): Record<string, number> {
  const { name: _name, ...params } = m;
  return params;
}

/** Score every candidate on the holdout; the winner is the smallest RMSE among those that fitted. */
export function scoreCandidates(
  rows: readonly HoldoutRow[],
  holdoutUnits: number,
  candidates: readonly PurchaseModelName[],
  opts: FitPurchaseOptions = {},
): { scores: CandidateScore[]; best?: PurchaseModelName } {
  const scores: CandidateScore[] = [];
  for (const name of candidates) {
    try {
      const fit = fitPurchaseModel(name, rows, opts);
      let se = 0;
      let predicted = 0;
      let actual = 0;
      const unusable = unusableOn(fit.model, rows, [holdoutUnits]);
      if (unusable) {
        scores.push({ name, error: `fitted, but ${unusable}` });
        continue;
      }
      for (const row of rows) {
        const p = expectedPurchasesOf(fit.model, holdoutUnits, row.frequency, row.recency, row.T);
        se += (p - row.holdoutPurchases) ** 2;
        predicted += p;
        actual += row.holdoutPurchases;
      }
      scores.push({
        name,
        calibration: { params: paramsOf(fit.model), logLikelihood: fit.logLikelihood, converged: fit.converged },
        holdoutRmse: sqrt(se / max(1, rows.length)),
        holdoutPredicted: predicted,
        holdoutActual: actual,
        unidentified: dropoutUnidentified(fit.model),
      });
    } catch (e) {
      scores.push({ name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  let best: CandidateScore | undefined;
  for (const s of scores)
    if (s.holdoutRmse !== undefined && Number.isFinite(s.holdoutRmse) && (!best || s.holdoutRmse < best.holdoutRmse!)) best = s;
  return { scores, best: best?.name };
}

/** The stated fallback: P(alive) from days since the last purchase over the customer's rhythm. */
export function ruleAlive(overdueRatio: number): number {
  const { midpoint, slope } = MINING_DEFAULTS.pAliveRule;
  return 1 / (1 + exp(slope * Math.log(max(1e-9, overdueRatio) / midpoint)));
}
