import { z } from 'zod';
import { BadRequestError, NotFoundError, ValidationError } from '../errors.js';
import { liveOwners } from '../identity/resolver.js';
import type { CustomerStore } from '../store/customer-store.js';
import { cursorCodecFromHasher } from '../http/cursor.js';
import type { PiiHasher } from '../identity/pii-hasher.js';
import { customerPk, FLAGS_INDEX, flagSk, flagsIndexPk, flagsIndexSk, parseFlagsIndexSk } from '../store/keys.js';
import { isStalled, RUN_STALL_AFTER_MS, type FlagItem, type MiningStore, type RunRecord } from '../store/mining-store.js';
import { FLAG_TYPES } from '../mining/types.js';
import { LIFECYCLE_STAGES, VALUE_TIERS } from '../mining/lifecycle.js';

export { FLAG_TYPES };

export const FlagQuery = z.object({
  type: z.enum(FLAG_TYPES).optional(),
  segment: z.string().min(1).optional(),
  minScore: z.coerce.number().min(0).max(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).optional(),
});
export type FlagQuery = z.infer<typeof FlagQuery>;

export const FlagSchema = z
  .object({
    customerId: z.string(),
    runId: z.string(),
    type: z.enum(FLAG_TYPES),
    score: z.number().min(0).max(1),
    reasons: z.array(z.string()),
    suggestions: z.array(z.string()).optional(),
    date: z.string().optional().meta({ description: 'reorder-due: the expected purchase day; moment: the anniversary (YYYY-MM-DD)' }),
    expectedValueMinor: z.number().int(),
    expectedIncrementalValueMinor: z.number().int().optional().meta({
      description:
        'expectedValueMinor × the estimated chance that acting on the flag makes a difference (uplift against control groups, or the response rate before any controlled result), for the flag type and segment; absent until offers of that flag type have responses. The run ranks and budgets flags by it.',
    }),
    incrementalBasis: z.enum(['uplift', 'response-rate']).optional().meta({
      description:
        'uplift: measured against control groups. response-rate: no controlled result yet; the rate counts customers who would have bought anyway, so the value is an upper bound',
    }),
    segment: z.string(),
    lifecycle: z.enum(LIFECYCLE_STAGES).optional(),
    valueTier: z.enum(VALUE_TIERS).optional(),
    createdAt: z.string(),
    expiresAt: z.number().int().meta({ description: 'Epoch seconds after which the flag is stale' }),
  })
  .meta({ id: 'Flag' });

export interface FlagDeps {
  runs: MiningStore;
  store: CustomerStore;
  now: () => Date;
  /** The keyed PII hasher: the flags cursor's signing key is derived from it (http/cursor.ts). */
  hashPii: PiiHasher;
}

type FlagType = (typeof FLAG_TYPES)[number];
type IndexKey = { pk: string; sk: string; gsi1pk: string; gsi1sk: string };
type Cursor = Partial<Record<FlagType, IndexKey | null>>;

const IndexKeySchema = z.strictObject({
  pk: z.string().max(300),
  sk: z.string().max(100),
  gsi1pk: z.string().max(400),
  gsi1sk: z.string().max(400),
});
/** What a flags cursor holds: the query it pages (so it resumes only that query) and each type's place. */
const FlagsCursor = z.strictObject({
  q: z.string().max(1000),
  at: z.partialRecord(z.enum(FLAG_TYPES), IndexKeySchema.nullable()),
});

/** The query a cursor belongs to: a cursor of another run, type set, segment or minScore is refused. */
const queryOf = (runId: string, types: readonly FlagType[], segment?: string, minScore?: number) =>
  JSON.stringify([runId, types, segment ?? null, minScore ?? null]);

/** A resume key is the index key of a flag of this run and type, at or above minScore. */
function validIndexKey(key: IndexKey, runId: string, type: FlagType, minScore?: number): boolean {
  const index = parseFlagsIndexSk(key.gsi1sk);
  if (
    !index ||
    !Number.isFinite(index.score) ||
    !Number.isFinite(index.expectedValueMinor) ||
    flagsIndexSk(index.score, index.expectedValueMinor, index.customerId) !== key.gsi1sk
  )
    return false;
  if (minScore !== undefined && key.gsi1sk < minScore.toFixed(6)) return false;
  return key.pk === customerPk(index.customerId) && key.sk === flagSk(type) && key.gsi1pk === flagsIndexPk(runId, type);
}

/** Checks the signature and shape only: a forged cursor is a 400 even before any run exists. */
const readCursor = (deps: FlagDeps, cursor: string) => cursorCodecFromHasher(deps.hashPii).decode('flags', cursor, FlagsCursor);

function checkCursor(
  { q, at }: z.infer<typeof FlagsCursor>,
  query: string,
  runId: string,
  types: readonly FlagType[],
  minScore?: number,
): Cursor {
  // A type without an entry has not been read yet (it starts at the top); null = exhausted.
  const ownTypes = Object.keys(at).every((t) => (types as readonly string[]).includes(t));
  const validKeys = types.every((t) => !at[t] || validIndexKey(at[t], runId, t, minScore));
  if (q !== query || !ownTypes || !validKeys) throw new BadRequestError('cursor is not valid');
  return at;
}

const byIndexOrder = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);

async function latestRun(deps: FlagDeps): Promise<string> {
  const runId = await deps.runs.latestRunId();
  if (!runId) throw new NotFoundError('No mining run has completed yet: POST /mining-runs starts one');
  return runId;
}

/**
 * The run's own spelling of a segment name, matched without regard to case ("champions" finds
 * "Champions"); an unknown name is a 422 that lists the run's segments, not an empty page.
 */
export async function canonicalSegment(
  deps: Pick<FlagDeps, 'runs'>,
  runId: string,
  asked: string,
  path = 'query.segment',
): Promise<string> {
  const run = await deps.runs.getRun(runId, false);
  const names = ((run?.summary?.segments as { name?: unknown }[] | undefined) ?? []).map((s) => String(s.name ?? ''));
  const found = names.find((name) => name.toLowerCase() === asked.trim().toLowerCase());
  if (found === undefined) {
    throw new ValidationError(path.startsWith('query.') ? 'Invalid query parameters' : 'Invalid body', [
      { path, message: `unknown segment; the latest run's segments are ${names.join(', ') || 'none'}` },
    ]);
  }
  return found;
}

/**
 * Flags of the latest completed run, best first, read from the score-ordered index. Without a
 * type, the three types' index pages are merged by score and the cursor remembers each one's place.
 */
export async function listFlags(deps: FlagDeps, q: FlagQuery): Promise<{ runId: string; items: FlagItem[]; nextCursor: string | null }> {
  const signed = q.cursor ? readCursor(deps, q.cursor) : undefined;
  const runId = await latestRun(deps);
  const segment = q.segment === undefined ? undefined : await canonicalSegment(deps, runId, q.segment);
  const types = q.type ? [q.type] : [...FLAG_TYPES];
  const query = queryOf(runId, types, segment, q.minScore);
  const cursor: Cursor = signed ? checkCursor(signed, query, runId, types, q.minScore) : {};
  const nowEpoch = Math.floor(deps.now().getTime() / 1000);
  const pages = await Promise.all(
    types.map(async (type) => {
      if (cursor[type] === null) return { type, items: [] as FlagItem[], lastKey: undefined };
      const page = await deps.runs.flagsByScore({
        runId,
        type,
        minScore: q.minScore,
        segment,
        nowEpoch,
        limit: q.limit,
        startKey: cursor[type],
      });
      return { type, ...page };
    }),
  );
  const merged = pages
    .flatMap((p) => p.items)
    // Same order as the index (descending sort key, ties by customer id descending), or the
    // per-type resume points would skip or repeat flags with equal scores.
    .sort((a, b) =>
      byIndexOrder(flagsIndexSk(a.score, a.expectedValueMinor, a.customerId), flagsIndexSk(b.score, b.expectedValueMinor, b.customerId)),
    )
    .slice(0, q.limit);
  const next: Cursor = {};
  let more = false;
  for (const page of pages) {
    const returned = merged.filter((f) => f.type === page.type);
    const last = returned.at(-1);
    const exhausted = !page.lastKey && returned.length === page.items.length;
    if (exhausted) next[page.type] = null;
    else {
      more = true;
      // Resume after the last flag of this type we returned (or where we already were).
      next[page.type] = last
        ? {
            pk: customerPk(last.customerId),
            sk: flagSk(last.type),
            gsi1pk: flagsIndexPk(runId, last.type),
            gsi1sk: flagsIndexSk(last.score, last.expectedValueMinor, last.customerId),
          }
        : cursor[page.type];
    }
  }
  return { runId, items: merged, nextCursor: more ? cursorCodecFromHasher(deps.hashPii).encode('flags', { q: query, at: next }) : null };
}

/** The customer's flags from the latest completed run only: older runs' flags never mix in. */
export async function customerFlags(
  deps: FlagDeps,
  customerId: string,
): Promise<{ customerId: string; runId: string | null; items: FlagItem[] }> {
  const live = (await liveOwners(deps.store, [customerId], deps.now().toISOString())).get(customerId);
  if (!live || !(await deps.store.getProfile(live))) throw new NotFoundError(`Customer '${customerId}' not found`);
  const runId = (await deps.runs.latestRunId()) ?? null;
  const nowEpoch = Math.floor(deps.now().getTime() / 1000);
  const items = runId ? (await deps.runs.customerFlags(live)).filter((f) => f.runId === runId && f.expiresAt > nowEpoch) : [];
  return { customerId: live, runId, items: items.sort((a, b) => b.score - a.score) };
}

export async function latestSegments(
  deps: FlagDeps,
): Promise<{ runId: string; completedAt?: string; k?: unknown; segments: unknown; tiers: unknown }> {
  const runId = await latestRun(deps);
  const run = await deps.runs.getRun(runId, false);
  return {
    runId,
    completedAt: run?.completedAt,
    k: run?.summary?.k,
    segments: run?.summary?.segments ?? [],
    tiers: run?.summary?.tiers ?? [],
  };
}

/** The latest run's funnel (lifecycle stages and stage-to-stage conversion) and value tiers. */
export async function latestFunnel(deps: FlagDeps): Promise<{ runId: string; completedAt?: string; funnel: unknown; tiers: unknown }> {
  const runId = await latestRun(deps);
  const run = await deps.runs.getRun(runId, false);
  return { runId, completedAt: run?.completedAt, funnel: run?.summary?.funnel ?? null, tiers: run?.summary?.tiers ?? [] };
}

/** What GET /mining-runs/{id} and POST /mining-runs answer; runView must produce exactly this. */
export const MiningRunView = z
  .object({
    runId: z.string(),
    trigger: z.string(),
    phase: z.enum(['extracting', 'fitting', 'scoring', 'finalizing', 'completed', 'failed']),
    shards: z.object({ total: z.number().int(), extracted: z.number().int(), scored: z.number().int() }),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
    timingsMs: z.record(z.string(), z.number()),
    summary: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: 'Customers, touchpoints, flag counts, k, model parameters, segment table' }),
    errors: z.array(z.object({ phase: z.string(), shard: z.number().int().optional(), message: z.string(), at: z.string() })),
    skipped: z
      .array(z.object({ customerId: z.string(), reason: z.string() }))
      .optional()
      .meta({ description: 'Customers the run could not extract or score and left out (the first 100; set when the run completes)' }),
    skippedCount: z.number().int().optional().meta({ description: 'How many customers the run skipped in all' }),
  })
  .meta({ id: 'MiningRun' });

/**
 * A run that has made no progress for RUN_STALL_AFTER_MS while not completed reads as failed
 * ("stalled"), so nobody waits on it; the job fails it for good if a message for it still arrives.
 */
export function runView(run: RunRecord, now: Date = new Date()): z.infer<typeof MiningRunView> {
  const stalled = isStalled(run, now);
  return {
    runId: run.runId,
    trigger: run.trigger,
    phase: stalled ? 'failed' : run.phase,
    shards: {
      total: run.totalShards,
      extracted: run.extractedShards?.size ?? 0,
      scored: run.scoredShards?.size ?? 0,
    },
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    completedAt: run.completedAt ?? null,
    timingsMs: run.timingsMs ?? {},
    summary: run.summary ?? null,
    errors: [
      ...(run.errors ?? []),
      ...(stalled
        ? [
            {
              phase: run.phase,
              message: `stalled: no progress since ${run.updatedAt} (more than ${RUN_STALL_AFTER_MS / 60_000} min)`,
              at: now.toISOString(),
            },
          ]
        : []),
    ],
    ...(run.skipped ? { skipped: run.skipped } : {}),
    ...(run.skippedCount !== undefined ? { skippedCount: run.skippedCount } : {}),
  };
}

export async function getRunView(deps: { runs: MiningStore }, runId: string) {
  // Run ids are ULIDs: anything else (the LATEST pointer's key among them) names no run.
  const run = /^[0-9A-HJKMNP-TV-Z]{26}$/.test(runId) ? await deps.runs.getRun(runId, false) : undefined;
  if (!run) throw new NotFoundError(`Mining run '${runId}' not found`);
  return runView(run);
}
export { FLAGS_INDEX };
