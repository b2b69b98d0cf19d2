import { outboundEvent, type EventPublisher, type OutboundEvent } from '../outbound/events.js';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ulid } from 'ulid';
import { NotFoundError } from '../errors.js';
import { MINING_RUN_DURATION_METRIC } from '../metric-names.js';
import { metrics } from '../observability.js';
import type { CustomerHistory, Flag, MiningOptions, MiningResult, ScoredCustomer, Segment } from '../mining/types.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { Item } from '../store/dynamo.js';
import { parseCustomerPk, PROFILE_SK, TOUCHPOINT_PREFIX } from '../store/keys.js';
import { FLAG_TYPES } from '../mining/types.js';
import { logger } from '../observability.js';
import { countResponses, emptyShardResponses, offerCells, poolResponses, responseStatsOf, type ShardResponses } from './responses.js';
import {
  isStalled,
  MAX_SKIPPED_STORED,
  RUN_STALL_AFTER_MS,
  type CustomerMiningItem,
  type FlagItem,
  type MiningStore,
  type RunRecord,
  type SkippedCustomer,
} from '../store/mining-store.js';
import type { MessageQueue } from '../store/queue.js';
import { computeFeatures } from '../mining/features.js';
import { quantileGrid } from '../mining/segments.js';
import {
  countIntoFunnel,
  emptyFunnelCounts,
  funnelOf,
  mergeFunnelCounts,
  transactionsOf,
  VALUE_TIERS,
  type FunnelCounts,
} from '../mining/lifecycle.js';
import { decodeHistory, encodeHistory, historyFromItems, historyProblem } from './histories.js';
import type { MiningMessage } from './messages.js';
import { MINING_DEFAULTS } from '../mining/defaults.js';
import { hash31, lcg32 } from '../random.js';
import { DAY_S } from '../time.js';

/** The mining core as the job uses it: fit once on a bounded sample, then score shard by shard. */
export interface MiningEngine<Model = unknown> {
  fit(sample: CustomerHistory[], options: MiningOptions): Model;
  score(histories: CustomerHistory[], model: Model, options: MiningOptions): { customers: ScoredCustomer[]; flags: Flag[] };
  describe(model: Model): ModelSummary;
}

/** What a run's summary says about its model (pipeline.ts describeModel; optional parts for other engines). */
export interface ModelSummary {
  k: number;
  segments: Segment[];
  models: MiningResult['models'];
  modelChoice?: MiningResult['modelChoice'];
  churn?: MiningResult['churn'];
  warnings?: string[];
  notes?: string[];
  kSelection?: MiningResult['kSelection'];
}

export interface MiningJobSettings {
  /** Parallel scan segments when a trigger does not say. */
  defaultShards: number;
  /** Customers the models and k-means are fitted on: bounds the fit's memory and time. */
  sampleSize: number;
  flagTtlDays: number;
  options?: Partial<MiningOptions>;
  /** A run without progress for this long is failed as stalled (default RUN_STALL_AFTER_MS). */
  stallAfterMs?: number;
}

export interface MiningJobDeps {
  runs: MiningStore;
  artifacts: ArtifactStore;
  queue: MessageQueue;
  engine: MiningEngine<unknown>;
  now: () => Date;
  settings: MiningJobSettings;
  /** Where flag.raised and flag.cleared are announced when a run completes. */
  events?: EventPublisher;
}

const shardKey = (runId: string, shard: number) => `runs/${runId}/shards/${String(shard).padStart(4, '0')}.jsonl`;
const modelKey = (runId: string) => `runs/${runId}/model.json`;
const shardResponsesKey = (runId: string, shard: number) => `runs/${runId}/responses/${String(shard).padStart(4, '0')}.json`;
const responsesKey = (runId: string) => `runs/${runId}/responses.json`;
/** Response-rate cells the run summary keeps (the most offered first); all of them are in responses.json. */
const MAX_SUMMARY_RESPONSE_CELLS = 300;

/** What starting a run needs: no artifact bucket (the API function that starts runs has none). */
export type RunStarterDeps = Pick<MiningJobDeps, 'runs' | 'queue' | 'now' | 'settings'>;

export async function startRun(deps: RunStarterDeps, args: { trigger: string; shards?: number }): Promise<RunRecord> {
  const now = deps.now().toISOString();
  const previousRunId = await deps.runs.latestRunId();
  const run: RunRecord = {
    runId: ulid(),
    ...(previousRunId ? { previousRunId } : {}),
    trigger: args.trigger,
    phase: 'extracting',
    totalShards: args.shards ?? deps.settings.defaultShards,
    createdAt: now,
    updatedAt: now,
    shardStats: {},
    timingsMs: {},
  };
  await deps.runs.createRun(run);
  await deps.queue.send(
    Array.from({ length: run.totalShards }, (_, shard) => ({ kind: 'extract', runId: run.runId, shard, totalShards: run.totalShards })),
  );
  return run;
}

/**
 * One queue message. Every step writes to keys derived from (run, shard), records its shard in a
 * set and only then enqueues the next step, so a redelivery repeats work but never double-counts,
 * and a crash between "done" and "enqueue" is healed by the redelivery enqueuing again.
 */
export async function handleMiningMessage(
  deps: MiningJobDeps,
  message: MiningMessage,
  delivery: { finalAttempt?: boolean } = {},
): Promise<void> {
  if (message.kind === 'start') {
    await startRun(deps, { trigger: message.trigger, shards: message.shards });
    return;
  }
  const run = await deps.runs.getRun(message.runId);
  if (!run) throw new NotFoundError(`Mining run ${message.runId} does not exist`);
  if (run.phase === 'completed' || run.phase === 'failed') return;
  const shard = 'shard' in message ? message.shard : undefined;
  const stallAfterMs = deps.settings?.stallAfterMs ?? RUN_STALL_AFTER_MS;
  if (isStalled(run, deps.now(), stallAfterMs)) {
    // Runs read as failed once stalled (runView): a late message must not bring one back.
    const at = deps.now().toISOString();
    await deps.runs.recordError(run.runId, {
      phase: run.phase,
      message: `stalled: no progress since ${run.updatedAt} (more than ${Math.round(stallAfterMs / 60_000)} min)`,
      at,
    });
    await deps.runs.failRun(run.runId, at);
    return;
  }
  try {
    switch (message.kind) {
      case 'extract':
        return await extract(deps, run, message.shard);
      case 'fit':
        return await fit(deps, run);
      case 'score':
        return await score(deps, run, message.shard);
      case 'finalize':
        return await finalize(deps, run);
    }
  } catch (error) {
    await deps.runs.recordError(run.runId, {
      phase: message.kind,
      ...(shard !== undefined ? { shard } : {}),
      message: truncate(error instanceof Error ? error.message : String(error), 1000),
      at: deps.now().toISOString(),
    });
    // A failure that a retry would only repeat ends the run at once (the message is done).
    if (error instanceof RunFailure) {
      await deps.runs.failRun(run.runId, deps.now().toISOString());
      return;
    }
    // The message goes to the DLQ after this: the run cannot complete any more.
    if (delivery.finalAttempt) await deps.runs.failRun(run.runId, deps.now().toISOString());
    throw error;
  }
}

/** A failure of the run itself, not of one customer, that no redelivery can heal (e.g. the fit throws on its fixed sample). */
export class RunFailure extends Error {
  override name = 'RunFailure';
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Per shard, a share of MAX_SKIPPED_STORED, so the run record stays small whatever the shard count. */
const skippedPerShard = (run: RunRecord) => Math.max(1, Math.ceil(MAX_SKIPPED_STORED / run.totalShards));

function skippedStats(run: RunRecord, skipped: SkippedCustomer[]): { skipped?: SkippedCustomer[]; skippedCount?: number } {
  if (!skipped.length) return {};
  return {
    skipped: skipped.slice(0, skippedPerShard(run)).map((s) => ({ customerId: s.customerId, reason: truncate(s.reason, 200) })),
    skippedCount: skipped.length,
  };
}

/** The run's skipped customers pooled from its shards' stats (extract and score). */
function pooledSkipped(run: RunRecord): { skipped: SkippedCustomer[]; skippedCount: number } {
  const stats = Object.entries(run.shardStats ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return {
    skipped: stats.flatMap(([, s]) => s.skipped ?? []).slice(0, MAX_SKIPPED_STORED),
    skippedCount: stats.reduce((n, [, s]) => n + (s.skippedCount ?? 0), 0),
  };
}

function options(deps: MiningJobDeps, run: RunRecord): MiningOptions {
  return { asOf: new Date(run.createdAt), unit: MINING_DEFAULTS.unit, seed: MINING_DEFAULTS.seed, ...deps.settings.options };
}

async function extract(deps: MiningJobDeps, run: RunRecord, shard: number): Promise<void> {
  const started = Date.now();
  const byCustomer = new Map<string, Item[]>();
  const merged = new Set<string>();
  const responses = emptyShardResponses();
  const asOfMs = Date.parse(run.createdAt);
  for await (const page of deps.runs.scanCustomerItems(shard, run.totalShards)) {
    for (const item of page) {
      const id = parseCustomerPk(String(item.pk));
      if (id === undefined) continue; // the scan returns customer partitions only
      if (item.sk === PROFILE_SK) {
        if (item.mergedInto) merged.add(id);
        continue;
      }
      if (!String(item.sk).startsWith(TOUCHPOINT_PREFIX)) {
        // An offer or assignment: counted for the responses, never part of the purchase history.
        try {
          countResponses(responses, item, asOfMs);
        } catch (error) {
          logger.warn('offer or assignment not counted', { customerId: id, sk: String(item.sk), error: errorText(error) });
        }
        continue;
      }
      const list = byCustomer.get(id) ?? [];
      list.push(item);
      byCustomer.set(id, list);
    }
  }
  // One customer's items can hold anything (a number past 2^53, a BigInt, NaN, a string where a
  // number belongs, a date that is not one): such a customer is skipped, never the shard.
  const lines: { customerId: string; line: unknown }[] = [];
  const skipped: SkippedCustomer[] = [];
  for (const [id, items] of byCustomer) {
    if (merged.has(id)) continue;
    try {
      const history = historyFromItems(id, items);
      const problem = historyProblem(history);
      if (problem) skipped.push({ customerId: id, reason: `extract: ${problem}` });
      else lines.push({ customerId: id, line: encodeHistory(history) });
    } catch (error) {
      skipped.push({ customerId: id, reason: `extract: ${errorText(error)}` });
    }
  }
  lines.sort((a, b) => a.customerId.localeCompare(b.customerId));
  skipped.sort((a, b) => a.customerId.localeCompare(b.customerId));
  await deps.artifacts.putLines(
    shardKey(run.runId, shard),
    lines.map((l) => l.line),
  );
  await deps.artifacts.putJson(shardResponsesKey(run.runId, shard), responses);
  const touchpoints = [...byCustomer.values()].reduce((n, items) => n + items.length, 0);
  const updated = await deps.runs.markShard(
    run.runId,
    'extractedShards',
    shard,
    { customers: lines.length, touchpoints, ...skippedStats(run, skipped), ms: Date.now() - started },
    deps.now().toISOString(),
  );
  if ((updated.extractedShards?.size ?? 0) >= run.totalShards) await deps.queue.send([{ kind: 'fit', runId: run.runId }]);
}

/** Reservoir sample over all shards with a PRNG seeded by the run, so a refit picks the same sample. */
async function sampleHistories(deps: MiningJobDeps, run: RunRecord): Promise<CustomerHistory[]> {
  const size = deps.settings.sampleSize;
  const sample: CustomerHistory[] = [];
  let seen = 0;
  const random = lcg32(hash31(run.runId));
  const opts = options(deps, run);
  for (let shard = 0; shard < run.totalShards; shard++) {
    for (const raw of await deps.artifacts.getLines<unknown>(shardKey(run.runId, shard))) {
      // Extract left implausible histories out; one that still is (an older shard file) stays out
      // of the fit too (scoring reports it).
      const history = fittable(raw, opts);
      if (!history) continue;
      seen++;
      if (sample.length < size) sample.push(history);
      else {
        const j = Math.floor(random() * seen);
        if (j < size) sample[j] = history;
      }
    }
  }
  return sample;
}

/** A history the fit can take: plausible values, and features that compute to finite numbers. */
function fittable(raw: unknown, opts: MiningOptions): CustomerHistory | undefined {
  try {
    const history = decodeHistory(raw);
    if (historyProblem(history)) return undefined;
    const features = computeFeatures(history, opts.asOf, opts.unit);
    for (const value of Object.values(features)) if (typeof value === 'number' && !Number.isFinite(value)) return undefined;
    return history;
  } catch {
    return undefined;
  }
}

async function fit(deps: MiningJobDeps, run: RunRecord): Promise<void> {
  const started = Date.now();
  await deps.runs.advance(run.runId, 'fitting', ['extracting']);
  const sample = await sampleHistories(deps, run);
  if (sample.length === 0) {
    const completedAt = deps.now().toISOString();
    if (
      await deps.runs.advance(run.runId, 'completed', ['fitting'], {
        completedAt,
        summary: { customers: 0, note: 'no customers to mine', skippedCount: pooledSkipped(run).skippedCount },
        ...pooledSkipped(run),
      })
    ) {
      recordRunDuration(run, completedAt);
    }
    return;
  }
  const responses = await pooledShardResponses(deps, run);
  await deps.artifacts.putJson(responsesKey(run.runId), responses);
  let model: unknown;
  try {
    model = deps.engine.fit(sample, { ...options(deps, run), responses: responseStatsOf(responses) });
  } catch (error) {
    // The sample is fixed by the run (seeded), so a retry would fail the same way.
    throw new RunFailure(`fit failed on ${sample.length} customers: ${errorText(error)}`);
  }
  await deps.artifacts.putJson(modelKey(run.runId), model);
  await deps.runs.setTiming(run.runId, 'fit', Date.now() - started);
  await deps.runs.advance(run.runId, 'scoring', ['extracting', 'fitting'], { sampleSize: sample.length });
  const scored = new Set(run.scoredShards ?? []);
  await deps.queue.send(
    Array.from({ length: run.totalShards }, (_, shard) => shard)
      .filter((shard) => !scored.has(String(shard)))
      .map((shard) => ({ kind: 'score', runId: run.runId, shard })),
  );
}

async function score(deps: MiningJobDeps, run: RunRecord, shard: number): Promise<void> {
  const started = Date.now();
  const model = await deps.artifacts.getJson<unknown>(modelKey(run.runId));
  const raw = await deps.artifacts.getLines<unknown>(shardKey(run.runId, shard));
  const { result, skipped } = scoreEach(deps, raw, model, options(deps, run));
  const now = deps.now();
  const createdAt = now.toISOString();
  const expiresAt = Math.floor(now.getTime() / 1000) + deps.settings.flagTtlDays * DAY_S;
  const customerOf = new Map(result.customers.map((c) => [c.customerId, c]));
  const flags: FlagItem[] = result.flags.map((f) => ({
    customerId: f.customerId,
    runId: run.runId,
    type: f.type,
    score: f.score,
    reasons: f.reasons,
    ...(f.suggestions?.length ? { suggestions: f.suggestions } : {}),
    ...(f.date ? { date: f.date } : {}),
    ...(f.occasion ? { occasion: f.occasion } : {}),
    expectedValueMinor: Math.round(f.expectedValueMinor),
    ...(Number.isFinite(f.expectedIncrementalValueMinor)
      ? { expectedIncrementalValueMinor: Math.round(f.expectedIncrementalValueMinor!), incrementalBasis: f.incrementalBasis }
      : {}),
    segment: customerOf.get(f.customerId)?.segment ?? 'unknown',
    ...lifecycleAndTier(customerOf.get(f.customerId)),
    createdAt,
    expiresAt,
  }));
  await markRaised(deps, run, flags);
  const mining: CustomerMiningItem[] = result.customers.map((c) => ({
    customerId: c.customerId,
    runId: run.runId,
    segment: c.segment,
    clvMinor: Math.round(c.clvMinor),
    pAlive: c.pAlive,
    expectedPurchases: c.expectedPurchases,
    churnRisk: c.churnRisk,
    ...(c.churnProbability !== undefined ? { churnProbability: c.churnProbability } : {}),
    ...(c.model !== undefined ? { model: c.model } : {}),
    ...(c.lifecycle !== undefined ? { lifecycle: c.lifecycle } : {}),
    ...(c.valueTier !== undefined ? { valueTier: c.valueTier } : {}),
    ...(c.nextPurchaseDate !== undefined ? { nextPurchaseDate: c.nextPurchaseDate } : {}),
    scoredAt: createdAt,
  }));
  await deps.runs.writeResults(flags, mining);
  const count = <T>(xs: T[], key: (x: T) => string) => {
    const counts: Record<string, number> = {};
    for (const x of xs) counts[key(x)] = (counts[key(x)] ?? 0) + 1;
    return counts;
  };
  const updated = await deps.runs.markShard(
    run.runId,
    'scoredShards',
    shard,
    {
      customers: mining.length,
      flags: count(flags, (f) => f.type),
      segments: count(mining, (m) => m.segment),
      ...shardTiersAndFunnel(result.customers),
      // The shard's CLV distribution: finalize pools them into the run's percentiles (top tier).
      ...(mining.length
        ? {
            clvGrid: quantileGrid(
              mining.map((m) => m.clvMinor),
              101,
            ),
          }
        : {}),
      ...skippedStats(run, skipped),
      ms: Date.now() - started,
    },
    createdAt,
  );
  if ((updated.scoredShards?.size ?? 0) >= run.totalShards) await deps.queue.send([{ kind: 'finalize', runId: run.runId }]);
}

const finiteScores = (c: ScoredCustomer) =>
  [c.clvMinor, c.pAlive, c.expectedPurchases, c.churnRisk].every((v) => typeof v === 'number' && Number.isFinite(v));
const finiteFlag = (f: Flag) => Number.isFinite(f.score) && Number.isFinite(f.expectedValueMinor);

/**
 * Scores a shard so that one customer cannot fail it: implausible histories are skipped first;
 * when the engine throws on the batch, each customer is scored alone and the ones it throws on
 * are skipped (unless it throws on every one: then the model, not a customer, is at fault);
 * a customer whose results are not finite numbers (NaN would fail the shard's write) is skipped.
 */
function scoreEach(
  deps: MiningJobDeps,
  raw: unknown[],
  model: unknown,
  opts: MiningOptions,
): { result: { customers: ScoredCustomer[]; flags: Flag[] }; skipped: SkippedCustomer[] } {
  const skipped: SkippedCustomer[] = [];
  const histories: CustomerHistory[] = [];
  for (const line of raw) {
    const id = String((line as { customerId?: unknown } | null)?.customerId ?? 'unknown');
    try {
      const history = decodeHistory(line);
      const problem = historyProblem(history);
      if (problem) skipped.push({ customerId: id, reason: `score: ${problem}` });
      else histories.push(history);
    } catch (error) {
      skipped.push({ customerId: id, reason: `score: ${errorText(error)}` });
    }
  }
  let result: { customers: ScoredCustomer[]; flags: Flag[] };
  try {
    result = deps.engine.score(histories, model, opts);
  } catch (batchError) {
    const customers: ScoredCustomer[] = [];
    const flags: Flag[] = [];
    const failed: SkippedCustomer[] = [];
    for (const history of histories) {
      try {
        const one = deps.engine.score([history], model, opts);
        customers.push(...one.customers);
        flags.push(...one.flags);
      } catch (error) {
        failed.push({ customerId: history.customerId, reason: `score: ${errorText(error)}` });
      }
    }
    if (histories.length > 1 && failed.length === histories.length) throw batchError;
    skipped.push(...failed);
    result = { customers, flags };
  }
  const bad = new Set(result.customers.filter((c) => !finiteScores(c)).map((c) => c.customerId));
  for (const f of result.flags) if (!finiteFlag(f)) bad.add(f.customerId);
  for (const id of bad) skipped.push({ customerId: id, reason: 'score: a result is not a finite number' });
  skipped.sort((a, b) => a.customerId.localeCompare(b.customerId));
  return {
    result: bad.size
      ? { customers: result.customers.filter((c) => !bad.has(c.customerId)), flags: result.flags.filter((f) => !bad.has(f.customerId)) }
      : result,
    skipped,
  };
}

/** The shards' response counts, pooled (a shard file missing, e.g. from a run extracted before responses, counts nothing). */
async function pooledShardResponses(deps: MiningJobDeps, run: RunRecord): Promise<ShardResponses> {
  const shards: ShardResponses[] = [];
  for (let shard = 0; shard < run.totalShards; shard++) {
    shards.push(await deps.artifacts.getJson<ShardResponses>(shardResponsesKey(run.runId, shard)).catch(() => emptyShardResponses()));
  }
  return poolResponses(shards);
}

/** The summary's response-rate cells: the most offered first, at most MAX_SUMMARY_RESPONSE_CELLS. */
async function summaryResponses(deps: MiningJobDeps, run: RunRecord) {
  const pooled = await deps.artifacts.getJson<ShardResponses>(responsesKey(run.runId)).catch(() => emptyShardResponses());
  const cells = offerCells(pooled).sort((a, b) => b.offers + b.pending - (a.offers + a.pending));
  return { cells: cells.slice(0, MAX_SUMMARY_RESPONSE_CELLS), cellsLeftOut: Math.max(0, cells.length - MAX_SUMMARY_RESPONSE_CELLS) };
}

async function finalize(deps: MiningJobDeps, run: RunRecord): Promise<void> {
  const model = await deps.artifacts.getJson<unknown>(modelKey(run.runId));
  const described = deps.engine.describe(model);
  const stats = Object.entries(run.shardStats ?? {});
  const sum = (prefix: string, field: 'customers' | 'touchpoints' | 'ms') =>
    stats.filter(([k]) => k.startsWith(prefix)).reduce((n, [, s]) => n + (s[field] ?? 0), 0);
  const merge = (field: 'flags' | 'segments') => {
    const total: Record<string, number> = {};
    for (const [k, s] of stats)
      if (k.startsWith('scoredShards')) for (const [name, n] of Object.entries(s[field] ?? {})) total[name] = (total[name] ?? 0) + n;
    return total;
  };
  const segmentSizes = merge('segments');
  const customers = sum('scoredShards', 'customers');
  const completedAt = deps.now().toISOString();
  const { skipped, skippedCount } = pooledSkipped(run);
  const scoredStats = stats.filter(([k]) => k.startsWith('scoredShards')).map(([, s]) => s);
  const summary = {
    customers,
    skippedCount,
    ...(described.modelChoice ? { modelChoice: described.modelChoice } : {}),
    ...(described.churn ? { churn: described.churn } : {}),
    warnings: described.warnings ?? [],
    notes: described.notes ?? [],
    ...(described.kSelection ? { kSelection: described.kSelection } : {}),
    tiers: pooledTiers(scoredStats),
    funnel: funnelOf(mergeFunnelCounts(scoredStats.flatMap((s) => (s.funnel ? [s.funnel] : [])))),
    clvPercentiles: pooledPercentiles(stats.filter(([k]) => k.startsWith('scoredShards')).map(([, s]) => s)),
    touchpoints: sum('extractedShards', 'touchpoints'),
    responses: await summaryResponses(deps, run),
    flags: merge('flags'),
    k: described.k,
    models: described.models,
    segments: [
      ...described.segments.map((s) => ({ name: s.name, centroid: s.centroid as Record<string, number> | undefined })),
      // Groups the engine keeps outside k-means (e.g. prospects without a purchase) still count.
      ...Object.keys(segmentSizes)
        .filter((name) => !described.segments.some((s) => s.name === name))
        .map((name) => ({ name, centroid: undefined })),
    ].map((s) => ({
      name: s.name,
      size: segmentSizes[s.name] ?? 0,
      share: customers ? (segmentSizes[s.name] ?? 0) / customers : 0,
      ...(s.centroid ? { centroid: s.centroid } : {}),
    })),
  };
  const timingsMs = {
    ...(run.timingsMs ?? {}),
    extract: sum('extractedShards', 'ms'),
    score: sum('scoredShards', 'ms'),
    total: new Date(completedAt).getTime() - new Date(run.createdAt).getTime(),
  };
  // Announced before the run is published: a crash in between re-announces on the redelivery,
  // under the same event ids (delivered once); after publishing, a redelivery stops at 'completed'.
  if (deps.events) await announceFlagChanges(deps, deps.events, run, Object.keys(summary.flags));
  if (
    await deps.runs.advance(run.runId, 'completed', ['scoring', 'finalizing'], { summary, completedAt, timingsMs, skipped, skippedCount })
  ) {
    await deps.runs.publishLatest(run.runId, completedAt);
    recordRunDuration(run, completedAt);
  }
}

/**
 * Marks the flags the previous run did not raise (read before this run overwrites them). A flag
 * item is per customer and type, so what the previous run flagged is what still carries its id.
 */
async function markRaised(deps: MiningJobDeps, run: RunRecord, flags: FlagItem[]): Promise<void> {
  const current = await deps.runs.currentFlagRuns(flags);
  for (const f of flags) {
    const before = current.get(`${f.customerId}|${f.type}`);
    // A redelivered shard finds its own run's flag: what the first delivery decided stands.
    const raised = before?.runId === run.runId ? before.raised : before === undefined || before.runId !== run.previousRunId;
    if (raised) f.raised = true;
  }
}

/** Max events per announcement (SQS batches of ten, a bounded message count per call). */
const ANNOUNCE_BATCH = 500;

/**
 * flag.raised for this run's new flags, flag.cleared for the previous run's flags this run did not
 * raise again (their items still carry the previous run's id: nothing overwrote them).
 */
async function announceFlagChanges(deps: MiningJobDeps, events: EventPublisher, run: RunRecord, types: readonly string[]): Promise<void> {
  const nowEpoch = Math.floor(deps.now().getTime() / 1000);
  const at = deps.now();
  const pending: OutboundEvent[] = [];
  const flush = async (force = false) => {
    while (pending.length >= ANNOUNCE_BATCH || (force && pending.length)) await events.publish(pending.splice(0, ANNOUNCE_BATCH));
  };
  for (const type of FLAG_TYPES) {
    if (types.includes(type)) {
      for await (const page of deps.runs.flagsOfRun(run.runId, type, nowEpoch)) {
        for (const f of page.filter((x) => x.raised)) pending.push(flagEvent('flag.raised', run.runId, f, at));
        await flush();
      }
    }
    if (run.previousRunId) {
      for await (const page of deps.runs.flagsOfRun(run.previousRunId, type, nowEpoch)) {
        for (const f of page) pending.push(flagEvent('flag.cleared', run.runId, f, at));
        await flush();
      }
    }
  }
  await flush(true);
}

function flagEvent(type: 'flag.raised' | 'flag.cleared', runId: string, f: FlagItem, at: Date): OutboundEvent {
  const data =
    type === 'flag.raised'
      ? {
          customerId: f.customerId,
          flagType: f.type,
          runId,
          score: f.score,
          reasons: f.reasons,
          segment: f.segment,
          ...(f.valueTier ? { valueTier: f.valueTier } : {}),
          expectedValueMinor: f.expectedValueMinor,
          ...(f.expectedIncrementalValueMinor !== undefined ? { expectedIncrementalValueMinor: f.expectedIncrementalValueMinor } : {}),
          ...(f.date ? { date: f.date } : {}),
        }
      : { customerId: f.customerId, flagType: f.type, runId, previousRunId: f.runId };
  return outboundEvent(type, [runId, f.customerId, f.type], data, at);
}

/** The customer's lifecycle stage and value tier, copied onto each of their flags (a list reads without a lookup). */
function lifecycleAndTier(c: ScoredCustomer | undefined): Pick<FlagItem, 'lifecycle' | 'valueTier'> {
  return { ...(c?.lifecycle ? { lifecycle: c.lifecycle } : {}), ...(c?.valueTier ? { valueTier: c.valueTier } : {}) };
}

/** A shard's customers per value tier (with CLV and spend sums) and its funnel counts. */
function shardTiersAndFunnel(customers: readonly ScoredCustomer[]): {
  tiers: Record<string, { customers: number; clvMinor: number; spendMinor: number }>;
  funnel: FunnelCounts;
} {
  const tiers: Record<string, { customers: number; clvMinor: number; spendMinor: number }> = {};
  const funnel = emptyFunnelCounts();
  for (const c of customers) {
    if (!c.valueTier || !c.lifecycle) continue;
    const t = tiers[c.valueTier] ?? { customers: 0, clvMinor: 0, spendMinor: 0 };
    tiers[c.valueTier] = t;
    t.customers++;
    t.clvMinor += Math.round(c.clvMinor);
    t.spendMinor += Math.round(c.features.totalSpend);
    countIntoFunnel(funnel, c.lifecycle, transactionsOf(c.features));
  }
  return { tiers, funnel };
}

/** The run's tier table from its shards' sums (same shape as mine()'s tierTable). */
export function pooledTiers(shards: readonly { tiers?: Record<string, { customers: number; clvMinor: number; spendMinor: number }> }[]) {
  const sums = new Map<string, { customers: number; clvMinor: number; spendMinor: number }>();
  for (const s of shards)
    for (const [tier, t] of Object.entries(s.tiers ?? {})) {
      const acc = sums.get(tier) ?? { customers: 0, clvMinor: 0, spendMinor: 0 };
      acc.customers += t.customers;
      acc.clvMinor += t.clvMinor;
      acc.spendMinor += t.spendMinor;
      sums.set(tier, acc);
    }
  const customers = [...sums.values()].reduce((n, t) => n + t.customers, 0);
  const clv = [...sums.values()].reduce((n, t) => n + t.clvMinor, 0);
  return VALUE_TIERS.map((tier) => {
    const t = sums.get(tier) ?? { customers: 0, clvMinor: 0, spendMinor: 0 };
    return {
      tier,
      customers: t.customers,
      share: customers ? t.customers / customers : 0,
      meanClvMinor: t.customers ? t.clvMinor / t.customers : 0,
      meanSpendMinor: t.customers ? t.spendMinor / t.customers : 0,
      clvShare: clv > 0 ? t.clvMinor / clv : 0,
    };
  });
}

/**
 * One value per run, recorded only by the transition that completed it (a redelivery does not
 * count twice); the mining worker flushes it (flushRecordedMetrics).
 */
function recordRunDuration(run: RunRecord, completedAt: string): void {
  metrics.addMetric(
    MINING_RUN_DURATION_METRIC,
    MetricUnit.Milliseconds,
    new Date(completedAt).getTime() - new Date(run.createdAt).getTime(),
  );
}

/**
 * The run's CLV percentiles (0..100) from the shards' own 101-point grids, each point weighted by
 * its shard's size: exact for one shard, within a grid step otherwise (enough for a top-10% cut).
 */
export function pooledPercentiles(shards: readonly { customers: number; clvGrid?: number[] }[]): number[] | undefined {
  const points: { v: number; w: number }[] = [];
  for (const s of shards) {
    if (!s.clvGrid?.length) continue;
    for (const v of s.clvGrid) points.push({ v, w: s.customers / s.clvGrid.length });
  }
  if (!points.length) return undefined;
  points.sort((a, b) => a.v - b.v);
  const total = points.reduce((n, p) => n + p.w, 0);
  const grid: number[] = [];
  let seen = 0;
  let i = 0;
  for (let pct = 0; pct <= 100; pct++) {
    const target = (pct / 100) * total;
    while (i < points.length - 1 && seen + points[i]!.w < target) seen += points[i++]!.w;
    grid.push(points[i]!.v);
  }
  return grid;
}
