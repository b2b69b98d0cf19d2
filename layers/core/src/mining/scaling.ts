/**
 * Robust scaling of the k-means feature matrix: log1p on heavy-tailed, non-negative columns
 * (money, counts, day spans), then a z-score, then clipping to ±`clip` standard deviations so
 * a handful of extreme customers cannot stretch a dimension. The fitted parameters are plain
 * data: fit them on the sample, store them in the model, and scale every shard with them.
 */
import { createMatrix, type FeatureMatrix } from './matrix.js';

const { log1p, expm1, sqrt, max } = Math;

export interface ColumnSpec {
  name: string;
  /** Apply log1p before the z-score (values must be > −1; negative inputs are floored at 0). */
  log: boolean;
}

export interface ScaledColumn extends ColumnSpec {
  mean: number;
  std: number;
}

export interface ScalerParams {
  columns: ScaledColumn[];
  /** |z| is clipped to this many standard deviations (Infinity disables; default 5). */
  clip: number;
}

export interface ScalerOptions {
  clip?: number;
}

const pre = (v: number, log: boolean): number => (log ? log1p(max(0, v)) : v);

/** Fit means and standard deviations (after the optional log1p) column by column. */
export function fitScaler(data: FeatureMatrix, spec: readonly ColumnSpec[], opts: ScalerOptions = {}): ScalerParams {
  if (spec.length !== data.cols) throw new RangeError(`spec has ${spec.length} columns, data has ${data.cols}`);
  if (data.rows === 0) throw new RangeError('cannot fit a scaler on an empty matrix');
  const { rows, cols } = data;
  const columns: ScaledColumn[] = spec.map((c, j) => {
    // Welford: stable in one pass.
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < rows; i++) {
      const v = pre(data.data[i * cols + j]!, c.log);
      const delta = v - mean;
      mean += delta / (i + 1);
      m2 += delta * (v - mean);
    }
    const std = sqrt(m2 / rows);
    // A constant column scales to 0 instead of dividing by ~0.
    return { name: c.name, log: c.log, mean, std: std > 1e-12 ? std : 1 };
  });
  return { columns, clip: opts.clip ?? 5 };
}

/** Scale one row of raw values into `out` (allocated when omitted). */
export function scaleRow(params: ScalerParams, raw: ArrayLike<number>, out?: Float64Array): Float64Array {
  const cols = params.columns;
  const z = out ?? new Float64Array(cols.length);
  const clip = params.clip;
  for (let j = 0; j < cols.length; j++) {
    const c = cols[j]!;
    const v = (pre(raw[j]!, c.log) - c.mean) / c.std;
    z[j] = v > clip ? clip : Math.max(v, -clip);
  }
  return z;
}

/** Scale a whole raw matrix (new matrix; the input is left alone). */
export function scaleMatrix(params: ScalerParams, raw: FeatureMatrix): FeatureMatrix {
  const d = params.columns.length;
  if (raw.cols !== d) throw new RangeError(`matrix has ${raw.cols} columns, scaler ${d}`);
  const out = createMatrix(raw.rows, d);
  for (let i = 0; i < raw.rows; i++) scaleRow(params, raw.data.subarray(i * d, (i + 1) * d), out.data.subarray(i * d, (i + 1) * d));
  return out;
}

/**
 * Back to original units (e.g. a centroid). Exact for unclipped values; a clipped coordinate
 * maps back to the clip boundary. For log columns the result of unscaling a MEAN of scaled
 * values is a geometric-type mean (expm1 of the mean of log1p), close to the median.
 */
export function unscaleRow(params: ScalerParams, z: ArrayLike<number>): number[] {
  return params.columns.map((c, j) => {
    const v = z[j]! * c.std + c.mean;
    return c.log ? expm1(v) : v;
  });
}
