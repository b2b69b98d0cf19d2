/**
 * Every default of mining, in one place: the pipeline (PipelineOptions and the model modules'
 * own options), the mining job's settings (config.ts MINING_SHARDS, MINING_SAMPLE_SIZE,
 * FLAG_TTL_DAYS default to these), the CLI and bench:mining. Options passed to a call override
 * them.
 */
export const MINING_DEFAULTS = {
  /** Time unit of the CLV models and of frequency/recency/T (weeks, as in the BG/NBD literature). */
  unit: 'weeks',
  /** Seed of every random choice (fit sample, churn backtest, k-means), so a run repeats. */
  seed: 42,
  /**
   * Customers the models are fitted on (a seeded sample beyond that): bounds the fit's memory and
   * time. The job's production value; bench:mining fits on it too.
   */
  sampleSize: 50_000,
  /** Parallel scan segments of a job run when the trigger does not say. */
  shards: 4,
  /** Days a flag stays valid (its DynamoDB TTL). */
  flagTtlDays: 30,
  /** Range the silhouette search picks k from when k is not fixed. */
  kRange: [3, 8],
  /** L2 penalty on the BG/NBD and Gamma-Gamma parameters (as in lifetimes). */
  penalizer: 0,
  /**
   * Nelder-Mead budget of the pipeline's BG/NBD and Gamma-Gamma fits (CDNOW converges in
   * ~300-400): a fit that runs off towards a boundary stops here instead of at 10 000.
   */
  fitIterations: 3000,
  /** Below these counts the BG/NBD parameters are noise: the fit is skipped. */
  minBuyersForBgNbd: 30,
  minRepeatBuyersForBgNbd: 10,
  /** Gamma-Gamma is fitted only with at least this many repeat buyers with spend. */
  minRepeatBuyersForSpend: 30,
  /** CLV: horizon and discounting in months; periodsPerUnit = months per model time unit. */
  clv: {
    horizonPeriods: 12,
    periodsPerUnit: { weeks: 12 / 52, days: 12 / 365.25 },
    margin: 1,
    discountRatePerPeriod: 0.01,
  },
  /**
   * The purchase models the run chooses from by a holdout in time (mining/purchase-model.ts):
   * the last `holdoutShare` of the observed span (within the day bounds) is held out, each
   * model is fitted on the rest and scored on the held-out purchases.
   */
  modelChoice: {
    candidates: ['bgnbd', 'paretoNbd', 'mbgNbd'],
    holdoutShare: 1 / 3,
    minHoldoutDays: 28,
    maxHoldoutDays: 365,
  },
  /**
   * When no model can identify dropout (a parameter at its bound), P(alive) follows this rule
   * on days since the last purchase over the customer's rhythm (r): 1 / (1 + (r / midpoint)^slope).
   */
  pAliveRule: { midpoint: 3, slope: 2 },
  lifecycle: {
    /** Below this P(alive) a buyer is more likely gone than not: lapsed, not at risk. */
    lapsedBelowPAlive: 0.5,
    /** Overdue by this many of their own gaps: lapsing. */
    lapsingOverdue: 1.5,
    /** Overdue by this many of their own gaps: lapsed, whatever the model's P(alive). */
    lapsedOverdue: 4,
    loyalMinTransactions: 4,
  },
  valueTiers: {
    /** Top share of buyers by predicted value: most-valuable. */
    mostValuableShare: 0.2,
  },
  /**
   * Flags per type at most this share of buyers (the best by expected value, then score); the
   * cut is fixed on the fit sample so every shard applies the same one.
   */
  flagBudget: { 'churn-risk': 0.2, 'up-sell': 0.2, 'cross-sell': 0.2, prospect: 0.2, 'reorder-due': 0.2, moment: 0.2 },
  nextPurchase: {
    /** Reorder-due: the expected next purchase falls within this many days. */
    reorderWithinDays: 14,
    /** Moment: an anniversary (first purchase, subscription start) within this many days. */
    momentWithinDays: 14,
  },
  churn: {
    /** Churn = no purchase within this many days (Klaviyo's definition: 90). */
    horizonDays: 90,
    /** Churn-risk candidates from this churn probability up (then the budget ranks them by value at risk). */
    threshold: 0.3,
    /** Bins of the expected calibration error reported for the churn probability. */
    calibrationBins: 10,
    /** Customers the backtest calibrates on (a seeded sample beyond that). */
    backtestCustomers: 50_000,
  },
  kmeans: {
    maxIterations: 100,
    tolerance: 1e-6,
    /**
     * Restarts (k-means++ seedings); the best inertia wins. 8, not 3: with the behavioural columns
     * (7 in all), 3 seedings on the 8,000-row sample ended in a worse optimum on 1M rows (inertia
     * 1.076 × ml-kmeans at k = 5, bench:mining 2026-11-30); 8 reach it (1.0000) for 0.1 s more.
     */
    nInit: 8,
    /** Rows the restarts run on before the full passes. */
    sampleSize: 8_000,
  },
  chooseK: {
    /** Rows each candidate k-means is fitted on. */
    fitSampleSize: 20_000,
    /** Rows the silhouette is computed on (O(n²) memory and time). */
    silhouetteSampleSize: 2_000,
    /** Restarts per candidate k. */
    nInit: 3,
  },
  association: {
    minSupport: 0.001,
    minConfidence: 0.01,
    minCount: 2,
    /** Items on a rule's left-hand side. */
    maxAntecedent: 2,
  },
  crossSell: {
    /** Suggestions per customer. */
    limit: 5,
    /** No flag when the best suggestion's probability is below this. */
    minProbability: 0.02,
    /** Half-life of a basket's weight in the popularity estimate. */
    halfLifeDays: 180,
    /** z of the Wilson lower bound behind the conservative lift. */
    confidenceZ: 2,
    /** Rules kept in the model. */
    maxRules: 2000,
    /** Suggestions only to customers still around: P(alive) from this, churn risk below maxChurnRisk. */
    minPAlive: 0.5,
    maxChurnRisk: 0.8,
  },
  upSell: {
    /** No up-sell below this P(alive). */
    minPAlive: 0.6,
    /** "Basket below peers": average order below (1 − aovMargin) × the segment's median. */
    aovMargin: 0.2,
    /** Flags below this score are dropped. */
    minScore: 0.2,
  },
} as const;
