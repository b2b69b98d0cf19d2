/**
 * Test helpers: CDNOW (test/fixtures/cdnow.ts), a seeded BG/NBD simulator, and the checks the
 * BG/NBD, Pareto/NBD and MBG/NBD tests share (grouped input, local maximum, fit failures, the
 * P(no purchase) property, the penalizer).
 */
import fc from 'fast-check';
import type { BgNbdParams } from '../../../../layers/core/src/mining/clv/bgnbd.js';
import { ModelFitError } from '../../../../layers/core/src/mining/clv/errors.js';
import { gammaVariate, mulberry32 } from '../../../../layers/core/src/random.js';

export { cdnow } from '../../../fixtures/cdnow.js';

export interface SimCustomer {
  frequency: number;
  recency: number;
  T: number;
  /** Alive at T (latent). */
  alive: boolean;
  /** Purchases in (T, T + horizon]. */
  future: number;
}

/**
 * Simulate the BG/NBD generative process: λ ~ Gamma(r, α) (rate α), p ~ Beta(a, b); Poisson
 * purchases at rate λ; after every REPEAT purchase the customer dies with probability p.
 * Observed over (0, T]; purchases in (T, T + horizon] are recorded as `future`.
 */
export function simulateBgNbd(params: BgNbdParams, Ts: readonly number[], horizon: number, seed: number): SimCustomer[] {
  const u = mulberry32(seed);
  return Ts.map((T) => {
    const lambda = gammaVariate(params.r, u) / params.alpha;
    const ga = gammaVariate(params.a, u);
    const p = ga / (ga + gammaVariate(params.b, u));
    let t = 0;
    let x = 0;
    let tx = 0;
    let future = 0;
    let aliveAtT = true;
    for (;;) {
      t += -Math.log(1 - u()) / lambda;
      if (t > T + horizon) break;
      if (t <= T) {
        x++;
        tx = t;
      } else {
        future++;
      }
      if (u() < p) {
        if (t <= T) aliveAtT = false;
        break;
      }
    }
    return { frequency: x, recency: tx, T, alive: aliveAtT, future };
  });
}

type Rfm = { frequency: number; recency: number; T: number };

/** Identical (frequency, recency, T) rows merged into one row with their count as `weight`. */
export function groupRfm(rows: readonly Rfm[]): (Rfm & { weight: number })[] {
  const groups = new Map<string, Rfm & { weight: number }>();
  for (const c of rows) {
    const k = `${c.frequency}|${c.recency}|${c.T}`;
    const g = groups.get(k) ?? { frequency: c.frequency, recency: c.recency, T: c.T, weight: 0 };
    g.weight++;
    groups.set(k, g);
  }
  return [...groups.values()];
}

/**
 * `fit` is a maximum of the total log-likelihood: it equals fit.logLikelihood, and scaling any
 * parameter in `keys` by 0.99 or 1.01 lowers it.
 */
export function expectLocalMaximum<P extends object>(
  totalLogLikelihood: (params: P, data: readonly Rfm[]) => number,
  fit: P & { logLikelihood: number },
  data: readonly Rfm[],
  keys: readonly (keyof P & string)[],
): void {
  const base = totalLogLikelihood(fit, data);
  expect(base).toBeCloseTo(fit.logLikelihood, 8);
  for (const key of keys) {
    for (const f of [0.99, 1.01]) {
      expect(totalLogLikelihood({ ...fit, [key]: (fit[key] as number) * f }, data)).toBeLessThan(base);
    }
  }
}

/** The ModelFitError reason `f` throws with (checking the model label), undefined if it returns. */
export function fitFailureReason(model: ModelFitError['model'], f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFitError);
    expect((e as ModelFitError).model).toBe(model);
    return (e as ModelFitError).reason;
  }
  return undefined;
}

/**
 * Property (500 runs): P(no purchase in the next t) is in [0, 1], does not increase with t and
 * never falls below the chance of being dead already, 1 − P(alive); and it is exactly 1 at t = 0.
 */
export function checkNoPurchaseProbability<P>(
  params: fc.Arbitrary<P>,
  probabilityOfNoPurchases: (params: P, t: number, x: number, t_x: number, T: number) => number,
  pAlive: (params: P, x: number, t_x: number, T: number) => number,
  example: P,
): void {
  fc.assert(
    fc.property(
      params,
      fc.integer({ min: 0, max: 40 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 200, noNaN: true }),
      fc.double({ min: 0, max: 300, noNaN: true }),
      fc.double({ min: 0, max: 300, noNaN: true }),
      (p, x, frac, T, t1, dt) => {
        const tx = x === 0 ? 0 : frac * T;
        const p1 = probabilityOfNoPurchases(p, t1, x, tx, T);
        const p2 = probabilityOfNoPurchases(p, t1 + dt, x, tx, T);
        expect(p1).toBeGreaterThanOrEqual(0);
        expect(p1).toBeLessThanOrEqual(1);
        expect(p2).toBeLessThanOrEqual(p1 + 1e-12);
        // never below the chance of being dead already
        expect(p2).toBeGreaterThanOrEqual(1 - pAlive(p, x, tx, T) - 1e-12);
      },
    ),
    { numRuns: 500 },
  );
  expect(probabilityOfNoPurchases(example, 0, 3, 20, 38)).toBe(1);
}

/** Fits with penalizers 0, 0.01, 0.1: each shrinks `norm` and costs log-likelihood. */
export function expectPenalizerShrinks<F extends { logLikelihood: number }>(
  fitWith: (opts: { penalizer: number }) => F,
  norm: (f: F) => number,
): void {
  const fits = [0, 0.01, 0.1].map((penalizer) => fitWith({ penalizer }));
  for (let i = 1; i < fits.length; i++) {
    expect(norm(fits[i]!)).toBeLessThan(norm(fits[i - 1]!));
    expect(fits[i]!.logLikelihood).toBeLessThan(fits[i - 1]!.logLikelihood);
  }
}
