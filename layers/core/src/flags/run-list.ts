/**
 * GET /mining-runs: the runs newest first, from the runs index (store/keys.ts, MINING_RUNS), each
 * as a compact view: what GET /mining-runs/{id} says about its state, and the headline numbers of
 * its summary (the full summary, with centroids, models and response cells, stays on the run).
 */
import { shapeCheckedCursor } from '../http/cursor.js';
import { z } from 'zod';
import type { MiningStore } from '../store/mining-store.js';
import { runView } from './flag-service.js';

export const RUN_LIST_LIMITS = { MAX_PAGE: 50, DEFAULT_PAGE: 20, MAX_CURSOR: 256 } as const;
/** Errors a list item carries (the newest); errorCount says how many the run has. */
const LISTED_ERRORS = 3;

export const RunListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(RUN_LIST_LIMITS.MAX_PAGE).default(RUN_LIST_LIMITS.DEFAULT_PAGE),
  cursor: z.string().min(1).max(RUN_LIST_LIMITS.MAX_CURSOR).optional().meta({ description: 'nextCursor of the previous page' }),
});
export type RunListQuery = z.infer<typeof RunListQuery>;

const RunError = z.object({ phase: z.string(), shard: z.number().int().optional(), message: z.string(), at: z.string() });

export const MiningRunListItem = z
  .object({
    runId: z.string(),
    trigger: z.string().meta({ description: 'api, schedule, ... (what started the run)' }),
    phase: z
      .enum(['extracting', 'fitting', 'scoring', 'finalizing', 'completed', 'failed'])
      .meta({ description: 'A run without progress for too long reads as failed (stalled), as on GET /mining-runs/{id}' }),
    shards: z.object({ total: z.number().int(), extracted: z.number().int(), scored: z.number().int() }),
    createdAt: z.string().meta({ description: 'When the run started' }),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
    durationMs: z.number().nullable().meta({ description: 'Start to completion; null until the run completes' }),
    summary: z
      .object({
        customers: z.number().int().nullable(),
        touchpoints: z.number().int().nullable(),
        skippedCount: z.number().int().nullable(),
        k: z.number().int().nullable(),
        flags: z.record(z.string(), z.number().int()).meta({ description: 'Flags per type' }),
        segments: z.array(z.object({ name: z.string(), size: z.number().int(), share: z.number() })),
        warnings: z.array(z.string()),
      })
      .nullable()
      .meta({ description: "The summary's headline numbers; null until the run completes (GET /mining-runs/{id} has the whole summary)" }),
    errorCount: z.number().int(),
    errors: z.array(RunError).meta({ description: `The newest ${LISTED_ERRORS} errors` }),
  })
  .meta({ id: 'MiningRunListItem' });
export type MiningRunListItem = z.infer<typeof MiningRunListItem>;

export const MiningRunList = z
  .object({ items: z.array(MiningRunListItem), nextCursor: z.string().nullable() })
  .meta({ id: 'MiningRunList', description: 'Newest first; pass nextCursor as cursor for the next page (null: no more)' });
export type MiningRunList = z.infer<typeof MiningRunList>;

const RunCursor = z.strictObject({ createdAt: z.iso.datetime(), runId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/) });
type RunCursor = z.infer<typeof RunCursor>;
const runCursor = shapeCheckedCursor<RunCursor>(RunCursor);

export async function listMiningRuns(deps: { runs: MiningStore; now?: () => Date }, q: RunListQuery): Promise<MiningRunList> {
  const after = q.cursor ? runCursor.decode(q.cursor) : undefined;
  const page = await deps.runs.listRuns(q.limit, after);
  const now = deps.now?.() ?? new Date();
  return { items: page.items.map((run) => listItem(runView(run, now))), nextCursor: page.next ? runCursor.encode(page.next) : null };
}

const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : null);

function listItem(view: ReturnType<typeof runView>): MiningRunListItem {
  const s = view.summary;
  const segments = Array.isArray(s?.segments) ? (s.segments as Record<string, unknown>[]) : [];
  const flags = s?.flags && typeof s.flags === 'object' ? (s.flags as Record<string, unknown>) : {};
  return {
    runId: view.runId,
    trigger: view.trigger,
    phase: view.phase,
    shards: view.shards,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    completedAt: view.completedAt,
    durationMs: view.completedAt
      ? (int(view.timingsMs.total) ?? new Date(view.completedAt).getTime() - new Date(view.createdAt).getTime())
      : null,
    summary: s
      ? {
          customers: int(s.customers),
          touchpoints: int(s.touchpoints),
          skippedCount: int(s.skippedCount),
          k: int(s.k),
          flags: Object.fromEntries(Object.entries(flags).flatMap(([type, n]) => (int(n) === null ? [] : [[type, int(n)!]]))),
          segments: segments.map((g) => ({
            name: String(g.name ?? ''),
            size: int(g.size) ?? 0,
            share: typeof g.share === 'number' ? g.share : 0,
          })),
          warnings: Array.isArray(s.warnings) ? s.warnings.map((w) => (typeof w === 'string' ? w : JSON.stringify(w))) : [],
        }
      : null,
    errorCount: view.errors.length,
    errors: view.errors.slice(-LISTED_ERRORS),
  };
}
