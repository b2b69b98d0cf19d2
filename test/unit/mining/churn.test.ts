import {
  adjustOdds,
  assessChurn,
  churnFlag,
  churnSignals,
  fitChurnModel,
  noPurchaseProbability,
  type ChurnModel,
} from '../../../layers/core/src/mining/churn.js';
import { computeFeatures, dayNumber, historiesFromTransactions } from '../../../layers/core/src/mining/features.js';
import { expectedCalibrationError, rocAuc } from '../../../layers/core/src/mining/metrics.js';
import { fitPurchaseModel, pAliveOf, type PurchaseModel } from '../../../layers/core/src/mining/purchase-model.js';
import type { CustomerFeatures } from '../../../layers/core/src/mining/types.js';
import { CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END, cdnow } from '../../fixtures/cdnow.js';

const HOLDOUT_DAYS = dayNumber(CDNOW_OBSERVATION_END) - dayNumber(CDNOW_CALIBRATION_END); // 273 = 39 weeks

/**
 * CDNOW protocol: calibrate on purchases up to 1997-09-30; churned = no purchase in the
 * `horizonDays` after it. Features, the model fits and the backtest only see the calibration
 * period; the labels are the held-out future.
 */
function evaluate(which: 'master' | 'sample', horizonDays: number, modelName: 'bgnbd' | 'mbgNbd' = 'bgnbd') {
  const rows = cdnow(which).rows.map((r) => ({ customerId: r.customerId, date: r.date, amountMinor: r.amountMinor }));
  const histories = historiesFromTransactions(rows);
  const asOf = CDNOW_CALIBRATION_END;
  const features = histories.map((h) => computeFeatures(h, asOf, 'weeks'));
  const calEnd = dayNumber(asOf);
  const churned = histories.map((h) => !h.purchases.some((p) => dayNumber(p.date) > calEnd && dayNumber(p.date) <= calEnd + horizonDays));
  const purchase: PurchaseModel = fitPurchaseModel(modelName, features).model;
  const model = fitChurnModel({ histories, asOf, unit: 'weeks', purchase, horizonDays });
  const probability = features.map((f) => assessChurn(model, purchase, f).base);
  return {
    model,
    auc: rocAuc(probability, churned),
    ece: expectedCalibrationError(probability, churned, 10),
    recencyAuc: rocAuc(
      features.map((f) => f.daysSinceLastPurchase),
      churned,
    ),
    modelAuc: rocAuc(
      features.map((f) => noPurchaseProbability(purchase, horizonDays, 'weeks', f)),
      churned,
    ),
    pAliveAuc: rocAuc(
      features.map((f) => 1 - pAliveOf(purchase, f.frequency, f.recency, f.T)),
      churned,
    ),
  };
}

describe('churn probability on CDNOW (calibration to 1997-09-30, churn = no purchase in the next 90 days)', () => {
  // Measured (full cohort, 23,570 customers, MBG/NBD as the mining run chooses): see the titles.
  const master = evaluate('master', 90, 'mbgNbd');

  it(`is calibrated on the held-out future: ECE (10 bins) ${master.ece.toFixed(4)} <= 0.03`, () => {
    expect(master.ece).toBeLessThanOrEqual(0.03);
  });

  it(`ranks churners: ROC-AUC ${master.auc.toFixed(4)} >= 0.765, above recency alone (${master.recencyAuc.toFixed(4)}) and the model alone (${master.modelAuc.toFixed(4)})`, () => {
    expect(master.auc).toBeGreaterThanOrEqual(0.765);
    expect(master.auc).toBeGreaterThan(master.recencyAuc);
    expect(master.auc).toBeGreaterThan(master.modelAuc);
  });

  it(`reports its own out-of-time test, inside the calibration period (ECE ${master.model.evaluation?.ece.toFixed(4)}, AUC ${master.model.evaluation?.auc.toFixed(4)})`, () => {
    expect(master.model.calibration).toBe('backtest');
    expect(master.model.backtest).toMatchObject({ cutoff: '1997-07-02', horizonDays: 90, customers: 23570 });
    expect(master.model.evaluation).toMatchObject({ fitCutoff: '1997-04-03', testCutoff: '1997-07-02', horizonDays: 90, bins: 10 });
    expect(master.model.evaluation!.ece).toBeLessThanOrEqual(0.03);
    expect(master.model.evaluation!.auc).toBeGreaterThan(0.7);
  });

  const bg273 = evaluate('master', HOLDOUT_DAYS, 'bgnbd');
  it(`keeps the published protocol's AUC with BG/NBD and the 39-week horizon (${bg273.auc.toFixed(4)} >= 0.765)`, () => {
    expect(bg273.auc).toBeGreaterThanOrEqual(0.765);
    // BG/NBD's P(alive) is 1 for every one-time buyer: alone it ranks churn worse than chance.
    expect(bg273.pAliveAuc).toBeLessThan(0.5);
  });

  const sample = evaluate('sample', 90, 'mbgNbd');
  it(`also beats recency on the paper's 1/10 sample (measured ${sample.auc.toFixed(4)} vs ${sample.recencyAuc.toFixed(4)})`, () => {
    expect(sample.auc).toBeGreaterThan(sample.recencyAuc);
  });
});

const base = (over: Partial<CustomerFeatures>): CustomerFeatures => ({
  customerId: 'c1',
  frequency: 4,
  recency: 20,
  T: 40,
  monetary: 5000,
  averageOrderValue: 5000,
  totalSpend: 25000,
  tenureDays: 280,
  daysSinceLastPurchase: 140,
  typicalGapDays: 35,
  refunds90d: 0,
  tickets90d: 0,
  complaints90d: 0,
  averageSatisfaction: null,
  paymentFailures90d: 0,
  activeSubscriptions: 0,
  emailEngagement90d: 0,
  cancellations90d: 0,
  transactions: 5,
  categoryShares: {},
  ...over,
});

describe('service signals', () => {
  it('multiply the odds, each bounded, the product bounded to [0.5, 8]', () => {
    expect(churnSignals(base({})).multiplier).toBe(1);
    expect(churnSignals(base({ complaints90d: 2 })).multiplier).toBeCloseTo(2.25, 12);
    expect(churnSignals(base({ complaints90d: 9 })).multiplier).toBe(3);
    expect(churnSignals(base({ averageSatisfaction: 1.5 })).multiplier).toBe(2);
    expect(churnSignals(base({ complaints90d: 5, paymentFailures90d: 5, cancellations90d: 2 })).multiplier).toBe(8);
    expect(churnSignals(base({ emailEngagement90d: 4, averageSatisfaction: 5 })).multiplier).toBeCloseTo(0.8 * 0.85, 12);
    expect(adjustOdds(0.5, 3)).toBeCloseTo(0.75, 12);
  });

  it('raise the risk of an otherwise identical customer', () => {
    const model: ChurnModel = {
      horizonDays: 182,
      unit: 'weeks',
      weights: { intercept: 0, logitNoPurchase: 1, oneTimer: 0, logDaysSince: 0, logRepeats: 0 },
      calibration: 'model',
    };
    const bg: PurchaseModel = { name: 'bgnbd', r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const calm = assessChurn(model, bg, base({}));
    const angry = assessChurn(model, bg, base({ complaints90d: 2, averageSatisfaction: 2 }));
    expect(angry.base).toBe(calm.base);
    expect(angry.risk).toBeGreaterThan(calm.risk);
    expect(calm.risk).toBe(calm.base);
  });
});

describe('churn flag', () => {
  const input = (over: Partial<Parameters<typeof churnFlag>[0]> = {}) => {
    const f = base({ daysSinceLastPurchase: 214, typicalGapDays: 69, complaints90d: 2 });
    return {
      features: f,
      churn: { risk: 0.75, base: 0.6, noPurchase: 0.7, multiplier: 2.25, signals: churnSignals(f).signals },
      horizonDays: 90,
      pAlive: 0.62,
      overdueRatio: 214 / 69,
      rhythmDays: 69,
      clvMinor: 55000,
      currency: 'EUR',
      ...over,
    };
  };

  it('explains itself with reasons that all argue for it, and carries the value at risk', () => {
    expect(churnFlag(input(), 0.5)).toEqual({
      customerId: 'c1',
      type: 'churn-risk',
      score: 0.75,
      reasons: [
        'no purchase for 214 days, 3.1x their usual gap of 69 days',
        'P(no purchase in the next 90 days) 0.60',
        '2 complaints in the last 90 days',
        // 0.75 × CLV / P(alive) = 0.75 × 55000 / 0.62
        'value at risk EUR 665.32',
      ],
      expectedValueMinor: 66532,
    });
  });

  it('is not raised for customers already gone, not yet overdue, below the threshold, or who never bought', () => {
    expect(churnFlag(input({ pAlive: 0.3 }), 0.5)).toBeNull();
    expect(churnFlag(input({ overdueRatio: 0.2 }), 0.5)).toBeNull();
    expect(churnFlag(input({ churn: { risk: 0.45, base: 0.45, multiplier: 1, signals: [] } }), 0.5)).toBeNull();
    expect(churnFlag(input({ features: base({ transactions: 0 }) }), 0.5)).toBeNull();
  });
});
