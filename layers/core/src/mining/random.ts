/**
 * Seeded pseudo-random numbers for the mining core: every random choice (k-means seeding, fit
 * samples, synthetic data) goes through these, so a run is reproducible for a fixed seed.
 */

// Module-level aliases: under jest (node:vm contexts) every global `Math` lookup is slow.
const { cos, log, sqrt, PI, floor, imul } = Math;

/** mulberry32: a small, fast 32-bit PRNG; returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derive an independent stream seed from a base seed and a label (FNV-1a over the label). */
export function deriveSeed(seed: number, label: string | number): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  const s = String(label);
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Standard normal by Box-Muller. */
export function normal(u: () => number): number {
  return sqrt(-2 * log(1 - u())) * cos(2 * PI * u());
}

/** Gamma(shape, 1) by Marsaglia-Tsang (boosted for shape < 1). */
export function gammaVariate(shape: number, u: () => number): number {
  if (shape < 1) return gammaVariate(shape + 1, u) * Math.pow(1 - u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / sqrt(9 * d);
  for (;;) {
    const x = normal(u);
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const w = 1 - u();
    if (w < 1 - 0.0331 * x ** 4 || log(w) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
  }
}

/** Poisson variate (Knuth for small means, normal approximation above 50). */
export function poisson(mean: number, u: () => number): number {
  if (!(mean > 0)) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + sqrt(mean) * normal(u)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = u();
  while (p > limit) {
    k++;
    p *= u();
  }
  return k;
}

/**
 * `m` distinct indices out of 0..n-1, uniformly, in increasing order (partial Fisher-Yates on
 * a virtual permutation; memory O(m), not O(n)).
 */
export function sampleIndices(n: number, m: number, u: () => number): Int32Array {
  if (m >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const swapped = new Map<number, number>();
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const j = i + floor(u() * (n - i));
    const vj = swapped.get(j) ?? j;
    const vi = swapped.get(i) ?? i;
    swapped.set(j, vi);
    out[i] = vj;
  }
  return out.sort();
}
