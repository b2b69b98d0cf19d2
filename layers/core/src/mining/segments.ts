/**
 * Names for k-means clusters, from each centroid's profile in original units, RFM style:
 *
 * Each centroid's recency (days since last purchase), frequency (repeat purchases), monetary
 * (average order value; optional) and tenure (days since first purchase) become scores in
 * [0, 1] (R inverted: recent = high): half the centroid's percentile rank in the customer
 * population, half its rank among the k centroids. The population part keeps the names
 * absolute ("Lost" needs a really lapsed cluster); the cluster part stretches the centroids
 * apart — a centroid is an average, so its population percentile drifts towards the middle,
 * and without the stretch a cluster of long-lapsed one-or-two-time buyers (R 0.2, F 0.45 in a
 * population full of them) would look merely "At risk". Every name has a prototype score:
 *
 *   name                   R     F     M     T
 *   Champions             0.85  0.90  0.90  0.70   bought recently, often, big baskets
 *   Loyal                 0.65  0.75  0.65  0.80   regular for a long time
 *   Potential loyalists   0.80  0.50  0.50  0.35   recent, a few repeats, fairly new
 *   New                   0.90  0.10  0.40  0.10   first purchase(s) just now
 *   At risk               0.30  0.60  0.55  0.70   used to buy regularly, gone quiet
 *   Can't lose them       0.15  0.85  0.90  0.85   were among the best, long gone quiet
 *   Hibernating           0.35  0.25  0.30  0.50   few, small, a while ago
 *   Lost                  0.05  0.15  0.20  0.60   one or two purchases, long ago
 *
 * and clusters get names by a minimum-cost assignment (Hungarian algorithm) on the weighted
 * squared distance to the prototypes (weights R 2, F 1.5, M 0.6, T 0.6: recency and frequency
 * decide, as in the usual RF segment maps; money mostly separates Champions / Can't lose them
 * from their neighbours, and at 0.3 it let a recent, frequent, big-basket cluster of a shorter
 * tenure be called Potential loyalists while no cluster was called Champions; M is left out
 * without amounts), so each name is used once and the overall fit is best rather
 * than greedy. With more than 8 clusters names are reused, and the clusters sharing a name are
 * told apart by value ("Loyal (higher value)" / "Loyal (lower value)", or numbered beyond two).
 *
 * The prototypes are matched on blended scores, so the cheapest assignment can still call a
 * cluster "Hibernating" while a "Loyal" one has been away longer, or buys less often. Names must
 * not contradict the numbers: every cluster named Hibernating or Lost has a strictly longer
 * recency (days since last purchase) than every cluster named Champions, Loyal or Potential
 * loyalists, a frequency no higher than theirs, and (when known) a lower mean P(alive). The assignment is the cheapest one that
 * satisfies this (a branch and bound over the Hungarian algorithm, see assignNames); when no
 * naming with eight distinct names does, a neutral name (New) is
 * used twice rather than a contradicting one. (At risk and Can't lose them count as "gone" for
 * recency and P(alive), not for frequency: they bought often, then stopped.)
 */

export const SEGMENT_NAMES = [
  'Champions',
  'Loyal',
  'Potential loyalists',
  'New',
  'At risk',
  "Can't lose them",
  'Hibernating',
  'Lost',
] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** [R, F, M, T] percentile prototypes, in SEGMENT_NAMES order. */
const PROTOTYPES: readonly (readonly [number, number, number, number])[] = [
  [0.85, 0.9, 0.9, 0.7],
  [0.65, 0.75, 0.65, 0.8],
  [0.8, 0.5, 0.5, 0.35],
  [0.9, 0.1, 0.4, 0.1],
  [0.3, 0.6, 0.55, 0.7],
  [0.15, 0.85, 0.9, 0.85],
  [0.35, 0.25, 0.3, 0.5],
  [0.05, 0.15, 0.2, 0.6],
];
const WEIGHTS = [2, 1.5, 0.6, 0.6] as const;

/** A cluster profile in original units. */
export interface SegmentProfile {
  recencyDays: number;
  frequency: number;
  /** Average order value (minor units); undefined when the data has no amounts. */
  monetary?: number;
  tenureDays: number;
  /** Mean P(alive) of the cluster's customers, when known: a "gone" name needs a lower one. */
  pAlive?: number;
}

/** Population distributions as quantile grids (ascending; e.g. from {@link quantileGrid}). */
export interface PopulationQuantiles {
  recencyDays: number[];
  frequency: number[];
  monetary?: number[];
  tenureDays: number[];
}

/** `points` evenly spaced quantiles (0 … 1) of `values` (linear interpolation). */
export function quantileGrid(values: ArrayLike<number>, points = 101): number[] {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return [];
  return Array.from({ length: points }, (_, i) => {
    const pos = (i / (points - 1)) * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(s.length - 1, lo + 1);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  });
}

/**
 * Percentile rank (0 … 1) of v in a quantile grid: mid-rank over grid points equal to v (so a
 * value shared by 60% of customers, like frequency 0, ranks 0.3), linear between points.
 */
export function percentileRank(grid: readonly number[], v: number): number {
  const n = grid.length;
  if (n === 0) return 0.5;
  if (n === 1) return v < grid[0]! ? 0 : v > grid[0]! ? 1 : 0.5;
  let lo = 0;
  while (lo < n && grid[lo]! < v) lo++;
  let hi = lo;
  while (hi < n && grid[hi]! === v) hi++;
  const step = 1 / (n - 1);
  if (hi > lo) return ((lo + hi - 1) / 2) * step;
  if (lo === 0) return 0;
  if (lo === n) return 1;
  const a = grid[lo - 1]!;
  const b = grid[lo]!;
  return (lo - 1 + (v - a) / (b - a)) * step;
}

/** [R, F, M, T] percentile scores of a profile (M = NaN without amounts). */
export function rfmScores(p: SegmentProfile, pop: PopulationQuantiles): [number, number, number, number] {
  return [
    1 - percentileRank(pop.recencyDays, p.recencyDays),
    percentileRank(pop.frequency, p.frequency),
    p.monetary !== undefined && pop.monetary ? percentileRank(pop.monetary, p.monetary) : Number.NaN,
    percentileRank(pop.tenureDays, p.tenureDays),
  ];
}

function cost(scores: readonly number[], proto: readonly number[]): number {
  let c = 0;
  for (let j = 0; j < 4; j++) {
    if (Number.isNaN(scores[j]!)) continue;
    const diff = scores[j]! - proto[j]!;
    c += WEIGHTS[j]! * diff * diff;
  }
  return c;
}

/**
 * Minimum-cost assignment of n rows to m >= n columns (Hungarian algorithm, O(n²m)).
 * Returns the column of each row.
 */
export function hungarian(costs: readonly (readonly number[])[]): number[] {
  const n = costs.length;
  if (n === 0) return [];
  const m = costs[0]!.length;
  if (m < n) throw new RangeError('need at least as many columns as rows');
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row (1-based) matched to column j
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(INF);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = costs[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) out[p[j]! - 1] = j - 1;
  return out;
}

/** Rank of each value among `values`, scaled to [0, 1] (ties share their mean rank). */
function ranks01(values: readonly number[]): number[] {
  const n = values.length;
  if (n < 2) return values.map(() => 0.5);
  return values.map((v) => {
    let below = 0;
    let equal = 0;
    for (const w of values) {
      if (w < v) below++;
      else if (w === v) equal++;
    }
    return (below + (equal - 1) / 2) / (n - 1);
  });
}

/** Half population percentile, half rank among the clusters (see the module comment). */
export function blendWithClusterRanks(scores: readonly (readonly number[])[]): [number, number, number, number][] {
  const out = scores.map((s) => [...s] as [number, number, number, number]);
  for (let j = 0; j < 4; j++) {
    const col = scores.map((s) => s[j]!);
    if (col.some(Number.isNaN)) continue;
    const r = ranks01(col);
    out.forEach((s, i) => {
      s[j] = 0.5 * col[i]! + 0.5 * r[i]!;
    });
  }
  return out;
}

/** Names that say a segment has stopped buying, or gone quiet (see {@link namesContradict}). */
export const GONE_NAMES: readonly SegmentName[] = ['At risk', "Can't lose them", 'Hibernating', 'Lost'];
/** Of those, the ones that also say "few purchases" (At risk and Can't lose them bought often). */
const FEW_PURCHASES_NAMES: readonly SegmentName[] = ['Hibernating', 'Lost'];
/** Names that say a segment buys now and repeatedly (see {@link namesContradict}). */
export const ACTIVE_NAMES: readonly SegmentName[] = ['Champions', 'Loyal', 'Potential loyalists'];

/**
 * The first pair (gone, active) of clusters whose names contradict their numbers, or undefined.
 * Names are SEGMENT_NAMES indices per cluster. A cluster named At risk, Can't lose them,
 * Hibernating or Lost must have been away longer (recencyDays strictly greater) than every
 * cluster named Champions, Loyal or Potential loyalists and, when the profiles carry it, be less
 * likely alive (mean P(alive) strictly lower); one named Hibernating or Lost must also not buy
 * more often (frequency not greater).
 */
export function namesContradict(profiles: readonly SegmentProfile[], nameIdx: readonly number[]): [number, number] | undefined {
  for (let g = 0; g < profiles.length; g++) {
    if (!GONE_NAMES.includes(SEGMENT_NAMES[nameIdx[g]!]!)) continue;
    for (let a = 0; a < profiles.length; a++) {
      if (!ACTIVE_NAMES.includes(SEGMENT_NAMES[nameIdx[a]!]!)) continue;
      const pg = profiles[g]!;
      const pa = profiles[a]!;
      if (!(pg.recencyDays > pa.recencyDays)) return [g, a];
      if (FEW_PURCHASES_NAMES.includes(SEGMENT_NAMES[nameIdx[g]!]!) && pg.frequency > pa.frequency) return [g, a];
      if (pg.pAlive !== undefined && pa.pAlive !== undefined && !(pg.pAlive < pa.pAlive)) return [g, a];
    }
  }
  return undefined;
}

/** Cost of giving a name to a cluster that must not have it (see assignNames). */
const FORBIDDEN = 1e6;
/** Search nodes of the repair before it settles for the best consistent naming found. */
const MAX_REPAIR_NODES = 500;

/**
 * SEGMENT_NAMES index per cluster: the minimum-cost assignment under the constraint of
 * {@link namesContradict}. Every name is available k times, a reuse costing 10 more per copy
 * (more than any prototype distance), so every name is used once before any is used twice and,
 * without a contradiction, the result is the plain Hungarian assignment. With one, a small
 * branch and bound: for a contradicting pair (gone g, active a), either g may not have a gone
 * name or a may not have an active one; each branch re-runs the Hungarian algorithm with those
 * names priced out, and the cheapest consistent naming wins (adding a ban never lowers the cost,
 * so a branch that already costs more than the best consistent naming is dropped). Banning every
 * gone and active name leaves New in k copies, so a consistent naming always exists — at worst
 * with a neutral name used twice rather than a contradiction.
 */
function assignNames(scores: readonly (readonly number[])[], profiles: readonly SegmentProfile[]): number[] {
  const k = scores.length;
  const m = SEGMENT_NAMES.length;
  const columns: number[] = [];
  for (let r = 0; r < k; r++) for (let j = 0; j < m; j++) columns.push(j);
  const base = scores.map((s) => columns.map((j, col) => cost(s, PROTOTYPES[j]!) + Math.floor(col / m) * 10));
  const solve = (bans: ReadonlySet<string>) => {
    const costs = base.map((row, i) =>
      row.map((c, col) => {
        const name = SEGMENT_NAMES[columns[col]!]!;
        const banned = (GONE_NAMES.includes(name) && bans.has(`g${i}`)) || (ACTIVE_NAMES.includes(name) && bans.has(`a${i}`));
        return banned ? c + FORBIDDEN : c;
      }),
    );
    const cols = hungarian(costs);
    let total = 0;
    cols.forEach((col, i) => {
      total += costs[i]![col]!;
    });
    return { names: cols.map((col) => columns[col]!), total };
  };
  let best: { names: number[]; total: number } | undefined;
  const stack: Set<string>[] = [new Set()];
  const seen = new Set<string>();
  let nodes = 0;
  while (stack.length > 0 && nodes < MAX_REPAIR_NODES) {
    const bans = stack.pop()!;
    const key = [...bans].sort().join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    nodes++;
    const res = solve(bans);
    if (best && res.total >= best.total) continue;
    const clash = namesContradict(profiles, res.names);
    if (!clash) {
      best = res;
      continue;
    }
    const [g, a] = clash;
    stack.push(new Set([...bans, `a${a}`]), new Set([...bans, `g${g}`]));
  }
  if (best) return best.names;
  // Out of search budget without a consistent naming (not seen in practice): ban every gone
  // and active name from every cluster involved in a contradiction until none is left.
  const bans = new Set<string>();
  for (;;) {
    const res = solve(bans);
    const clash = namesContradict(profiles, res.names);
    if (!clash) return res.names;
    bans.add(`g${clash[0]}`).add(`a${clash[1]}`);
  }
}

/**
 * Names for the clusters (same order as `profiles`), unique up to 8 clusters (see the module
 * comment), and never contradicting the numbers: see {@link namesContradict} and assignNames.
 */
export function nameSegments(profiles: readonly SegmentProfile[], population: PopulationQuantiles): string[] {
  const k = profiles.length;
  if (k === 0) return [];
  const scores = blendWithClusterRanks(profiles.map((p) => rfmScores(p, population)));
  const chosen = assignNames(scores, profiles);

  const names = chosen.map((j) => SEGMENT_NAMES[j]! as string);
  const groups = new Map<string, number[]>();
  names.forEach((name, i) => {
    groups.set(name, [...(groups.get(name) ?? []), i]);
  });
  const value = (i: number) => {
    const [r, f, m, t] = scores[i]!;
    return r + f + (Number.isNaN(m) ? 0 : m) + 0.5 * t;
  };
  for (const [name, members] of groups) {
    if (members.length < 2) continue;
    const ordered = [...members].sort((a, b) => value(b) - value(a) || a - b);
    if (ordered.length === 2) {
      names[ordered[0]!] = `${name} (higher value)`;
      names[ordered[1]!] = `${name} (lower value)`;
    } else {
      ordered.forEach((i, rank) => {
        names[i] = `${name} (${rank + 1} of ${ordered.length} by value)`;
      });
    }
  }
  return names;
}

/**
 * Behaviour the RFM names cannot say, added to a name: a cluster whose centroid reaches a
 * behavioural column's threshold gets its label, e.g. "At risk · deal seekers" for a cluster
 * that buys on discount on at least 30% of its purchase days, "· complaints" for one averaging a
 * complaint or more to date. The RFM part stays first, so filters and the name checks above read
 * it unchanged.
 */
export const SEGMENT_QUALIFIERS: readonly { column: string; min: number; label: string }[] = [
  { column: 'discountedShare', min: 0.3, label: 'deal seekers' },
  { column: 'complaintsToDate', min: 1, label: 'complaints' },
];

export function qualifySegmentName(name: string, centroid: Readonly<Record<string, number>>): string {
  const labels = SEGMENT_QUALIFIERS.filter((q) => (centroid[q.column] ?? 0) >= q.min).map((q) => q.label);
  return labels.length ? `${name} · ${labels.join(', ')}` : name;
}
