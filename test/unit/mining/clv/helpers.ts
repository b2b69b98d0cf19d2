/** Test helpers: CDNOW (test/fixtures/cdnow.ts) and a seeded BG/NBD simulator. */
import type { BgNbdParams } from '../../../../layers/core/src/mining/clv/bgnbd.js';
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
