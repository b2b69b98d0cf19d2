import { kmeans as mlKmeans } from 'ml-kmeans';
import { computeFeatures } from '../../../layers/core/src/mining/features.js';
import { assign, chooseK, fitKMeans, inertiaOf, pickK, silhouetteScore } from '../../../layers/core/src/mining/kmeans.js';
import { createMatrix, matrixToRows, type FeatureMatrix } from '../../../layers/core/src/mining/matrix.js';
import { fitScaler, scaleMatrix } from '../../../layers/core/src/mining/scaling.js';
import { mulberry32, normal } from '../../../layers/core/src/random.js';
import { syntheticHistories } from '../../fixtures/synthetic.js';

/** n points around k planted centres (spread `sd`), labels returned alongside. */
function blobs(n: number, k: number, d: number, sd: number, seed: number): { data: FeatureMatrix; labels: Int32Array } {
  const u = mulberry32(seed);
  const centres = Array.from({ length: k }, (_, c) =>
    Array.from({ length: d }, (_, t) => (t === c % d ? 10 : 0) + (c >= d ? 10 : 0) + normal(u)),
  );
  const data = createMatrix(n, d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    labels[i] = c;
    for (let t = 0; t < d; t++) data.data[i * d + t] = centres[c]![t]! + sd * normal(u);
  }
  return { data, labels };
}

/** Share of rows whose found cluster is the majority cluster of their planted cluster. */
function purity(found: Int32Array, planted: Int32Array, k: number): number {
  let agree = 0;
  for (let p = 0; p < k; p++) {
    const counts = new Map<number, number>();
    planted.forEach((l, i) => {
      if (l === p) counts.set(found[i]!, (counts.get(found[i]!) ?? 0) + 1);
    });
    agree += Math.max(...counts.values());
  }
  return agree / planted.length;
}

/** The pipeline's RFM-T matrix of a synthetic customer base: realistic, overlapping clusters. */
function customerMatrix(n: number): FeatureMatrix {
  const asOf = new Date(Date.UTC(2026, 0, 1));
  const cols = [
    { name: 'daysSinceLastPurchase', log: true },
    { name: 'frequency', log: true },
    { name: 'averageOrderValue', log: true },
    { name: 'tenureDays', log: false },
  ] as const;
  const raw = createMatrix(n, cols.length);
  syntheticHistories(n, { seed: 11, asOf, withoutService: true }).forEach((h, i) => {
    const f = computeFeatures(h, asOf);
    cols.forEach((c, j) => {
      raw.data[i * cols.length + j] = f[c.name];
    });
  });
  return scaleMatrix(fitScaler(raw, [...cols]), raw);
}

describe('fitKMeans', () => {
  it('recovers planted clusters', () => {
    const { data, labels } = blobs(4000, 4, 3, 1, 1);
    const fit = fitKMeans(data, 4, { seed: 3 });
    expect(purity(fit.assignments, labels, 4)).toBeGreaterThan(0.99);
    expect(new Set(fit.assignments).size).toBe(4);
    expect(fit.converged).toBe(true);
    expect(fit.inertia).toBeCloseTo(inertiaOf(data, fit.centroids, fit.assignments), 6);
  });

  it('is deterministic for a seed', () => {
    const data = customerMatrix(3000);
    const a = fitKMeans(data, 5, { seed: 9, sampleSize: 1000 });
    const b = fitKMeans(data, 5, { seed: 9, sampleSize: 1000 });
    expect(b.centroids).toEqual(a.centroids);
    expect(Array.from(b.assignments)).toEqual(Array.from(a.assignments));
    expect(b.inertia).toBe(a.inertia);
  });

  describe('against ml-kmeans (plain k-means++ and Lloyd) on a mid-size customer matrix', () => {
    const data = customerMatrix(8000);
    const rows = matrixToRows(data);
    // Baseline inertias measured with three ml-kmeans seeds (its error is a sum, like ours).
    const baselines = [1, 2, 3].map((seed) => {
      const res = mlKmeans(rows, 6, { seed });
      return inertiaOf(data, res.centroids, res.clusters);
    });

    it.each([
      ['on all rows', {}],
      ['seeded on a 2 000-row sample, then full passes', { sampleSize: 2000 }],
    ])('has inertia within 0.5%% of every baseline run (%s)', (_name, opts) => {
      const ours = fitKMeans(data, 6, { seed: 5, ...opts });
      for (const base of baselines) expect(ours.inertia).toBeLessThanOrEqual(base * 1.005);
    });
  });
});

describe('assign', () => {
  it('labels rows by nearest centroid, from a matrix or from plain arrays', () => {
    const { data } = blobs(500, 3, 2, 0.5, 4);
    const fit = fitKMeans(data, 3, { seed: 1 });
    expect(Array.from(assign(fit.centroids, data))).toEqual(Array.from(fit.assignments));
    expect(Array.from(assign(fit.centroids, matrixToRows(data)))).toEqual(Array.from(fit.assignments));
  });
});

describe('chooseK', () => {
  it('picks the planted k by silhouette', () => {
    const { data } = blobs(3000, 5, 4, 1.2, 2);
    const res = chooseK(data, { seed: 1, kRange: [3, 8] });
    expect(res.k).toBe(5);
    expect(res.scores.map((s) => s.k)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('reports the cluster sizes of every candidate', () => {
    const { data } = blobs(3000, 5, 4, 1.2, 2);
    const res = chooseK(data, { seed: 1, kRange: [3, 6] });
    for (const s of res.scores) {
      expect(s.sizes).toHaveLength(s.k);
      expect(s.sizes.reduce((a, b) => a + b, 0)).toBe(3000);
      expect(s.sizes).toEqual([...s.sizes].sort((a, b) => b - a));
      expect(s.smallestShare).toBeCloseTo(s.sizes.at(-1)! / 3000, 12);
    }
    // the planted 5 equal blobs: no negligible cluster
    expect(res.scores.find((s) => s.k === 5)!.smallestShare).toBeGreaterThan(0.15);
  });

  it('shows a negligible cluster in the sizes, and picks k by pickK on the reported candidates', () => {
    // 4 blobs of 24% and 4 outliers far out: k = 5 gives the outliers a cluster of their own
    const { data: blobsData } = blobs(960, 4, 2, 0.6, 5);
    const data = createMatrix(1000, 2);
    data.data.set(blobsData.data);
    const u = mulberry32(9);
    for (let i = 960; i < 1000; i++) {
      data.data[i * 2] = 40 + u();
      data.data[i * 2 + 1] = 40 + u();
    }
    const res = chooseK(data, { seed: 3, kRange: [3, 6], minClusterShare: 0.05 });
    const five = res.scores.find((s) => s.k === 5)!;
    expect(five.smallestShare).toBeLessThan(0.05);
    expect(res.k).toBe(pickK(res.scores, { minClusterShare: 0.05 }));
    // far-out outliers separate clearly better than any k without them: kept (see pickK)
    expect(res.k).toBe(5);
  });

  it('silhouette is high for well-separated clusters and low for one blob cut in two', () => {
    const sep = blobs(400, 2, 2, 0.5, 3);
    expect(silhouetteScore(sep.data, sep.labels, 2)).toBeGreaterThan(0.8);
    const one = blobs(400, 1, 2, 1, 3).data;
    const halves = Int32Array.from({ length: 400 }, (_, i) => (one.data[i * 2]! > 0 ? 1 : 0));
    expect(silhouetteScore(one, halves, 2)).toBeLessThan(0.5);
  });
});

describe('pickK', () => {
  const c = (k: number, silhouette: number, smallestShare: number) => ({ k, silhouette, smallestShare });

  it('takes the best silhouette when its clusters are all big enough (ties: the smaller k)', () => {
    expect(pickK([c(3, 0.3, 0.2), c(4, 0.35, 0.1), c(5, 0.34, 0.1)])).toBe(4);
    expect(pickK([c(3, 0.3, 0.2), c(4, 0.3, 0.1)])).toBe(3);
  });

  it('prefers a near-best k without a negligible cluster', () => {
    // k = 5 is best but has a 1% cluster; k = 4 is within 0.02 and has none
    expect(pickK([c(3, 0.3, 0.2), c(4, 0.34, 0.1), c(5, 0.35, 0.01)])).toBe(4);
    // the threshold and the band are options
    expect(pickK([c(4, 0.34, 0.1), c(5, 0.35, 0.01)], { minClusterShare: 0.005 })).toBe(5);
    expect(pickK([c(4, 0.34, 0.1), c(5, 0.35, 0.01)], { silhouetteTolerance: 0.005 })).toBe(5);
  });

  it('keeps a clearly better separation even with a small cluster', () => {
    // nothing within 0.02 of k = 5 is free of negligible clusters
    expect(pickK([c(3, 0.2, 0.2), c(4, 0.25, 0.1), c(5, 0.35, 0.01)])).toBe(5);
    expect(pickK([c(3, 0.3, 0.01), c(4, 0.29, 0.015)])).toBe(3);
  });
});
