/** Hand-made MiningResult objects for the CLI writer / SVG / mine-command tests. */
import type { CustomerFeatures, CustomerHistory, MiningResult, ScoredCustomer } from '../../../layers/core/src/mining/types.js';
import type { PipelineOptions } from '../../../layers/core/src/mining/pipeline.js';
import { DAY_MS } from '../../../layers/core/src/time.js';

export function features(customerId: string, over: Partial<CustomerFeatures> = {}): CustomerFeatures {
  return {
    customerId,
    frequency: 0,
    recency: 0,
    T: 10,
    monetary: 0,
    averageOrderValue: 0,
    totalSpend: 0,
    tenureDays: 70,
    daysSinceLastPurchase: 70,
    typicalGapDays: null,
    refunds90d: 0,
    tickets90d: 0,
    complaints90d: 0,
    averageSatisfaction: null,
    paymentFailures90d: 0,
    activeSubscriptions: 0,
    emailEngagement90d: 0,
    categoryShares: {},
    ...over,
  };
}

export function customer(
  customerId: string,
  segment: string,
  over: Partial<ScoredCustomer> = {},
  f: Partial<CustomerFeatures> = {},
): ScoredCustomer {
  return {
    customerId,
    segment,
    features: features(customerId, f),
    pAlive: 1,
    expectedPurchases: 0.5,
    clvMinor: 1234,
    churnRisk: 0.25,
    churnProbability: 0.3,
    model: 'bgnbd',
    lifecycle: 'repeat',
    valueTier: 'potential',
    nextPurchaseDate: null,
    ...over,
  };
}

/** The MiningResult fields beyond customers, flags and segments, with neutral values. */
export function resultExtras(): Pick<MiningResult, 'modelChoice' | 'churn' | 'warnings' | 'notes' | 'kSelection' | 'tiers' | 'funnel'> {
  return {
    modelChoice: { criterion: 'none', candidates: [] },
    churn: { horizonDays: 90, calibration: 'none' },
    warnings: [],
    notes: [],
    tiers: [],
    funnel: {
      stages: { prospect: 0, 'first-time': 0, repeat: 0, loyal: 0, lapsing: 0, lapsed: 0 },
      reached: { known: 0, bought: 0, repeated: 0, loyal: 0 },
      conversion: { prospectToFirst: null, firstToRepeat: null, repeatToLoyal: null },
    },
  };
}

export function sampleResult(): MiningResult {
  const customers = [
    customer(
      'c1',
      'Champions',
      {
        pAlive: 0.9,
        expectedPurchases: 2.5,
        clvMinor: 12_345,
        churnRisk: 0.1,
        churnProbability: 0.05,
        model: 'paretoNbd',
        lifecycle: 'loyal',
        valueTier: 'most-valuable',
        nextPurchaseDate: '1997-10-07',
      },
      { frequency: 5, recency: 30, T: 35, monetary: 2_500, daysSinceLastPurchase: 12 },
    ),
    customer(
      'c2',
      'Champions',
      { pAlive: 0.8, expectedPurchases: 2.0, clvMinor: 10_000, churnRisk: 0.2 },
      { frequency: 4, recency: 28, T: 30, monetary: 2_000, daysSinceLastPurchase: 20 },
    ),
    customer(
      'c3',
      'At risk, "lapsing"',
      {
        pAlive: 0.2,
        expectedPurchases: 0.1,
        clvMinor: 500,
        churnRisk: 0.8,
        churnProbability: 0.75,
        model: 'rule',
        lifecycle: 'lapsing',
        valueTier: 'low-value',
      },
      { frequency: 1, recency: 2, T: 30, monetary: 1_000, daysSinceLastPurchase: 190 },
    ),
  ];
  return {
    customers,
    flags: [
      {
        customerId: 'c3',
        type: 'churn-risk',
        score: 0.8,
        reasons: ['no purchase for 190 days', 'typical gap 14 days'],
        expectedValueMinor: 500,
      },
      {
        customerId: 'c1',
        type: 'cross-sell',
        score: 0.6,
        reasons: ['similar customers buy these'],
        expectedValueMinor: 900,
        suggestions: ['bread, white', 'eggs'],
      },
      { customerId: 'c2', type: 'up-sell', score: 0.4, reasons: ['owns basic'], expectedValueMinor: 300, suggestions: ['plus'] },
      {
        customerId: 'c1',
        type: 'reorder-due',
        score: 0.7,
        reasons: ['typical gap 14 days', 'similar customers buy these'],
        expectedValueMinor: 250,
        date: '1997-10-07',
      },
    ],
    segments: [
      { id: 0, name: 'Champions', size: 2, centroid: { frequency: 4.5 } },
      { id: 1, name: 'At risk, "lapsing"', size: 1, centroid: { frequency: 1 } },
    ],
    k: 2,
    inertia: 3.5,
    featureNames: ['frequency', 'recency_days'],
    scaledFeatures: [Float64Array.from([1.2, -0.5]), Float64Array.from([0.8, -0.4]), Float64Array.from([-2, 0.9])],
    models: {
      chosen: 'bgnbd',
      pAliveSource: 'model',
      bgnbd: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4, logLikelihood: -100, iterations: 50 },
    },
    ...resultExtras(),
    modelChoice: {
      criterion: 'holdout',
      cutoff: '1997-06-01',
      holdoutDays: 121,
      buyers: 3,
      candidates: [{ name: 'bgnbd', holdoutRmse: 0.5 }],
      chosen: 'bgnbd',
    },
    churn: {
      horizonDays: 90,
      calibration: 'isotonic',
      evaluation: {
        fitCutoff: '1997-03-01',
        testCutoff: '1997-06-01',
        horizonDays: 90,
        customers: 3,
        ece: 0.02,
        bins: 10,
        auc: 0.8,
        meanPredicted: 0.4,
        observedRate: 0.38,
      },
    },
    notes: ['gamma-gamma left out: too few repeat buyers'],
    kSelection: [{ k: 2, silhouette: 0.5 }],
    tiers: [{ tier: 'most-valuable', customers: 1, share: 1 / 3, meanClvMinor: 12_345, meanSpendMinor: 2_500, clvShare: 0.5 }],
    timingsMs: { features: 1.5, kmeans: 2.25 },
  };
}

/** A stand-in for the pipeline: one segment per frequency band, echoing what it was given. */
export function fakeMine(calls: { histories: CustomerHistory[]; options: PipelineOptions }[] = [], over: Partial<MiningResult> = {}) {
  return (histories: CustomerHistory[], options: PipelineOptions): MiningResult => {
    calls.push({ histories, options });
    const customers = histories.map((h) => {
      const x = h.purchases.length - 1;
      const last = h.purchases[h.purchases.length - 1]!.date.getTime();
      return customer(
        h.customerId,
        x > 0 ? 'Repeat' : 'One-time',
        { churnRisk: x > 0 ? 0.2 : 0.7 },
        { frequency: x, daysSinceLastPurchase: (options.asOf.getTime() - last) / DAY_MS },
      );
    });
    const names = [...new Set(customers.map((c) => c.segment))];
    return {
      customers,
      flags: customers.map((c) => ({
        customerId: c.customerId,
        type: 'cross-sell' as const,
        score: 0.5,
        reasons: ['r1', 'r2'],
        expectedValueMinor: 0,
        suggestions: ['a', 'b'],
      })),
      segments: names.map((name, id) => ({ id, name, size: customers.filter((c) => c.segment === name).length, centroid: {} })),
      k: names.length,
      inertia: 1,
      featureNames: ['f'],
      scaledFeatures: customers.map(() => Float64Array.from([0])),
      models: {},
      ...resultExtras(),
      timingsMs: { all: 1 },
      ...over,
    };
  };
}
