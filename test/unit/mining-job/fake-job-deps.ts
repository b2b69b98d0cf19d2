/**
 * An in-memory stand-in for everything the mining job touches (run store, artifact bucket, queue),
 * with the real mining engine: `runToEnd` starts a run and delivers its messages until none is left.
 */
import { handleMiningMessage, startRun, type MiningEngine, type MiningJobDeps } from '../../../layers/core/src/mining-job/job.js';
import { miningEngine } from '../../../layers/core/src/mining-job/engine.js';
import type { MiningMessage } from '../../../layers/core/src/mining-job/messages.js';
import type { Item } from '../../../layers/core/src/store/dynamo.js';
import { customerPk, PROFILE_SK, touchpointSk } from '../../../layers/core/src/store/keys.js';
import type { CustomerMiningItem, FlagItem, RunError, RunPhase, RunRecord } from '../../../layers/core/src/store/mining-store.js';

export const NOW = new Date('2026-11-28T00:00:00Z');

export interface FakeJob {
  deps: MiningJobDeps;
  runs: Map<string, RunRecord>;
  artifacts: Map<string, string>;
  mining: CustomerMiningItem[];
  flags: FlagItem[];
  failedRuns: string[];
  /** Messages that threw (after all their deliveries). */
  dead: { message: MiningMessage; error: unknown }[];
  runToEnd(shards?: number): Promise<RunRecord>;
}

export function fakeJob(items: Item[], opts: { engine?: MiningEngine<unknown>; maxReceives?: number; shards?: number } = {}): FakeJob {
  const runs = new Map<string, RunRecord>();
  const artifacts = new Map<string, string>();
  const mining: CustomerMiningItem[] = [];
  const flags: FlagItem[] = [];
  const failedRuns: string[] = [];
  const dead: FakeJob['dead'] = [];
  const queue: MiningMessage[] = [];
  const copy = <T>(run: T): T => structuredClone(run);
  let latest: string | undefined;
  const currentFlags = () => new Map(flags.map((f) => [`${f.customerId}|${f.type}`, f]));
  const advance = async (runId: string, to: RunPhase, from: RunPhase[], extra: Record<string, unknown> = {}) => {
    const run = runs.get(runId)!;
    if (!from.includes(run.phase)) return false;
    Object.assign(run, extra, { phase: to, updatedAt: NOW.toISOString() });
    return true;
  };
  const deps = {
    runs: {
      createRun: async (run: RunRecord) => void runs.set(run.runId, copy(run)),
      getRun: async (runId: string) => (runs.has(runId) ? copy(runs.get(runId)!) : undefined),
      markShard: async (runId: string, phase: 'extractedShards' | 'scoredShards', shard: number, stats: never, now: string) => {
        const run = runs.get(runId)!;
        run[phase] = new Set([...(run[phase] ?? []), String(shard)]);
        run.shardStats = { ...run.shardStats, [`${phase}:${shard}`]: copy(stats) };
        run.updatedAt = now;
        return copy(run);
      },
      advance,
      recordError: async (runId: string, error: RunError) => {
        const run = runs.get(runId)!;
        run.errors = [...(run.errors ?? []), error];
        run.updatedAt = error.at;
      },
      setTiming: async (runId: string, phase: string, ms: number) => {
        const run = runs.get(runId)!;
        run.timingsMs = { ...run.timingsMs, [phase]: ms };
      },
      publishLatest: async (runId: string) => {
        latest = runId;
      },
      latestRunId: async () => latest,
      // Flag items are one per (customer, type), overwritten by each run, as in the table.
      currentFlagRuns: async (keys: { customerId: string; type: string }[]) =>
        new Map(
          keys.flatMap((k) => {
            const f = currentFlags().get(`${k.customerId}|${k.type}`);
            return f ? [[`${k.customerId}|${k.type}`, { runId: f.runId, raised: f.raised === true }] as const] : [];
          }),
        ),
      flagsOfRun: async function* (runId: string, type: string) {
        yield [...currentFlags().values()].filter((f) => f.runId === runId && f.type === type);
      },
      failRun: async (runId: string, failedAt: string) => {
        failedRuns.push(runId);
        await advance(runId, 'failed', ['extracting', 'fitting', 'scoring', 'finalizing'], { failedAt });
      },
      // One page per shard: customers are spread over shards by their id, whole.
      scanCustomerItems: async function* (segment: number, total: number) {
        yield items.filter((item) => [...String(item.pk)].reduce((n, c) => n + c.charCodeAt(0), 0) % total === segment);
      },
      writeResults: async (f: FlagItem[], m: CustomerMiningItem[]) => {
        // What DynamoDB would refuse: a number that is not finite.
        for (const x of [...f, ...m])
          for (const v of Object.values(x)) if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`NaN in ${x.customerId}`);
        flags.push(...f);
        mining.push(...m);
      },
    },
    artifacts: {
      // As S3 would: through JSON (a BigInt cannot be written).
      putJson: async (key: string, value: unknown) => void artifacts.set(key, JSON.stringify(value)),
      getJson: async (key: string) => {
        const body = artifacts.get(key);
        if (body === undefined) throw new Error(`${key} is missing`);
        return JSON.parse(body);
      },
      putLines: async (key: string, rows: unknown[]) => void artifacts.set(key, rows.map((r) => JSON.stringify(r)).join('\n')),
      getLines: async (key: string) => {
        const body = artifacts.get(key);
        if (body === undefined) throw new Error(`${key} is missing`);
        return body ? body.split('\n').map((l) => JSON.parse(l)) : [];
      },
    },
    queue: { send: async (messages: MiningMessage[]) => void queue.push(...messages) },
    engine: opts.engine ?? miningEngine,
    now: () => NOW,
    settings: { defaultShards: opts.shards ?? 2, sampleSize: 10_000, flagTtlDays: 30 },
  } as unknown as MiningJobDeps;
  const maxReceives = opts.maxReceives ?? 5;
  return {
    deps,
    runs,
    artifacts,
    mining,
    flags,
    failedRuns,
    dead,
    async runToEnd(shards) {
      const run = await startRun(deps, { trigger: 'test', shards });
      for (let message = queue.shift(); message; message = queue.shift()) {
        for (let receive = 1; receive <= maxReceives; receive++) {
          try {
            await handleMiningMessage(deps, message, { finalAttempt: receive === maxReceives });
            break;
          } catch (error) {
            if (receive === maxReceives) dead.push({ message, error });
          }
        }
      }
      return copy(runs.get(run.runId)!);
    },
  };
}

/** A customer's profile and purchases (one a week from `start`, amounts in minor units). */
export function customerItems(customerId: string, purchases: { amountMinor: unknown; quantity?: unknown }[], startDay = 0): Item[] {
  return [
    { pk: customerPk(customerId), sk: PROFILE_SK, customerId, revenueMinor: 0 },
    ...purchases.map((p, i) => {
      const occurredAt = new Date(Date.UTC(2025, 0, 1 + startDay + i * 9)).toISOString();
      return {
        pk: customerPk(customerId),
        sk: touchpointSk(occurredAt, 'shop', `${customerId}-${i}`),
        type: 'purchase',
        occurredAt,
        data: {
          totalMinor: p.amountMinor,
          currency: 'EUR',
          items: [{ category: i % 2 ? 'books' : 'music', quantity: p.quantity ?? 1, sku: `sku-${i % 3}` }],
        },
      };
    }),
  ];
}

/** `n` ordinary customers with 1..6 purchases each, spread over 2025. */
export function healthyCustomers(n: number): Item[] {
  return Array.from({ length: n }, (_, c) =>
    customerItems(
      `c${String(c).padStart(3, '0')}`,
      Array.from({ length: 1 + (c % 6) }, (_, i) => ({ amountMinor: 1000 + ((c * 37 + i * 11) % 50) * 100 })),
      (c * 5) % 200,
    ),
  ).flat();
}
