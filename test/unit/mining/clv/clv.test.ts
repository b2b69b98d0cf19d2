import { conditionalExpectedPurchases, fitBgNbd, type BgNbdFit } from '../../../../layers/core/src/mining/clv/bgnbd.js';
import { customerLifetimeValue, type ClvInput } from '../../../../layers/core/src/mining/clv/clv.js';
import { conditionalExpectedAverageSpend, fitGammaGamma, type GammaGammaFit } from '../../../../layers/core/src/mining/clv/gamma-gamma.js';
import { cdnow } from './helpers.js';

describe('customerLifetimeValue (CDNOW sample models, time unit = weeks)', () => {
  let bgnbd: BgNbdFit;
  let gammaGamma: GammaGammaFit;
  let base: ClvInput;
  beforeAll(() => {
    const data = cdnow('sample').summary;
    bgnbd = fitBgNbd(data);
    gammaGamma = fitGammaGamma(data.filter((c) => c.frequency > 0 && c.monetary > 0));
    base = {
      bgnbd,
      gammaGamma,
      x: 2,
      t_x: 30.43,
      T: 38.86,
      monetary: 40,
      horizonPeriods: 12,
      periodsPerUnit: 12 / 52, // monthly cash flows from a weekly model
      margin: 0.3,
      discountRatePerPeriod: 0.01,
    };
  });

  it('is positive and, undiscounted, telescopes to margin x spend x E[purchases over the horizon]', () => {
    const clv = customerLifetimeValue(base);
    expect(clv).toBeGreaterThan(0);
    const undiscounted = customerLifetimeValue({ ...base, discountRatePerPeriod: 0 });
    const spend = conditionalExpectedAverageSpend(gammaGamma, 2, 40);
    const purchases = conditionalExpectedPurchases(bgnbd, 52, 2, 30.43, 38.86); // 12 months = 52 weeks
    expect(undiscounted).toBeCloseTo(0.3 * spend * purchases, 10);
    expect(clv).toBeLessThan(undiscounted);
    // 1% per month discounts a year of cash flows by less than 1 - 1/1.01^12 = 11.4%
    expect(clv / undiscounted).toBeGreaterThan(1 / 1.01 ** 12);
  });

  it('matches a hand-rolled discounted sum', () => {
    let expected = 0;
    const spend = conditionalExpectedAverageSpend(gammaGamma, 2, 40);
    for (let i = 1; i <= 12; i++) {
      const e = (t: number) => conditionalExpectedPurchases(bgnbd, t, 2, 30.43, 38.86);
      expected += (0.3 * spend * (e((i * 52) / 12) - e(((i - 1) * 52) / 12))) / 1.01 ** i;
    }
    expect(customerLifetimeValue(base)).toBeCloseTo(expected, 10);
  });

  it('grows with the horizon and falls with the discount rate', () => {
    let prev = 0;
    for (const horizonPeriods of [1, 3, 6, 12, 24, 60]) {
      const v = customerLifetimeValue({ ...base, horizonPeriods });
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
    prev = Number.POSITIVE_INFINITY;
    for (const discountRatePerPeriod of [0, 0.005, 0.01, 0.05, 0.2]) {
      const v = customerLifetimeValue({ ...base, discountRatePerPeriod });
      expect(v).toBeLessThan(prev);
      prev = v;
    }
    expect(customerLifetimeValue({ ...base, horizonPeriods: 0 })).toBe(0);
  });

  it('is linear in the margin and ranks an active customer above a lapsed one', () => {
    expect(customerLifetimeValue({ ...base, margin: 0.6 })).toBeCloseTo(2 * customerLifetimeValue(base), 10);
    const active = customerLifetimeValue({ ...base, x: 5, t_x: 38, T: 38.86 });
    const lapsed = customerLifetimeValue({ ...base, x: 5, t_x: 5, T: 38.86 });
    expect(active).toBeGreaterThan(lapsed);
  });

  it('uses the population mean spend for one-time buyers', () => {
    const a = customerLifetimeValue({ ...base, x: 0, t_x: 0, monetary: 0 });
    const b = customerLifetimeValue({ ...base, x: 0, t_x: 0, monetary: 999 });
    expect(a).toBeGreaterThan(0);
    expect(a).toBe(b);
  });

  it('period length follows periodsPerUnit (weekly periods vs 4-week periods)', () => {
    const weekly = customerLifetimeValue({ ...base, periodsPerUnit: 1, horizonPeriods: 52, discountRatePerPeriod: 0 });
    const fourWeekly = customerLifetimeValue({ ...base, periodsPerUnit: 0.25, horizonPeriods: 13, discountRatePerPeriod: 0 });
    expect(weekly).toBeCloseTo(fourWeekly, 10);
  });

  it('validates its inputs', () => {
    expect(() => customerLifetimeValue({ ...base, horizonPeriods: 1.5 })).toThrow(RangeError);
    expect(() => customerLifetimeValue({ ...base, periodsPerUnit: 0 })).toThrow(RangeError);
    expect(() => customerLifetimeValue({ ...base, discountRatePerPeriod: -1 })).toThrow(RangeError);
    expect(() => customerLifetimeValue({ ...base, margin: Number.NaN })).toThrow(RangeError);
  });
});
