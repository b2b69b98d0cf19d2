/**
 * MiningResult → the files of `patron mine --out DIR`: customers.csv, flags.csv, features.csv
 * and summary.json. Pure string builders (mine.ts writes them).
 *
 * Money: the mining contract keeps amounts in minor units (clvMinor, expectedValueMinor and
 * the CustomerFeatures money fields); the files show major units (÷ 100, 2 decimals), and
 * leave money columns empty when the input had no amounts (Groceries).
 */
import type { FlagType, MiningResult, ScoredCustomer, Segment } from '../layers/core/src/mining/types.js';
import { csvRow, round, type CsvValue } from './csv.js';

export const CUSTOMERS_HEADER = [
  'customer_id',
  'segment',
  'frequency',
  'recency',
  'T',
  'monetary',
  'p_alive',
  'expected_purchases',
  'clv',
  'churn_risk',
  'model',
  'churn_probability',
  'value_tier',
  'lifecycle',
  'next_purchase_date',
] as const;
export const FLAGS_HEADER = ['customer_id', 'type', 'score', 'suggestion', 'reason_ids', 'date'] as const;
export const RULES_HEADER = ['reason_id', 'customers', 'text'] as const;

export interface WriteContext {
  /** False when the input had no amounts: money columns are left empty. */
  hasAmounts: boolean;
}

export const major = (minor: number): number => round(minor / 100, 2);

export function customersCsv(result: MiningResult, ctx: WriteContext): string {
  let out = csvRow(CUSTOMERS_HEADER);
  for (const c of result.customers) {
    const f = c.features;
    out += csvRow([
      c.customerId,
      c.segment,
      f.frequency,
      round(f.recency, 4),
      round(f.T, 4),
      ctx.hasAmounts ? major(f.monetary) : '',
      round(c.pAlive, 6),
      round(c.expectedPurchases, 6),
      ctx.hasAmounts ? major(c.clvMinor) : '',
      round(c.churnRisk, 6),
      c.model,
      round(c.churnProbability, 6),
      c.valueTier,
      c.lifecycle,
      c.nextPurchaseDate ?? '',
    ]);
  }
  return out;
}

/**
 * The distinct reason texts of the flags, each once with an id (R1, R2, ... in order of first
 * use) and the number of flags giving it: flags.csv refers to them by id (reason_ids), rules.csv
 * lists them. Cross-sell rule texts repeat verbatim across customers, so this keeps flags.csv
 * small.
 */
export interface ReasonTable {
  /** Reason text → id. */
  ids: Map<string, string>;
  /** In id order. */
  rows: { id: string; text: string; flags: number }[];
}

export function reasonTable(result: MiningResult): ReasonTable {
  const ids = new Map<string, string>();
  const rows: ReasonTable['rows'] = [];
  for (const f of result.flags) {
    for (const text of new Set(f.reasons)) {
      const id = ids.get(text);
      if (id === undefined) {
        const row = { id: `R${rows.length + 1}`, text, flags: 1 };
        ids.set(text, row.id);
        rows.push(row);
      } else {
        rows[Number(id.slice(1)) - 1]!.flags++;
      }
    }
  }
  return { ids, rows };
}

/** rules.csv: reason_id,customers,text (customers = flags giving the reason). */
export function rulesCsv(result: MiningResult, table: ReasonTable = reasonTable(result)): string {
  let out = csvRow(RULES_HEADER);
  for (const r of table.rows) out += csvRow([r.id, r.flags, r.text]);
  return out;
}

/**
 * One row per flag; a cross-sell flag gives one row per suggested category (best first, in
 * the flag's order); up-sell suggestions are joined with `; ` in one row. Reasons by id
 * (rules.csv), joined with `;`; date for reorder-due (expected purchase day) and moment
 * (the anniversary).
 */
export function flagsCsv(result: MiningResult, table: ReasonTable = reasonTable(result)): string {
  let out = csvRow(FLAGS_HEADER);
  for (const f of result.flags) {
    const reasonIds = [...new Set(f.reasons)].map((r) => table.ids.get(r)!).join(';');
    const score = round(f.score, 6);
    const date = f.date ?? '';
    if (f.type === 'cross-sell' && f.suggestions && f.suggestions.length > 0) {
      for (const s of f.suggestions) out += csvRow([f.customerId, f.type, score, s, reasonIds, date]);
    } else {
      out += csvRow([f.customerId, f.type, score, (f.suggestions ?? []).join('; '), reasonIds, date]);
    }
  }
  return out;
}

/** The scaled matrix k-means ran on: customer_id + featureNames, one row per customer. */
export function featuresCsv(result: MiningResult): string {
  let out = csvRow(['customer_id', ...result.featureNames]);
  result.customers.forEach((c, i) => {
    const row = result.scaledFeatures[i];
    const values: CsvValue[] = [c.customerId];
    for (let j = 0; j < result.featureNames.length; j++) values.push(row ? round(row[j] ?? NaN, 6) : '');
    out += csvRow(values);
  });
  return out;
}

/** Per-segment means over its customers (in original units), for summary.json and the SVG. */
export interface SegmentProfile {
  id: number;
  name: string;
  size: number;
  share: number;
  meanDaysSinceLastPurchase: number;
  meanFrequency: number;
  meanRecency: number;
  meanT: number;
  meanPAlive: number;
  meanChurnRisk: number;
  meanExpectedPurchases: number;
  /** Major units; null without amounts. */
  meanMonetary: number | null;
  meanClv: number | null;
  totalClv: number | null;
}

export function segmentProfiles(result: MiningResult, ctx: WriteContext): SegmentProfile[] {
  const groups = new Map<string, ScoredCustomer[]>();
  for (const c of result.customers) {
    let g = groups.get(c.segment);
    if (!g) {
      g = [];
      groups.set(c.segment, g);
    }
    g.push(c);
  }
  const total = result.customers.length;
  const segments: Segment[] = [...result.segments];
  // customers in a segment name that the segment table lacks still get a profile
  for (const name of groups.keys()) {
    if (!segments.some((s) => s.name === name)) segments.push({ id: -1, name, size: groups.get(name)!.length, centroid: {} });
  }
  return segments.map((s) => {
    const g = groups.get(s.name) ?? [];
    const mean = (fn: (c: ScoredCustomer) => number): number => (g.length === 0 ? 0 : g.reduce((acc, c) => acc + fn(c), 0) / g.length);
    const size = g.length > 0 ? g.length : s.size;
    return {
      id: s.id,
      name: s.name,
      size,
      share: total > 0 ? size / total : 0,
      meanDaysSinceLastPurchase: round(
        mean((c) => c.features.daysSinceLastPurchase),
        2,
      ),
      meanFrequency: round(
        mean((c) => c.features.frequency),
        4,
      ),
      meanRecency: round(
        mean((c) => c.features.recency),
        4,
      ),
      meanT: round(
        mean((c) => c.features.T),
        4,
      ),
      meanPAlive: round(
        mean((c) => c.pAlive),
        4,
      ),
      meanChurnRisk: round(
        mean((c) => c.churnRisk),
        4,
      ),
      meanExpectedPurchases: round(
        mean((c) => c.expectedPurchases),
        4,
      ),
      meanMonetary: ctx.hasAmounts ? major(mean((c) => c.features.monetary)) : null,
      meanClv: ctx.hasAmounts ? major(mean((c) => c.clvMinor)) : null,
      totalClv: ctx.hasAmounts ? major(g.reduce((acc, c) => acc + c.clvMinor, 0)) : null,
    };
  });
}

export interface SummaryInput {
  input: { file: string; format: string; layout: string };
  /** Time unit of the models and of frequency/recency/T. */
  unit: string;
  asOf: Date;
  options: Record<string, unknown>;
  counts: Record<string, number | null>;
  timingsMs: Record<string, number>;
}

export function summaryJson(result: MiningResult, ctx: WriteContext, extra: SummaryInput): string {
  const profiles = segmentProfiles(result, ctx);
  const flagCounts: Record<FlagType, number> = {
    'churn-risk': 0,
    'up-sell': 0,
    'cross-sell': 0,
    prospect: 0,
    'reorder-due': 0,
    moment: 0,
  };
  for (const f of result.flags) flagCounts[f.type] = (flagCounts[f.type] ?? 0) + 1;
  const summary = {
    input: extra.input,
    asOf: extra.asOf.toISOString().slice(0, 10),
    options: extra.options,
    units: {
      time: extra.unit,
      segmentMoney: ctx.hasAmounts ? 'major units (meanMonetary, meanClv, totalClv)' : 'none (no amounts in the input)',
      models: `as fitted by the pipeline: the purchase models' alpha (and beta) per ${extra.unit.replace(/s$/, '')}; Gamma-Gamma v in minor units`,
      tiers: 'meanClvMinor and meanSpendMinor in minor units',
      centroid: 'original feature units (money in minor units)',
    },
    k: result.k,
    inertia: result.inertia,
    segments: profiles.map((p) => ({ ...p, centroid: result.segments.find((s) => s.name === p.name)?.centroid ?? {} })),
    models: result.models,
    modelChoice: result.modelChoice,
    churn: result.churn,
    warnings: result.warnings,
    notes: result.notes,
    kSelection: result.kSelection ?? null,
    tiers: result.tiers,
    funnel: result.funnel,
    featureNames: result.featureNames,
    counts: { ...extra.counts, customers: result.customers.length, flags: flagCounts },
    timingsMs: extra.timingsMs,
  };
  return `${JSON.stringify(summary, null, 2)}\n`;
}
