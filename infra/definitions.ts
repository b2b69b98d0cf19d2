/**
 * The single source of truth for Patron's functions and data resources. Pure data, no CDK
 * imports: the CDK stack (infra/stacks) and the embedded runtime (local/) both read it, so the
 * two cannot drift.
 */
import { ENV } from '../layers/core/src/config.js';
import { routesOf, type FunctionName, type HttpMethod } from '../layers/core/src/http/routes.js';
import { MINING_MAX_RECEIVES } from '../layers/core/src/mining-job/messages.js';

export type { HttpMethod };

export interface HttpRoute {
  method: HttpMethod;
  /** API Gateway path template, e.g. `/customers/{id}`. */
  path: string;
}

/** Which secret-bearing env vars a function needs (resolved from Secrets Manager in AWS). */
export type SecretName = 'apiKeys' | 'piiHashKey' | 'webhookSecrets';

export interface FunctionDefinition {
  /** Logical name; also the folder under functions/ (one of FUNCTION_NAMES, checked by a test). */
  name: string;
  entry: string;
  description: string;
  /** From the route table (layers/core/src/http/routes.ts), never written here. */
  routes?: HttpRoute[];
  /** Reads the offer rule set: OFFER_RULES, set from the CDK context `offerRules` when given. */
  offerRules?: boolean;
  /** Triggered by this queue (SQS event source mapping). */
  queue?: 'mining' | 'outbound';
  /** Triggered on a schedule (EventBridge). */
  schedule?: { rate: string };
  table?: 'read' | 'readwrite';
  miningQueue?: 'send';
  /** Announces events (or re-queues deliveries) on the outbound queue. */
  outboundQueue?: 'send';
  /** Parks exhausted deliveries in the outbound DLQ. */
  outboundDeadLetters?: 'send';
  /** Puts events on the stack's EventBridge bus. */
  eventBus?: 'put';
  artifactBucket?: 'read' | 'readwrite';
  secrets?: SecretName[];
  /** Ships the web console, built by console/build.ts while bundling, in a `console/` folder beside its handler. */
  bundlesConsole?: boolean;
  /**
   * Sign-in through the stack's Cognito user pool (infra/constructs/sign-in.ts): `verify` sets
   * SIGN_IN_USER_POOL_ID and SIGN_IN_CLIENT_ID (to verify users' access tokens); `configure` also
   * SIGN_IN_DOMAIN, the hosted UI (the console, which sends people there to sign in).
   * Unset = `verify` for a function with the `apiKeys` secret (it authenticates API requests),
   * nothing otherwise: see signInOf.
   */
  signIn?: 'verify' | 'configure';
  memoryMb?: number;
  timeoutSeconds?: number;
}

const DEFINITIONS: Omit<FunctionDefinition, 'routes'>[] = [
  {
    name: 'webhook',
    entry: 'functions/webhook/handler.ts',
    description: 'Verifies, normalizes, deduplicates and stores provider webhooks as touchpoints',
    table: 'readwrite',
    outboundQueue: 'send',
    secrets: ['webhookSecrets', 'piiHashKey'],
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  {
    name: 'customers',
    entry: 'functions/customers/handler.ts',
    description: 'Customer 360, touchpoint history, lookup by email and erasure',
    table: 'readwrite',
    outboundQueue: 'send',
    secrets: ['apiKeys', 'piiHashKey'],
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  {
    name: 'mining-runs',
    entry: 'functions/mining-runs/handler.ts',
    description: 'Starts a mining run and reports its progress',
    table: 'readwrite',
    miningQueue: 'send',
    secrets: ['apiKeys'],
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  {
    name: 'mining-worker',
    entry: 'functions/mining-worker/handler.ts',
    description: 'Runs the mining phases (extract, fit, score, finalize) from the mining queue',
    queue: 'mining',
    table: 'readwrite',
    miningQueue: 'send',
    outboundQueue: 'send',
    artifactBucket: 'readwrite',
    memoryMb: 2048,
    timeoutSeconds: 300,
  },
  {
    name: 'flags',
    entry: 'functions/flags/handler.ts',
    description: 'Ranked cross-sell, up-sell and churn-risk flags and the latest segments',
    table: 'read',
    secrets: ['apiKeys', 'piiHashKey'],
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  {
    name: 'offers',
    entry: 'functions/offers/handler.ts',
    description: 'Checks offers and actions against what is known and registers them atomically',
    table: 'readwrite',
    outboundQueue: 'send',
    secrets: ['apiKeys', 'piiHashKey'],
    offerRules: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  {
    name: 'subscriptions',
    entry: 'functions/subscriptions/handler.ts',
    description: 'Webhook subscriptions: create, change, rotate secrets, list deliveries, send a test event',
    table: 'readwrite',
    outboundQueue: 'send',
    secrets: ['apiKeys'],
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  {
    name: 'outbound',
    entry: 'functions/outbound/handler.ts',
    description: 'Puts events on the EventBridge bus and delivers them to webhook subscriptions, signed, with retries',
    queue: 'outbound',
    table: 'readwrite',
    outboundQueue: 'send',
    outboundDeadLetters: 'send',
    eventBus: 'put',
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  {
    name: 'playbooks',
    entry: 'functions/playbooks/handler.ts',
    description: 'Playbooks of timed actions: create, list, change',
    table: 'readwrite',
    secrets: ['apiKeys'],
    memoryMb: 256,
    timeoutSeconds: 10,
  },
  {
    name: 'playbook-tick',
    entry: 'functions/playbook-tick/handler.ts',
    description: 'Enrolls customers in playbooks and fires due steps through the offer check',
    schedule: { rate: '15 minutes' },
    table: 'readwrite',
    outboundQueue: 'send',
    // Registering a step under a campaign assigns the customer: the holdout hash is keyed by it.
    secrets: ['piiHashKey'],
    offerRules: true,
    memoryMb: 512,
    timeoutSeconds: 300,
  },
  {
    name: 'console',
    entry: 'functions/console/handler.ts',
    description: 'The web console: its page, script and stylesheet, and where to sign in',
    bundlesConsole: true,
    // The console sends people to the hosted UI, so it needs to know where that is; it verifies nothing.
    signIn: 'configure',
    memoryMb: 256,
    timeoutSeconds: 5,
  },
  {
    name: 'health',
    entry: 'functions/health/handler.ts',
    description: 'Liveness and table reachability',
    table: 'read',
    memoryMb: 256,
    timeoutSeconds: 5,
  },
  {
    name: 'openapi',
    entry: 'functions/openapi/handler.ts',
    description: 'OpenAPI document generated from the zod schemas',
    memoryMb: 256,
    timeoutSeconds: 5,
  },
];

/** Every function, with its HTTP routes from the route table. */
export const FUNCTIONS: FunctionDefinition[] = DEFINITIONS.map((d) => ({ ...d, routes: routesOf(d.name as FunctionName) }));

/** Used when a definition sets no timeout / memory (CDK and the local runtime both read these). */
export const DEFAULT_TIMEOUT_SECONDS = 10;
export const DEFAULT_MEMORY_MB = 256;

/** Single-table design: every entity shares one table; see layers/core/src/store/keys.ts. */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [{ indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
} as const;

export const MINING_QUEUE = {
  /** Redeliveries before a message is parked in the DLQ. */
  maxReceiveCount: MINING_MAX_RECEIVES,
  /** Shard messages are heavy (a whole scan segment each): one per invocation keeps memory bounded. */
  batchSize: 1,
  /** What the daily EventBridge rule puts on the queue (see mining-job/messages.ts). */
  scheduledMessage: { kind: 'start', trigger: 'schedule' },
} as const;

export const OUTBOUND_QUEUE = {
  /** Receives before a message is parked in the DLQ (a fan-out or a store error; failed attempts are scheduled, not thrown). */
  maxReceiveCount: 5,
  /** Deliveries wait on receivers, so a batch runs in parallel (functions/outbound). */
  batchSize: 10,
} as const;

/** What a function gets of sign-in: its `signIn`, else `verify` when it authenticates API requests (the `apiKeys` secret). */
export const signInOf = (def: FunctionDefinition): 'verify' | 'configure' | undefined =>
  def.signIn ?? (def.secrets?.includes('apiKeys') ? 'verify' : undefined);

/** Sign-in access -> the env vars a function gets. */
export const SIGN_IN_ENV = {
  verify: [ENV.signIn.userPoolId, ENV.signIn.clientId],
  configure: [ENV.signIn.userPoolId, ENV.signIn.clientId, ENV.signIn.domain],
} as const;

/** Secret name -> the env vars that carry it. */
export const SECRET_ENV: Record<SecretName, string[]> = {
  apiKeys: [ENV.apiKeys],
  piiHashKey: [ENV.piiHashKey],
  webhookSecrets: Object.values(ENV.webhookSecret),
};
