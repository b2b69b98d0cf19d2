/**
 * Association rules between categories (Apriori over baskets; a basket is one customer-day's
 * set of categories). For a rule A → c over N baskets:
 *   support    = #(A ∪ {c}) / N
 *   confidence = #(A ∪ {c}) / #A          = P(c | A)
 *   lift       = confidence / (#c / N)     = P(c | A) / P(c)   (> 1: A makes c more likely)
 * Antecedents have one or two items, consequents one.
 */
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

export interface AssociationOptions {
  /** Minimum support of the rule's itemset (default 0.001). */
  minSupport?: number;
  /** Also a minimum number of baskets for the itemset (default 2), whatever minSupport says. */
  minCount?: number;
  /** Minimum confidence (default 0.01). */
  minConfidence?: number;
  /** Largest antecedent (1 or 2; default 2). */
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
  const minSupport = opts.minSupport ?? 0.001;
  const minConfidence = opts.minConfidence ?? 0.01;
  const minCountOpt = opts.minCount ?? 2;
  const maxAnte = opts.maxAntecedent ?? 2;

  // Items → ids, baskets → sorted unique id arrays.
  const ids = new Map<string, number>();
  const names: string[] = [];
  const encoded: Int32Array[] = [];
  for (const b of baskets) {
    const set = new Set<number>();
    for (const item of b) {
      let id = ids.get(item);
      if (id === undefined) {
        id = names.length;
        ids.set(item, id);
        names.push(item);
      }
      set.add(id);
    }
    if (set.size > 0) encoded.push(Int32Array.from(set).sort());
    else encoded.push(new Int32Array(0));
  }
  const N = encoded.length;
  const m = names.length;
  const itemCount = new Float64Array(m);
  for (const b of encoded) for (const i of b) itemCount[i]!++;
  const itemCounts: Record<string, number> = {};
  for (const i of [...names.keys()].sort((a, b) => (names[a]! < names[b]! ? -1 : 1))) itemCounts[names[i]!] = itemCount[i]!;
  if (N === 0) return { baskets: 0, itemCounts, rules: [] };

  const minCount = Math.max(minCountOpt, Math.ceil(minSupport * N - 1e-9));
  const frequent = new Uint8Array(m);
  for (let i = 0; i < m; i++) if (itemCount[i]! >= minCount) frequent[i] = 1;

  // Pairs of frequent items.
  const pairCount = new Map<number, number>();
  for (const b of encoded) {
    for (let x = 0; x < b.length; x++) {
      const a = b[x]!;
      if (!frequent[a]) continue;
      for (let y = x + 1; y < b.length; y++) {
        const c = b[y]!;
        if (!frequent[c]) continue;
        const key = a * m + c;
        pairCount.set(key, (pairCount.get(key) ?? 0) + 1);
      }
    }
  }
  const frequentPairs = new Set<number>();
  for (const [key, n] of pairCount) if (n >= minCount) frequentPairs.add(key);

  // Triples whose three pairs are all frequent (Apriori pruning).
  const tripleCount = new Map<number, number>();
  if (maxAnte >= 2 && frequentPairs.size > 0) {
    for (const b of encoded) {
      if (b.length < 3) continue;
      for (let x = 0; x < b.length; x++) {
        const a = b[x]!;
        if (!frequent[a]) continue;
        for (let y = x + 1; y < b.length; y++) {
          const c = b[y]!;
          if (!frequentPairs.has(a * m + c)) continue;
          for (let z = y + 1; z < b.length; z++) {
            const e = b[z]!;
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
  rules.sort(
    (p, q) =>
      q.lift - p.lift ||
      q.confidence - p.confidence ||
      q.count - p.count ||
      compareText(ruleText(p), ruleText(q)),
  );
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
    const byDay = new Map<number, Set<string>>();
    for (const p of h.purchases) {
      const day = dayNumber(p.date);
      if (day > limit) continue;
      let s = byDay.get(day);
      if (!s) {
        s = new Set();
        byDay.set(day, s);
      }
      for (const [c, units] of Object.entries(p.categories)) if (units > 0) s.add(c);
    }
    for (const [day, s] of byDay) if (s.size > 0) out.push({ day, items: [...s] });
  }
  return out;
}
