import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ulid } from 'ulid';
import { NotFoundError } from '../errors.js';
import { MINING_RUN_DURATION_METRIC } from '../metric-names.js';
import { metrics } from '../observability.js';
import type { CustomerHistory, Flag, MiningOptions, MiningResult, ScoredCustomer, Segment } from '../mining/types.js';
import type { ArtifactStore } from '../store/artifact-store.js';
import type { Item } from '../store/dynamo.js';
import { parseCustomerPk, PROFILE_SK } from '../store/keys.js';
import type { CustomerMiningItem, FlagItem, MiningStore, RunRecord } from '../store/mining-store.js';
import type { MessageQueue } from '../store/queue.js';
import { quantileGrid } from '../mining/segments.js';
import { decodeHistory, encodeHistory, historyFromItems } from './histories.js';
import type { MiningMessage } from './messages.js';
import { MINING_DEFAULTS } from '../mining/defaults.js';
import { hash31, lcg32 } from '../random.js';
import { DAY_S } from '../time.js';

/** The mining core as the job uses it: fit once on a bounded sample, then score shard by shard. */
export interface MiningEngine<Model = unknown> {
  fit(sample: CustomerHistory[], options: MiningOptions): Model;
  score(histories: CustomerHistory[], model: Model, options: MiningOptions): { customers: ScoredCustomer[]; flags: Flag[] };
  describe(model: Model): { k: number; segments: Segment[]; models: MiningResult['models'] };
}

export interface MiningJobSettings {
  /** Parallel scan segments when a trigger does not say. */
  defaultShards: number;
  /** Customers the models and k-means are fitted on: bounds the fit's memory and time. */
  sampleSize: number;
  flagTtlDays: number;
  options?: Partial<MiningOptions>;
}

export interface MiningJobDeps {
  runs: MiningStore;
  artifacts: ArtifactStore;
  queue: MessageQueue;
  engine: MiningEngine<unknown>;
  now: () => Date;
  settings: MiningJobSettings;
}

const shardKey = (runId: string, shard: number) => `runs/${runId}/shards/${String(shard).padStart(4, '0')}.jsonl`;
const modelKey = (runId: string) => `runs/${runId}/model.json`;

/** What starting a run needs: no artifact bucket (the API function that starts runs has none). */
export type RunStarterDeps = Pick<MiningJobDeps, 'runs' | 'queue' | 'now' | 'settings'>;

export async function startRun(deps: RunStarterDeps, args: { trigger: string; shards?: number }): Promise<RunRecord> {
  const now = deps.now().toISOString();
  const run: RunRecord = {
    runId: ulid(),
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
      shard,
      message: error instanceof Error ? error.message : String(error),
      at: deps.now().toISOString(),
    });
    // The message goes to the DLQ after this: the run cannot complete any more.
    if (delivery.finalAttempt) await deps.runs.failRun(run.runId, deps.now().toISOString());
    throw error;
  }
}

function options(deps: MiningJobDeps, run: RunRecord): MiningOptions {
  return { asOf: new Date(run.createdAt), unit: MINING_DEFAULTS.unit, seed: MINING_DEFAULTS.seed, ...deps.settings.options };
}

async function extract(deps: MiningJobDeps, run: RunRecord, shard: number): Promise<void> {
  const started = Date.now();
  const byCustomer = new Map<string, Item[]>();
  const merged = new Set<string>();
  for await (const page of deps.runs.scanCustomerItems(shard, run.totalShards)) {
    for (const item of page) {
      const id = parseCustomerPk(String(item.pk));
      if (id === undefined) continue; // the scan returns customer partitions only
      if (item.sk === PROFILE_SK) {
        if (item.mergedInto) merged.add(id);
        continue;
      }
      const list = byCustomer.get(id) ?? [];
      list.push(item);
      byCustomer.set(id, list);
    }
  }
  const histories = [...byCustomer]
    .filter(([id]) => !merged.has(id))
    .map(([id, items]) => historyFromItems(id, items))
    .sort((a, b) => a.customerId.localeCompare(b.customerId));
  await deps.artifacts.putLines(shardKey(run.runId, shard), histories.map(encodeHistory));
  const touchpoints = [...byCustomer.values()].reduce((n, items) => n + items.length, 0);
  const updated = await deps.runs.markShard(
    run.runId,
    'extractedShards',
    shard,
    { customers: histories.length, touchpoints, ms: Date.now() - started },
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
  for (let shard = 0; shard < run.totalShards; shard++) {
    for (const raw of await deps.artifacts.getLines<unknown>(shardKey(run.runId, shard))) {
      seen++;
      if (sample.length < size) sample.push(decodeHistory(raw));
      else {
        const j = Math.floor(random() * seen);
        if (j < size) sample[j] = decodeHistory(raw);
      }
    }
  }
  return sample;
}

async function fit(deps: MiningJobDeps, run: RunRecord): Promise<void> {
  const started = Date.now();
  await deps.runs.advance(run.runId, 'fitting', ['extracting']);
  const sample = await sampleHistories(deps, run);
  if (sample.length === 0) {
    const completedAt = deps.now().toISOString();
    if (
      await deps.runs.advance(run.runId, 'completed', ['fitting'], { completedAt, summary: { customers: 0, note: 'no customers to mine' } })
    ) {
      recordRunDuration(run, completedAt);
    }
    return;
  }
  const model = deps.engine.fit(sample, options(deps, run));
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
  const histories = (await deps.artifacts.getLines<unknown>(shardKey(run.runId, shard))).map(decodeHistory);
  const result = deps.engine.score(histories, model, options(deps, run));
  const now = deps.now();
  const createdAt = now.toISOString();
  const expiresAt = Math.floor(now.getTime() / 1000) + deps.settings.flagTtlDays * DAY_S;
  const segmentOf = new Map(result.customers.map((c) => [c.customerId, c.segment]));
  const flags: FlagItem[] = result.flags.map((f) => ({
    customerId: f.customerId,
    runId: run.runId,
    type: f.type,
    score: f.score,
    reasons: f.reasons,
    ...(f.suggestions?.length ? { suggestions: f.suggestions } : {}),
    expectedValueMinor: Math.round(f.expectedValueMinor),
    segment: segmentOf.get(f.customerId) ?? 'unknown',
    createdAt,
    expiresAt,
  }));
  const mining: CustomerMiningItem[] = result.customers.map((c) => ({
    customerId: c.customerId,
    runId: run.runId,
    segment: c.segment,
    clvMinor: Math.round(c.clvMinor),
    pAlive: c.pAlive,
    expectedPurchases: c.expectedPurchases,
    churnRisk: c.churnRisk,
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
      customers: histories.length,
      flags: count(flags, (f) => f.type),
      segments: count(mining, (m) => m.segment),
      // The shard's CLV distribution: finalize pools them into the run's percentiles (top tier).
      ...(mining.length
        ? {
            clvGrid: quantileGrid(
              mining.map((m) => m.clvMinor),
              101,
            ),
          }
        : {}),
      ms: Date.now() - started,
    },
    createdAt,
  );
  if ((updated.scoredShards?.size ?? 0) >= run.totalShards) await deps.queue.send([{ kind: 'finalize', runId: run.runId }]);
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
  const summary = {
    customers,
    clvPercentiles: pooledPercentiles(stats.filter(([k]) => k.startsWith('scoredShards')).map(([, s]) => s)),
    touchpoints: sum('extractedShards', 'touchpoints'),
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
  if (await deps.runs.advance(run.runId, 'completed', ['scoring', 'finalizing'], { summary, completedAt, timingsMs })) {
    await deps.runs.publishLatest(run.runId, completedAt);
    recordRunDuration(run, completedAt);
  }
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
