import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { type ApiKey, parseApiKey } from './http/api-keys.js';
import { ConfigError } from './errors.js';
import type { SourceName } from './touchpoint.js';
import { parseRuleSet, type RuleSetConfig } from './offers/config.js';
import { MINING_DEFAULTS } from './mining/defaults.js';

/**
 * Environment variable names: the one list that infra/ (which sets them) and the code (which
 * reads them) share. In AWS the secret-bearing ones hold a Secrets Manager ARN; locally they hold
 * the value itself. Either way the code sees resolved values after `resolveConfig`.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  miningQueueUrl: 'MINING_QUEUE_URL',
  artifactBucket: 'ARTIFACT_BUCKET',
  apiKeys: 'API_KEYS',
  piiHashKey: 'PII_HASH_KEY',
  webhookSecret: {
    generic: 'WEBHOOK_SECRET_GENERIC',
    shopify: 'WEBHOOK_SECRET_SHOPIFY',
    stripe: 'WEBHOOK_SECRET_STRIPE',
    zendesk: 'WEBHOOK_SECRET_ZENDESK',
  } satisfies Record<SourceName, string>,
  /** Mining: parallel scan segments per run, customers in the model sample, the churn horizon, days a flag stays valid. */
  miningShards: 'MINING_SHARDS',
  miningSampleSize: 'MINING_SAMPLE_SIZE',
  churnHorizonDays: 'MINING_CHURN_HORIZON_DAYS',
  flagTtlDays: 'FLAG_TTL_DAYS',
  /** The offer rule set as JSON (see README, "Mistake prevention"); unset = the defaults. */
  offerRules: 'OFFER_RULES',
  /** Region assumed for phone numbers written without a country code (ISO 3166 alpha-2, e.g. DE). */
  defaultPhoneRegion: 'DEFAULT_PHONE_REGION',
  /** Outbound events: the queue events and deliveries go through, its DLQ, and the stack's EventBridge bus. */
  outboundQueueUrl: 'OUTBOUND_QUEUE_URL',
  outboundDlqUrl: 'OUTBOUND_DLQ_URL',
  eventBusName: 'EVENT_BUS_NAME',
  /** Local mode only: webhook subscriptions may use http:// on loopback (AWS: https only). */
  outboundAllowLocalHttp: 'OUTBOUND_ALLOW_LOCAL_HTTP',
  /** The local stack only: the published development key the console's sign-in form is filled with. */
  consoleDevApiKey: 'CONSOLE_DEV_API_KEY',
  /** Local mode only: where the AWS SDK clients point (DynamoDB Local, fauxqs, the local event bus). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  sqsEndpoint: 'SQS_ENDPOINT',
  s3Endpoint: 'S3_ENDPOINT',
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
  /**
   * Sign-in through the stack's Cognito user pool (infra/constructs/sign-in.ts). Functions that
   * authenticate API requests get the pool and app client ids (to verify access tokens beside API
   * keys); the console also gets the hosted UI domain. Unset or empty (the local stack, which has no
   * Cognito) = sign-in is not configured: a Bearer token is refused with 401, API keys still work.
   */
  signIn: {
    userPoolId: 'SIGN_IN_USER_POOL_ID',
    clientId: 'SIGN_IN_CLIENT_ID',
    domain: 'SIGN_IN_DOMAIN',
  },
} as const;

/** Names whose value may be a Secrets Manager ARN to be resolved at cold start. */
export const SECRET_ENV_NAMES = [ENV.apiKeys, ENV.piiHashKey, ...Object.values(ENV.webhookSecret)] as const;

const commaList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()).min(1, 'must hold at least one comma-separated value'));

const optionalList = z
  .string()
  .optional()
  .transform((s) =>
    s
      ? s
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
      : [],
  );

/** An optional variable where an empty value means unset (the local runtime sets sign-in variables to ''). */
const emptyAsUnset = <T extends z.ZodType<string>>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

// Keys spelled out (not ENV.x) so zod infers one field type per variable.
export const ConfigSchema = z.object({
  TABLE_NAME: z.string().min(1).optional(),
  MINING_QUEUE_URL: z.string().min(1).optional(),
  ARTIFACT_BUCKET: z.string().min(1).optional(),
  API_KEYS: optionalList.transform((entries, ctx) => {
    try {
      return entries.map(parseApiKey);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  PII_HASH_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_SECRET_GENERIC: optionalList.pipe(
    z.array(z.string().startsWith('whsec_', 'each secret must start with whsec_ (Standard Webhooks)')),
  ),
  WEBHOOK_SECRET_SHOPIFY: optionalList,
  WEBHOOK_SECRET_STRIPE: optionalList,
  WEBHOOK_SECRET_ZENDESK: optionalList,
  DYNAMODB_ENDPOINT: z.url().optional(),
  SQS_ENDPOINT: z.url().optional(),
  S3_ENDPOINT: z.url().optional(),
  EVENTBRIDGE_ENDPOINT: z.url().optional(),
  OUTBOUND_QUEUE_URL: z.string().min(1).optional(),
  OUTBOUND_DLQ_URL: z.string().min(1).optional(),
  EVENT_BUS_NAME: z.string().min(1).max(256).optional(),
  OUTBOUND_ALLOW_LOCAL_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  CONSOLE_DEV_API_KEY: z.string().min(1).max(256).optional(),
  MINING_SHARDS: z.coerce.number().int().min(1).max(256).default(MINING_DEFAULTS.shards),
  MINING_SAMPLE_SIZE: z.coerce.number().int().min(100).max(1_000_000).default(MINING_DEFAULTS.sampleSize),
  FLAG_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(MINING_DEFAULTS.flagTtlDays),
  MINING_CHURN_HORIZON_DAYS: z.coerce.number().int().min(7).max(730).default(MINING_DEFAULTS.churn.horizonDays),
  OFFER_RULES: z.string().optional(),
  SIGN_IN_USER_POOL_ID: emptyAsUnset(
    z.string().regex(/^(?:eusc-[a-z]{2}|[a-z]{2})-(?:gov-)?[a-z]+-\d_[0-9A-Za-z]+$/, 'must be a user pool id such as eu-west-1_AbC123xyz'),
  ),
  SIGN_IN_CLIENT_ID: emptyAsUnset(z.string().regex(/^[0-9A-Za-z]{1,128}$/, 'must be an app client id (letters and digits)')),
  SIGN_IN_DOMAIN: emptyAsUnset(
    z.string().regex(/^[0-9A-Za-z.-]+$/, 'must be a host name such as patron-abc.auth.eu-west-1.amazoncognito.com'),
  ),
  DEFAULT_PHONE_REGION: z
    .string()
    .refine((code): code is CountryCode => isSupportedCountry(code), 'must be an ISO 3166 alpha-2 code libphonenumber knows, such as DE')
    .optional(),
});
export { commaList };

export interface Config {
  tableName?: string;
  miningQueueUrl?: string;
  artifactBucket?: string;
  /** Accepted API keys (digests only) with their scopes. */
  apiKeys: ApiKey[];
  piiHashKey?: string;
  webhookSecrets: Record<SourceName, string[]>;
  endpoints: { dynamodb?: string; sqs?: string; s3?: string; eventBridge?: string };
  outbound: { queueUrl?: string; dlqUrl?: string; eventBusName?: string; allowLocalHttp: boolean };
  /** Filled into the console's sign-in form (local stack only). */
  consoleDevApiKey?: string;
  mining: { shards: number; sampleSize: number; flagTtlDays: number; churnHorizonDays: number };
  offerRules: RuleSetConfig;
  /** Region for phone numbers written without a country code; unset = such numbers are not identifiers. */
  defaultPhoneRegion?: CountryCode;
  /** The Cognito user pool whose access tokens the API accepts; unset = sign-in not configured (Bearer tokens get 401). */
  signIn?: SignInConfig;
}

export interface SignInConfig {
  userPoolId: string;
  /** The console's app client: access tokens must carry it as client_id. */
  clientId: string;
  /** The hosted UI domain (the console needs it; the API does not). */
  domain?: string;
}

type Env = Record<string, string | undefined>;
export type SecretResolver = (arn: string) => Promise<string>;

const isSecretArn = (v: string | undefined): v is string => !!v && v.startsWith('arn:aws:secretsmanager:');

/** True in AWS, where secret-bearing variables hold Secrets Manager ARNs (locally they hold values). */
export const holdsSecretArns = (env: Env): boolean => SECRET_ENV_NAMES.some((name) => isSecretArn(env[name]));

/**
 * Replaces every secret-bearing variable that holds a Secrets Manager ARN by the secret's value.
 * Called at cold start and again every SECRET_REFRESH_MS (deps.ts); local mode has plain values
 * and never calls the resolver.
 */
export async function resolveSecretEnv(env: Env, resolve: SecretResolver): Promise<Env> {
  const out: Env = { ...env };
  await Promise.all(
    SECRET_ENV_NAMES.filter((name) => isSecretArn(env[name])).map(async (name) => {
      out[name] = await resolve(env[name]!);
    }),
  );
  return out;
}

/** Parses the environment once and fails fast, naming the variable that is wrong. */
export function parseConfig(env: Env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  return {
    tableName: c.TABLE_NAME,
    miningQueueUrl: c.MINING_QUEUE_URL,
    artifactBucket: c.ARTIFACT_BUCKET,
    apiKeys: c.API_KEYS,
    piiHashKey: c.PII_HASH_KEY,
    webhookSecrets: {
      generic: c.WEBHOOK_SECRET_GENERIC,
      shopify: c.WEBHOOK_SECRET_SHOPIFY,
      stripe: c.WEBHOOK_SECRET_STRIPE,
      zendesk: c.WEBHOOK_SECRET_ZENDESK,
    },
    endpoints: { dynamodb: c.DYNAMODB_ENDPOINT, sqs: c.SQS_ENDPOINT, s3: c.S3_ENDPOINT, eventBridge: c.EVENTBRIDGE_ENDPOINT },
    outbound: {
      queueUrl: c.OUTBOUND_QUEUE_URL,
      dlqUrl: c.OUTBOUND_DLQ_URL,
      eventBusName: c.EVENT_BUS_NAME,
      allowLocalHttp: c.OUTBOUND_ALLOW_LOCAL_HTTP,
    },
    mining: {
      shards: c.MINING_SHARDS,
      sampleSize: c.MINING_SAMPLE_SIZE,
      flagTtlDays: c.FLAG_TTL_DAYS,
      churnHorizonDays: c.MINING_CHURN_HORIZON_DAYS,
    },
    offerRules: offerRules(c.OFFER_RULES),
    defaultPhoneRegion: c.DEFAULT_PHONE_REGION,
    signIn: signIn(c.SIGN_IN_USER_POOL_ID, c.SIGN_IN_CLIENT_ID, c.SIGN_IN_DOMAIN),
    consoleDevApiKey: c.CONSOLE_DEV_API_KEY,
  };
}

/** Sign-in needs the pool and the client together: one without the other is a wiring mistake, not "off". */
function signIn(userPoolId: string | undefined, clientId: string | undefined, domain: string | undefined): SignInConfig | undefined {
  if (!userPoolId && !clientId) return undefined;
  if (!userPoolId || !clientId) {
    const [set, unset] = userPoolId ? [ENV.signIn.userPoolId, ENV.signIn.clientId] : [ENV.signIn.clientId, ENV.signIn.userPoolId];
    throw new ConfigError(`Invalid configuration: ${unset}: must be set when ${set} is (sign-in needs both)`);
  }
  return { userPoolId, clientId, ...(domain ? { domain } : {}) };
}

function offerRules(json: string | undefined): RuleSetConfig {
  try {
    return parseRuleSet(json ?? '{}');
  } catch (error) {
    const issues = (error as { issues?: { path: string; message: string }[] }).issues ?? [];
    throw new ConfigError(
      `Invalid configuration: OFFER_RULES: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ') || (error as Error).message}`,
    );
  }
}

/** A required value, with a message that names the variable. */
export function required<T>(value: T | undefined, envName: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new ConfigError(`Missing configuration: ${envName} is not set`);
  }
  return value;
}
