/**
 * Derivative-free minimisation for the small (3-4 parameter) CLV likelihoods: Nelder-Mead
 * with restarts. No dependencies.
 */

// Module-level aliases for the hot loops: under jest (node:vm contexts) every lookup of the
// global `Math` goes through the context's interceptor, which made fitting ~10x slower.
const { abs, max } = Math;

export interface NelderMeadOptions {
  /** Maximum number of simplex iterations over all restarts (default 10 000). */
  maxIterations?: number;
  /**
   * Convergence tolerance (default 1e-10): the simplex has converged when the spread of
   * function values is <= `tolerance · (1 + |f_best|)` and every vertex is within
   * `xTolerance` of the best one in the ∞-norm.
   */
  tolerance?: number;
  /** Simplex-size tolerance (default 1e-7). */
  xTolerance?: number;
  /** Edge length of the initial simplex, per coordinate or scalar (default 0.5). */
  initialStep?: number | readonly number[];
  /**
   * Number of fresh restarts from the best point after the first convergence (default
   * up to 8). Nelder-Mead can stall on a non-stationary point; restarting with a new
   * simplex until a restart no longer improves the value is the standard remedy.
   */
  maxRestarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  fx: number;
  /** Simplex iterations (reflect/expand/contract/shrink steps), summed over restarts. */
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/**
 * Minimise `f` starting at `x0` (standard coefficients: reflection 1, expansion 2,
 * contraction 1/2, shrink 1/2). Non-finite function values are treated as +∞, so the
 * simplex simply backs away from regions where the objective is undefined.
 */
export function nelderMead(f: (x: readonly number[]) => number, x0: readonly number[], opts: NelderMeadOptions = {}): NelderMeadResult {
  const n = x0.length;
  const maxIterations = opts.maxIterations ?? 10_000;
  const ftol = opts.tolerance ?? 1e-10;
  const xtol = opts.xTolerance ?? 1e-7;
  const maxRestarts = opts.maxRestarts ?? 8;
  const steps = Array.from({ length: n }, (_, i) =>
    typeof opts.initialStep === 'number' ? opts.initialStep : (opts.initialStep?.[i] ?? 0.5),
  );

  let evaluations = 0;
  const fe = (x: readonly number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };

  let iterations = 0;
  let best = [...x0];
  let fBest = fe(best);
  let converged = false;

  for (let restart = 0; restart <= maxRestarts; restart++) {
    const scale = restart === 0 ? 1 : 0.1; // restarts probe locally
    const run = simplexRun(
      fe,
      best,
      fBest,
      steps.map((s) => s * scale),
      maxIterations - iterations,
      ftol,
      xtol,
    );
    iterations += run.iterations;
    const improvement = fBest - run.fx;
    const moved = maxAbsDiff(run.x, best);
    if (run.fx <= fBest) {
      best = run.x;
      fBest = run.fx;
    }
    if (!run.converged) {
      converged = false;
      break;
    }
    converged = true;
    // A restart that neither improves f nor moves the point confirms the optimum.
    if (restart > 0 && improvement <= ftol * (1 + abs(fBest)) && moved <= 10 * xtol) break;
    if (restart === maxRestarts) converged = improvement <= ftol * (1 + abs(fBest));
  }
  return { x: best, fx: fBest, iterations, evaluations, converged };
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = max(m, abs(a[i]! - b[i]!));
  return m;
}

function simplexRun(
  fe: (x: readonly number[]) => number,
  x0: readonly number[],
  f0: number,
  steps: readonly number[],
  budget: number,
  ftol: number,
  xtol: number,
): { x: number[]; fx: number; iterations: number; converged: boolean } {
  const n = x0.length;
  const pts: number[][] = [[...x0]];
  const fs: number[] = [f0];
  for (let i = 0; i < n; i++) {
    const p = [...x0];
    p[i] = p[i]! + steps[i]!;
    pts.push(p);
    fs.push(fe(p));
  }
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  const at = (k: number): number[] => pts[order[k]!]!;
  const fat = (k: number): number => fs[order[k]!]!;
  const combine = (c: readonly number[], p: readonly number[], t: number): number[] => c.map((ci, j) => ci + t * (p[j]! - ci));

  let it = 0;
  for (; ; it++) {
    order.sort((i, j) => fs[i]! - fs[j]!);
    const fLo = fat(0);
    const fHi = fat(n);
    const lo = at(0);
    let diam = 0;
    for (let k = 1; k <= n; k++) diam = max(diam, maxAbsDiff(at(k), lo));
    if (Number.isFinite(fHi) && fHi - fLo <= ftol * (1 + abs(fLo)) && diam <= xtol) {
      return { x: [...lo], fx: fLo, iterations: it, converged: true };
    }
    if (it >= budget) return { x: [...lo], fx: fLo, iterations: it, converged: false };

    // centroid of all but the worst vertex
    const c = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) {
      const p = at(k);
      for (let j = 0; j < n; j++) c[j]! += p[j]! / n;
    }
    const worst = order[n]!;
    const xr = combine(c, pts[worst]!, -1);
    const fr = fe(xr);
    if (fr < fLo) {
      const xe = combine(c, pts[worst]!, -2);
      const fExp = fe(xe);
      if (fExp < fr) {
        pts[worst] = xe;
        fs[worst] = fExp;
      } else {
        pts[worst] = xr;
        fs[worst] = fr;
      }
      continue;
    }
    if (fr < fat(n - 1)) {
      pts[worst] = xr;
      fs[worst] = fr;
      continue;
    }
    // contraction: outside if the reflected point beats the worst, inside otherwise
    const outside = fr < fHi;
    const xc = outside ? combine(c, xr, 0.5) : combine(c, pts[worst]!, 0.5);
    const fc = fe(xc);
    if (outside ? fc <= fr : fc < fHi) {
      pts[worst] = xc;
      fs[worst] = fc;
      continue;
    }
    // shrink towards the best vertex
    const bestIdx = order[0]!;
    for (let k = 0; k <= n; k++) {
      if (k === bestIdx) continue;
      pts[k] = combine(pts[bestIdx]!, pts[k]!, 0.5);
      fs[k] = fe(pts[k]!);
    }
  }
}
