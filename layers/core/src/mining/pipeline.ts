/**
 * The mining pipeline, split so the AWS job can run it sharded:
 *
 *   fitModels(sample)            → MiningModel (plain JSON: scaling parameters, centroids and
 *                                  segment names, BG/NBD and Gamma-Gamma parameters, churn
 *                                  weights, association rules, peer statistics)
 *   scoreCustomers(shard, model) → scored customers + flags for that shard (memory ∝ shard)
 *   mine(all)                    = fitModels(bounded seeded sample of all) + scoreCustomers(all)
 *
 * Per customer: features → BG/NBD P(alive), expected purchases over the CLV horizon and CLV
 * (Gamma-Gamma spend when amounts exist and enough repeat buyers; else the customer's own
 * average order; 0 without amounts) → churn risk → scaled RFM-T row → nearest centroid →
 * segment → flags (churn-risk, up-sell, cross-sell). Flags are plain objects without run ids
 * or expiry (the job adds those). Deterministic for a fixed seed.
 */
import { deriveSeed, mulberry32, sampleIndices } from '../random.js';
import { ModelFitError } from './clv/errors.js';
import { conditionalExpectedAverageSpend, fitGammaGamma, type GammaGammaParams } from './clv/gamma-gamma.js';
import { basketsFromHistories } from './association.js';
import { assessChurn, churnFlag, fitChurnModel, type ChurnAssessment, type ChurnModel } from './churn.js';
import {
  countIntoFunnel,
  emptyFunnelCounts,
  fitTierThresholds,
  funnelOf,
  VALUE_TIERS,
  lifecycleOf,
  overdueRatio,
  tierInputs,
  transactionsOf,
  valueTierOf,
  type FunnelCounts,
  type TierThresholds,
} from './lifecycle.js';
import { momentFlag, nextPurchaseDate, nextPurchaseDay, reorderFlag } from './moments.js';
import { fitProspectModel, prospectFlag, type ProspectModel } from './prospects.js';
import { choosePurchaseModel, type ModelChoice } from './model-choice.js';
import { expectedPurchasesOf, pAliveOf, ruleAlive, type PurchaseModel } from './purchase-model.js';
import { fitCrossSell, suggestCrossSell, type CrossSellModel, type CrossSellOptions } from './cross-sell.js';
import { MINING_DEFAULTS } from './defaults.js';
import { computeFeatures, dayNumber, daysIn, historiesHaveAmounts, median } from './features.js';
import { fitKMeans, chooseK, type KMeansFit } from './kmeans.js';
import { createMatrix, type FeatureMatrix } from './matrix.js';
import { fitScaler, scaleRow, unscaleRow, type ColumnSpec, type ScalerParams } from './scaling.js';
import { columnsFor, rawRow } from './segment-features.js';
import { nameSegments, qualifySegmentName, quantileGrid, type SegmentProfile } from './segments.js';
import type {
  CustomerFeatures,
  CustomerHistory,
  Flag,
  FlagType,
  MiningOptions,
  MiningResult,
  PurchaseModelName,
  ScoredCustomer,
  Segment,
  TimeUnit,
  ValueTier,
} from './types.js';
import { fitUpSellStats, ownedProducts, upSellFlag, type UpSellOptions, type UpSellStats } from './up-sell.js';
import { estimateReason, fitResponseModel, responseEstimate, type ResponseModel } from './response.js';

const { max, min, round } = Math;

/** MiningOptions plus the pipeline's own knobs (all optional; defaults: MINING_DEFAULTS). */
export interface PipelineOptions extends MiningOptions {
  /** Customers `mine` fits the models on (seeded sample beyond that). */
  sampleSize?: number;
  /** Churn-risk candidates from this calibrated churn probability up. */
  churnThreshold?: number;
  /** Flags per type at most this share of buyers (defaults: MINING_DEFAULTS.flagBudget). */
  flagBudget?: Partial<Record<FlagType, number>>;
  /** Most-valuable tier: this top share of buyers by predicted value. */
  mostValuableShare?: number;
  /** The purchase models the holdout chooses from (default MINING_DEFAULTS.modelChoice.candidates). */
  purchaseModels?: readonly PurchaseModelName[];
  /** Gamma-Gamma is fitted only with at least this many repeat buyers. */
  minRepeatBuyersForSpend?: number;
  crossSell?: CrossSellOptions & {
    /** Suggestions per customer. */
    limit?: number;
    /** No flag when the best suggestion's probability is below this. */
    minProbability?: number;
  };
  upSell?: UpSellOptions;
}

export interface ClvSettings {
  horizonPeriods: number;
  periodsPerUnit: number;
  margin: number;
  discountRatePerPeriod: number;
  /** horizonPeriods / periodsPerUnit: the horizon in model units. */
  horizonUnits: number;
}

/** Everything scoring needs, as plain JSON-safe data. */
export interface MiningModel {
  version: 2;
  asOf: string;
  unit: TimeUnit;
  seed: number;
  hasAmounts: boolean;
  /** Customers the model was fitted on. */
  sampleSize: number;
  /** Of those, customers without a purchase (segment 'Prospects', not clustered). */
  prospects: number;
  featureNames: string[];
  scaler: ScalerParams;
  k: number;
  kSelection?: MiningResult['kSelection'];
  centroids: number[][];
  /** Names, centroid summaries (original units) and sample sizes. */
  segments: Segment[];
  /** k-means inertia on the fit sample. */
  fitInertia: number;
  /** The purchase model the holdout chose, refitted on the whole sample; none when none could be fitted. */
  purchase?: PurchaseModel;
  /** Its fit on the whole sample. */
  purchaseFit?: { logLikelihood: number; iterations: number; converged: boolean };
  /** How it was chosen: the holdout, every candidate's figures. */
  modelChoice: ModelChoice;
  /** 'rule' when no model can identify dropout: P(alive) follows MINING_DEFAULTS.pAliveRule. */
  pAliveSource: 'model' | 'rule';
  gammaGamma?: { p: number; q: number; v: number; logLikelihood: number; iterations: number };
  clv: ClvSettings;
  /** Median typical inter-purchase gap of the sample (days). */
  populationGapDays: number;
  churn: ChurnModel;
  churnThreshold: number;
  crossSell?: CrossSellModel;
  crossSellLimit: number;
  crossSellMinProbability: number;
  upSell: UpSellStats;
  upSellOptions: UpSellOptions;
  /** Value-tier cuts from the fit sample's buyers. */
  tiers?: TierThresholds;
  /** P(first purchase) of people who have not bought (prospects.ts). */
  prospect?: ProspectModel;
  /** Per flag type, the (rank value, score) a flag needs to be within the budget. */
  flagCuts: Partial<Record<FlagType, FlagCut>>;
  /** Response estimates per flag type and segment; absent before any offer or campaign responded. */
  response?: ResponseModel;
  /** Why a model part was left out or fell back (e.g. Gamma-Gamma with too few repeat buyers). */
  notes: string[];
  /** Fit diagnostics a user must see: a parameter at a bound, no convergence, a fallback rule in use. */
  warnings: string[];
}

/** The weakest flag still within a type's budget on the fit sample: a flag needs at least this. */
export interface FlagCut {
  /** Its rank value (rankValueOf: expected incremental value, or expected value). */
  rankValueMinor: number;
  score: number;
}

export interface ShardResult {
  customers: ScoredCustomer[];
  flags: Flag[];
  /** Scaled k-means rows, same order as customers (views on one buffer). */
  scaledFeatures: Float64Array[];
  segmentSizes: Record<string, number>;
  tierSizes: Partial<Record<ValueTier, number>>;
  funnel: FunnelCounts;
  /** Σ squared distances of the shard's rows to their centroid (buyers; prospects are not clustered). */
  inertia: number;
  timingsMs: Record<string, number>;
}

/** Segment of customers without any purchase up to asOf (kept out of k-means). */
export const PROSPECTS_SEGMENT = 'Prospects';

function clvSettings(options: MiningOptions, unit: TimeUnit): ClvSettings {
  const d = MINING_DEFAULTS.clv;
  const c = options.clv ?? {
    horizonPeriods: d.horizonPeriods,
    periodsPerUnit: unit === 'weeks' ? d.periodsPerUnit.weeks : d.periodsPerUnit.days,
    margin: d.margin,
    discountRatePerPeriod: d.discountRatePerPeriod,
  };
  return { ...c, horizonUnits: c.horizonPeriods / c.periodsPerUnit };
}

/** Per-customer model outputs shared by fitting and scoring. */
interface Valued {
  features: CustomerFeatures;
  pAlive: number;
  expectedPurchases: number;
  clvMinor: number;
  churn: ChurnAssessment;
  overdueRatio: number;
}

interface ValueContext {
  asOf: Date;
  unit: TimeUnit;
  purchase?: PurchaseModel;
  pAliveSource: 'model' | 'rule';
  gammaGamma?: GammaGammaParams;
  hasAmounts: boolean;
  clv: ClvSettings;
  churn: ChurnModel;
  /** Typical gap (days) of the population, for the no-BG/NBD fallback. */
  populationGapDays: number;
}

/**
 * Σ_i (E[Y(τ_i)] − E[Y(τ_{i−1})]) / (1+d)^i and E[Y(horizon)]: the discounted expected
 * purchases of clv/customerLifetimeValue, so that CLV = margin × spend × this sum exactly.
 */
function discountedPurchases(m: PurchaseModel, s: ClvSettings, x: number, tx: number, T: number): { discounted: number; total: number } {
  let previous = 0;
  let discount = 1;
  let discounted = 0;
  for (let i = 1; i <= s.horizonPeriods; i++) {
    const cumulative = expectedPurchasesOf(m, i / s.periodsPerUnit, x, tx, T);
    discount /= 1 + s.discountRatePerPeriod;
    discounted += (cumulative - previous) * discount;
    previous = cumulative;
  }
  return { discounted, total: previous };
}

/**
 * P(alive), expected purchases and CLV of one customer. P(alive) comes from the chosen purchase
 * model, or from the stated recency rule when no model identifies dropout; with the rule, the
 * model's purchases given alive are weighted by the rule's P(alive) instead of its own.
 */
function valueCustomer(f: CustomerFeatures, ctx: ValueContext): Valued {
  const churn = assessChurn(ctx.churn, ctx.purchase, f);
  const overdue = overdueRatio(f, ctx.populationGapDays);
  const buyer = (f.transactions ?? 1) > 0;
  if (!buyer) return { features: f, pAlive: 0, expectedPurchases: 0, clvMinor: 0, churn, overdueRatio: 0 };
  const s = ctx.clv;
  let alive: number;
  let expected: number;
  let discounted: number;
  const modelAlive = ctx.purchase ? pAliveOf(ctx.purchase, f.frequency, f.recency, f.T) : Number.NaN;
  const d = ctx.purchase
    ? discountedPurchases(ctx.purchase, s, f.frequency, f.recency, f.T)
    : { total: Number.NaN, discounted: Number.NaN };
  // A customer the model cannot evaluate (a series that does not converge for their history) gets the rule.
  if (ctx.purchase && Number.isFinite(modelAlive) && Number.isFinite(d.total) && Number.isFinite(d.discounted)) {
    // Far overdue (MINING_DEFAULTS.lifecycle.lapsedOverdue gaps), the rule caps the model: a fit on
    // per-purchase dropout keeps a customer who simply stopped "alive" (BG/NBD: every one-time buyer).
    const capped = overdue >= MINING_DEFAULTS.lifecycle.lapsedOverdue && ruleAlive(overdue) < modelAlive;
    if (ctx.pAliveSource === 'rule' || capped) {
      alive = ruleAlive(overdue);
      const w = alive / max(modelAlive, 1e-9);
      expected = d.total * w;
      discounted = d.discounted * w;
    } else {
      alive = modelAlive;
      expected = d.total;
      discounted = d.discounted;
    }
  } else {
    // Without a purchase model: the recency rule, purchases at the customer's usual pace.
    alive = ruleAlive(overdue);
    const gap = f.typicalGapDays ?? ctx.populationGapDays;
    expected = (alive * s.horizonUnits * daysIn(ctx.unit)) / max(1, gap);
    discounted = expected / (1 + s.discountRatePerPeriod) ** (s.horizonPeriods / 2);
  }
  let spend = 0;
  if (ctx.hasAmounts) {
    spend = ctx.gammaGamma ? conditionalExpectedAverageSpend(ctx.gammaGamma, f.frequency, f.monetary) : f.averageOrderValue;
  }
  return { features: f, pAlive: alive, expectedPurchases: expected, clvMinor: s.margin * spend * discounted, churn, overdueRatio: overdue };
}

function summary<T extends { logLikelihood: number; iterations: number }>(fit: T, keys: readonly (keyof T)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k as string] = fit[k] as number;
  out.logLikelihood = fit.logLikelihood;
  out.iterations = fit.iterations;
  return out;
}

function timer(timings: Record<string, number>) {
  let t = performance.now();
  return (phase: string) => {
    const now = performance.now();
    timings[phase] = (timings[phase] ?? 0) + (now - t);
    t = now;
  };
}

/** Bought at least once up to asOf (customers without a purchase have transactions 0). */
const isBuyer = (f: CustomerFeatures): boolean => (f.transactions ?? 1) > 0;

/** What every fit phase reads: the sample, the options with their defaults, the notes it adds to. */
interface FitContext {
  sample: readonly CustomerHistory[];
  options: PipelineOptions;
  asOf: Date;
  unit: TimeUnit;
  seed: number;
  penalizer: number;
  churnHorizonDays: number;
  progress: NonNullable<MiningOptions['onProgress']>;
  /** MiningModel.notes: why a model part was left out or fell back. */
  notes: string[];
  /** MiningModel.warnings: diagnostics a user must see. */
  warnings: string[];
}

/** The options with their defaults filled in, once per fit. */
function fitContext(sample: readonly CustomerHistory[], options: PipelineOptions): FitContext {
  return {
    sample,
    options,
    asOf: options.asOf,
    unit: options.unit ?? MINING_DEFAULTS.unit,
    seed: options.seed ?? MINING_DEFAULTS.seed,
    penalizer: options.penalizer ?? MINING_DEFAULTS.penalizer,
    churnHorizonDays: options.churnHorizonDays ?? MINING_DEFAULTS.churn.horizonDays,
    progress: options.onProgress ?? (() => {}),
    notes: [],
    warnings: [],
  };
}

/** Every sample customer's features, and whether the sample has amounts. */
function sampleFeatures(ctx: FitContext): { features: CustomerFeatures[]; hasAmounts: boolean } {
  ctx.progress('features', 0, ctx.sample.length);
  const features = ctx.sample.map((h) => computeFeatures(h, ctx.asOf, ctx.unit));
  return { features, hasAmounts: historiesHaveAmounts(ctx.sample) };
}

/** Gamma-Gamma on repeat buyers with spend; none (with a note) when it cannot be used. */
function fitSpendModel(ctx: FitContext, buyers: readonly CustomerFeatures[], hasAmounts: boolean): MiningModel['gammaGamma'] {
  if (!hasAmounts) {
    ctx.notes.push('no purchase amounts: monetary features, Gamma-Gamma and CLV are left out (CLV = 0)');
    return undefined;
  }
  const repeat = buyers.filter((f) => f.frequency > 0 && f.monetary > 0);
  const minRepeat = ctx.options.minRepeatBuyersForSpend ?? MINING_DEFAULTS.minRepeatBuyersForSpend;
  if (repeat.length < minRepeat) {
    ctx.notes.push(
      `Gamma-Gamma not fitted: ${repeat.length} repeat buyers with spend (< ${minRepeat}); CLV uses each customer's own average order`,
    );
    return undefined;
  }
  try {
    const fit = fitGammaGamma(repeat, {
      penalizer: ctx.penalizer,
      requireConvergence: false,
      maxIterations: MINING_DEFAULTS.fitIterations,
    });
    if (!fit.converged) {
      ctx.notes.push(
        `Gamma-Gamma did not converge in ${fit.iterations} iterations (p=${fit.p.toPrecision(3)}, q=${fit.q.toPrecision(3)}); CLV uses each customer's own average order`,
      );
    } else if (fit.q > 1) {
      return summary(fit, ['p', 'q', 'v']) as MiningModel['gammaGamma'];
    } else {
      ctx.notes.push(`Gamma-Gamma fit has q = ${fit.q} <= 1 (no finite mean spend); CLV uses each customer's own average order`);
    }
  } catch (e) {
    if (!(e instanceof ModelFitError)) throw e;
    ctx.notes.push(`Gamma-Gamma not fitted (${e.reason}): ${e.message}`);
  }
  return undefined;
}

/** The churn model, calibrated by a backtest on the sample when one is possible. */
function calibrateChurn(ctx: FitContext, purchase: PurchaseModel | undefined): ChurnModel {
  const churn = fitChurnModel({
    histories: ctx.sample,
    asOf: ctx.asOf,
    unit: ctx.unit,
    purchase,
    horizonDays: ctx.churnHorizonDays,
    seed: ctx.seed,
  });
  if (churn.calibration !== 'backtest') ctx.notes.push(`churn: no usable backtest, calibration = ${churn.calibration}`);
  return churn;
}

/** P(alive), expected purchases, CLV and churn risk of every sample customer. */
function valueSample(
  ctx: FitContext,
  features: readonly CustomerFeatures[],
  models: Pick<ValueContext, 'purchase' | 'pAliveSource' | 'gammaGamma' | 'hasAmounts' | 'churn'>,
): { value: ValueContext; valued: Valued[] } {
  const gaps = features.map((f) => f.typicalGapDays).filter((g): g is number => g !== null);
  const value: ValueContext = {
    asOf: ctx.asOf,
    unit: ctx.unit,
    purchase: models.purchase,
    pAliveSource: models.pAliveSource,
    gammaGamma: models.gammaGamma,
    hasAmounts: models.hasAmounts,
    clv: clvSettings(ctx.options, ctx.unit),
    churn: models.churn,
    populationGapDays: gaps.length > 0 ? median(gaps) : ctx.churnHorizonDays,
  };
  ctx.progress('clv', 0, features.length);
  return { value, valued: features.map((f) => valueCustomer(f, value)) };
}

/** The buyers' k-means rows (customers without a purchase are 'Prospects', not clustered). */
interface BuyerRows {
  /** Sample index of each row. */
  buyerIdx: number[];
  cols: ColumnSpec[];
  scaler: ScalerParams;
  scaled: FeatureMatrix;
}

/** The buyers' RFM-T rows, the scaler fitted on them, and the scaled matrix. */
function scaleBuyers(features: readonly CustomerFeatures[], hasAmounts: boolean): BuyerRows {
  const buyerIdx: number[] = [];
  features.forEach((f, i) => {
    if (isBuyer(f)) buyerIdx.push(i);
  });
  if (buyerIdx.length === 0) throw new RangeError('fitModels needs at least one customer with a purchase before asOf');
  const cols = columnsFor(hasAmounts);
  const raw = createMatrix(buyerIdx.length, cols.length);
  buyerIdx.forEach((fi, i) => {
    rawRow(features[fi]!, cols, raw.data.subarray(i * cols.length, (i + 1) * cols.length));
  });
  const scaler = fitScaler(raw, cols);
  const scaled = createMatrix(raw.rows, raw.cols);
  for (let i = 0; i < raw.rows; i++) {
    scaleRow(scaler, raw.data.subarray(i * raw.cols, (i + 1) * raw.cols), scaled.data.subarray(i * raw.cols, (i + 1) * raw.cols));
  }
  return { buyerIdx, cols, scaler, scaled };
}

/** k as given, else the best silhouette in kRange; never more than the rows. */
function chooseSegmentCount(ctx: FitContext, scaled: FeatureMatrix): { k: number; kSelection: MiningModel['kSelection'] } {
  let k = ctx.options.k;
  let kSelection: MiningModel['kSelection'];
  if (k === undefined) {
    ctx.progress('chooseK', 0, 1);
    const [lo, hi] = ctx.options.kRange ?? MINING_DEFAULTS.kRange;
    if (scaled.rows > lo) {
      const chosen = chooseK(scaled, { kRange: [lo, min(hi, scaled.rows - 1)], seed: deriveSeed(ctx.seed, 'k') });
      k = chosen.k;
      kSelection = chosen.scores;
    } else {
      k = min(lo, scaled.rows);
    }
  }
  return { k: min(k, scaled.rows), kSelection };
}

/** k-means on the scaled buyers. */
function clusterBuyers(ctx: FitContext, scaled: FeatureMatrix, k: number): KMeansFit {
  ctx.progress('kmeans', 0, 1);
  return fitKMeans(scaled, k, { seed: deriveSeed(ctx.seed, 'kmeans') });
}

/** Segment names from the centroid profiles, every sample customer's segment, segment means. */
function describeSegments(
  features: readonly CustomerFeatures[],
  valued: readonly Valued[],
  rows: BuyerRows,
  km: KMeansFit,
  hasAmounts: boolean,
): { segments: Segment[]; segmentOf: string[] } {
  const { buyerIdx, cols, scaler } = rows;
  const k = km.k;
  // Names from centroid profiles in original units.
  const byName = (name: string) => cols.findIndex((c) => c.name === name);
  const aliveSums = new Float64Array(k);
  const members = new Float64Array(k);
  km.assignments.forEach((c, i) => {
    aliveSums[c]! += valued[buyerIdx[i]!]!.pAlive;
    members[c]!++;
  });
  const profiles: SegmentProfile[] = km.centroids.map((c, j) => {
    const u = unscaleRow(scaler, c);
    return {
      recencyDays: u[byName('daysSinceLastPurchase')]!,
      frequency: u[byName('frequency')]!,
      monetary: hasAmounts ? u[byName('averageOrderValue')]! : undefined,
      tenureDays: u[byName('tenureDays')]!,
      pAlive: members[j]! > 0 ? aliveSums[j]! / members[j]! : undefined,
    };
  });
  const buyerFeatures = buyerIdx.map((i) => features[i]!);
  const names = nameSegments(profiles, {
    recencyDays: quantileGrid(buyerFeatures.map((f) => f.daysSinceLastPurchase)),
    frequency: quantileGrid(buyerFeatures.map((f) => f.frequency)),
    monetary: hasAmounts ? quantileGrid(buyerFeatures.map((f) => f.averageOrderValue)) : undefined,
    tenureDays: quantileGrid(buyerFeatures.map((f) => f.tenureDays)),
  }).map((name, j) => {
    const u = unscaleRow(scaler, km.centroids[j]!);
    return qualifySegmentName(name, Object.fromEntries(cols.map((col, t) => [col.name, u[t]!])));
  });
  // Segment of every sample customer (prospects included).
  const segmentOf = new Array<string>(features.length).fill(PROSPECTS_SEGMENT);
  buyerIdx.forEach((fi, i) => {
    segmentOf[fi] = names[km.assignments[i]!]!;
  });
  const sizes = new Array<number>(k).fill(0);
  const sumsClv = new Array<number>(k).fill(0);
  const sumsAlive = new Array<number>(k).fill(0);
  const sumsRisk = new Array<number>(k).fill(0);
  const sumsExpected = new Array<number>(k).fill(0);
  km.assignments.forEach((c, i) => {
    const v = valued[buyerIdx[i]!]!;
    sizes[c]!++;
    sumsClv[c]! += v.clvMinor;
    sumsAlive[c]! += v.pAlive;
    sumsRisk[c]! += v.churn.risk;
    sumsExpected[c]! += v.expectedPurchases;
  });
  const segments: Segment[] = km.centroids.map((c, j) => {
    const u = unscaleRow(scaler, c);
    const centroid: Record<string, number> = {};
    cols.forEach((col, t) => {
      // Float residue of scaling and back (-6.7e-16 refunds) reads as 0.
      centroid[col.name] = Math.abs(u[t]!) < 1e-9 ? 0 : u[t]!;
    });
    const n = max(1, sizes[j]!);
    centroid.meanClvMinor = sumsClv[j]! / n;
    centroid.meanPAlive = sumsAlive[j]! / n;
    centroid.meanChurnRisk = sumsRisk[j]! / n;
    centroid.meanExpectedPurchases = sumsExpected[j]! / n;
    return { id: j, name: names[j]!, size: sizes[j]!, centroid };
  });
  return { segments, segmentOf };
}

/** Cross-sell rules from the sample's baskets, segment popularity from its customers. */
function fitCrossSellModel(
  ctx: FitContext,
  features: readonly CustomerFeatures[],
  segmentOf: readonly string[],
): CrossSellModel | undefined {
  const baskets = basketsFromHistories(ctx.sample, ctx.asOf);
  if (baskets.length === 0) {
    ctx.notes.push('no categories on purchases: no association rules, no cross-sell');
    return undefined;
  }
  return fitCrossSell(
    baskets,
    dayNumber(ctx.asOf),
    features.map((f, i) => ({ segment: segmentOf[i]!, categories: Object.keys(f.categoryShares) })),
    ctx.options.crossSell,
  );
}

/** Up-sell peer statistics (segment median orders, product tier holdings). */
function fitUpSellPeers(
  ctx: FitContext,
  features: readonly CustomerFeatures[],
  segmentOf: readonly string[],
  hasAmounts: boolean,
): UpSellStats {
  const lines = ctx.options.productTiers ?? [];
  return fitUpSellStats(
    features.map((f, i) => ({
      segment: segmentOf[i]!,
      features: f,
      owned: lines.length > 0 ? ownedProducts(ctx.sample[i]!, ctx.asOf) : new Set<string>(),
    })),
    lines,
    hasAmounts,
  );
}

/** fitModels with per-phase timings (keys: the phases' names). */
export function fitModelsTimed(
  sample: readonly CustomerHistory[],
  options: PipelineOptions,
): { model: MiningModel; timingsMs: Record<string, number> } {
  if (sample.length === 0) throw new RangeError('fitModels needs at least one customer');
  const timingsMs: Record<string, number> = {};
  const lap = timer(timingsMs);
  const ctx = fitContext(sample, options);
  const { features, hasAmounts } = sampleFeatures(ctx);
  lap('features');
  const buyers = features.filter(isBuyer);
  ctx.progress('purchaseModel', 0, 1);
  const chosen = choosePurchaseModel({
    sample,
    buyers,
    asOf: ctx.asOf,
    unit: ctx.unit,
    fit: { penalizer: ctx.penalizer, maxIterations: MINING_DEFAULTS.fitIterations },
    candidates: options.purchaseModels,
    horizons: [clvSettings(options, ctx.unit).horizonUnits, ctx.churnHorizonDays / daysIn(ctx.unit)],
    notes: ctx.notes,
    warnings: ctx.warnings,
  });
  const { purchase, pAliveSource } = chosen;
  lap('purchaseModel');
  const gammaGamma = fitSpendModel(ctx, buyers, hasAmounts);
  lap('gammaGamma');
  const churn = calibrateChurn(ctx, purchase);
  lap('churnCalibration');
  const { value, valued } = valueSample(ctx, features, { purchase, pAliveSource, gammaGamma, hasAmounts, churn });
  lap('clv');
  const rows = scaleBuyers(features, hasAmounts);
  lap('scaling');
  const { k, kSelection } = chooseSegmentCount(ctx, rows.scaled);
  lap('chooseK');
  const km = clusterBuyers(ctx, rows.scaled, k);
  lap('kmeans');
  const { segments, segmentOf } = describeSegments(features, valued, rows, km, hasAmounts);
  lap('segments');
  const crossSell = fitCrossSellModel(ctx, features, segmentOf);
  lap('association');
  const upSell = fitUpSellPeers(ctx, features, segmentOf, hasAmounts);
  lap('upSellStats');
  const prospect = fitProspectModel({ histories: sample, asOf: ctx.asOf, seed: ctx.seed });
  if (prospect.calibration !== 'backtest') ctx.notes.push('prospects: no usable backtest; the prospect score follows the stated rule');
  lap('prospects');

  const model: MiningModel = {
    version: 2,
    asOf: ctx.asOf.toISOString(),
    unit: ctx.unit,
    seed: ctx.seed,
    hasAmounts,
    sampleSize: sample.length,
    prospects: features.length - rows.buyerIdx.length,
    featureNames: rows.cols.map((c) => c.name),
    scaler: rows.scaler,
    k,
    kSelection,
    centroids: km.centroids,
    segments,
    fitInertia: km.inertia,
    purchase,
    purchaseFit: chosen.fit && {
      logLikelihood: chosen.fit.logLikelihood,
      iterations: chosen.fit.iterations,
      converged: chosen.fit.converged,
    },
    modelChoice: chosen.choice,
    pAliveSource,
    gammaGamma,
    clv: value.clv,
    populationGapDays: value.populationGapDays,
    churn,
    churnThreshold: options.churnThreshold ?? MINING_DEFAULTS.churn.threshold,
    crossSell,
    crossSellLimit: options.crossSell?.limit ?? MINING_DEFAULTS.crossSell.limit,
    crossSellMinProbability: options.crossSell?.minProbability ?? MINING_DEFAULTS.crossSell.minProbability,
    upSell,
    upSellOptions: options.upSell ?? {},
    flagCuts: {},
    ...(options.responses ? { response: fitResponseModel(options.responses) } : {}),
    prospect,
    notes: ctx.notes,
    warnings: ctx.warnings,
  };
  // Budgets and tier cuts from the sample scored with the model itself (no cuts yet).
  const scored = scoreCustomers(sample, model);
  model.tiers = fitTierThresholds(
    scored.customers.filter((c) => isBuyer(c.features)).map((c) => tierInputs(c.features, c.clvMinor, c.expectedPurchases, hasAmounts)),
    options.mostValuableShare,
  );
  model.flagCuts = fitFlagCuts(scored.flags, scored.customers, { ...MINING_DEFAULTS.flagBudget, ...options.flagBudget });
  lap('budgets');
  if (churn.evaluation && churn.evaluation.auc < MIN_CHURN_AUC) {
    ctx.warnings.push(
      `churn probability ranks customers barely better than chance out of time (AUC ${churn.evaluation.auc.toFixed(2)}): ` +
        'it is calibrated on average, but churn-risk flags carry little information on this data',
    );
  }
  if (churn.evaluation && churn.evaluation.ece > MAX_CHURN_ECE) {
    ctx.warnings.push(
      `churn probability: expected calibration error ${churn.evaluation.ece.toFixed(3)} out of time (> ${MAX_CHURN_ECE}); treat it as a ranking`,
    );
  }
  return { model, timingsMs };
}

/** Above this out-of-time ECE the churn probability is reported as miscalibrated. */
export const MAX_CHURN_ECE = 0.03;
/** Below this out-of-time AUC the churn probability is reported as uninformative. */
export const MIN_CHURN_AUC = 0.6;

/** Which customers a flag type's budget counts: prospect flags among prospects, the others among buyers. */
const budgetBase = (type: FlagType, customers: readonly ScoredCustomer[]) =>
  customers.filter((c) => (type === 'prospect' ? !isBuyer(c.features) : isBuyer(c.features))).length;

/** Per type, the weakest flag within budget × base on the sample; no cut when fewer qualify. */
export function fitFlagCuts(
  flags: readonly Flag[],
  customers: readonly ScoredCustomer[],
  budget: Partial<Record<FlagType, number>>,
): Partial<Record<FlagType, FlagCut>> {
  const cuts: Partial<Record<FlagType, FlagCut>> = {};
  for (const [type, share] of Object.entries(budget) as [FlagType, number][]) {
    const ofType = flags.filter((f) => f.type === type).sort(compareFlags);
    const allowed = Math.floor(share * budgetBase(type, customers));
    if (ofType.length <= allowed) continue;
    const last = ofType[Math.max(0, allowed - 1)];
    cuts[type] =
      allowed === 0 || !last
        ? { rankValueMinor: Number.POSITIVE_INFINITY, score: 2 }
        : { rankValueMinor: rankValueOf(last), score: last.score };
  }
  return cuts;
}

/** Within the budget: at least the cut's rank value, and on a tie at least its score. */
function withinBudget(f: Flag, cut: FlagCut | undefined): boolean {
  if (!cut) return true;
  const value = rankValueOf(f);
  return value > cut.rankValueMinor || (value === cut.rankValueMinor && f.score >= cut.score);
}

/**
 * What a flag is ranked by: its expected incremental value when its type has response evidence
 * (response.ts), else its expected value, so flags rank by value until responses accrue.
 */
export const rankValueOf = (f: Pick<Flag, 'expectedValueMinor' | 'expectedIncrementalValueMinor'>) =>
  f.expectedIncrementalValueMinor ?? f.expectedValueMinor;

/** The flag with its expected incremental value and the reason, when its type has an estimate. */
export function withIncrementalValue(flag: Flag, response: ResponseModel | undefined, segment: string): Flag {
  const estimate = responseEstimate(response, flag.type, segment);
  if (!estimate) return flag;
  const incremental = Math.round(estimate.rate * flag.expectedValueMinor);
  return {
    ...flag,
    expectedIncrementalValueMinor: incremental,
    incrementalBasis: estimate.source,
    reasons: [...flag.reasons, estimateReason(estimate, flag.type, segment, incremental)],
  };
}

/**
 * Keeps at most budget × base flags per type, the best by compareFlags (mine() runs on every
 * customer at once, so it can cut exactly; the job's shards apply the sample's cuts).
 */
export function capFlags(flags: readonly Flag[], customers: readonly ScoredCustomer[], budget: Partial<Record<FlagType, number>>): Flag[] {
  const kept: Flag[] = [];
  const byType = new Map<FlagType, Flag[]>();
  for (const f of flags) byType.set(f.type, [...(byType.get(f.type) ?? []), f]);
  for (const [type, list] of byType) {
    const share = budget[type];
    const allowed = share === undefined ? list.length : Math.floor(share * budgetBase(type, customers));
    kept.push(...[...list].sort(compareFlags).slice(0, allowed));
  }
  return kept.sort(compareFlags);
}

/** Fit every model on a (bounded) sample of customers. The result is plain JSON. */
export function fitModels(sample: readonly CustomerHistory[], options: PipelineOptions): MiningModel {
  return fitModelsTimed(sample, options).model;
}

/** Segment count, names and model summaries of a fitted model (for the job's run record). */
export function describeModel(model: MiningModel): ModelDescription {
  return {
    k: model.k,
    segments: model.segments,
    models: modelsOf(model),
    modelChoice: model.modelChoice,
    churn: churnDescription(model.churn),
    warnings: model.warnings,
    notes: model.notes,
    kSelection: model.kSelection,
  };
}

export interface ModelDescription {
  k: number;
  segments: Segment[];
  models: MiningResult['models'];
  modelChoice: ModelChoice;
  churn: MiningResult['churn'];
  warnings: string[];
  notes: string[];
  kSelection?: MiningModel['kSelection'];
}

function modelsOf(model: MiningModel): MiningResult['models'] {
  const out: MiningResult['models'] = { gammaGamma: model.gammaGamma };
  if (model.purchase && model.purchaseFit) {
    const { name, ...params } = model.purchase;
    out.chosen = name;
    out.pAliveSource = model.pAliveSource;
    out[name] = { ...params, logLikelihood: model.purchaseFit.logLikelihood, iterations: model.purchaseFit.iterations } as never;
  }
  return out;
}

function churnDescription(c: ChurnModel): MiningResult['churn'] {
  return { horizonDays: c.horizonDays, calibration: c.calibration, backtest: c.backtest, evaluation: c.evaluation };
}

const FLAG_ORDER: Record<FlagType, number> = { 'churn-risk': 0, 'up-sell': 1, 'cross-sell': 2, 'reorder-due': 3, moment: 4, prospect: 5 };

/** Flags grouped by type (churn, up-sell, cross-sell), each by rank value (rankValueOf), then score. */
export function compareFlags(a: Flag, b: Flag): number {
  return (
    FLAG_ORDER[a.type] - FLAG_ORDER[b.type] ||
    rankValueOf(b) - rankValueOf(a) ||
    b.expectedValueMinor - a.expectedValueMinor ||
    b.score - a.score ||
    (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
  );
}

/**
 * Score one shard with a fitted model: features, CLV, churn, segment and flags per customer.
 * `model` may come straight from JSON (e.g. S3). Memory is proportional to the shard.
 */
export function scoreCustomers(
  histories: readonly CustomerHistory[],
  model: MiningModel,
  options: Partial<PipelineOptions> = {},
): ShardResult {
  const timingsMs: Record<string, number> = {};
  const lap = timer(timingsMs);
  const progress = options.onProgress ?? (() => {});
  const asOf = new Date(model.asOf);
  const unit = model.unit;
  const ctx: ValueContext = {
    asOf,
    unit,
    purchase: model.purchase,
    pAliveSource: model.pAliveSource,
    gammaGamma: model.gammaGamma,
    hasAmounts: model.hasAmounts,
    clv: model.clv,
    churn: model.churn,
    populationGapDays: model.populationGapDays,
  };
  const asOfDay = dayNumber(asOf);
  const cols = columnsFor(model.hasAmounts);
  const d = cols.length;
  const k = model.centroids.length;
  const flat = new Float64Array(k * d);
  model.centroids.forEach((c, j) => {
    flat.set(c, j * d);
  });
  const names = model.segments.map((s) => s.name);
  const lines = model.upSell.tiers;
  const n = histories.length;
  const scaledBuf = new Float64Array(n * d);
  const raw = new Float64Array(d);
  const customers: ScoredCustomer[] = new Array(n);
  const scaledFeatures: Float64Array[] = new Array(n);
  const flags: Flag[] = [];
  const segmentSizes: Record<string, number> = {};
  for (const name of names) segmentSizes[name] = 0;
  const tierSizes: Partial<Record<ValueTier, number>> = {};
  const funnel = emptyFunnelCounts();
  let inertia = 0;
  const tFlags = { ms: 0 };
  const cuts = model.flagCuts ?? {};
  // The customer being scored: a flag's response estimate is its segment's.
  let segmentOfCustomer = PROSPECTS_SEGMENT;
  const push = (flag: Flag | null) => {
    if (!flag) return;
    const ranked = withIncrementalValue(flag, model.response, segmentOfCustomer);
    if (withinBudget(ranked, cuts[ranked.type])) flags.push(ranked);
  };

  for (let i = 0; i < n; i++) {
    if (i % 10_000 === 0) progress('score', i, n);
    const h = histories[i]!;
    const f = computeFeatures(h, asOf, unit);
    const v = valueCustomer(f, ctx);
    const buyer = (f.transactions ?? 1) > 0;
    const z = scaledBuf.subarray(i * d, (i + 1) * d);
    scaleRow(model.scaler, rawRow(f, cols, raw), z);
    let segment = PROSPECTS_SEGMENT;
    if (buyer) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let t = 0; t < d; t++) {
          const diff = z[t]! - flat[c * d + t]!;
          s += diff * diff;
        }
        if (s < bestD) {
          bestD = s;
          best = c;
        }
      }
      inertia += bestD;
      segment = names[best]!;
    }
    segmentSizes[segment] = (segmentSizes[segment] ?? 0) + 1;
    segmentOfCustomer = segment;
    scaledFeatures[i] = z;
    const lifecycle = lifecycleOf(f, v.pAlive, model.populationGapDays);
    const { predicted, historic } = tierInputs(f, v.clvMinor, v.expectedPurchases, model.hasAmounts);
    const valueTier = valueTierOf(predicted, historic, buyer, model.tiers);
    const nextDay = nextPurchaseDay(f, lifecycle, asOfDay, unit, model.pAliveSource === 'model' ? model.purchase : undefined);
    tierSizes[valueTier] = (tierSizes[valueTier] ?? 0) + 1;
    countIntoFunnel(funnel, lifecycle, transactionsOf(f));
    customers[i] = {
      customerId: h.customerId,
      segment,
      features: f,
      pAlive: v.pAlive,
      expectedPurchases: v.expectedPurchases,
      clvMinor: v.clvMinor,
      churnRisk: v.churn.risk,
      churnProbability: v.churn.base,
      model: model.pAliveSource === 'model' && model.purchase ? model.purchase.name : 'rule',
      lifecycle,
      valueTier,
      nextPurchaseDate: nextPurchaseDate(nextDay),
    };

    const t0 = performance.now();
    if (buyer) {
      const churnCandidate = churnFlag(
        {
          features: f,
          churn: v.churn,
          horizonDays: model.churn.horizonDays,
          pAlive: v.pAlive,
          overdueRatio: v.overdueRatio,
          rhythmDays: f.typicalGapDays ?? model.populationGapDays,
          clvMinor: v.clvMinor,
          currency: h.currency,
        },
        model.churnThreshold,
      );
      push(churnCandidate);
      const churnFlagged = churnCandidate !== null;
      // A customer at risk, or gone, gets a retention offer or none: no reminder, up-sell or cross-sell.
      const sellTo = !churnFlagged && lifecycle !== 'lapsed';
      if (sellTo)
        push(
          reorderFlag({
            features: f,
            lifecycle,
            asOfDay,
            unit,
            model: model.pAliveSource === 'model' ? model.purchase : undefined,
            pAlive: v.pAlive,
            hasAmounts: model.hasAmounts,
            currency: h.currency,
          }),
        );
      push(momentFlag(h, f, lifecycle, v.pAlive, asOfDay));
      const up = !sellTo
        ? null
        : upSellFlag(
            {
              features: f,
              segment,
              pAlive: v.pAlive,
              expectedPurchases: v.expectedPurchases,
              owned: lines.length > 0 ? ownedProducts(h, asOf) : new Set(),
              currency: h.currency,
            },
            model.upSell,
            model.upSellOptions,
          );
      push(up);
      push(sellTo && model.crossSell ? crossSellFlag(model, f, v, segment, h.currency) : null);
    } else if (model.prospect) {
      push(prospectFlag(model.prospect, h, asOf));
    }
    tFlags.ms += performance.now() - t0;
  }
  progress('score', n, n);
  lap('score');
  timingsMs.score = (timingsMs.score ?? 0) - tFlags.ms;
  timingsMs.flags = tFlags.ms;
  flags.sort(compareFlags);
  return { customers, flags, scaledFeatures, segmentSizes, tierSizes, funnel, inertia, timingsMs };
}

function crossSellFlag(model: MiningModel, f: CustomerFeatures, v: Valued, segment: string, _currency?: string): Flag | null {
  const cs = model.crossSell!;
  // Suggestions to customers who are still around.
  if (v.pAlive < MINING_DEFAULTS.crossSell.minPAlive || v.churn.risk >= MINING_DEFAULTS.crossSell.maxChurnRisk) return null;
  const bought = new Set(Object.keys(f.categoryShares));
  const suggestions = suggestCrossSell(cs, bought, { segment, limit: model.crossSellLimit });
  if (suggestions.length === 0 || suggestions[0]!.probability < model.crossSellMinProbability) return null;
  let none = 1;
  let value = 0;
  const lineValue = model.hasAmounts ? f.averageOrderValue / max(1, cs.categoriesPerBasket) : 0;
  for (const s of suggestions) {
    none *= 1 - s.probability;
    value += s.probability * lineValue;
  }
  const reasons = suggestions.slice(0, 3).map((s) => `${s.category}: ${s.reasons.join('; ')}`);
  reasons.push(`P(at least one suggestion in the next basket) ${(1 - none).toFixed(2)}`);
  return {
    customerId: f.customerId,
    type: 'cross-sell',
    score: min(1, max(0, 1 - none)),
    reasons,
    expectedValueMinor: round(value),
    suggestions: suggestions.map((s) => s.category),
  };
}

/**
 * Everything in one call: fitModels on a bounded seeded sample (options.sampleSize, default
 * MINING_DEFAULTS.sampleSize) of `histories`, then scoreCustomers on all of them. Deterministic
 * for a fixed seed (apart from timingsMs).
 */
export function mine(histories: readonly CustomerHistory[], options: PipelineOptions): MiningResult {
  const seed = options.seed ?? MINING_DEFAULTS.seed;
  const cap = options.sampleSize ?? MINING_DEFAULTS.sampleSize;
  const t0 = performance.now();
  const sample =
    histories.length > cap
      ? Array.from(sampleIndices(histories.length, cap, mulberry32(deriveSeed(seed, 'fit-sample'))), (i) => histories[i]!)
      : histories;
  const sampling = performance.now() - t0;
  const { model, timingsMs: fitTimings } = fitModelsTimed(sample, options);
  const shard = scoreCustomers(histories, model, options);
  const timingsMs: Record<string, number> = { sampling };
  for (const [k, v] of Object.entries(fitTimings)) timingsMs[`fit.${k}`] = v;
  for (const [k, v] of Object.entries(shard.timingsMs)) timingsMs[k] = v;
  timingsMs.total = performance.now() - t0;
  const d = describeModel(model);
  return {
    customers: shard.customers,
    flags: capFlags(shard.flags, shard.customers, { ...MINING_DEFAULTS.flagBudget, ...options.flagBudget }),
    segments: [
      ...model.segments.map((s) => ({ ...s, size: shard.segmentSizes[s.name] ?? 0 })),
      ...(shard.segmentSizes[PROSPECTS_SEGMENT]
        ? [{ id: -1, name: PROSPECTS_SEGMENT, size: shard.segmentSizes[PROSPECTS_SEGMENT], centroid: {} }]
        : []),
    ],
    k: model.k,
    inertia: shard.inertia,
    featureNames: model.featureNames,
    scaledFeatures: shard.scaledFeatures,
    models: d.models,
    modelChoice: d.modelChoice,
    churn: d.churn,
    warnings: d.warnings,
    notes: d.notes,
    kSelection: d.kSelection,
    tiers: tierTable(shard.customers),
    funnel: funnelOf(shard.funnel),
    timingsMs,
  };
}

/** Customers, share, mean predicted CLV and historic spend per value tier. */
export function tierTable(customers: readonly ScoredCustomer[]): MiningResult['tiers'] {
  const rows = new Map<ValueTier, { customers: number; clv: number; spend: number }>();
  for (const c of customers) {
    const row = rows.get(c.valueTier) ?? { customers: 0, clv: 0, spend: 0 };
    row.customers++;
    row.clv += c.clvMinor;
    row.spend += c.features.totalSpend;
    rows.set(c.valueTier, row);
  }
  return VALUE_TIERS.map((tier) => {
    const r = rows.get(tier) ?? { customers: 0, clv: 0, spend: 0 };
    return {
      tier,
      customers: r.customers,
      share: customers.length ? r.customers / customers.length : 0,
      meanClvMinor: r.customers ? r.clv / r.customers : 0,
      meanSpendMinor: r.customers ? r.spend / r.customers : 0,
      clvShare: 0,
    };
  }).map((row, _i, all) => {
    const total = all.reduce((n, r) => n + r.meanClvMinor * r.customers, 0);
    return { ...row, clvShare: total > 0 ? (row.meanClvMinor * row.customers) / total : 0 };
  });
}
