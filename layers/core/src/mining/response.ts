/**
 * Targeting that learns: how likely acting on a flag is to make a difference, per flag type and
 * segment, from what happened to earlier offers and campaigns. Pure, over counts the mining job
 * pools from the table (mining-job/responses.ts).
 *
 * - With a controlled result for the flag type (campaigns on that flag type whose treatment and
 *   control groups each hold at least MIN_CONTROLLED customers), the estimate is the **uplift**:
 *   each segment's treatment and control purchase rates, each shrunk toward the type's own rate
 *   (a Beta prior of PRIOR_STRENGTH pseudo-customers), subtracted, floored at 0.
 * - Otherwise, with offers on record for the type, it is the **response rate** (converted or
 *   accepted per offer), each segment's shrunk toward the type's rate, itself shrunk toward the
 *   overall rate of all offers.
 * - With neither, there is no estimate, and flags of that type rank by value as before.
 *
 * One source per flag type, so segments of one type are never compared across uplift and response
 * rate (a response rate counts customers who would have bought anyway; an uplift does not).
 * Segment names are the previous runs' (what the offers recorded); a segment this run names
 * differently gets its type's estimate.
 */

/** Offers of one targeting cell: registered (not withdrawn), and how many were converted or accepted. */
export interface OfferCell {
  flagType: string;
  segment?: string;
  channel?: string;
  valueTier?: string;
  offers: number;
  responded: number;
}

/** Customers of one campaign group in one cell, and how many converted (intention to treat). */
export interface ControlledCell {
  flagType: string;
  segment?: string;
  group: 'treatment' | 'control';
  customers: number;
  converted: number;
}

export interface ResponseStats {
  offers: OfferCell[];
  controlled: ControlledCell[];
}

export interface ResponseEstimate {
  /** The probability that acting on the flag makes the customer buy (uplift) or respond (response rate). */
  rate: number;
  source: 'uplift' | 'response-rate';
  /** What it rests on: offers and responses, or treated/control customers and conversions. */
  evidence: {
    offers?: number;
    responded?: number;
    treated?: number;
    treatedConverted?: number;
    control?: number;
    controlConverted?: number;
  };
  /** True when the segment's own counts were too few and the type's estimate stands in. */
  fromType: boolean;
}

export interface ResponseModel {
  byType: Record<string, { type: ResponseEstimate; bySegment: Record<string, ResponseEstimate> }>;
  /** All offers on record: the prior of every type's response rate. */
  overall: { offers: number; responded: number };
}

/** Weight of the prior in pseudo-customers (or offers). */
export const PRIOR_STRENGTH = 20;
/** Customers each group of a flag type's campaigns needs before its uplift is used. */
export const MIN_CONTROLLED = 30;

/** Beta-Binomial posterior mean: (prior · k + successes) / (k + trials). */
export const shrunk = (successes: number, trials: number, priorRate: number, strength = PRIOR_STRENGTH) =>
  (priorRate * strength + successes) / (strength + trials);

const tally = () => ({ n: 0, x: 0 });

export function fitResponseModel(stats: ResponseStats): ResponseModel | undefined {
  const overall = { offers: 0, responded: 0 };
  for (const c of stats.offers) {
    overall.offers += c.offers;
    overall.responded += c.responded;
  }
  const types = new Set([...stats.offers.map((c) => c.flagType), ...stats.controlled.map((c) => c.flagType)]);
  const byType: ResponseModel['byType'] = {};
  const overallRate = overall.offers > 0 ? overall.responded / overall.offers : 0;
  for (const flagType of types) {
    const controlled = upliftOf(stats.controlled.filter((c) => c.flagType === flagType));
    const estimate =
      controlled ??
      responseRateOf(
        stats.offers.filter((c) => c.flagType === flagType),
        overallRate,
      );
    if (estimate) byType[flagType] = estimate;
  }
  return Object.keys(byType).length ? { byType, overall } : undefined;
}

function upliftOf(cells: readonly ControlledCell[]): ResponseModel['byType'][string] | undefined {
  const type = { treatment: tally(), control: tally() };
  const segments = new Map<string, { treatment: ReturnType<typeof tally>; control: ReturnType<typeof tally> }>();
  for (const c of cells) {
    type[c.group].n += c.customers;
    type[c.group].x += c.converted;
    if (c.segment === undefined) continue;
    const s = segments.get(c.segment) ?? { treatment: tally(), control: tally() };
    s[c.group].n += c.customers;
    s[c.group].x += c.converted;
    segments.set(c.segment, s);
  }
  if (type.treatment.n < MIN_CONTROLLED || type.control.n < MIN_CONTROLLED) return undefined;
  const pt = type.treatment.x / type.treatment.n;
  const pc = type.control.x / type.control.n;
  const evidence = (t: { n: number; x: number }, c: { n: number; x: number }) => ({
    treated: t.n,
    treatedConverted: t.x,
    control: c.n,
    controlConverted: c.x,
  });
  const bySegment: Record<string, ResponseEstimate> = {};
  for (const [segment, s] of segments) {
    bySegment[segment] = {
      rate: Math.max(0, shrunk(s.treatment.x, s.treatment.n, pt) - shrunk(s.control.x, s.control.n, pc)),
      source: 'uplift',
      evidence: evidence(s.treatment, s.control),
      fromType: false,
    };
  }
  return {
    type: { rate: Math.max(0, pt - pc), source: 'uplift', evidence: evidence(type.treatment, type.control), fromType: true },
    bySegment,
  };
}

function responseRateOf(cells: readonly OfferCell[], overallRate: number): ResponseModel['byType'][string] | undefined {
  const type = tally();
  const segments = new Map<string, ReturnType<typeof tally>>();
  for (const c of cells) {
    type.n += c.offers;
    type.x += c.responded;
    if (c.segment === undefined) continue;
    const s = segments.get(c.segment) ?? tally();
    s.n += c.offers;
    s.x += c.responded;
    segments.set(c.segment, s);
  }
  if (type.n === 0) return undefined;
  const typeRate = shrunk(type.x, type.n, overallRate);
  const bySegment: Record<string, ResponseEstimate> = {};
  for (const [segment, s] of segments) {
    bySegment[segment] = {
      rate: shrunk(s.x, s.n, typeRate),
      source: 'response-rate',
      evidence: { offers: s.n, responded: s.x },
      fromType: false,
    };
  }
  return { type: { rate: typeRate, source: 'response-rate', evidence: { offers: type.n, responded: type.x }, fromType: true }, bySegment };
}

/** The estimate for a flag of this type in this segment; undefined when the type has none. */
export function responseEstimate(model: ResponseModel | undefined, flagType: string, segment: string): ResponseEstimate | undefined {
  const forType = model?.byType[flagType];
  if (!forType) return undefined;
  return forType.bySegment[segment] ?? forType.type;
}

const pct = (r: number) => `${(100 * r).toFixed(r < 0.1 ? 1 : 0)}%`;

/** The reason a flag's rank gives, in words with the counts. */
export function estimateReason(e: ResponseEstimate, flagType: string, segment: string, incrementalMinor: number): string {
  const where = e.fromType ? `${flagType} flags` : `${flagType} flags in ${segment}`;
  const value = `expected incremental value ${Math.round(incrementalMinor)} (minor units)`;
  if (e.source === 'uplift') {
    const { treated = 0, treatedConverted = 0, control = 0, controlConverted = 0 } = e.evidence;
    return `${value}: acting on ${where} added ${pct(e.rate)} purchase probability against a control group (${treatedConverted}/${treated} treated vs ${controlConverted}/${control} held out bought)`;
  }
  const { offers = 0, responded = 0 } = e.evidence;
  const toward = e.fromType ? 'all offers' : `all ${flagType} offers`;
  return `${value}: ${pct(e.rate)} of offers on ${where} got a response (${responded} of ${offers}, smoothed toward ${toward}); no controlled result yet, so this counts customers who would have bought anyway`;
}
