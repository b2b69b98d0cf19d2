/** Evaluation metrics used by the tests, the benchmark and the churn backtest. */

/**
 * ROC-AUC = P(score of a random positive > score of a random negative), ties counting half
 * (Mann-Whitney U with mid-ranks). NaN when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError('scores and labels differ in length');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let positives = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && scores[order[j]!] === scores[order[i]!]) j++;
    const midRank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) {
      if (labels[order[t]!]) {
        rankSumPos += midRank;
        positives++;
      }
    }
    i = j;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPos - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * L2-regularised logistic regression by Newton's method (for a handful of columns).
 * Minimises mean log-loss + l2/2 · |w|² (intercept not penalised). Returns [intercept, ...w].
 */
export function fitLogistic(
  X: readonly (readonly number[])[],
  y: ArrayLike<number>,
  opts: { l2?: number; maxIterations?: number } = {},
): number[] {
  const n = X.length;
  if (n === 0) throw new RangeError('no rows');
  const d = X[0]!.length + 1;
  const l2 = opts.l2 ?? 1e-4;
  const w = new Array<number>(d).fill(0);
  const { exp, abs } = Math;
  for (let it = 0; it < (opts.maxIterations ?? 50); it++) {
    const g = new Array<number>(d).fill(0);
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    const xi = new Array<number>(d);
    xi[0] = 1;
    for (let i = 0; i < n; i++) {
      const row = X[i]!;
      let z = w[0]!;
      for (let j = 1; j < d; j++) {
        xi[j] = row[j - 1]!;
        z += w[j]! * xi[j]!;
      }
      const p = 1 / (1 + exp(-z));
      const r = p - y[i]!;
      const s = p * (1 - p);
      for (let a = 0; a < d; a++) {
        g[a]! += (r * xi[a]!) / n;
        const ha = H[a]!;
        for (let b = a; b < d; b++) ha[b]! += (s * xi[a]! * xi[b]!) / n;
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) H[a]![b] = H[b]![a]!;
    for (let a = 1; a < d; a++) {
      g[a]! += l2 * w[a]!;
      H[a]![a]! += l2;
    }
    H[0]![0]! += 1e-12;
    const step = solve(H, g);
    let biggest = 0;
    for (let a = 0; a < d; a++) {
      w[a]! -= step[a]!;
      biggest = Math.max(biggest, abs(step[a]!));
    }
    if (biggest < 1e-10) break;
  }
  return w;
}

/** Solve A x = b (Gaussian elimination with partial pivoting; A is small and well-posed). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const pivot = M[c]![c]!;
    if (pivot === 0) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / pivot;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  return M.map((row, i) => (row[i]! === 0 ? 0 : row[n]! / row[i]!));
}

/**
 * Adjusted Rand index of two labellings of the same items (Hubert & Arabie 1985): the Rand
 * index corrected for chance, 1 for identical partitions (up to renaming the labels), about 0
 * for independent ones, negative when worse than chance. Labels are any comparable values.
 * When the denominator vanishes (both labellings put everything in one cluster, or everything
 * in its own cluster, and so agree) it is 1, as in sklearn's adjusted_rand_score.
 */
export function adjustedRandIndex<A, B>(labelsA: ArrayLike<A>, labelsB: ArrayLike<B>): number {
  const n = labelsA.length;
  if (labelsB.length !== n) throw new RangeError('the labellings differ in length');
  const pairs = (m: number) => (m * (m - 1)) / 2;
  const cells = new Map<A, Map<B, number>>();
  const rowSums = new Map<A, number>();
  const colSums = new Map<B, number>();
  for (let i = 0; i < n; i++) {
    const a = labelsA[i]!;
    const b = labelsB[i]!;
    let row = cells.get(a);
    if (!row) {
      row = new Map();
      cells.set(a, row);
    }
    row.set(b, (row.get(b) ?? 0) + 1);
    rowSums.set(a, (rowSums.get(a) ?? 0) + 1);
    colSums.set(b, (colSums.get(b) ?? 0) + 1);
  }
  let index = 0;
  for (const row of cells.values()) for (const c of row.values()) index += pairs(c);
  let sumA = 0;
  for (const c of rowSums.values()) sumA += pairs(c);
  let sumB = 0;
  for (const c of colSums.values()) sumB += pairs(c);
  const total = pairs(n);
  const expected = total > 0 ? (sumA * sumB) / total : 0;
  const maxIndex = (sumA + sumB) / 2;
  if (maxIndex === expected) return 1;
  return (index - expected) / (maxIndex - expected);
}

/**
 * Expected calibration error: predictions in `bins` equal-width bins of [0, 1]; Σ over bins of
 * (bin size / n) × |mean prediction − observed rate|. 0 for a perfectly calibrated forecast.
 */
export function expectedCalibrationError(predicted: ArrayLike<number>, labels: ArrayLike<boolean | number>, bins = 10): number {
  const n = predicted.length;
  if (n === 0) return Number.NaN;
  const sum = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = predicted[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    sum[b]! += p;
    hits[b]! += labels[i] ? 1 : 0;
    count[b]!++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += (count[b]! / n) * Math.abs(sum[b]! / count[b]! - hits[b]! / count[b]!);
  return ece;
}
