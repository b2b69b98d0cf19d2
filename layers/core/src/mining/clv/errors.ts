/** Why a CLV model could not be fitted. */
export type ModelFitFailure =
  /** No rows (or zero total weight) to fit. */
  | 'empty-input'
  /** A row violates the model's data requirements (negative frequency, recency > T, ...). */
  | 'invalid-input'
  /** The data cannot identify the parameters (e.g. no repeat purchases at all). */
  | 'degenerate-input'
  /** The optimiser ran out of iterations before meeting its tolerance. */
  | 'not-converged'
  /** The optimum ran off towards 0 or ∞ in some parameter (likelihood has no interior maximum). */
  | 'diverged'
  /** The likelihood or the parameters are NaN/±∞ at the solution. */
  | 'non-finite';

/**
 * Thrown by the CLV model fitters (BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma) when they cannot produce a usable
 * maximum-likelihood estimate. Not an HTTP error: callers decide how to surface it.
 */
export class ModelFitError extends Error {
  constructor(
    readonly model: 'bg-nbd' | 'pareto-nbd' | 'mbg-nbd' | 'gamma-gamma',
    readonly reason: ModelFitFailure,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${model} fit failed (${reason}): ${message}`);
    this.name = 'ModelFitError';
  }
}
