/**
 * k-means for customer segmentation, built to be fast on millions of rows and at least as good
 * as a plain k-means++ + Lloyd run (ml-kmeans, the project's reference):
 *
 *  1. draw a seeded random sample (default 8 000 rows);
 *  2. on the sample, `nInit` times: greedy k-means++ seeding (sklearn's variant: 2 + ln k
 *     candidates per centre, keep the one that lowers the potential most), then Lloyd to
 *     convergence (at most 50 iterations); keep the run with the lowest sample inertia;
 *  3. Lloyd on ALL rows from those centroids until no row changes cluster, the largest squared
 *     centroid shift is <= `tolerance`, or `maxIterations`.
 * Step 3 starts next to a good optimum, so it needs few passes; each pass is one fused loop
 * over a flat Float64Array (squared distances, running sums, no allocation). The seeding —
 * what dominates ml-kmeans on large inputs — only ever sees the sample.
 *
 * Inertia is the SUM of squared distances of the rows to their centroid (as ml-kmeans' error).
 * Empty clusters are re-seeded at the row farthest from its centroid.
 */
import { deriveSeed, mulberry32, sampleIndices } from '../random.js';
import { MINING_DEFAULTS } from './defaults.js';
import { selectRows, type FeatureMatrix } from './matrix.js';

const { floor, log, sqrt, min } = Math;
const INF = Number.POSITIVE_INFINITY;

/** Defaults: MINING_DEFAULTS.kmeans (seed: MINING_DEFAULTS.seed). */
export interface KMeansOptions {
  /** PRNG seed: same data + seed = same result. */
  seed?: number;
  /** Lloyd iterations on the full data. */
  maxIterations?: number;
  /** Converged when the largest squared centroid shift is <= this (the default is ml-kmeans'). */
  tolerance?: number;
  /** Seeded restarts on the sample, best by inertia. */
  nInit?: number;
  /** Rows used for seeding and the restarts (all rows when fewer). */
  sampleSize?: number;
  /** k-means++ candidates per centre (default 2 + floor(ln k)). */
  localTrials?: number;
}

export interface KMeansFit {
  k: number;
  centroids: number[][];
  assignments: Int32Array;
  /** Σ squared distances of the rows to their assigned centroid. */
  inertia: number;
  /** Lloyd iterations on the full data (after the sample phase). */
  iterations: number;
  converged: boolean;
}

/** Lloyd iterations per restart on the sample (when the data is larger than the sample). */
const SAMPLE_ITERATIONS = 50;

/** Squared Euclidean distance between row i of `a` and row j of `b` (both flat, dimension d). */
function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let t = 0; t < d; t++) {
    const diff = a[ai + t]! - b[bj + t]!;
    s += diff * diff;
  }
  return s;
}

/**
 * Greedy k-means++ on `data` (n×d): returns k×d centroids. The first centre is uniform; every
 * further centre is the best of `trials` candidates drawn with probability ∝ D(x)².
 */
export function kmeansPlusPlus(data: FeatureMatrix, k: number, u: () => number, localTrials?: number): Float64Array {
  const { rows: n, cols: d, data: x } = data;
  if (k > n) throw new RangeError(`k = ${k} exceeds the ${n} rows`);
  const trials = localTrials ?? 2 + floor(log(k));
  const centres = new Float64Array(k * d);
  const closest = new Float64Array(n);
  const candidate = new Float64Array(n);
  const best = new Float64Array(n);
  const first = floor(u() * n);
  centres.set(x.subarray(first * d, (first + 1) * d), 0);
  let pot = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = sqDist(x, i, centres, 0, d);
    pot += closest[i]!;
  }
  for (let c = 1; c < k; c++) {
    let bestPot = INF;
    let bestIdx = -1;
    for (let t = 0; t < trials; t++) {
      let idx: number;
      if (pot > 0) {
        const r = u() * pot;
        let acc = 0;
        idx = n - 1;
        for (let i = 0; i < n; i++) {
          acc += closest[i]!;
          if (acc > r) {
            idx = i;
            break;
          }
        }
      } else {
        idx = floor(u() * n); // all rows coincide with a centre already
      }
      let p = 0;
      for (let i = 0; i < n; i++) {
        const dd = sqDist(x, i, x, idx, d);
        const v = Math.min(dd, closest[i]!);
        candidate[i] = v;
        p += v;
      }
      if (p < bestPot) {
        bestPot = p;
        bestIdx = idx;
        best.set(candidate);
      }
    }
    centres.set(x.subarray(bestIdx * d, (bestIdx + 1) * d), c * d);
    closest.set(best);
    pot = bestPot;
  }
  return centres;
}

interface LloydResult {
  iterations: number;
  converged: boolean;
  inertia: number;
}

/**
 * Lloyd iterations in place on `centres` and `labels`, accelerated with Hamerly's bounds
 * (Hamerly 2010, "Making k-means even faster"): per row an upper bound on the distance to its
 * centre and a lower bound on the distance to the second-closest one; a row whose upper bound
 * is below max(lower bound, half the distance from its centre to the nearest other centre)
 * cannot change cluster and is skipped. The result is exactly Lloyd's (same assignments, up
 * to ties); the sums are updated incrementally as rows move. The last pass re-assigns every
 * row against the final centroids, so labels and inertia are consistent with them.
 */
function lloyd(
  data: FeatureMatrix,
  k: number,
  centres: Float64Array,
  labels: Int32Array,
  maxIterations: number,
  tolerance: number,
): LloydResult {
  const { rows: n, cols: d, data: x } = data;
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const half = new Float64Array(k);
  const moved = new Float64Array(k);

  // Full first assignment.
  for (let i = 0; i < n; i++) {
    const base = i * d;
    let b1 = INF;
    let b2 = INF;
    let c1 = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      const cb = c * d;
      for (let t = 0; t < d; t++) {
        const diff = x[base + t]! - centres[cb + t]!;
        s += diff * diff;
      }
      if (s < b1) {
        b2 = b1;
        b1 = s;
        c1 = c;
      } else if (s < b2) {
        b2 = s;
      }
    }
    labels[i] = c1;
    upper[i] = sqrt(b1);
    lower[i] = sqrt(b2);
    counts[c1]!++;
    const sb = c1 * d;
    for (let t = 0; t < d; t++) sums[sb + t]! += x[base + t]!;
  }

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // Empty clusters: take over the row with the largest upper bound (≈ farthest from its centre).
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) continue;
      let far = -1;
      let farD = -1;
      for (let i = 0; i < n; i++) {
        if (upper[i]! > farD && counts[labels[i]!]! > 1) {
          farD = upper[i]!;
          far = i;
        }
      }
      if (far < 0) continue;
      const from = labels[far]!;
      counts[from]!--;
      for (let t = 0; t < d; t++) sums[from * d + t]! -= x[far * d + t]!;
      labels[far] = c;
      counts[c] = 1;
      for (let t = 0; t < d; t++) sums[c * d + t] = x[far * d + t]!;
      upper[far] = 0;
      lower[far] = 0;
    }
    // Update step.
    let maxShift = 0;
    let r1 = 0;
    let r2 = 0;
    let top = -1;
    for (let c = 0; c < k; c++) {
      const cnt = counts[c]!;
      let shift = 0;
      if (cnt > 0) {
        for (let t = 0; t < d; t++) {
          const v = sums[c * d + t]! / cnt;
          const diff = v - centres[c * d + t]!;
          shift += diff * diff;
          centres[c * d + t] = v;
        }
      }
      if (shift > maxShift) maxShift = shift;
      const m = sqrt(shift);
      moved[c] = m;
      if (m > r1) {
        r2 = r1;
        r1 = m;
        top = c;
      } else if (m > r2) {
        r2 = m;
      }
    }
    if (maxShift <= tolerance) {
      converged = true;
      break;
    }
    // Half the distance from each centre to its nearest other centre.
    for (let c = 0; c < k; c++) half[c] = INF;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        const h = 0.5 * sqrt(sqDist(centres, a, centres, b, d));
        if (h < half[a]!) half[a] = h;
        if (h < half[b]!) half[b] = h;
      }
    }
    // Assignment step with bounds.
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = labels[i]!;
      let ub = upper[i]! + moved[a]!;
      let lb = lower[i]! - (a === top ? r2 : r1);
      const m = Math.max(half[a]!, lb);
      if (ub <= m) {
        upper[i] = ub;
        lower[i] = lb;
        continue;
      }
      const base = i * d;
      let s = 0;
      const ab = a * d;
      for (let t = 0; t < d; t++) {
        const diff = x[base + t]! - centres[ab + t]!;
        s += diff * diff;
      }
      ub = sqrt(s);
      if (ub <= m) {
        upper[i] = ub;
        lower[i] = lb;
        continue;
      }
      // The nearest-two scan of the first assignment, inlined again on purpose: a helper would
      // have to return three values (an allocation per point per iteration on the hot path).
      let b1 = INF;
      let b2 = INF;
      let c1 = 0;
      for (let c = 0; c < k; c++) {
        let q = 0;
        const cb = c * d;
        for (let t = 0; t < d; t++) {
          const diff = x[base + t]! - centres[cb + t]!;
          q += diff * diff;
        }
        if (q < b1) {
          b2 = b1;
          b1 = q;
          c1 = c;
        } else if (q < b2) {
          b2 = q;
        }
      }
      ub = sqrt(b1);
      lb = sqrt(b2);
      if (c1 !== a) {
        changed++;
        labels[i] = c1;
        counts[a]!--;
        counts[c1]!++;
        const cb = c1 * d;
        for (let t = 0; t < d; t++) {
          const v = x[base + t]!;
          sums[ab + t]! -= v;
          sums[cb + t]! += v;
        }
      }
      upper[i] = ub;
      lower[i] = lb;
    }
    if (changed === 0) {
      // Bounds prove every label is its nearest centre, and the centres are their means:
      // a fixed point. The inertia needs one distance per row, not k.
      return { iterations, converged: true, inertia: labelledInertia(data, centres, labels) };
    }
  }
  // Stopped on the centroid shift or the iteration cap: labels may trail the last update.
  const inertia = assignInto(data, centres, k, labels);
  return { iterations, converged, inertia };
}

function labelledInertia(data: FeatureMatrix, centres: Float64Array, labels: Int32Array): number {
  let s = 0;
  for (let i = 0; i < data.rows; i++) s += sqDist(data.data, i, centres, labels[i]!, data.cols);
  return s;
}

/** Nearest-centroid labels into `labels`; returns the inertia. */
function assignInto(data: FeatureMatrix, centres: Float64Array, k: number, labels: Int32Array): number {
  const { rows: n, cols: d, data: x } = data;
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const base = i * d;
    let bestC = 0;
    let bestD = INF;
    for (let c = 0; c < k; c++) {
      let s = 0;
      const cb = c * d;
      for (let t = 0; t < d; t++) {
        const diff = x[base + t]! - centres[cb + t]!;
        s += diff * diff;
      }
      if (s < bestD) {
        bestD = s;
        bestC = c;
      }
    }
    labels[i] = bestC;
    inertia += bestD;
  }
  return inertia;
}

function flatCentroids(centroids: readonly ArrayLike<number>[], d: number): Float64Array {
  const flat = new Float64Array(centroids.length * d);
  centroids.forEach((c, j) => {
    if (c.length !== d) throw new RangeError(`centroid ${j} has ${c.length} values, rows have ${d}`);
    flat.set(c, j * d);
  });
  return flat;
}

function toRows(flat: Float64Array, k: number, d: number): number[][] {
  return Array.from({ length: k }, (_, c) => Array.from(flat.subarray(c * d, (c + 1) * d)));
}

/** Fit k-means (see the module comment). Deterministic for a fixed `seed`. */
export function fitKMeans(data: FeatureMatrix, k: number, opts: KMeansOptions = {}): KMeansFit {
  const { rows: n, cols: d } = data;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`k must be a positive integer (got ${k})`);
  if (k > n) throw new RangeError(`k = ${k} exceeds the ${n} rows`);
  if (d === 0) throw new RangeError('rows have no columns');
  const defaults = MINING_DEFAULTS.kmeans;
  const seed = opts.seed ?? MINING_DEFAULTS.seed;
  const maxIterations = opts.maxIterations ?? defaults.maxIterations;
  const tolerance = opts.tolerance ?? defaults.tolerance;
  const nInit = Math.max(1, opts.nInit ?? defaults.nInit);
  const sampleSize = Math.max(k, opts.sampleSize ?? defaults.sampleSize);

  const sampled = n > sampleSize;
  const sample = sampled ? selectRows(data, sampleIndices(n, sampleSize, mulberry32(deriveSeed(seed, 'sample')))) : data;
  const sampleLabels = new Int32Array(sample.rows);
  let bestCentres: Float64Array | undefined;
  let bestInertia = INF;
  let sampleRun: LloydResult | undefined;
  for (let run = 0; run < nInit; run++) {
    const u = mulberry32(deriveSeed(seed, `init-${run}`));
    const centres = kmeansPlusPlus(sample, k, u, opts.localTrials);
    // On a sample, Lloyd only has to rank the restarts; the full passes finish the job.
    const res = lloyd(sample, k, centres, sampleLabels, sampled ? SAMPLE_ITERATIONS : maxIterations, tolerance);
    if (res.inertia < bestInertia) {
      bestInertia = res.inertia;
      bestCentres = centres;
      sampleRun = res;
    }
  }
  const centres = bestCentres!;
  const assignments = new Int32Array(n);
  if (!sampled) {
    // The winning run's labels were overwritten by later runs: recompute them.
    const inertia = assignInto(data, centres, k, assignments);
    return {
      k,
      centroids: toRows(centres, k, d),
      assignments,
      inertia,
      iterations: sampleRun!.iterations,
      converged: sampleRun!.converged,
    };
  }
  const full = lloyd(data, k, centres, assignments, maxIterations, tolerance);
  return {
    k,
    centroids: toRows(centres, k, d),
    assignments,
    inertia: full.inertia,
    iterations: full.iterations,
    converged: full.converged,
  };
}

/** Nearest centroid of every row (for scoring shards with centroids fitted elsewhere). */
export function assign(centroids: readonly ArrayLike<number>[], rows: FeatureMatrix | readonly ArrayLike<number>[]): Int32Array {
  const k = centroids.length;
  if (k === 0) throw new RangeError('no centroids');
  const d = centroids[0]!.length;
  const flat = flatCentroids(centroids, d);
  if ('data' in rows && 'cols' in rows) {
    if (rows.cols !== d) throw new RangeError(`rows have ${rows.cols} columns, centroids ${d}`);
    const labels = new Int32Array(rows.rows);
    assignInto(rows, flat, k, labels);
    return labels;
  }
  const list = rows as readonly ArrayLike<number>[];
  const labels = new Int32Array(list.length);
  const one = new Float64Array(d);
  const m: FeatureMatrix = { data: one, rows: 1, cols: d };
  const l = new Int32Array(1);
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.length !== d) throw new RangeError(`row ${i} has ${r.length} values, centroids ${d}`);
    one.set(r);
    assignInto(m, flat, k, l);
    labels[i] = l[0]!;
  }
  return labels;
}

/** Σ squared distances of rows to the centroid of their label (inertia of any labelling). */
export function inertiaOf(data: FeatureMatrix, centroids: readonly ArrayLike<number>[], labels: ArrayLike<number>): number {
  const d = data.cols;
  const flat = flatCentroids(centroids, d);
  let s = 0;
  for (let i = 0; i < data.rows; i++) s += sqDist(data.data, i, flat, labels[i]!, d);
  return s;
}

/**
 * Mean silhouette coefficient of a labelling (Euclidean distances, O(n²): pass a sample).
 * A row alone in its cluster scores 0 (Rousseeuw's convention).
 */
export function silhouetteScore(data: FeatureMatrix, labels: ArrayLike<number>, k: number): number {
  return silhouetteFromDistances(pairwiseDistances(data), data.rows, labels, k);
}

/** Condensed upper-triangle Euclidean distances (Float32 halves the memory; ample precision). */
function pairwiseDistances(data: FeatureMatrix): Float32Array {
  const { rows: n, cols: d, data: x } = data;
  const out = new Float32Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[p++] = sqrt(sqDist(x, i, x, j, d));
  return out;
}

function silhouetteFromDistances(dist: Float32Array, n: number, labels: ArrayLike<number>, k: number): number {
  const sums = new Float64Array(n * k);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  let p = 0;
  for (let i = 0; i < n; i++) {
    const li = labels[i]!;
    for (let j = i + 1; j < n; j++) {
      const v = dist[p++]!;
      sums[i * k + labels[j]!]! += v;
      sums[j * k + li]! += v;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const li = labels[i]!;
    if (sizes[li]! <= 1) continue;
    const a = sums[i * k + li]! / (sizes[li]! - 1);
    let b = INF;
    for (let c = 0; c < k; c++) {
      if (c === li || sizes[c] === 0) continue;
      b = min(b, sums[i * k + c]! / sizes[c]!);
    }
    if (b === INF) continue;
    const m = Math.max(a, b);
    if (m > 0) total += (b - a) / m;
  }
  return total / n;
}

/** Defaults: MINING_DEFAULTS.chooseK, MINING_DEFAULTS.kRange and MINING_DEFAULTS.seed. */
export interface ChooseKOptions {
  /** Inclusive range searched. */
  kRange?: readonly [number, number];
  seed?: number;
  /** Rows the silhouette is computed on (O(n²) memory and time). */
  silhouetteSampleSize?: number;
  /** Rows each candidate k-means is fitted on. */
  fitSampleSize?: number;
  /** Restarts per candidate k. */
  nInit?: number;
  /** A cluster with less than this share of the rows is negligible (default {@link MIN_CLUSTER_SHARE}). */
  minClusterShare?: number;
  /** Silhouettes within this of the best are near-best (default {@link SILHOUETTE_TOLERANCE}). */
  silhouetteTolerance?: number;
}

/** Default ChooseKOptions.minClusterShare: a segment of under 2% of the buyers is too small to act on. */
export const MIN_CLUSTER_SHARE = 0.02;
/**
 * Default ChooseKOptions.silhouetteTolerance: on the default 2 000-row silhouette sample the
 * mean silhouette of one k moves by about ±0.01 between seeds, so 0.02 is "as good".
 */
export const SILHOUETTE_TOLERANCE = 0.02;

/** One candidate k of {@link chooseK}. */
export interface KCandidate {
  k: number;
  /** Mean silhouette on the silhouette sample. */
  silhouette: number;
  /** Rows of the fit sample in each cluster, largest first. */
  sizes: number[];
  /** Smallest cluster's share of the fit sample (sizes.at(-1) / Σ sizes). */
  smallestShare: number;
}

export interface ChooseKResult {
  k: number;
  /** Every candidate, in increasing k: its silhouette and its cluster sizes. */
  scores: KCandidate[];
}

/**
 * Pick k in `kRange` (see {@link pickK} for the rule). Every candidate is a fitKMeans run on a
 * bounded fit sample (its cluster sizes are counted there), labelling a bounded silhouette
 * sample by nearest centroid; the pairwise distances are computed once.
 */
export function chooseK(data: FeatureMatrix, opts: ChooseKOptions = {}): ChooseKResult {
  const [lo, hi] = opts.kRange ?? MINING_DEFAULTS.kRange;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 2 && hi >= lo)) {
    throw new RangeError(`kRange must be integers 2 <= lo <= hi (got [${lo}, ${hi}])`);
  }
  const defaults = MINING_DEFAULTS.chooseK;
  const seed = opts.seed ?? MINING_DEFAULTS.seed;
  const fitSize = opts.fitSampleSize ?? defaults.fitSampleSize;
  const silSize = opts.silhouetteSampleSize ?? defaults.silhouetteSampleSize;
  const fitData =
    data.rows > fitSize ? selectRows(data, sampleIndices(data.rows, fitSize, mulberry32(deriveSeed(seed, 'choosek-fit')))) : data;
  const silData =
    data.rows > silSize ? selectRows(data, sampleIndices(data.rows, silSize, mulberry32(deriveSeed(seed, 'choosek-sil')))) : data;
  const dist = pairwiseDistances(silData);
  const scores: KCandidate[] = [];
  for (let k = lo; k <= Math.min(hi, fitData.rows - 1); k++) {
    const fit = fitKMeans(fitData, k, { seed: deriveSeed(seed, `k${k}`), nInit: opts.nInit ?? defaults.nInit });
    const labels = assign(fit.centroids, silData);
    const silhouette = silhouetteFromDistances(dist, silData.rows, labels, k);
    const sizes = new Array<number>(k).fill(0);
    for (let i = 0; i < fit.assignments.length; i++) sizes[fit.assignments[i]!]!++;
    sizes.sort((a, b) => b - a);
    scores.push({ k, silhouette, sizes, smallestShare: sizes[k - 1]! / fitData.rows });
  }
  return { k: pickK(scores, opts), scores };
}

/**
 * The k-selection rule, on the candidates' silhouettes and cluster sizes:
 *  1. the near-best candidates are those whose silhouette is within `silhouetteTolerance`
 *     (0.02) of the best one — differences that small are sampling noise, not separation;
 *  2. among them, those whose smallest cluster holds at least `minClusterShare` (2%) of the
 *     rows are preferred: a segment of a handful of customers (often a few outliers k-means
 *     gave a centroid of their own) is nothing a marketer can act on;
 *  3. the highest silhouette among the preferred wins (ties: the smaller k); when every
 *     near-best candidate has a negligible cluster, the best silhouette wins anyway — a
 *     clearly better separation is not given up for size, and the sizes, reported with every
 *     candidate, show the small cluster.
 * So a k with a tiny cluster only loses to a k that separates about as well without one.
 */
export function pickK(
  scores: readonly Pick<KCandidate, 'k' | 'silhouette' | 'smallestShare'>[],
  opts: Pick<ChooseKOptions, 'minClusterShare' | 'silhouetteTolerance'> = {},
): number {
  if (scores.length === 0) throw new RangeError('no candidate k');
  const minShare = opts.minClusterShare ?? MIN_CLUSTER_SHARE;
  const tolerance = opts.silhouetteTolerance ?? SILHOUETTE_TOLERANCE;
  const better = (a: (typeof scores)[number], b: (typeof scores)[number]) =>
    a.silhouette > b.silhouette + 1e-12 || (Math.abs(a.silhouette - b.silhouette) <= 1e-12 && a.k < b.k);
  let best = scores[0]!;
  for (const s of scores) if (better(s, best)) best = s;
  let preferred: (typeof scores)[number] | undefined;
  for (const s of scores) {
    if (s.silhouette < best.silhouette - tolerance || s.smallestShare < minShare) continue;
    if (!preferred || better(s, preferred)) preferred = s;
  }
  return (preferred ?? best).k;
}
