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
  categoryShares: Record<string, number>;
}

export interface Segment {
  id: number;
  name: string;
  size: number;
  /** Centroid in original (unscaled) feature units, keyed by feature name. */
  centroid: Record<string, number>;
}

export type FlagType = 'churn-risk' | 'up-sell' | 'cross-sell';

export interface Flag {
  customerId: string;
  type: FlagType;
  /** In [0, 1]; higher = stronger candidate. */
  score: number;
  reasons: string[];
  /** Expected value in minor units (value at risk for churn, expected gain for the others). */
  expectedValueMinor: number;
  /** Cross-sell: suggested categories, best first. Up-sell: the suggested product/tier. */
  suggestions?: string[];
}

export interface ScoredCustomer {
  customerId: string;
  segment: string;
  features: CustomerFeatures;
  pAlive: number;
  expectedPurchases: number;
  clvMinor: number;
  churnRisk: number;
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
  models: {
    bgnbd?: { r: number; alpha: number; a: number; b: number; logLikelihood: number; iterations: number };
    gammaGamma?: { p: number; q: number; v: number; logLikelihood: number; iterations: number };
  };
  timingsMs: Record<string, number>;
}
