/** Test helpers: CDNOW loading (real files) and a seeded BG/NBD simulator. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  parseCdnowMaster,
  parseCdnowSample,
  summarizeCdnow,
  type CdnowRecord,
  type CustomerSummary,
} from '../../../../layers/core/src/mining/clv/cdnow.js';
import type { BgNbdParams } from '../../../../layers/core/src/mining/clv/bgnbd.js';

export const CDNOW_DIR = path.resolve(process.cwd(), '../shared/datasets/cdnow');

const cache = new Map<string, { records: CdnowRecord[]; summary: CustomerSummary[] }>();

export function cdnow(which: 'sample' | 'master'): { records: CdnowRecord[]; summary: CustomerSummary[] } {
  let hit = cache.get(which);
  if (!hit) {
    const file = path.join(CDNOW_DIR, which === 'sample' ? 'CDNOW_sample.txt' : 'CDNOW_master.txt');
    const text = readFileSync(file, 'utf8');
    const records = which === 'sample' ? parseCdnowSample(text) : parseCdnowMaster(text);
    hit = { records, summary: summarizeCdnow(records) };
    cache.set(which, hit);
  }
  return hit;
}

/** mulberry32: small deterministic PRNG, uniform on [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, 1) by Marsaglia-Tsang (with the u^{1/shape} boost for shape < 1). */
export function gammaSample(shape: number, u: () => number): number {
  if (shape < 1) return gammaSample(shape + 1, u) * Math.pow(1 - u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(u);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const w = 1 - u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

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
  const u = rng(seed);
  return Ts.map((T) => {
    const lambda = gammaSample(params.r, u) / params.alpha;
    const ga = gammaSample(params.a, u);
    const p = ga / (ga + gammaSample(params.b, u));
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
