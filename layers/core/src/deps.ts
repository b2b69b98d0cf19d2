import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CountryCode } from 'libphonenumber-js';
import { parseConfig, required, resolveSecretEnv, ENV, type Config } from './config.js';
import type { CustomerDeps } from './customers/customer-service.js';
import { sha256Hex } from './http/api-key.js';
import { AliasCache } from './identity/alias-cache.js';
import { createPiiHasher, type PiiHasher } from './identity/pii-hasher.js';
import type { IngestDeps } from './ingest/ingest.js';
import { createIngestObserver } from './observability.js';
import { CustomerStore, type CapacityMeter } from './store/customer-store.js';
import { createDocumentClient } from './store/dynamo.js';
import { ArtifactStore } from './store/artifact-store.js';
import { MiningStore } from './store/mining-store.js';
import { OfferStore } from './store/offer-store.js';
import type { OfferDeps } from './offers/offer-service.js';
import { MessageQueue } from './store/queue.js';
import type { MiningEngine, MiningJobDeps } from './mining-job/job.js';

export interface AppDeps extends IngestDeps, CustomerDeps, OfferDeps {
  config: Config;
  runs: MiningStore;
  /** The mining job's clients; built on first use, since only mining functions have a bucket and queue. */
  miningJob(engine: MiningEngine<any>): MiningJobDeps;
}

let current: Promise<AppDeps> | undefined;

/**
 * Built once per cold start: secrets resolved (Secrets Manager in AWS, plain env locally),
 * config parsed with zod, clients created. Tests replace it with `useDeps`.
 */
export function appDeps(): Promise<AppDeps> {
  current ??= buildDeps(process.env).catch((error) => {
    current = undefined; // a transient failure (e.g. Secrets Manager throttling) must not stick
    throw error;
  });
  return current;
}

export function useDeps(deps: AppDeps | undefined): void {
  current = deps ? Promise.resolve(deps) : undefined;
}

export async function buildDeps(env: Record<string, string | undefined>, meter?: CapacityMeter): Promise<AppDeps> {
  const resolved = await resolveSecretEnv(env, async (arn) => {
    const value = await getSecret<string>(arn, { maxAge: 300 });
    if (typeof value !== 'string') throw new Error(`Secret ${arn} has no string value`);
    return value;
  });
  const config = parseConfig(resolved, sha256Hex);
  const doc = createDocumentClient(config.endpoints.dynamodb);
  const store = new CustomerStore(doc, required(config.tableName, ENV.tableName), meter);
  const runs = new MiningStore(doc, store.table);
  return {
    runs,
    offers: new OfferStore(doc, store.table),
    rules: config.offerRules,
    miningJob: (engine) => ({
      runs,
      engine,
      artifacts: ArtifactStore.create(required(config.artifactBucket, ENV.artifactBucket), config.endpoints.s3),
      queue: MessageQueue.create(required(config.miningQueueUrl, ENV.miningQueueUrl), config.endpoints.sqs),
      now: () => new Date(),
      settings: { defaultShards: config.mining.shards, sampleSize: config.mining.sampleSize, flagTtlDays: config.mining.flagTtlDays },
    }),
    config,
    store,
    hashPii: lazyHasher(config),
    webhookSecrets: config.webhookSecrets,
    now: () => new Date(),
    observer: createIngestObserver(),
    aliasCache: new AliasCache(),
    defaultPhoneRegion: resolved[ENV.defaultPhoneRegion] as CountryCode | undefined,
  };
}

/** Functions that never touch PII (health, openapi) must start without the hash key. */
function lazyHasher(config: Config): PiiHasher {
  let hasher: PiiHasher | undefined;
  return (key) => (hasher ??= createPiiHasher(required(config.piiHashKey, ENV.piiHashKey)))(key);
}
