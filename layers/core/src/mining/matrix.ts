/** A dense row-major matrix on one Float64Array: the layout every hot loop in mining/ uses. */
export interface FeatureMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

export function createMatrix(rows: number, cols: number): FeatureMatrix {
  return { data: new Float64Array(rows * cols), rows, cols };
}

/** Copy rows (number[][] or Float64Array[]) into a flat matrix; all rows must have one length. */
export function matrixFromRows(rows: readonly ArrayLike<number>[]): FeatureMatrix {
  const n = rows.length;
  const cols = n > 0 ? rows[0]!.length : 0;
  const m = createMatrix(n, cols);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    if (r.length !== cols) throw new RangeError(`row ${i} has ${r.length} values, expected ${cols}`);
    m.data.set(r, i * cols);
  }
  return m;
}

/** Rows as number[][] (e.g. for ml-kmeans). */
export function matrixToRows(m: FeatureMatrix): number[][] {
  const out: number[][] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
  return out;
}

/** Views (no copy) of each row. */
export function rowViews(m: FeatureMatrix): Float64Array[] {
  const out: Float64Array[] = new Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data.subarray(i * m.cols, (i + 1) * m.cols);
  return out;
}

/** The listed rows, copied into a new matrix. */
export function selectRows(m: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const out = createMatrix(indices.length, m.cols);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return out;
}
