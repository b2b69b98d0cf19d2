/**
 * Seeded pseudo-random numbers, the one copy of each generator the code uses. Math.random is
 * never used: a seed must give the same numbers on every machine and Node version, so mining
 * runs, fit samples, the demo population and test data repeat exactly.
 *
 *   mulberry32  the mining core, and the tests' and bench's generated data
 *   sfc32       the demo population (local/demo)
 *   lcg32       the mining job's reservoir sample, seeded by the run id (hash31)
 *
 * Each keeps its own algorithm because seeds pin figures (tests, runs in flight): switching a
 * user to another generator would change its output.
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

/** Plain 32-bit FNV-1a of a string (deriveSeed with base seed 0). */
export function hash32(text: string): number {
  return deriveSeed(0, text);
}

/**
 * sfc32 (Small Fast Counting), its state seeded from (seed, stream) by hash32 so that streams do
 * not overlap; the first 15 outputs are discarded. Returns uniforms in [0, 1).
 */
export function sfc32(seed: number, stream = ''): () => number {
  let a = hash32(`a:${seed}:${stream}`);
  let b = hash32(`b:${seed}:${stream}`);
  let c = hash32(`c:${seed}:${stream}`);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** 32-bit linear congruential generator (Numerical Recipes constants); uniforms in [0, 1). */
export function lcg32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** h · 31 + code over the string's code points (first UTF-16 unit of each), from 17: seeds lcg32. */
export function hash31(text: string): number {
  let h = 17;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

/** Standard normal by Box-Muller. */
export function normal(u: () => number): number {
  return sqrt(-2 * log(1 - u())) * cos(2 * PI * u());
}

/** Gamma(shape, 1) by Marsaglia-Tsang (boosted for shape < 1). */
export function gammaVariate(shape: number, u: () => number): number {
  if (shape < 1) return gammaVariate(shape + 1, u) * (1 - u()) ** (1 / shape);
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
