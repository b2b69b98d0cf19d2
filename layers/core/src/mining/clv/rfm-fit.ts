/**
 * What the purchase-count models (BG/NBD in bgnbd.ts, Pareto/NBD in pareto-nbd.ts, MBG/NBD in
 * mbgnbd.ts) share: the RFM input, its validation and grouping into weighted (x, t_x, T) patterns,
 * and the maximum-likelihood fit driver (Nelder-Mead over log-parameters with time scaling,
 * penalizer, convergence and run-off checks). Each model supplies only its likelihood.
 *
 * @internal Not re-exported from index.ts; RfmRow and RfmColumns are public through bgnbd.ts.
 */
import { ModelFitError } from './errors.js';
import { nelderMead } from './optimize.js';

// Module-level aliases for the hot loops: under jest (node:vm contexts) every lookup of the
// global `Math` goes through the context's interceptor, which made fitting ~10x slower.
const { abs, exp, log, min } = Math;
const { isFinite: finite, isInteger: integer } = Number;

/** One customer (or `weight` identical customers). Extra fields are ignored. */
export interface RfmRow {
  frequency: number;
  recency: number;
  T: number;
  weight?: number;
}

/** Columnar input, e.g. Float64Arrays, for large data sets. */
export interface RfmColumns {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

/**
 * Distinct (x, t_x, T) patterns with their total weights, further factored into the distinct x
 * and the distinct y (T and t_x values together), so that a likelihood evaluation needs one
 * lgamma per distinct x and one log per distinct y rather than per customer. The Pareto/NBD
 * also needs ln H at every pattern's two "ends" (x, T) and (x, t_x); those are factored into
 * distinct (x, y) pairs, so it costs one series per distinct end.
 */
export interface RfmPatterns {
  n: number;
  totalWeight: number;
  maxT: number;
  w: Float64Array;
  xVals: Float64Array;
  xIdx: Int32Array;
  yVals: Float64Array;
  /** min(yVals): where the Pareto/NBD's ln H series argument z is largest. */
  minY: number;
  /** Index into yVals of T and of t_x, per pattern. */
  tY: Int32Array;
  txY: Int32Array;
  /** Index into the ends of (x, T) and of (x, t_x), per pattern. */
  tEnd: Int32Array;
  txEnd: Int32Array;
  /** Per end: index into xVals and into yVals. */
  endX: Int32Array;
  endY: Int32Array;
}

function toColumns(data: readonly RfmRow[] | RfmColumns): RfmColumns {
  if (!Array.isArray(data)) return data as RfmColumns;
  const rows = data as readonly RfmRow[];
  const n = rows.length;
  const frequency = new Float64Array(n);
  const recency = new Float64Array(n);
  const T = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    frequency[i] = row.frequency;
    recency[i] = row.recency;
    T[i] = row.T;
    weights[i] = row.weight ?? 1;
  }
  return { frequency, recency, T, weights };
}

/** Dense ids for keys in order of first appearance. */
class Interner<K> {
  readonly ids = new Map<K, number>();
  readonly keys: K[] = [];
  id(key: K): number {
    let k = this.ids.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this.ids.set(key, k);
    }
    return k;
  }
}

type Model = ModelFitError['model'];

/** An RFM history (x, t_x, T) for the per-customer formulas; RangeError when it is not one. */
export function checkHistory(x: number, t_x: number, T: number): void {
  if (!(Number.isInteger(x) && x >= 0 && t_x >= 0 && T >= t_x && Number.isFinite(T) && (x > 0 || t_x === 0))) {
    throw new RangeError(`invalid history x=${x}, t_x=${t_x}, T=${T} (need integer x >= 0, 0 <= t_x <= T, t_x = 0 when x = 0)`);
  }
}

/** A forecast horizon t >= 0; RangeError otherwise. */
export function checkHorizon(t: number): void {
  if (!(t >= 0 && Number.isFinite(t))) throw new RangeError(`t must be finite and >= 0 (got ${t})`);
}

function invalidInput(model: Model, message: string, details: Record<string, unknown> = {}): ModelFitError {
  return new ModelFitError(model, 'invalid-input', message, details);
}

/**
 * Validates and groups RFM input (see {@link RfmPatterns}); throws ModelFitError('invalid-input')
 * labelled with `model`.
 */
export function buildRfmPatterns(data: readonly RfmRow[] | RfmColumns, model: Model): RfmPatterns {
  const invalid = (message: string, details: Record<string, unknown>): ModelFitError => invalidInput(model, message, details);
  const cols = toColumns(data);
  const n = cols.frequency.length;
  if (cols.recency.length !== n || cols.T.length !== n || (cols.weights && cols.weights.length !== n)) {
    throw invalid('frequency, recency, T and weights must have the same length', {});
  }
  const patterns = new Interner<string>();
  const rows: { x: number; tx: number; T: number }[] = [];
  const ws: number[] = [];
  let totalWeight = 0;
  let maxT = 0;
  for (let i = 0; i < n; i++) {
    const x = cols.frequency[i]!;
    const tx = cols.recency[i]!;
    const T = cols.T[i]!;
    const w = cols.weights ? cols.weights[i]! : 1;
    if (!(integer(x) && x >= 0)) throw invalid(`row ${i}: frequency must be a non-negative integer (got ${x})`, { row: i });
    if (!(finite(tx) && tx >= 0)) throw invalid(`row ${i}: recency must be finite and >= 0 (got ${tx})`, { row: i });
    if (!(finite(T) && T >= tx)) throw invalid(`row ${i}: T must be finite and >= recency (got T=${T}, recency=${tx})`, { row: i });
    if (x === 0 && tx !== 0) throw invalid(`row ${i}: recency must be 0 when frequency is 0 (got ${tx})`, { row: i });
    if (!(finite(w) && w >= 0)) throw invalid(`row ${i}: weight must be finite and >= 0 (got ${w})`, { row: i });
    if (w === 0) continue;
    totalWeight += w;
    if (T > maxT) maxT = T;
    const k = patterns.id(`${x}|${tx}|${T}`);
    if (k === rows.length) {
      rows.push({ x, tx, T });
      ws.push(w);
    } else {
      ws[k]! += w;
    }
  }
  const m = rows.length;
  const xs = new Interner<number>();
  const ys = new Interner<number>();
  const ends = new Interner<string>();
  const endX: number[] = [];
  const endY: number[] = [];
  const end = (xi: number, yi: number): number => {
    const k = ends.id(`${xi}|${yi}`);
    if (k === endX.length) {
      endX.push(xi);
      endY.push(yi);
    }
    return k;
  };
  const xIdx = new Int32Array(m);
  const tY = new Int32Array(m);
  const txY = new Int32Array(m);
  const tEnd = new Int32Array(m);
  const txEnd = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const { x, tx, T } = rows[i]!;
    xIdx[i] = xs.id(x);
    tY[i] = ys.id(T);
    txY[i] = ys.id(tx);
    tEnd[i] = end(xIdx[i]!, tY[i]!);
    txEnd[i] = end(xIdx[i]!, txY[i]!);
  }
  return {
    n: m,
    totalWeight,
    maxT,
    w: Float64Array.from(ws),
    xVals: Float64Array.from(xs.keys),
    xIdx,
    yVals: Float64Array.from(ys.keys),
    minY: ys.keys.reduce((a, b) => min(a, b), Number.POSITIVE_INFINITY),
    tY,
    txY,
    tEnd,
    txEnd,
    endX: Int32Array.from(endX),
    endY: Int32Array.from(endY),
  };
}

/** The fit options every purchase-count model takes (documented on each model's options type). */
export interface RfmFitOptions<P> {
  penalizer?: number;
  maxIterations?: number;
  tolerance?: number;
  initial?: P;
  requireConvergence?: boolean;
}

/** What a purchase-count fit reports besides the parameters. */
export interface RfmFitStats {
  /** Total (unpenalised) log-likelihood Σ w_i ln L_i at the estimate, in the data's time unit. */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  /** Σ weights (number of customers). */
  customers: number;
  /** Distinct (x, t_x, T) patterns the likelihood was evaluated on. */
  patterns: number;
}

/** A purchase-count model as the fit driver sees it. */
export interface RfmModel<P> {
  model: Model;
  /** Parameter names in θ order; all are fitted as logs, so they stay positive. */
  names: readonly (keyof P & string)[];
  /**
   * The rate parameters (α, β): in the data's time unit, fitted as ln(value · k), k = 10 / max(T),
   * i.e. in a unit in which the oldest customer has age 10 (lifetimes' `_scale_time`); the
   * penalty applies to the scaled values. Their default start is max(T)/10, the others' is 1.
   */
  rates: readonly (keyof P & string)[];
  /** The dropout parameters, named in the 'degenerate-input' error (e.g. 'a and b'). */
  dropout: string;
  /** Σ w · ln L over the patterns; NaN/−∞ may be returned (the optimiser treats them as +∞). */
  logLikelihood(patterns: RfmPatterns, params: P): number;
  /** The likelihood the objective evaluates while fitting; default {@link logLikelihood}. */
  fitLogLikelihood?(patterns: RfmPatterns, params: P): number;
  /**
   * Stops a run-off early: when `isRunOff` holds at a trial point, or a new best point lies outside
   * [e^-LOG_BOUND, e^LOG_BOUND], the fit ends as 'diverged' with the parameters and the number of
   * evaluations so far, the message ending in `explanation`.
   */
  runOff?: { isRunOff(params: P, ll: number, patterns: RfmPatterns): boolean; explanation: string };
}

/** Parameters outside [e^-LOG_BOUND, e^LOG_BOUND] mean the likelihood has no interior optimum. */
const LOG_BOUND = log(1e8);

/** Thrown by the fit's objective at a run-off point (see RfmModel.runOff); never escapes the fit. */
class RunOff extends Error {
  constructor(readonly params: Record<string, number>) {
    super('parameters ran off');
  }
}

/**
 * Maximum-likelihood fit of a purchase-count model: Nelder-Mead over log-parameters (so all stay
 * positive) minimising −LL / N + penalizer · |θ scaled|², N = Σ weights; identical (x, t_x, T)
 * rows are grouped first, so the cost per iteration is proportional to the number of distinct
 * patterns, not customers.
 *
 * Throws {@link ModelFitError} for empty or invalid input, for data without any repeat purchase
 * (the dropout parameters are then not identified), when the optimiser does not converge (unless
 * `requireConvergence` is false), when the estimate runs off to 0 or ∞ (outside [1e-8, 1e8]),
 * or when the result is not finite.
 */
export function fitRfmModel<P extends object>(
  spec: RfmModel<P>,
  data: readonly RfmRow[] | RfmColumns,
  opts: RfmFitOptions<P>,
): P & RfmFitStats {
  const { model, names } = spec;
  const patterns = buildRfmPatterns(data, model);
  if (patterns.n === 0 || patterns.totalWeight === 0) {
    throw new ModelFitError(model, 'empty-input', 'no customers to fit');
  }
  if (patterns.xVals.every((x) => x === 0)) {
    throw new ModelFitError(
      model,
      'degenerate-input',
      `no customer made a repeat purchase: the dropout parameters ${spec.dropout} are not identified`,
      { customers: patterns.totalWeight },
    );
  }
  if (!(patterns.maxT > 0)) {
    throw new ModelFitError(model, 'degenerate-input', 'all customers have age T = 0');
  }
  const penalizer = opts.penalizer ?? 0;
  if (!(Number.isFinite(penalizer) && penalizer >= 0)) {
    throw invalidInput(model, `penalizer must be finite and >= 0 (got ${penalizer})`);
  }
  const scale = 10 / patterns.maxT;
  const isRate = names.map((k) => spec.rates.includes(k));
  const init = (opts.initial ?? Object.fromEntries(names.map((k, i) => [k, isRate[i] ? 1 / scale : 1]))) as Record<string, number>;
  for (const [k, v] of Object.entries(init)) {
    if (!(Number.isFinite(v) && v > 0)) throw invalidInput(model, `initial.${k} must be finite and > 0 (got ${v})`);
  }

  // θ_i = ln(value), or ln(value · k) for a rate
  const unpack = (th: readonly number[]): P => {
    const params: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) params[names[i]!] = isRate[i] ? exp(th[i]!) / scale : exp(th[i]!);
    return params as P;
  };
  const show = (params: P): string => names.map((k) => `${k}=${params[k]}`).join(', ');
  const fitLogLikelihood = spec.fitLogLikelihood ?? spec.logLikelihood;
  const { runOff } = spec;
  let evaluations = 0;
  let best = Number.POSITIVE_INFINITY;
  const objective = (th: readonly number[]): number => {
    evaluations++;
    const params = unpack(th);
    const ll = fitLogLikelihood(patterns, params);
    if (runOff?.isRunOff(params, ll, patterns)) throw new RunOff(params as Record<string, number>);
    let norm = 0;
    for (let i = 0; i < names.length; i++) {
      const v = (params as Record<string, number>)[names[i]!]!;
      const vs = isRate[i] ? v * scale : v;
      norm += vs * vs;
    }
    const f = -ll / patterns.totalWeight + penalizer * norm;
    // a new best point outside [e^-LOG_BOUND, e^LOG_BOUND]: running off (checked again at the end)
    if (runOff && f < best) {
      best = f;
      if (th.some((t) => abs(t) > LOG_BOUND)) throw new RunOff(params as Record<string, number>);
    }
    return f;
  };
  const theta0 = names.map((k, i) => log(isRate[i] ? init[k]! * scale : init[k]!));
  let res: ReturnType<typeof nelderMead>;
  try {
    res = nelderMead(objective, theta0, {
      maxIterations: opts.maxIterations ?? 10_000,
      tolerance: opts.tolerance ?? 1e-10,
      initialStep: 0.5,
    });
  } catch (e) {
    if (!(e instanceof RunOff && runOff)) throw e;
    throw new ModelFitError(
      model,
      'diverged',
      `the parameters ran off towards a boundary of the model (${show(e.params as P)}): ${runOff.explanation}`,
      { ...e.params, evaluations },
    );
  }

  const params = unpack(res.x);
  const logLikelihood = spec.logLikelihood(patterns, params);
  const details = { ...params, logLikelihood, iterations: res.iterations, evaluations: res.evaluations };
  if (!Number.isFinite(res.fx) || !Number.isFinite(logLikelihood) || !Object.values(params).every(Number.isFinite)) {
    throw new ModelFitError(model, 'non-finite', 'the likelihood or parameters are not finite at the solution', details);
  }
  if (res.x.some((t) => abs(t) > LOG_BOUND)) {
    throw new ModelFitError(model, 'diverged', `a parameter ran off to 0 or infinity (${show(params)})`, details);
  }
  if (!res.converged && (opts.requireConvergence ?? true)) {
    throw new ModelFitError(model, 'not-converged', `no convergence after ${res.iterations} iterations`, details);
  }
  return {
    ...params,
    logLikelihood,
    iterations: res.iterations,
    converged: res.converged,
    customers: patterns.totalWeight,
    patterns: patterns.n,
  };
}
