import { matrixFromRows } from '../../../layers/core/src/mining/matrix.js';
import { fitScaler, scaleMatrix, scaleRow, unscaleRow } from '../../../layers/core/src/mining/scaling.js';

const spec = [
  { name: 'spend', log: true },
  { name: 'tenure', log: false },
  { name: 'constant', log: false },
];
const rows = [
  [0, 10, 7],
  [100, 20, 7],
  [1000, 30, 7],
  [50, 40, 7],
  [20000, 50, 7],
];

describe('robust scaling', () => {
  const params = fitScaler(matrixFromRows(rows), spec);

  it('z-scores log1p(spend) and tenure; a constant column scales to 0', () => {
    const z = scaleMatrix(params, matrixFromRows(rows));
    for (let j = 0; j < 3; j++) {
      const col = rows.map((_, i) => z.data[i * 3 + j]!);
      const mean = col.reduce((s, v) => s + v, 0) / col.length;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / col.length);
      expect(mean).toBeCloseTo(0, 12);
      expect(sd).toBeCloseTo(j === 2 ? 0 : 1, 12);
    }
    expect(params.columns[0]!.mean).toBeCloseTo(rows.reduce((s, r) => s + Math.log1p(r[0]!), 0) / rows.length, 12);
  });

  it('round-trips: unscale(scale(x)) = x', () => {
    for (const r of rows) {
      const back = unscaleRow(params, scaleRow(params, r));
      back.forEach((v, j) => {
        expect(v).toBeCloseTo(r[j]!, 9);
      });
    }
  });

  it('survives JSON (parameters fitted on a sample score a shard identically)', () => {
    const restored = JSON.parse(JSON.stringify(params)) as typeof params;
    expect(Array.from(scaleRow(restored, [123, 45, 7]))).toEqual(Array.from(scaleRow(params, [123, 45, 7])));
  });

  it('clips extreme values to ±clip standard deviations', () => {
    const z = scaleRow(params, [0, 1e6, 7]);
    expect(z[1]).toBe(params.clip);
    expect(params.clip).toBe(5);
  });
});
