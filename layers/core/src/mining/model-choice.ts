/**
 * The run's purchase model, chosen by evidence (purchase-model.ts explains the criterion):
 * a calibration/holdout split in time on the fit sample, every candidate scored on the
 * held-out purchases, the winner refitted on everything up to asOf, and its diagnostics.
 *
 * Models that cannot tell who has dropped out are chosen only when none can; then P(alive)
 * follows the stated recency rule and the run warns. Without room for a holdout (a span too
 * short to split), the candidates are compared by their log-likelihood on the whole sample
 * (all have four parameters, so this is also the AIC order).
 */
import { MINING_DEFAULTS } from './defaults.js';
import { dayNumber, daysIn, purchaseDays } from './features.js';
import {
  dropoutUnidentified,
  fitDiagnostics,
  fitPurchaseModel,
  paramsOf,
  scoreCandidates,
  type CandidateScore,
  type FitPurchaseOptions,
  type HoldoutRow,
  type PurchaseModel,
  type PurchaseModelFit,
  unusableOn,
} from './purchase-model.js';
import type { CustomerFeatures, CustomerHistory, ModelChoice, PurchaseModelName, TimeUnit } from './types.js';

export type { ModelChoice };

export interface PurchaseModelChoice {
  choice: ModelChoice;
  purchase?: PurchaseModel;
  fit?: PurchaseModelFit;
  pAliveSource: 'model' | 'rule';
}

export interface ChooseInput {
  sample: readonly CustomerHistory[];
  /** The sample's features at asOf (same order). */
  buyers: readonly CustomerFeatures[];
  asOf: Date;
  unit: TimeUnit;
  fit: FitPurchaseOptions;
  candidates?: readonly PurchaseModelName[];
  /** Horizons (model units) the chosen model must forecast over: the CLV horizon, the churn horizon. */
  horizons: readonly number[];
  notes: string[];
  warnings: string[];
}

const isoDay = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
const NAMES: Record<PurchaseModelName, string> = { bgnbd: 'BG/NBD', paretoNbd: 'Pareto/NBD', mbgNbd: 'MBG/NBD' };

/** The buyers at `cut` (summary in `unit`) with their purchase days in (cut, asOfDay]. */
function holdoutRows(sample: readonly CustomerHistory[], cut: number, asOfDay: number, unit: TimeUnit): HoldoutRow[] {
  const perUnit = daysIn(unit);
  const rows: HoldoutRow[] = [];
  for (const h of sample) {
    const days = purchaseDays(h.purchases, asOfDay);
    if (days.length === 0 || days[0]!.day > cut) continue;
    let last = days[0]!.day;
    let x = 0;
    let held = 0;
    for (let i = 1; i < days.length; i++) {
      if (days[i]!.day <= cut) {
        x++;
        last = days[i]!.day;
      } else held++;
    }
    rows.push({ frequency: x, recency: (last - days[0]!.day) / perUnit, T: (cut - days[0]!.day) / perUnit, holdoutPurchases: held });
  }
  return rows;
}

/** Candidates ordered best first: identified before unidentified, then by the criterion. */
function ranked(scores: readonly CandidateScore[], criterion: 'holdout' | 'log-likelihood'): CandidateScore[] {
  const value = (s: CandidateScore) =>
    criterion === 'holdout' ? (s.holdoutRmse ?? Number.POSITIVE_INFINITY) : -(s.calibration?.logLikelihood ?? Number.NEGATIVE_INFINITY);
  return scores
    .filter((s) => s.error === undefined && Number.isFinite(value(s)))
    .sort((a, b) => Number(a.unidentified !== undefined) - Number(b.unidentified !== undefined) || value(a) - value(b));
}

export function choosePurchaseModel(input: ChooseInput): PurchaseModelChoice {
  const candidates = input.candidates ?? MINING_DEFAULTS.modelChoice.candidates;
  const { minBuyersForBgNbd, minRepeatBuyersForBgNbd } = MINING_DEFAULTS;
  const repeatBuyers = input.buyers.filter((f) => f.frequency > 0).length;
  if (input.buyers.length < minBuyersForBgNbd || repeatBuyers < minRepeatBuyersForBgNbd) {
    input.warnings.push(
      `no purchase model fitted: ${input.buyers.length} buyers, ${repeatBuyers} with a repeat purchase ` +
        `(needs ${minBuyersForBgNbd} and ${minRepeatBuyersForBgNbd}); P(alive) follows the recency rule`,
    );
    return { choice: { criterion: 'none', candidates: [] }, pAliveSource: 'rule' };
  }

  const asOfDay = dayNumber(input.asOf);
  let earliest = asOfDay;
  for (const f of input.buyers) earliest = Math.min(earliest, asOfDay - f.tenureDays);
  const span = asOfDay - earliest;
  const mc = MINING_DEFAULTS.modelChoice;
  const holdoutDays = Math.min(mc.maxHoldoutDays, Math.max(mc.minHoldoutDays, Math.round(span * mc.holdoutShare)));
  const cut = asOfDay - holdoutDays;
  const rows = span - holdoutDays >= mc.minHoldoutDays ? holdoutRows(input.sample, cut, asOfDay, input.unit) : [];
  const roomForHoldout = rows.length >= minBuyersForBgNbd && rows.filter((r) => r.frequency > 0).length >= minRepeatBuyersForBgNbd;

  let choice: ModelChoice | undefined;
  let order: CandidateScore[] = [];
  if (roomForHoldout) {
    const { scores } = scoreCandidates(rows, holdoutDays / daysIn(input.unit), candidates, input.fit);
    choice = { cutoff: isoDay(cut), holdoutDays, buyers: rows.length, criterion: 'holdout', candidates: scores };
    order = ranked(scores, 'holdout');
    for (const s of scores) if (s.error) input.notes.push(`${NAMES[s.name]} not fitted on the holdout's calibration part: ${s.error}`);
  }
  if (order.length === 0) {
    const scores: CandidateScore[] = candidates.map((name) => {
      try {
        const fit = fitPurchaseModel(name, input.buyers, input.fit);
        const unusable = unusableOn(fit.model, input.buyers, input.horizons);
        if (unusable) return { name, error: `fitted, but ${unusable}` };
        return {
          name,
          calibration: { params: paramsOf(fit.model), logLikelihood: fit.logLikelihood, converged: fit.converged },
          unidentified: dropoutUnidentified(fit.model),
        };
      } catch (e) {
        return { name, error: e instanceof Error ? e.message : String(e) };
      }
    });
    input.notes.push(
      choice
        ? 'model choice by log-likelihood on the whole sample: no candidate could be fitted on the holdout split'
        : `model choice by log-likelihood: ${span} days of purchases leave no room for a holdout`,
    );
    choice = { ...(choice ?? {}), criterion: 'log-likelihood', candidates: scores };
    order = ranked(scores, 'log-likelihood');
    for (const s of scores) if (s.error) input.notes.push(`${NAMES[s.name]} not fitted: ${s.error}`);
  }

  return refitWinner(input, choice ?? { criterion: 'none', candidates: [] }, order);
}

const RULE_TEXT = () => {
  const { midpoint, slope } = MINING_DEFAULTS.pAliveRule;
  return `P(alive) = 1 / (1 + (overdue / ${midpoint})^${slope}), overdue = days since the last purchase / their usual gap`;
};

/**
 * The winner refitted on everything up to asOf, with its diagnostics. A refit that fails or
 * cannot be evaluated gives way to the next candidate; so does one whose dropout the whole
 * sample does not identify while a later candidate's refit does.
 */
function refitWinner(input: ChooseInput, choice: ModelChoice, order: readonly CandidateScore[]): PurchaseModelChoice {
  let fallback: { name: PurchaseModelName; fit: PurchaseModelFit; unidentified: string } | undefined;
  const accept = (name: PurchaseModelName, fit: PurchaseModelFit, unidentified: string | undefined): PurchaseModelChoice => {
    choice.chosen = name;
    if (!fit.converged)
      input.warnings.push(`${NAMES[name]}: the optimiser stopped after ${fit.iterations} iterations without meeting its tolerance`);
    if (unidentified)
      input.warnings.push(`${unidentified}; P(alive), lifecycle and churn-risk use the recency rule instead: ${RULE_TEXT()}`);
    for (const d of fitDiagnostics(fit.model)) if (d !== unidentified) input.warnings.push(d);
    return { choice, purchase: fit.model, fit, pAliveSource: unidentified ? 'rule' : 'model' };
  };
  for (const candidate of order) {
    let fit: PurchaseModelFit;
    try {
      fit = fitPurchaseModel(candidate.name, input.buyers, input.fit);
    } catch (e) {
      input.notes.push(`${NAMES[candidate.name]} refit failed: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const unusable = unusableOn(fit.model, input.buyers, input.horizons);
    if (unusable) {
      input.notes.push(`${NAMES[candidate.name]} refitted, but ${unusable}: not used`);
      continue;
    }
    const unidentified = dropoutUnidentified(fit.model);
    if (!unidentified) return accept(candidate.name, fit, undefined);
    if (!fallback) fallback = { name: candidate.name, fit, unidentified };
    input.notes.push(`${NAMES[candidate.name]} refitted on the whole sample: ${unidentified}; trying the next candidate`);
  }
  if (fallback) return accept(fallback.name, fallback.fit, fallback.unidentified);
  const failures = choice.candidates.map((c) => `${NAMES[c.name]}: ${c.error ?? 'refit failed'}`).join('; ');
  input.warnings.push(
    `no purchase model could be fitted (${failures}); P(alive), lifecycle and churn-risk use the recency rule: ${RULE_TEXT()}`,
  );
  return { choice, pAliveSource: 'rule' };
}
