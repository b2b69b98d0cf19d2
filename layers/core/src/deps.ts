import { purchaseEnroller, type PurchaseEnroller } from './playbooks/playbook-service.js';
import { PlaybookStore } from './store/playbook-store.js';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { holdsSecretArns, parseConfig, required, resolveSecretEnv, ENV, type Config } from './config.js';
import type { CustomerDeps } from './customers/customer-service.js';
import { AliasCache } from './identity/alias-cache.js';
import { createPiiHasher, type PiiHasher } from './identity/pii-hasher.js';
import type { IngestDeps } from './ingest/ingest.js';
import { createIngestObserver } from './observability.js';
import { CustomerStore, type CapacityMeter } from './store/customer-store.js';
import { createDocumentClient } from './store/dynamo.js';
import { ArtifactStore } from './store/artifact-store.js';
import { CampaignStore } from './store/campaign-store.js';
import { MiningStore } from './store/mining-store.js';
import { OfferStore } from './store/offer-store.js';
import type { OfferDeps } from './offers/offer-service.js';
import { MessageQueue } from './store/queue.js';
import type { MiningEngine, MiningJobDeps, RunStarterDeps } from './mining-job/job.js';
import type { EventPublisher } from './outbound/events.js';
import { queuePublisher } from './outbound/publisher.js';
import { sendWebhook } from './outbound/sender.js';
import type { SubscriptionDeps } from './outbound/subscription-service.js';
import type { OutboundWorkerDeps } from './outbound/worker.js';
import { EventBridgeBus } from './store/event-bus.js';
import { OutboundStore } from './store/outbound-store.js';
import { countingObserver, SourceActivity } from './ingest/source-activity.js';
import { SourceStatsStore } from './store/source-stats-store.js';

export interface AppDeps extends IngestDeps, CustomerDeps, OfferDeps {
  config: Config;
  runs: MiningStore;
  attribution: NonNullable<IngestDeps['attribution']>;
  /** What starting a run needs (the queue); built on first use, once per container. */
  runStarter(): RunStarterDeps;
  /** The mining worker's clients (bucket and queue); built on first use, once per container. */
  miningJob(engine: MiningEngine<unknown>): MiningJobDeps;
  outbound: OutboundStore;
  /**
   * Announces events on the outbound queue. Built on first publish, which then needs
   * OUTBOUND_QUEUE_URL: a function whose definition lacks `outboundQueue` fails its first announcement.
   */
  events: EventPublisher;
  /** The subscriptions API's needs (store, queue, URL guard). */
  subscriptions(): SubscriptionDeps;
  /** The outbound worker's needs (store, queue, DLQ, bus, sender). */
  outboundWorker(): OutboundWorkerDeps;
  playbooks: PlaybookStore;
  /** Enrolls purchasers in purchase-triggered playbooks (the webhook function). */
  enroller: PurchaseEnroller;
  /** The coalesced per-source delivery counts (GET /sources reads them). */
  sourceStats: SourceStatsStore;
}

/**
 * One coalescer per container and table, kept across rebuilds of the deps (secret refresh), so
 * the counts buffered in memory survive them.
 */
const activities = new Map<string, SourceActivity>();
const activityFor = (table: string, stats: SourceStatsStore) => {
  let activity = activities.get(table);
  if (!activity) {
    activity = new SourceActivity(stats);
    activities.set(table, activity);
  }
  return activity;
};

/**
 * How long a warm container keeps secrets it read from Secrets Manager before reading them again,
 * so a rotated secret (API key, webhook secret) reaches every warm function within this time.
 */
export const SECRET_REFRESH_MS = 5 * 60_000;

let current: Promise<AppDeps> | undefined;
let builtAt = 0;
let injected = false;

/**
 * Built at cold start: secrets resolved (Secrets Manager in AWS, plain env locally),
 * config parsed with zod, clients created; rebuilt after SECRET_REFRESH_MS when the environment
 * holds secret ARNs. Tests replace it with `useDeps`.
 */
export function appDeps(now = Date.now()): Promise<AppDeps> {
  if (current && !injected && now - builtAt > SECRET_REFRESH_MS && holdsSecretArns(process.env)) current = undefined;
  if (!current) {
    builtAt = now;
    current = buildDeps(process.env).catch((error) => {
      current = undefined; // a transient failure (e.g. Secrets Manager throttling) must not stick
      throw error;
    });
  }
  return current;
}

export function useDeps(deps: AppDeps | undefined): void {
  current = deps ? Promise.resolve(deps) : undefined;
  injected = deps !== undefined;
}

export async function buildDeps(env: Record<string, string | undefined>, meter?: CapacityMeter): Promise<AppDeps> {
  const resolved = await resolveSecretEnv(env, async (arn) => {
    const value = await getSecret<string>(arn, { forceFetch: true });
    if (typeof value !== 'string') throw new Error(`Secret ${arn} has no string value`);
    return value;
  });
  const config = parseConfig(resolved);
  const doc = createDocumentClient(config.endpoints.dynamodb);
  const table = required(config.tableName, ENV.tableName);
  const offers = new OfferStore(doc, table);
  const store = new CustomerStore(doc, table, offers, meter);
  const runs = new MiningStore(doc, store.table);
  const campaigns = new CampaignStore(doc, table);
  const now = () => new Date();
  // Only the functions that use them have a queue or a bucket: built on first use, then kept.
  let queue: MessageQueue | undefined;
  let artifacts: ArtifactStore | undefined;
  const miningQueue = () => (queue ??= MessageQueue.create(required(config.miningQueueUrl, ENV.miningQueueUrl), config.endpoints.sqs));
  const artifactStore = () =>
    (artifacts ??= ArtifactStore.create(required(config.artifactBucket, ENV.artifactBucket), config.endpoints.s3));
  let outboundQueueClient: MessageQueue | undefined;
  const outboundQueue = () =>
    (outboundQueueClient ??= MessageQueue.create(required(config.outbound.queueUrl, ENV.outboundQueueUrl), config.endpoints.sqs));
  const outbound = new OutboundStore(doc, table);
  const urlGuard = { allowLocalHttp: config.outbound.allowLocalHttp };
  let publisher: EventPublisher | undefined;
  const events: EventPublisher = {
    publish: (e) => {
      publisher ??= queuePublisher(outboundQueue());
      return publisher.publish(e);
    },
  };
  const playbooks = new PlaybookStore(doc, table);
  const sourceStats = new SourceStatsStore(doc, table);
  const activity = activityFor(table, sourceStats);
  const miningSettings = {
    defaultShards: config.mining.shards,
    sampleSize: config.mining.sampleSize,
    flagTtlDays: config.mining.flagTtlDays,
    options: { churnHorizonDays: config.mining.churnHorizonDays },
  };
  return {
    runs,
    offers,
    campaigns,
    attribution: { offers, campaigns, events },
    outbound,
    events,
    subscriptions: () => ({ outbound, outboundQueue: outboundQueue(), urlGuard, now }),
    outboundWorker: () => ({
      outbound,
      queue: outboundQueue(),
      ...(config.outbound.dlqUrl ? { deadLetters: MessageQueue.create(config.outbound.dlqUrl, config.endpoints.sqs) } : {}),
      ...(config.outbound.eventBusName ? { bus: EventBridgeBus.create(config.outbound.eventBusName, config.endpoints.eventBridge) } : {}),
      send: sendWebhook,
      urlGuard,
      now,
    }),
    rules: config.offerRules,
    runStarter: () => ({ runs, queue: miningQueue(), now, settings: miningSettings }),
    miningJob: (engine) => ({ runs, engine, artifacts: artifactStore(), queue: miningQueue(), now, settings: miningSettings, events }),
    playbooks,
    enroller: purchaseEnroller(playbooks, now),
    config,
    store,
    hashPii: lazyHasher(config),
    webhookSecrets: config.webhookSecrets,
    now,
    observer: countingObserver(createIngestObserver(), activity),
    activity,
    sourceStats,
    aliasCache: new AliasCache(),
    defaultPhoneRegion: config.defaultPhoneRegion,
  };
}

/** Functions that never touch PII (health, openapi) must start without the hash key. */
function lazyHasher(config: Config): PiiHasher {
  let hasher: PiiHasher | undefined;
  return (key) => {
    hasher ??= createPiiHasher(required(config.piiHashKey, ENV.piiHashKey));
    return hasher(key);
  };
}
