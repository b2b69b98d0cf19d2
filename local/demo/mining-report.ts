/**
 * The demo's last step: a mining run through the real queue (POST /mining-runs, then the
 * worker's extract, fit, score and finalize phases), and a report a marketer can read: the
 * segment table, how the generator's hidden customer types landed in the segments, flag counts,
 * and the top candidates per flag with their reasons.
 */
import { ENV } from '../../layers/core/src/config.js';
import { FLAG_TYPES } from '../../layers/core/src/mining/types.js';
import type { DemoContext, DemoStep } from './index.js';
import type { LatentType } from './population.js';

export interface RunView {
  runId: string;
  phase: string;
  shards: { total: number; extracted: number; scored: number };
  timingsMs: Record<string, number>;
  summary: {
    customers: number;
    touchpoints: number;
    k: number;
    flags: Record<string, number>;
    segments: { name: string; size: number; share: number; centroid?: Record<string, number> }[];
    warnings?: string[];
    modelChoice?: { chosen?: string; criterion: string; candidates: { name: string; holdoutRmse?: number }[] };
    churn?: { horizonDays: number; evaluation?: { ece: number; auc: number } };
    tiers?: { tier: string; customers: number; share: number; meanClvMinor: number; clvShare: number }[];
    funnel?: {
      stages: Record<string, number>;
      conversion: { prospectToFirst: number | null; firstToRepeat: number | null; repeatToLoyal: number | null };
    } | null;
  } | null;
  errors: { phase: string; message: string }[];
}

interface FlagView {
  customerId: string;
  score: number;
  reasons: string[];
  suggestions?: string[];
  expectedValueMinor: number;
  segment: string;
}

export interface MiningReport {
  run: RunView;
  /** segment -> latent type -> customers. */
  crossTab: Record<string, Partial<Record<LatentType, number>>>;
  /** customerId -> the generated name (synthetic data, so the report may show it). */
  names?: Record<string, string>;
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);
const euros = (minor: number | undefined) => (minor === undefined ? '-' : `€${(minor / 100).toFixed(0)}`);

/** A JSON call to the running API with the demo key; a non-2xx answer throws with its status and body. */
export async function api<T>(ctx: DemoContext, key: string, path: string, init: RequestInit = {}): Promise<T> {
  const res = await ctx.fetch(`${ctx.baseUrl}${path}`, {
    ...init,
    headers: { 'x-api-key': key, 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export async function waitForRun(ctx: DemoContext, key: string, runId: string): Promise<RunView> {
  let last = '';
  for (;;) {
    const run = await api<RunView>(ctx, key, `/mining-runs/${runId}`);
    const line = `  mining ${run.phase}: shards extracted ${run.shards.extracted}/${run.shards.total}, scored ${run.shards.scored}/${run.shards.total}`;
    if (line !== last && ctx.progress) ctx.log(line);
    last = line;
    if (run.phase === 'completed' || run.phase === 'failed') return run;
    if (run.errors.length > 0 && ctx.progress) ctx.log(`  (retrying after: ${run.errors.at(-1)!.message})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Where each hidden type ended up: the test of whether mining found the structure. */
async function crossTab(ctx: DemoContext, key: string): Promise<Required<Pick<MiningReport, 'crossTab' | 'names'>>> {
  const customers = ctx.population?.customers ?? [];
  const table: MiningReport['crossTab'] = {};
  const names: Record<string, string> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < customers.length) {
        const c = customers[next++]!;
        const found = await api<{ customers: { id: string; mining: { segment: string } | null }[] }>(
          ctx,
          key,
          `/customers?email=${encodeURIComponent(c.email)}`,
        );
        const segment = found.customers[0]?.mining?.segment ?? '(not scored)';
        if (found.customers[0]) names[found.customers[0].id] = `${c.firstName} ${c.lastName}`;
        table[segment] ??= {};
        const row = table[segment];
        row[c.latentType] = (row[c.latentType] ?? 0) + 1;
      }
    }),
  );
  return { crossTab: table, names };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${Math.round(v * 100)}%`);

export function formatReport(
  run: RunView,
  tab: MiningReport['crossTab'],
  top: Record<string, FlagView[]>,
  names: Record<string, string> = {},
): string[] {
  const s = run.summary!;
  const chosen = s.modelChoice?.chosen;
  // The first column fits the longest segment name (qualified names run past 20 characters).
  const w = Math.max(20, ...s.segments.map((seg) => seg.name.length + 2), ...Object.keys(tab).map((name) => name.length + 2));
  const lines = [
    '',
    `  Mining run ${run.runId}: ${s.customers} customers, ${s.touchpoints} touchpoints, k = ${s.k}, ${(run.timingsMs.total ?? 0) / 1000} s over ${run.shards.total} shards`,
    ...(chosen
      ? [
          `  Purchase model: ${chosen} (by ${s.modelChoice!.criterion}; ${s
            .modelChoice!.candidates.map((c) => `${c.name} RMSE ${c.holdoutRmse?.toFixed(3) ?? '-'}`)
            .join(', ')})`,
        ]
      : []),
    ...(s.churn?.evaluation
      ? [
          `  Churn probability (${s.churn.horizonDays} days): out-of-time ECE ${s.churn.evaluation.ece.toFixed(3)}, AUC ${s.churn.evaluation.auc.toFixed(3)}`,
        ]
      : []),
    ...(s.warnings ?? []).map((w) => `  warning: ${w}`),
    '',
    `  ${pad('segment', w)}${lpad('customers', 10)}${lpad('share', 7)}${lpad('days since', 12)}${lpad('purchases', 11)}${lpad('avg order', 11)}${lpad('CLV', 8)}`,
  ];
  for (const seg of s.segments) {
    const c = seg.centroid ?? {};
    lines.push(
      `  ${pad(seg.name, w)}${lpad(seg.size, 10)}${lpad(`${Math.round(seg.share * 100)}%`, 7)}${lpad(c.daysSinceLastPurchase === undefined ? '-' : Math.round(c.daysSinceLastPurchase), 12)}` +
        `${lpad(c.frequency === undefined ? '-' : (c.frequency + 1).toFixed(1), 11)}${lpad(euros(c.averageOrderValue), 11)}${lpad(euros(c.meanClvMinor), 8)}`,
    );
  }
  const types: LatentType[] = ['loyal_big_spender', 'bargain_hunter', 'lapsing', 'new', 'complainer', 'prospect'];
  lines.push(
    '',
    `  Where the generator's hidden customer types landed (rows: segments):`,
    `  ${pad('', w)}${types.map((t) => lpad(t.replace(/_/g, ' '), 18)).join('')}`,
  );
  for (const [segment, row] of Object.entries(tab).sort()) {
    lines.push(`  ${pad(segment, w)}${types.map((t) => lpad(row[t] ?? 0, 18)).join('')}`);
  }
  if (s.tiers?.length) {
    lines.push('', `  ${pad('value tier', w)}${lpad('customers', 10)}${lpad('share', 7)}${lpad('mean CLV', 10)}${lpad('CLV share', 11)}`);
    for (const t of s.tiers)
      lines.push(
        `  ${pad(t.tier, w)}${lpad(t.customers, 10)}${lpad(pct(t.share), 7)}${lpad(euros(t.meanClvMinor), 10)}${lpad(pct(t.clvShare), 11)}`,
      );
  }
  if (s.funnel) {
    const f = s.funnel;
    lines.push(
      '',
      `  Funnel now: ${Object.entries(f.stages)
        .map(([stage, n]) => `${stage} ${n}`)
        .join(', ')}`,
      `  Conversion: prospect -> first purchase ${pct(f.conversion.prospectToFirst)}, first -> repeat ${pct(f.conversion.firstToRepeat)}, repeat -> loyal ${pct(f.conversion.repeatToLoyal)}`,
    );
  }
  lines.push(
    '',
    `  Flags: ${Object.entries(s.flags)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  );
  for (const [type, flags] of Object.entries(top)) {
    lines.push('', `  Top ${type} candidates:`);
    for (const f of flags) {
      const suggestion = f.suggestions?.length ? ` -> ${f.suggestions.slice(0, 3).join(', ')}` : '';
      const who = names[f.customerId] ? `${names[f.customerId]} (${f.customerId.slice(0, 8)})` : f.customerId;
      lines.push(`    ${f.score.toFixed(2)}  ${who}, ${f.segment}, ${euros(f.expectedValueMinor)}${suggestion}`);
      for (const reason of f.reasons.slice(0, 3)) lines.push(`          - ${reason}`);
    }
  }
  return lines;
}

export const miningStep: DemoStep = {
  name: 'mining',
  async run(ctx) {
    const key = ctx.env[ENV.apiKeys]
      ?.split(',')
      .map((k) => k.trim())
      .find(Boolean);
    if (!key) {
      ctx.log(`warning: ${ENV.apiKeys} is not set: skipping the mining run`);
      return;
    }
    try {
      ctx.log('');
      ctx.log('Mining the stored touchpoints (POST /mining-runs; the worker reads the mining queue)...');
      const started = await api<RunView>(ctx, key, '/mining-runs', { method: 'POST', body: '{}' });
      const run = await waitForRun(ctx, key, started.runId);
      if (run.phase !== 'completed' || !run.summary)
        throw new Error(`run ${run.runId} ended ${run.phase}: ${run.errors.map((e) => e.message).join('; ')}`);
      const top: Record<string, FlagView[]> = {};
      for (const type of FLAG_TYPES) {
        // The index orders by score; among the best 50 the report shows the most valuable three.
        const items = (await api<{ items: FlagView[] }>(ctx, key, `/flags?type=${type}&limit=50`)).items;
        const best = items.sort((a, b) => b.expectedValueMinor - a.expectedValueMinor || b.score - a.score).slice(0, 3);
        if (best.length) top[type] = best;
      }
      const { crossTab: tab, names } = await crossTab(ctx, key);
      ctx.mining = { run, crossTab: tab, names };
      for (const line of formatReport(run, tab, top, names)) ctx.log(line);
    } catch (error) {
      ctx.log(`warning: the mining run did not complete: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
};
