import { parseConfig } from '../../../layers/core/src/config.js';
import { MINING_DEFAULTS } from '../../../layers/core/src/mining/defaults.js';
import { fitModels } from '../../../layers/core/src/mining/pipeline.js';
import { SYNTHETIC_TIERS, syntheticHistories } from '../../fixtures/synthetic.js';

describe('MINING_DEFAULTS', () => {
  it('are the job settings an empty environment gets', () => {
    const { mining } = parseConfig({});
    expect(mining).toEqual({
      shards: MINING_DEFAULTS.shards,
      sampleSize: MINING_DEFAULTS.sampleSize,
      flagTtlDays: MINING_DEFAULTS.flagTtlDays,
      churnHorizonDays: MINING_DEFAULTS.churn.horizonDays,
    });
  });

  it('are what a model fitted without options records', () => {
    const asOf = new Date(Date.UTC(2026, 0, 1));
    const model = fitModels(syntheticHistories(300, { seed: 4, asOf }), { asOf, productTiers: SYNTHETIC_TIERS });
    const d = MINING_DEFAULTS;
    expect(model).toMatchObject({
      unit: d.unit,
      seed: d.seed,
      churnThreshold: d.churn.threshold,
      crossSellLimit: d.crossSell.limit,
      crossSellMinProbability: d.crossSell.minProbability,
      clv: {
        horizonPeriods: d.clv.horizonPeriods,
        periodsPerUnit: d.clv.periodsPerUnit.weeks,
        margin: d.clv.margin,
        discountRatePerPeriod: d.clv.discountRatePerPeriod,
      },
    });
    expect(model.churn.horizonDays).toBe(d.churn.horizonDays);
    expect(model.k).toBeGreaterThanOrEqual(d.kRange[0]);
    expect(model.k).toBeLessThanOrEqual(d.kRange[1]);
  });
});
