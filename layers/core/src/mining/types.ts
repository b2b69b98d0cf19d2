import type { ResponseStats } from './response.js';
import { FLAG_TYPES, LIFECYCLE_STAGES, VALUE_TIERS } from '../vocabulary.js';
/**
 * The contract of the mining core: what goes in (per-customer histories, from touchpoints in AWS
 * or from an export in the CLI) and what comes out (features, segments, flags, model summaries).
 * Everything here is plain data so it can be written to S3, CSV or DynamoDB unchanged.
 */

/** One purchase day (several orders on one day are one transaction, as in the CLV literature). */
export interface PurchaseEvent {
  date: Date;
  /** Total in minor units; undefined when the source has no amounts (Groceries). */
  amountMinor?: number;
  /** Discounts of the day's orders in minor units; undefined when the source reports none. */
  discountMinor?: number;
  /** Units per category bought in this transaction. */
  categories: Record<string, number>;
  /** Product ids / skus bought (for up-sell tiers and ownership). */
  products?: string[];
}

export interface CustomerHistory {
  customerId: string;
  purchases: PurchaseEvent[];
  refunds?: { date: Date; amountMinor: number }[];
  tickets?: { date: Date; complaint: boolean }[];
  ratings?: { date: Date; score: number }[];
  paymentFailures?: Date[];
  subscriptionsStarted?: { date: Date; productId: string }[];
  subscriptionsCancelled?: { date: Date; productId?: string }[];
  emailEvents?: { date: Date; kind: 'opened' | 'clicked' }[];
  /** Web visits (the prospect model, mining/prospects.ts). */
  visits?: Date[];
  /** Contact-form inquiries. */
  inquiries?: Date[];
  /** Coupon requests (also those made for a purchase). */
  couponRequests?: Date[];
  /** Earliest touchpoint of any kind. */
  firstSeen?: Date;
  /** Source of that first touchpoint (generic, shopify, stripe, zendesk, ...). */
  source?: string;
  /** Latest known currency, for reporting amounts. */
  currency?: string;
}

/** Time unit of the CLV models and of frequency, recency and T. */
export type TimeUnit = 'weeks' | 'days';

/** Defaults: MINING_DEFAULTS (mining/defaults.ts). */
export interface MiningOptions {
  /** Measurement date: later events are ignored; recency and age are measured to it. */
  asOf: Date;
  /** Time unit of the CLV models. */
  unit?: TimeUnit;
  /** Fixed k, or the range the silhouette search chooses from. */
  k?: number;
  kRange?: [number, number];
  seed?: number;
  clv?: { horizonPeriods: number; periodsPerUnit: number; margin: number; discountRatePerPeriod: number };
  /** Product lines with ordered tiers, lowest first, for up-sell (e.g. membership basic < plus < premium). */
  productTiers?: { line: string; tiers: string[] }[];
  penalizer?: number;
  /** Churn = no purchase within this many days (default MINING_DEFAULTS.churn.horizonDays). */
  churnHorizonDays?: number;
  /** Earlier offers' responses and campaigns' controlled results: flags rank by expected incremental value (response.ts). */
  responses?: ResponseStats;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface CustomerFeatures {
  customerId: string;
  frequency: number;
  recency: number;
  T: number;
  monetary: number;
  averageOrderValue: number;
  totalSpend: number;
  tenureDays: number;
  daysSinceLastPurchase: number;
  typicalGapDays: number | null;
  refunds90d: number;
  tickets90d: number;
  complaints90d: number;
  averageSatisfaction: number | null;
  paymentFailures90d: number;
  activeSubscriptions: number;
  emailEngagement90d: number;
  /** Subscriptions cancelled in the last 90 days (a churn signal). */
  cancellations90d?: number;
  /** Distinct purchase days up to asOf (= frequency + 1 for buyers, 0 without purchases). */
  transactions?: number;
  /** Complaint tickets up to asOf, the whole history (complaints90d is the last 90 days). */
  complaintsToDate?: number;
  /** Refunds up to asOf, the whole history (refunds90d is the last 90 days). */
  refundsToDate?: number;
  /** Share of the purchase days with a discount (0 without purchases or without discount data). */
  discountedShare?: number;
  categoryShares: Record<string, number>;
}

export interface Segment {
  id: number;
  name: string;
  size: number;
  /** Centroid in original (unscaled) feature units, keyed by feature name. */
  centroid: Record<string, number>;
}

/** Every flag type, in the order lists show them. */
export { FLAG_TYPES };
export type FlagType = (typeof FLAG_TYPES)[number];

export interface Flag {
  customerId: string;
  type: FlagType;
  /** In [0, 1]; higher = stronger candidate. */
  score: number;
  reasons: string[];
  /** Expected value in minor units (value at risk for churn, expected gain for the others). */
  expectedValueMinor: number;
  /**
   * Expected value × the estimated chance that acting on the flag makes a difference (uplift, or
   * response rate before any controlled result; mining/response.ts); absent before any response.
   */
  expectedIncrementalValueMinor?: number;
  /** What expectedIncrementalValueMinor rests on: a measured uplift, or (before one) the response rate, which overstates it. */
  incrementalBasis?: 'uplift' | 'response-rate';
  /** Cross-sell: suggested categories, best first. Up-sell: the suggested product/tier. */
  suggestions?: string[];
  /** Reorder-due: the expected purchase day; moment: the anniversary (YYYY-MM-DD). */
  date?: string;
  /** Moment: whose anniversary it is (playbooks with an anniversary trigger pick theirs). */
  occasion?: 'first-purchase' | 'membership';
}

/** Lifecycle stage (mining/lifecycle.ts defines each). */
export { LIFECYCLE_STAGES };
export type Lifecycle = (typeof LIFECYCLE_STAGES)[number];
/** Value tier (mining/lifecycle.ts defines each). */
export { VALUE_TIERS };
export type ValueTier = (typeof VALUE_TIERS)[number];
/** The purchase model behind a customer's P(alive), or 'rule' when no model could identify dropout. */
export type PurchaseModelName = 'bgnbd' | 'paretoNbd' | 'mbgNbd';

export interface ScoredCustomer {
  customerId: string;
  segment: string;
  features: CustomerFeatures;
  pAlive: number;
  expectedPurchases: number;
  clvMinor: number;
  /** Churn score with service signals (complaints, failed payments, ...); ranks churn-risk flags. */
  churnRisk: number;
  /** Calibrated P(no purchase in the next churn-horizon days), before service signals. */
  churnProbability: number;
  /** Where P(alive) came from: the chosen purchase model, or the stated recency rule. */
  model: PurchaseModelName | 'rule';
  lifecycle: Lifecycle;
  valueTier: ValueTier;
  /** Expected next purchase day (YYYY-MM-DD); null for prospects, lapsed and one-time buyers (no rhythm yet). */
  nextPurchaseDate: string | null;
}

export interface MiningResult {
  customers: ScoredCustomer[];
  flags: Flag[];
  segments: Segment[];
  k: number;
  inertia: number;
  /** Names of the scaled feature columns k-means ran on, and the matrix rows (same order as customers). */
  featureNames: string[];
  scaledFeatures: Float64Array[];
  /** The chosen purchase model's parameters (fitted on the sample) and Gamma-Gamma's. */
  models: {
    chosen?: PurchaseModelName;
    /** 'rule' when the chosen model cannot identify dropout (see warnings). */
    pAliveSource?: 'model' | 'rule';
    bgnbd?: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number };
    paretoNbd?: { r: number; alpha: number; s: number; beta: number; logLikelihood: number; iterations: number };
    mbgNbd?: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number };
    gammaGamma?: { p: number; q: number; v: number; logLikelihood: number; iterations: number };
  };
  /** How the purchase model was chosen (mining/model-choice.ts). */
  modelChoice: ModelChoice;
  /** The churn probability's horizon, calibration and out-of-time evaluation (mining/churn.ts). */
  churn: { horizonDays: number; calibration: string; backtest?: ChurnBacktest; evaluation?: ChurnEvaluation };
  /** Fit diagnostics a user must see (a parameter at a bound, a fallback rule in use, ...). */
  warnings: string[];
  /** Why a model part was left out or fell back. */
  notes: string[];
  /** Silhouette (and sizes, when known) of every k tried. */
  kSelection?: { k: number; silhouette: number; sizes?: number[]; smallestShare?: number }[];
  tiers: { tier: ValueTier; customers: number; share: number; meanClvMinor: number; meanSpendMinor: number; clvShare: number }[];
  funnel: {
    stages: Record<Lifecycle, number>;
    reached: { known: number; bought: number; repeated: number; loyal: number };
    conversion: { prospectToFirst: number | null; firstToRepeat: number | null; repeatToLoyal: number | null };
  };
  timingsMs: Record<string, number>;
}

/** One candidate purchase model scored on the holdout (mining/purchase-model.ts scoreCandidates). */
export interface CandidateScore {
  name: PurchaseModelName;
  /** Fitted on the calibration part (before the cut), or on everything without a holdout. */
  calibration?: { params: Record<string, number>; logLikelihood: number; converged: boolean };
  /** Root-mean-square error of predicted holdout purchases per buyer. */
  holdoutRmse?: number;
  /** Σ predicted and Σ actual holdout purchases. */
  holdoutPredicted?: number;
  holdoutActual?: number;
  /** Why it could not be fitted, when it could not. */
  error?: string;
  /** Why its dropout is not identified, when it is not. */
  unidentified?: string;
}

/** How a run chose its purchase model (mining/model-choice.ts). */
export interface ModelChoice {
  /** Last calibration day of the holdout split; absent when the span was too short. */
  cutoff?: string;
  holdoutDays?: number;
  /** Buyers at the cut the candidates were fitted and scored on. */
  buyers?: number;
  /** 'holdout' (RMSE of predicted holdout purchases) or 'log-likelihood' (no usable holdout). */
  criterion: 'holdout' | 'log-likelihood' | 'none';
  candidates: CandidateScore[];
  chosen?: PurchaseModelName;
}

/** The churn backtest: cut, horizon, customers, churned, in-sample AUC. */
export interface ChurnBacktest {
  cutoff: string;
  horizonDays: number;
  customers: number;
  churned: number;
  auc: number;
}

/**
 * The churn calibration tested out of time: weights fitted at the cut before the backtest's
 * (fitCutoff), applied to the customers at the backtest's cut (testCutoff) and scored on what
 * they did next: expected calibration error (equal-width bins) and ROC-AUC.
 */
export interface ChurnEvaluation {
  fitCutoff: string;
  testCutoff: string;
  horizonDays: number;
  customers: number;
  ece: number;
  bins: number;
  auc: number;
  meanPredicted: number;
  observedRate: number;
}
