import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FunnelCounts } from '../mining/lifecycle.js';
import type { Lifecycle, ValueTier } from '../mining/types.js';
import { batchGetItems, batchWrite, isConditionalFailure, withoutKeys, type Item } from './dynamo.js';
import {
  ASSIGNMENT_SK_PREFIX,
  CUSTOMER_PK_PREFIX,
  CUSTOMERS_INDEX,
  customerPk,
  customersIndexPk,
  customersIndexSk,
  flagSk,
  FLAGS_INDEX,
  flagsIndexPk,
  flagsIndexSk,
  FLAG_SK_PREFIX,
  LATEST_RUN_PK,
  MINING_SK,
  OFFER_SK_PREFIX,
  parseCustomersIndexSk,
  PROFILE_SK,
  RUN_SK,
  runPk,
  RUNS_INDEX,
  RUNS_INDEX_PK,
  runsIndexSk,
  TOUCHPOINT_PREFIX,
} from './keys.js';

// flags/flag-service.ts imports the flag keys from here.

export type RunPhase = 'extracting' | 'fitting' | 'scoring' | 'finalizing' | 'completed' | 'failed';

export interface RunError {
  phase: string;
  shard?: number;
  message: string;
  at: string;
}

/** A customer the job could not extract or score: left out of the run, which goes on without it. */
export interface SkippedCustomer {
  customerId: string;
  reason: string;
}

/** Skipped customers a run record keeps (the count covers all of them). */
export const MAX_SKIPPED_STORED = 100;

/**
 * A run not completed or failed whose record has not changed for this long reads as failed
 * ("stalled"), and the job fails it when a message for it still arrives. Twice the mining queue's
 * visibility timeout (6 x the worker's 300 s timeout): a message whose worker timed out is
 * redelivered after one visibility timeout, so a run that is only retrying never trips it.
 */
export const RUN_STALL_AFTER_MS = 2 * 6 * 300_000;

/** Whether a run that should be moving has made no progress for `stallAfterMs`. */
export function isStalled(run: Pick<RunRecord, 'phase' | 'updatedAt'>, now: Date, stallAfterMs = RUN_STALL_AFTER_MS): boolean {
  if (run.phase === 'completed' || run.phase === 'failed') return false;
  const updated = new Date(run.updatedAt).getTime();
  return Number.isFinite(updated) && now.getTime() - updated > stallAfterMs;
}

export interface RunRecord {
  runId: string;
  /** The latest completed run when this one started: flag.raised and flag.cleared compare with it. */
  previousRunId?: string;
  trigger: string;
  phase: RunPhase;
  totalShards: number;
  extractedShards?: Set<string>;
  scoredShards?: Set<string>;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  shardStats?: Record<
    string,
    {
      customers: number;
      touchpoints?: number;
      flags?: Record<string, number>;
      segments?: Record<string, number>;
      /** Customers per value tier and the shard's funnel counts (lifecycle.ts FunnelCounts). */
      tiers?: Record<string, { customers: number; clvMinor: number; spendMinor: number }>;
      funnel?: FunnelCounts;
      clvGrid?: number[];
      ms?: number;
      /** The shard's skipped customers (a bounded share of MAX_SKIPPED_STORED) and how many there were. */
      skipped?: SkippedCustomer[];
      skippedCount?: number;
    }
  >;
  timingsMs?: Record<string, number>;
  summary?: Record<string, unknown>;
  errors?: RunError[];
  /** Set when the run completes: the first MAX_SKIPPED_STORED skipped customers, and how many there were. */
  skipped?: SkippedCustomer[];
  skippedCount?: number;
}

export interface FlagItem {
  customerId: string;
  runId: string;
  type: string;
  score: number;
  reasons: string[];
  suggestions?: string[];
  expectedValueMinor: number;
  /** Expected value × the response estimate of the flag's type and segment (mining/response.ts); absent before any response. */
  expectedIncrementalValueMinor?: number;
  incrementalBasis?: 'uplift' | 'response-rate';
  segment: string;
  /** Reorder-due: the expected purchase day; moment: the anniversary (YYYY-MM-DD). */
  date?: string;
  /** The customer's lifecycle stage and value tier in the run (absent on flags of older runs). */
  lifecycle?: Lifecycle;
  valueTier?: ValueTier;
  createdAt: string;
  /** Epoch seconds: DynamoDB TTL removes stale flags (lazily, so reads filter too). */
  expiresAt: number;
  /** Moment: whose anniversary (first purchase or membership). */
  occasion?: 'first-purchase' | 'membership';
  /** New in this run: the previous run did not flag the customer with this type (flag.raised). */
  raised?: boolean;
}

export interface CustomerMiningItem {
  customerId: string;
  runId: string;
  segment: string;
  clvMinor: number;
  pAlive: number;
  expectedPurchases: number;
  churnRisk: number;
  /** Calibrated P(no purchase in the run's churn horizon); absent on items of older runs. */
  churnProbability?: number;
  /** The purchase model behind P(alive), or 'rule'. */
  model?: string;
  lifecycle?: Lifecycle;
  valueTier?: ValueTier;
  nextPurchaseDate?: string | null;
  scoredAt: string;
  /** The flag types this run gave the customer (written by writeResults; absent on items of older runs). */
  flagTypes?: string[];
}

/** Where a browse page ends: the next page starts after this customer (in the run's value order). */
export interface CustomerPosition {
  clvMinor: number;
  customerId: string;
}

/** What the browse route filters on (all optional, combined with AND). */
export interface CustomerFilter {
  segment?: string;
  valueTier?: ValueTier;
  lifecycle?: Lifecycle;
  flagType?: string;
}

/** Index pages one browse or runs-list call reads at most: a filtered page may come back short, with a cursor. */
export const MAX_INDEX_READS = 10;

export interface LatestRuns {
  runId?: string;
  completedAt?: string;
  failedRunId?: string;
  failedAt?: string;
}

export class MiningStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  async createRun(run: RunRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: runPk(run.runId), sk: RUN_SK, gsi1pk: RUNS_INDEX_PK, gsi1sk: runsIndexSk(run.createdAt, run.runId), ...run },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getRun(runId: string, consistent = true): Promise<RunRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: runPk(runId), sk: RUN_SK }, ConsistentRead: consistent }),
    );
    return out.Item as RunRecord | undefined;
  }

  /** Marks a shard done for a phase (set union: idempotent) and returns the run as it is now. */
  async markShard(
    runId: string,
    phase: 'extractedShards' | 'scoredShards',
    shard: number,
    stats: Record<string, unknown>,
    now: string,
  ): Promise<RunRecord> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: runPk(runId), sk: RUN_SK },
        UpdateExpression: 'ADD #set :shard SET shardStats.#s = :stats, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#set': phase, '#s': `${phase}:${shard}` },
        ExpressionAttributeValues: { ':shard': new Set([String(shard)]), ':stats': stats, ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes as RunRecord;
  }

  /** Moves the run forward; a phase never goes back, so a redelivered message cannot rewind it. */
  async advance(
    runId: string,
    to: RunPhase,
    from: RunPhase[],
    extra: Record<string, unknown> = {},
    now = new Date().toISOString(),
  ): Promise<boolean> {
    const sets = Object.keys(extra).map((_name, i) => `#e${i} = :e${i}`);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: runPk(runId), sk: RUN_SK },
          UpdateExpression: `SET phase = :to, updatedAt = :now${sets.length ? `, ${sets.join(', ')}` : ''}`,
          ConditionExpression: `phase IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ...(sets.length ? { ExpressionAttributeNames: Object.fromEntries(Object.keys(extra).map((k, i) => [`#e${i}`, k])) } : {}),
          ExpressionAttributeValues: {
            ':to': to,
            ':now': now,
            ...Object.fromEntries(from.map((f, i) => [`:f${i}`, f])),
            ...Object.fromEntries(Object.values(extra).map((v, i) => [`:e${i}`, v])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  async recordError(runId: string, error: RunError): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: runPk(runId), sk: RUN_SK },
        UpdateExpression: 'SET #errors = list_append(if_not_exists(#errors, :empty), :e), updatedAt = :now',
        ExpressionAttributeNames: { '#errors': 'errors' },
        ExpressionAttributeValues: { ':empty': [], ':e': [error], ':now': error.at },
      }),
    );
  }

  async setTiming(runId: string, phase: string, ms: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: runPk(runId), sk: RUN_SK },
        UpdateExpression: 'SET timingsMs.#p = :ms',
        ExpressionAttributeNames: { '#p': phase },
        ExpressionAttributeValues: { ':ms': ms },
      }),
    );
  }

  /** Points LATEST at this run unless a newer run (ULIDs sort by time) already completed. */
  async publishLatest(runId: string, completedAt: string): Promise<void> {
    await this.updatePointer('SET runId = :id, completedAt = :at', 'attribute_not_exists(runId) OR runId <= :id', runId, completedAt);
  }

  /**
   * A run whose message failed its last attempt: the run ends as `failed` (other shards' messages
   * then stop at once) and the pointer remembers the newest failed run, for stale-profile checks.
   */
  async failRun(runId: string, failedAt: string): Promise<void> {
    const failed =
      (await this.advance(runId, 'failed', ['extracting', 'fitting', 'scoring', 'finalizing'], { failedAt }, failedAt)) ||
      (await this.getRun(runId))?.phase === 'failed';
    // A run that completed meanwhile did not fail.
    if (failed)
      await this.updatePointer(
        'SET failedRunId = :id, failedAt = :at',
        'attribute_not_exists(failedRunId) OR failedRunId <= :id',
        runId,
        failedAt,
      );
  }

  private async updatePointer(update: string, condition: string, runId: string, at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: LATEST_RUN_PK, sk: RUN_SK },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':id': runId, ':at': at },
        }),
      );
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
    }
  }

  async latestRunId(): Promise<string | undefined> {
    return (await this.latestRuns()).runId;
  }

  /** The latest completed run and the latest failed one (either may be missing). */
  async latestRuns(): Promise<LatestRuns> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: LATEST_RUN_PK, sk: RUN_SK } }));
    const item = out.Item ?? {};
    return {
      runId: item.runId as string | undefined,
      completedAt: item.completedAt as string | undefined,
      failedRunId: item.failedRunId as string | undefined,
      failedAt: item.failedAt as string | undefined,
    };
  }

  /**
   * One parallel-scan segment of customer partitions. Scan segments split by partition key, so
   * every item of one customer arrives in the same segment: a shard is a set of whole customers.
   *
   * Read with the low-level client and converted here, not by the DocumentClient: its unmarshalling
   * turns a number past Number.MAX_SAFE_INTEGER into a BigInt and throws on one it cannot convert,
   * which would fail the whole page for one bad customer. Here every number becomes a plain number
   * (imprecise past 2^53, ±Infinity past the double range); the job checks the values it uses and
   * skips the customer whose values are not plausible.
   */
  async *scanCustomerItems(segment: number, totalSegments: number): AsyncGenerator<Item[]> {
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          Segment: segment,
          TotalSegments: totalSegments,
          // Offers and assignments too: the run counts their responses (mining-job/responses.ts).
          FilterExpression:
            'begins_with(pk, :cust) AND (sk = :profile OR begins_with(sk, :tp) OR begins_with(sk, :offer) OR begins_with(sk, :assign))',
          ExpressionAttributeValues: {
            ':cust': { S: CUSTOMER_PK_PREFIX },
            ':profile': { S: PROFILE_SK },
            ':tp': { S: TOUCHPOINT_PREFIX },
            ':offer': { S: OFFER_SK_PREFIX },
            ':assign': { S: ASSIGNMENT_SK_PREFIX },
          },
          ExclusiveStartKey,
        }),
      );
      yield (page.Items ?? []).map(plainItem);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /**
   * Writes one run's flags and per-customer results. Keys are per customer and type, so a
   * redelivered shard overwrites itself, and a newer run's flag replaces an older one's.
   */
  async writeResults(flags: FlagItem[], mining: CustomerMiningItem[]): Promise<void> {
    const flagTypes = new Map<string, Set<string>>();
    for (const f of flags) {
      const key = `${f.runId}|${f.customerId}`;
      flagTypes.set(key, (flagTypes.get(key) ?? new Set()).add(f.type));
    }
    await batchWrite(this.doc, this.table, [
      ...flags.map((f) => ({
        PutRequest: {
          Item: {
            pk: customerPk(f.customerId),
            sk: flagSk(f.type),
            gsi1pk: flagsIndexPk(f.runId, f.type),
            gsi1sk: flagsIndexSk(f.score, f.expectedValueMinor, f.customerId),
            ...f,
          },
        },
      })),
      ...mining.map((m) => ({
        PutRequest: {
          Item: {
            pk: customerPk(m.customerId),
            sk: MINING_SK,
            gsi1pk: customersIndexPk(m.runId),
            gsi1sk: customersIndexSk(m.clvMinor, m.customerId),
            ...m,
            // The flag types this run gave the customer (the browse route filters on them).
            flagTypes: [...(flagTypes.get(`${m.runId}|${m.customerId}`) ?? [])].sort(),
          },
        },
      })),
    ]);
  }

  /**
   * One run's per-customer results in CLV order (descending unless `ascending`), filtered, read
   * from the run's browse partition. At most MAX_INDEX_READS index pages per call: a selective
   * filter may answer fewer than `limit` items with a `next` position (like listDeliveries).
   */
  async customersByValue(args: {
    runId: string;
    filter: CustomerFilter;
    limit: number;
    ascending?: boolean;
    after?: CustomerPosition;
  }): Promise<{ items: CustomerMiningItem[]; next?: CustomerPosition }> {
    const { runId, filter, limit } = args;
    const keyOf = (p: CustomerPosition) => ({
      pk: customerPk(p.customerId),
      sk: MINING_SK,
      gsi1pk: customersIndexPk(runId),
      gsi1sk: customersIndexSk(p.clvMinor, p.customerId),
    });
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': customersIndexPk(runId) };
    const add = (attr: string, value: string | undefined, contains = false) => {
      if (value === undefined) return;
      names[`#${attr}`] = attr;
      values[`:${attr}`] = value;
      conditions.push(contains ? `contains(#${attr}, :${attr})` : `#${attr} = :${attr}`);
    };
    add('segment', filter.segment);
    add('valueTier', filter.valueTier);
    add('lifecycle', filter.lifecycle);
    add('flagTypes', filter.flagType, true);
    const filtered = conditions.length > 0;
    const positionOf = (m: CustomerMiningItem): CustomerPosition => ({ clvMinor: m.clvMinor, customerId: m.customerId });
    const items: CustomerMiningItem[] = [];
    let startKey: Record<string, unknown> | undefined = args.after ? keyOf(args.after) : undefined;
    for (let reads = 0; reads < MAX_INDEX_READS; reads++) {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: CUSTOMERS_INDEX,
          KeyConditionExpression: 'gsi1pk = :pk',
          ...(filtered ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: args.ascending === true,
          // A filter drops items after the read: read more per page so a selective one still fills pages.
          Limit: filtered ? Math.max(limit, 200) : limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (items.length === limit) return { items, next: positionOf(items.at(-1)!) };
        items.push(withoutKeys<CustomerMiningItem>(item));
      }
      startKey = page.LastEvaluatedKey;
      if (!startKey) return { items };
      if (items.length === limit) return { items, next: positionOf(items.at(-1)!) };
    }
    // Read the bound: resume after the last item evaluated (returned or filtered out).
    const last = parseCustomersIndexSk(String(startKey?.gsi1sk ?? ''));
    return { items, ...(last ? { next: last } : {}) };
  }

  /** Runs newest first, from the runs index (runs created before the index existed are not in it). */
  async listRuns(
    limit: number,
    after?: { createdAt: string; runId: string },
  ): Promise<{ items: RunRecord[]; next?: { createdAt: string; runId: string } }> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: RUNS_INDEX,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': RUNS_INDEX_PK },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: after
          ? { pk: runPk(after.runId), sk: RUN_SK, gsi1pk: RUNS_INDEX_PK, gsi1sk: runsIndexSk(after.createdAt, after.runId) }
          : undefined,
      }),
    );
    const items = (out.Items ?? []).map((i) => withoutKeys<RunRecord>(i));
    const last = items.at(-1);
    return { items, ...(out.LastEvaluatedKey && last ? { next: { createdAt: last.createdAt, runId: last.runId } } : {}) };
  }

  async customerFlags(customerId: string): Promise<FlagItem[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :f)',
        ExpressionAttributeValues: { ':pk': customerPk(customerId), ':f': FLAG_SK_PREFIX },
      }),
    );
    return (out.Items ?? []).map((i) => withoutKeys<FlagItem>(i));
  }

  async customerMining(customerId: string): Promise<CustomerMiningItem | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: customerPk(customerId), sk: MINING_SK } }));
    return out.Item ? withoutKeys<CustomerMiningItem>(out.Item) : undefined;
  }

  /** The run that last flagged each (customer, type), read before a run overwrites them. */
  async currentFlagRuns(keys: readonly { customerId: string; type: string }[]): Promise<Map<string, { runId: string; raised: boolean }>> {
    const items = await batchGetItems(
      this.doc,
      this.table,
      keys.map((k) => ({ pk: customerPk(k.customerId), sk: flagSk(k.type) })),
    );
    return new Map(items.map((i) => [`${i.customerId}|${i.type}`, { runId: String(i.runId), raised: i.raised === true }]));
  }

  /** Every flag of one run and type (the index partition), in pages of up to 1,000. */
  async *flagsOfRun(runId: string, type: string, nowEpoch: number): AsyncGenerator<FlagItem[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.flagsByScore({ runId, type, nowEpoch, limit: 1000, startKey });
      if (page.items.length) yield page.items;
      startKey = page.lastKey;
    } while (startKey);
  }

  /** Flags of one run and type, highest score first, straight from the index (no scan). */
  async flagsByScore(args: {
    runId: string;
    type: string;
    minScore?: number;
    segment?: string;
    nowEpoch: number;
    limit: number;
    startKey?: Record<string, unknown>;
  }): Promise<{ items: FlagItem[]; lastKey?: Record<string, unknown> }> {
    const items: FlagItem[] = [];
    let startKey = args.startKey;
    const filters = ['expiresAt > :now', ...(args.segment ? ['#segment = :segment'] : [])];
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: FLAGS_INDEX,
          KeyConditionExpression: args.minScore !== undefined ? 'gsi1pk = :pk AND gsi1sk >= :min' : 'gsi1pk = :pk',
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: args.segment ? { '#segment': 'segment' } : undefined,
          ExpressionAttributeValues: {
            ':pk': flagsIndexPk(args.runId, args.type),
            ':now': args.nowEpoch,
            ...(args.minScore !== undefined ? { ':min': args.minScore.toFixed(6) } : {}),
            ...(args.segment ? { ':segment': args.segment } : {}),
          },
          ScanIndexForward: false,
          Limit: args.limit - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []).map((i) => withoutKeys<FlagItem>(i)));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < args.limit);
    return { items, lastKey: startKey };
  }
}

/** A stored item as plain values, every number a JS number (see scanCustomerItems); never throws. */
export function plainItem(item: Record<string, AttributeValue>): Item {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) out[name] = plainValue(value);
  return out;
}

function plainValue(v: AttributeValue): unknown {
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL !== undefined) return null;
  if (v.M !== undefined) return plainItem(v.M);
  if (v.L !== undefined) return v.L.map(plainValue);
  if (v.SS !== undefined) return new Set(v.SS);
  if (v.NS !== undefined) return new Set(v.NS.map(Number));
  if (v.B !== undefined) return v.B;
  if (v.BS !== undefined) return new Set(v.BS);
  return undefined;
}
