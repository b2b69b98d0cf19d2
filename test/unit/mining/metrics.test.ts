import { adjustedRandIndex } from '../../../layers/core/src/mining/metrics.js';

describe('adjustedRandIndex', () => {
  it("matches sklearn's documented adjusted_rand_score examples", () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1); // labels are only names
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285715, 12);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });

  it('equals a hand-computed value on a 3×3 contingency table', () => {
    // a: [a a a b b b c c c], b: [x x y y y z z z z] → cells (a,x)=2 (a,y)=1 (b,y)=2 (b,z)=1 (c,z)=3
    // Σ C(n_ij, 2) = 1 + 0 + 1 + 0 + 3 = 5; rows 3,3,3 → 9; columns 2,3,4 → 1 + 3 + 6 = 10; C(9, 2) = 36
    // expected = 9 · 10 / 36 = 2.5; max = (9 + 10) / 2 = 9.5; ARI = (5 − 2.5) / (9.5 − 2.5) = 5/14
    const a = ['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'];
    const b = ['x', 'x', 'y', 'y', 'y', 'z', 'z', 'z', 'z'];
    expect(adjustedRandIndex(a, b)).toBeCloseTo(5 / 14, 12);
    expect(adjustedRandIndex(b, a)).toBeCloseTo(5 / 14, 12);
  });

  it('is 1 for two single-cluster labellings, and rejects labellings of different lengths', () => {
    expect(adjustedRandIndex([1, 1, 1], ['x', 'x', 'x'])).toBe(1);
    expect(adjustedRandIndex([], [])).toBe(1);
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(RangeError);
  });
});
