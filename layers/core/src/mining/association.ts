/**
 * Association rules between categories (Apriori over baskets; a basket is one customer-day's
 * set of categories). For a rule A → c over N baskets:
 *   support    = #(A ∪ {c}) / N
 *   confidence = #(A ∪ {c}) / #A          = P(c | A)
 *   lift       = confidence / (#c / N)     = P(c | A) / P(c)   (> 1: A makes c more likely)
 * Antecedents have one or two items, consequents one.
 */
import { MINING_DEFAULTS } from './defaults.js';
import { dayNumber } from './features.js';
import type { CustomerHistory } from './types.js';

export interface AssociationRule {
  antecedent: string[];
  consequent: string;
  /** Baskets containing antecedent and consequent. */
  count: number;
  /** Baskets containing the antecedent. */
  antecedentCount: number;
  support: number;
  confidence: number;
  lift: number;
}

/** Defaults: MINING_DEFAULTS.association. */
export interface AssociationOptions {
  /** Minimum support of the rule's itemset. */
  minSupport?: number;
  /** Also a minimum number of baskets for the itemset, whatever minSupport says. */
  minCount?: number;
  /** Minimum confidence. */
  minConfidence?: number;
  /** Largest antecedent (1 or 2). */
  maxAntecedent?: 1 | 2;
}

export interface AssociationResult {
  baskets: number;
  /** Baskets containing each item. */
  itemCounts: Record<string, number>;
  /** Rules sorted by lift, then confidence, then count (descending), then text. */
  rules: AssociationRule[];
}

/** Mine rules from baskets (each an iterable of item names; duplicates in a basket are ignored). */
export function mineAssociationRules(baskets: Iterable<Iterable<string>>, opts: AssociationOptions = {}): AssociationResult {
  const d = MINING_DEFAULTS.association;
  const minSupport = opts.minSupport ?? d.minSupport;
  const minConfidence = opts.minConfidence ?? d.minConfidence;
  const minCountOpt = opts.minCount ?? d.minCount;
  const maxAnte = opts.maxAntecedent ?? d.maxAntecedent;

  // Items → ids; baskets → sorted unique ids in one flat buffer (no per-basket allocation).
  const ids = new Map<string, number>();
  const names: string[] = [];
  let flat = new Int32Array(1 << 12);
  let len = 0;
  const offsetList: number[] = [0];
  let stamp = new Int32Array(64);
  let basketNo = 0;
  for (const b of baskets) {
    basketNo++;
    const start = len;
    for (const item of b) {
      let id = ids.get(item);
      if (id === undefined) {
        id = names.length;
        ids.set(item, id);
        names.push(item);
        if (id >= stamp.length) {
          const grown = new Int32Array(stamp.length * 2);
          grown.set(stamp);
          stamp = grown;
        }
      }
      if (stamp[id] === basketNo) continue; // duplicate within the basket
      stamp[id] = basketNo;
      if (len === flat.length) {
        const grown = new Int32Array(flat.length * 2);
        grown.set(flat);
        flat = grown;
      }
      flat[len++] = id;
    }
    if (len - start > 1) flat.subarray(start, len).sort();
    offsetList.push(len);
  }
  const offsets = Int32Array.from(offsetList);
  const N = offsets.length - 1;
  const m = names.length;
  const itemCount = new Float64Array(m);
  for (let i = 0; i < len; i++) itemCount[flat[i]!]!++;
  const itemCounts: Record<string, number> = {};
  for (const i of [...names.keys()].sort((a, b) => (names[a]! < names[b]! ? -1 : 1))) itemCounts[names[i]!] = itemCount[i]!;
  if (N === 0) return { baskets: 0, itemCounts, rules: [] };

  const minCount = Math.max(minCountOpt, Math.ceil(minSupport * N - 1e-9));
  const frequent = new Uint8Array(m);
  for (let i = 0; i < m; i++) if (itemCount[i]! >= minCount) frequent[i] = 1;

  // Pairs of frequent items: a dense m×m table for catalogues up to 2 000 categories, a map beyond.
  const dense = m <= 2000 ? new Int32Array(m * m) : undefined;
  const sparse = new Map<number, number>();
  for (let bi = 0; bi < N; bi++) {
    const end = offsets[bi + 1]!;
    for (let x = offsets[bi]!; x < end; x++) {
      const a = flat[x]!;
      if (!frequent[a]) continue;
      for (let y = x + 1; y < end; y++) {
        const c = flat[y]!;
        if (!frequent[c]) continue;
        const key = a * m + c;
        if (dense) dense[key]!++;
        else sparse.set(key, (sparse.get(key) ?? 0) + 1);
      }
    }
  }
  const pairCount = new Map<number, number>();
  if (dense) {
    for (let key = 0; key < dense.length; key++) if (dense[key]! > 0) pairCount.set(key, dense[key]!);
  } else {
    for (const [key, n] of sparse) pairCount.set(key, n);
  }
  const frequentPairs = new Set<number>();
  for (const [key, n] of pairCount) if (n >= minCount) frequentPairs.add(key);

  // Triples whose three pairs are all frequent (Apriori pruning).
  const tripleCount = new Map<number, number>();
  if (maxAnte >= 2 && frequentPairs.size > 0) {
    for (let bi = 0; bi < N; bi++) {
      const start = offsets[bi]!;
      const end = offsets[bi + 1]!;
      if (end - start < 3) continue;
      for (let x = start; x < end; x++) {
        const a = flat[x]!;
        if (!frequent[a]) continue;
        for (let y = x + 1; y < end; y++) {
          const c = flat[y]!;
          if (!frequentPairs.has(a * m + c)) continue;
          for (let z = y + 1; z < end; z++) {
            const e = flat[z]!;
            if (!frequentPairs.has(a * m + e) || !frequentPairs.has(c * m + e)) continue;
            const key = (a * m + c) * m + e;
            tripleCount.set(key, (tripleCount.get(key) ?? 0) + 1);
          }
        }
      }
    }
  }

  const rules: AssociationRule[] = [];
  const push = (ante: number[], cons: number, count: number, anteCount: number) => {
    const confidence = count / anteCount;
    if (confidence < minConfidence) return;
    const support = count / N;
    rules.push({
      antecedent: ante.map((i) => names[i]!).sort(),
      consequent: names[cons]!,
      count,
      antecedentCount: anteCount,
      support,
      confidence,
      lift: confidence / (itemCount[cons]! / N),
    });
  };
  for (const key of frequentPairs) {
    const a = Math.floor(key / m);
    const c = key % m;
    const n = pairCount.get(key)!;
    push([a], c, n, itemCount[a]!);
    push([c], a, n, itemCount[c]!);
  }
  for (const [key, n] of tripleCount) {
    if (n < minCount) continue;
    const e = key % m;
    const ac = Math.floor(key / m);
    const a = Math.floor(ac / m);
    const c = ac % m;
    push([a, c], e, n, pairCount.get(a * m + c)!);
    push([a, e], c, n, pairCount.get(a * m + e)!);
    push([c, e], a, n, pairCount.get(c * m + e)!);
  }
  rules.sort((p, q) => q.lift - p.lift || q.confidence - p.confidence || q.count - p.count || compareText(ruleText(p), ruleText(q)));
  return { baskets: N, itemCounts, rules };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function ruleText(r: Pick<AssociationRule, 'antecedent' | 'consequent'>): string {
  return `${r.antecedent.join(' + ')} -> ${r.consequent}`;
}

/** One basket per customer-day up to asOf: the categories bought that day. */
export function basketsFromHistories(histories: Iterable<CustomerHistory>, asOf?: Date): { day: number; items: string[] }[] {
  const limit = asOf ? dayNumber(asOf) : Number.POSITIVE_INFINITY;
  const out: { day: number; items: string[] }[] = [];
  for (const h of histories) {
    // Purchases are usually one per day already; merge the few that share a day.
    const byDay = new Map<number, string[]>();
    for (const p of h.purchases) {
      const day = dayNumber(p.date);
      if (day > limit) continue;
      let items = byDay.get(day);
      if (!items) {
        items = [];
        byDay.set(day, items);
      }
      for (const c in p.categories) if (p.categories[c]! > 0 && !items.includes(c)) items.push(c);
    }
    for (const [day, items] of byDay) if (items.length > 0) out.push({ day, items });
  }
  return out;
}
