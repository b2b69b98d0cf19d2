/**
 * Where a customer stands (lifecycle stage) and what they are worth (value tier), from the
 * scored numbers, plus the funnel a marketer reads from prospect to loyal.
 *
 * Lifecycle (first match wins):
 *   prospect    no purchase up to asOf;
 *   lapsed      P(alive) below `lapsedBelowPAlive` (more likely gone than not), or overdue by
 *               `lapsedOverdue` of their own gaps whatever the model says (a model fitted on
 *               per-purchase dropout can keep a customer who simply stopped "alive" for long):
 *               gone already, not "at risk";
 *   lapsing     overdue: days since the last purchase at least `lapsingOverdue` times their
 *               rhythm (their median gap; one-time buyers: the population's median gap);
 *   loyal       at least `loyalMinTransactions` purchase days;
 *   repeat      two or more purchase days;
 *   first-time  one purchase day.
 *
 * Value tier, against thresholds taken from the fit sample's buyers (so every shard of a run
 * uses the same cut):
 *   most-valuable  predicted value (CLV; purchases over the horizon without amounts) in the top
 *                  `mostValuableShare` of buyers;
 *   potential      not most-valuable, predicted value at or above the buyers' median while the
 *                  value so far (total spend; purchase days without amounts) is below its
 *                  median: customers whose future is worth more than their past (new and
 *                  accelerating customers);
 *   low-value      every other buyer, and prospects.
 */
import { MINING_DEFAULTS } from './defaults.js';
import { LIFECYCLE_STAGES, VALUE_TIERS, type CustomerFeatures, type Lifecycle, type ValueTier } from './types.js';

export { LIFECYCLE_STAGES, VALUE_TIERS };

export interface LifecycleSettings {
  lapsedBelowPAlive: number;
  lapsingOverdue: number;
  lapsedOverdue: number;
  loyalMinTransactions: number;
}

export interface TierThresholds {
  /** Predicted value from which a buyer is most-valuable. */
  mostValuableMin: number;
  /** Buyers' median predicted value (the potential tier starts there). */
  predictedMedian: number;
  /** Buyers' median value so far (potential customers are below it). */
  historicMedian: number;
}

/** Purchase days up to asOf (computeFeatures always sets `transactions`). */
export const transactionsOf = (f: CustomerFeatures): number => f.transactions ?? f.frequency + 1;

/** Days since the last purchase over the customer's rhythm (their median gap, else the population's). */
export function overdueRatio(f: CustomerFeatures, populationGapDays: number): number {
  const rhythm = f.typicalGapDays !== null && f.typicalGapDays > 0 ? f.typicalGapDays : populationGapDays;
  return f.daysSinceLastPurchase / Math.max(1, rhythm);
}

export function lifecycleOf(
  f: CustomerFeatures,
  pAlive: number,
  populationGapDays: number,
  settings: LifecycleSettings = MINING_DEFAULTS.lifecycle,
): Lifecycle {
  const n = transactionsOf(f);
  if (n === 0) return 'prospect';
  const overdue = overdueRatio(f, populationGapDays);
  if (pAlive < settings.lapsedBelowPAlive || overdue >= settings.lapsedOverdue) return 'lapsed';
  if (overdue >= settings.lapsingOverdue) return 'lapsing';
  if (n >= settings.loyalMinTransactions) return 'loyal';
  return n >= 2 ? 'repeat' : 'first-time';
}

/** Predicted value and value so far: money with amounts, purchases without. */
export function tierInputs(f: CustomerFeatures, clvMinor: number, expectedPurchases: number, hasAmounts: boolean) {
  return hasAmounts ? { predicted: clvMinor, historic: f.totalSpend } : { predicted: expectedPurchases, historic: transactionsOf(f) };
}

export function valueTierOf(predicted: number, historic: number, buyer: boolean, t: TierThresholds | undefined): ValueTier {
  if (!buyer || !t) return 'low-value';
  if (predicted >= t.mostValuableMin && predicted > 0) return 'most-valuable';
  if (predicted >= t.predictedMedian && predicted > 0 && historic < t.historicMedian) return 'potential';
  return 'low-value';
}

/** The q-quantile (0..1) of values (sorted copy, nearest rank from the top). */
function quantile(values: readonly number[], q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return Number.POSITIVE_INFINITY;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function fitTierThresholds(
  buyers: readonly { predicted: number; historic: number }[],
  mostValuableShare: number = MINING_DEFAULTS.valueTiers.mostValuableShare,
): TierThresholds | undefined {
  if (buyers.length === 0) return undefined;
  const predicted = buyers.map((b) => b.predicted);
  return {
    mostValuableMin: quantile(predicted, 1 - mostValuableShare),
    predictedMedian: quantile(predicted, 0.5),
    historicMedian: quantile(
      buyers.map((b) => b.historic),
      0.5,
    ),
  };
}

/** Customers per stage, and the share of those who reached a stage who went on to the next. */
export interface Funnel {
  stages: Record<Lifecycle, number>;
  /** Everyone known, buyers (1+ purchase days), repeat buyers (2+), loyal (loyalMinTransactions+). */
  reached: { known: number; bought: number; repeated: number; loyal: number };
  conversion: { prospectToFirst: number | null; firstToRepeat: number | null; repeatToLoyal: number | null };
}

export interface FunnelCounts {
  stages: Partial<Record<Lifecycle, number>>;
  reached: Funnel['reached'];
}

export function emptyFunnelCounts(): FunnelCounts {
  return { stages: {}, reached: { known: 0, bought: 0, repeated: 0, loyal: 0 } };
}

export function countIntoFunnel(
  counts: FunnelCounts,
  lifecycle: Lifecycle,
  transactions: number,
  loyalMin: number = MINING_DEFAULTS.lifecycle.loyalMinTransactions,
) {
  counts.stages[lifecycle] = (counts.stages[lifecycle] ?? 0) + 1;
  counts.reached.known++;
  if (transactions >= 1) counts.reached.bought++;
  if (transactions >= 2) counts.reached.repeated++;
  if (transactions >= loyalMin) counts.reached.loyal++;
}

/** Sums shards' counts (the job scores shard by shard). */
export function mergeFunnelCounts(parts: readonly FunnelCounts[]): FunnelCounts {
  const out = emptyFunnelCounts();
  for (const p of parts) {
    for (const [stage, n] of Object.entries(p.stages)) out.stages[stage as Lifecycle] = (out.stages[stage as Lifecycle] ?? 0) + (n ?? 0);
    for (const key of Object.keys(out.reached) as (keyof Funnel['reached'])[]) out.reached[key] += p.reached[key] ?? 0;
  }
  return out;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

export function funnelOf(counts: FunnelCounts): Funnel {
  const stages = Object.fromEntries(LIFECYCLE_STAGES.map((s) => [s, counts.stages[s] ?? 0])) as Record<Lifecycle, number>;
  const r = counts.reached;
  return {
    stages,
    reached: { ...r },
    conversion: {
      prospectToFirst: ratio(r.bought, r.known),
      firstToRepeat: ratio(r.repeated, r.bought),
      repeatToLoyal: ratio(r.loyal, r.repeated),
    },
  };
}
