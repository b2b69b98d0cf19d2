/**
 * Customer lifetime value from a fitted BG/NBD (purchase counts) and Gamma-Gamma (spend)
 * model: the present value of expected future profits over a finite horizon.
 */
import { conditionalExpectedPurchases, type BgNbdParams } from './bgnbd.js';
import { conditionalExpectedAverageSpend, type GammaGammaParams } from './gamma-gamma.js';

export interface ClvInput {
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
  /** Repeat transactions in calibration (x). */
  x: number;
  /** Recency t_x, in the BG/NBD model's time unit (the unit its data was fitted in). */
  t_x: number;
  /** Age T at the end of calibration, in the model's time unit. */
  T: number;
  /** Mean value of the customer's repeat transactions (m_x); ignored when x = 0. */
  monetary: number;
  /** Number of discounting periods to sum over (positive integer). */
  horizonPeriods: number;
  /**
   * Discounting periods per model time unit (default 1: one period = one model unit).
   * A period therefore lasts 1 / periodsPerUnit model units. Example: model fitted in weeks,
   * monthly cash flows → periodsPerUnit = 12 / 52 (≈ 0.2308, i.e. 52/12 ≈ 4.33 weeks per
   * period); model in days, monthly → 12 / 365.25.
   */
  periodsPerUnit?: number;
  /** Profit margin as a fraction of spend (e.g. 0.3); 1 gives discounted revenue. */
  margin: number;
  /** Discount rate per period (e.g. 0.01 per month), > −1. 0 disables discounting. */
  discountRatePerPeriod: number;
}

/**
 * CLV = Σ_{i=1..H} margin · E[M | x, m_x] · (E[Y(τ_i) | x, t_x, T] − E[Y(τ_{i−1}) | x, t_x, T]) / (1+d)^i,
 * with τ_i = i / periodsPerUnit model units after the end of calibration, E[Y(τ) | …] the
 * BG/NBD conditional expected number of purchases in (T, T+τ] (paper eq. 10), E[M | …] the
 * Gamma-Gamma conditional expected average spend, and d the per-period discount rate. Each
 * period's purchases are discounted to the end of that period (as lifetimes'
 * `customer_lifetime_value` does).
 *
 * Spend and purchases are treated as independent (the Gamma-Gamma assumption), so expected
 * profit per period is margin × expected spend × expected purchases.
 */
export function customerLifetimeValue(input: ClvInput): number {
  const { bgnbd, gammaGamma, x, t_x, T, monetary, horizonPeriods, margin, discountRatePerPeriod } = input;
  const periodsPerUnit = input.periodsPerUnit ?? 1;
  if (!(Number.isInteger(horizonPeriods) && horizonPeriods >= 0)) {
    throw new RangeError(`horizonPeriods must be a non-negative integer (got ${horizonPeriods})`);
  }
  if (!(Number.isFinite(periodsPerUnit) && periodsPerUnit > 0)) {
    throw new RangeError(`periodsPerUnit must be finite and > 0 (got ${periodsPerUnit})`);
  }
  if (!Number.isFinite(margin)) throw new RangeError(`margin must be finite (got ${margin})`);
  if (!(Number.isFinite(discountRatePerPeriod) && discountRatePerPeriod > -1)) {
    throw new RangeError(`discountRatePerPeriod must be finite and > -1 (got ${discountRatePerPeriod})`);
  }
  const spend = conditionalExpectedAverageSpend(gammaGamma, x, monetary);
  let clv = 0;
  let previous = 0;
  let discount = 1;
  for (let i = 1; i <= horizonPeriods; i++) {
    const cumulative = conditionalExpectedPurchases(bgnbd, i / periodsPerUnit, x, t_x, T);
    discount /= 1 + discountRatePerPeriod;
    clv += margin * spend * (cumulative - previous) * discount;
    previous = cumulative;
  }
  return clv;
}
