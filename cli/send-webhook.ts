/**
 * `patron send-webhook`: sign a JSON body exactly as its provider would (through the source
 * adapter's own `sign`, the same code the demo and the tests use, so the request passes the real
 * verifier) and POST it to a running Patron, e.g. the one `npm start` serves.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { basename } from 'node:path';
import { ENV } from '../layers/core/src/config.js';
import { ADAPTERS } from '../layers/core/src/ingest/sources/index.js';
import { SOURCES, type SourceName } from '../layers/core/src/touchpoint.js';
import { Opts, parse, type OptionSpec } from './args.js';
import { DEV_WEBHOOK_SECRETS } from './dev-secrets.js';
import { CliError, UsageError } from './errors.js';
import { readText } from './files.js';
import type { Io } from './io.js';

export const DEFAULT_URL = 'http://localhost:3000';

export const SEND_WEBHOOK_USAGE = `Usage: patron send-webhook --source generic|shopify|stripe|zendesk --event FILE
                  [--url URL] [--secret S] [--event-id ID] [--topic TOPIC] [--dry-run]

Sign the JSON body in FILE the way the provider would (the source adapter's own sign(): the
same signature scheme and headers, a fresh timestamp) and POST it to URL/webhooks/SOURCE.
Prints the HTTP status and the response body. The body is sent byte for byte as in FILE.

Options:
  --source S        generic (Standard Webhooks), shopify, stripe or zendesk
  --event FILE      the JSON body, e.g. events/stripe/charge-succeeded.json
  --url URL         where Patron runs (default ${DEFAULT_URL})
  --secret S        the signing secret; default: the first entry of $WEBHOOK_SECRET_<SOURCE>
                    when set, else the dev secret 'npm start' uses (local/dev-config.ts)
  --event-id ID     the delivery's event id (default: a fresh one, so each run is a new
                    event): webhook-id (generic), X-Shopify-Event-Id / X-Shopify-Webhook-Id
                    (shopify), X-Zendesk-Webhook-Invocation-Id (zendesk, used when the body
                    has no id). Stripe's event id is the body's "id", so resending a Stripe
                    file is a duplicate (200), as a Stripe retry would be.
  --topic TOPIC     shopify only: X-Shopify-Topic (e.g. orders/paid). Default: from the file
                    name (orders-paid.json -> orders/paid), else inferred from the body
  --dry-run         print the request (URL and headers) instead of sending it
  --debug           show stack traces on errors
  -h, --help        this help

Exit codes: 0 a 2xx answer (or --dry-run), 1 any other answer, an unreadable or non-JSON
file, or Patron unreachable, 2 bad usage.
`;

const OPTIONS: OptionSpec = {
  source: { type: 'string' },
  event: { type: 'string' },
  url: { type: 'string' },
  secret: { type: 'string' },
  'event-id': { type: 'string' },
  topic: { type: 'string' },
  'dry-run': { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * Shopify topics whose name can be read off a sample's file name: the topic with `/` and `_`
 * written `-` (events/shopify/customers-email-marketing-consent-update.json). An `unsupported-`
 * prefix (a real topic Patron ignores) is skipped.
 */
const SHOPIFY_TOPICS = [
  'orders/create',
  'orders/paid',
  'orders/updated',
  'orders/cancelled',
  'orders/fulfilled',
  'refunds/create',
  'customers/create',
  'customers/update',
  'customers/delete',
  'customers_email_marketing_consent/update',
  'customers_marketing_consent/update',
] as const;

export function shopifyTopicFromFileName(file: string): string | undefined {
  const stem = basename(file)
    .replace(/\.json$/i, '')
    .replace(/^unsupported-/, '');
  return SHOPIFY_TOPICS.find((topic) => topic.replace(/[/_]/g, '-') === stem);
}

export type SecretOrigin = 'option' | 'env' | 'dev';

export interface SendWebhookOptions {
  source: SourceName;
  file: string;
  /** Without a trailing slash. */
  url: string;
  secret: string;
  /** Where the secret came from, said on stderr so a 401 is easy to explain. */
  secretOrigin: SecretOrigin;
  eventId?: string;
  topic?: string;
  dryRun: boolean;
}

/** The options of one run; throws UsageError (exit 2). `env` supplies $WEBHOOK_SECRET_<SOURCE>. */
export function parseSendWebhookArgs(argv: readonly string[], env: Record<string, string | undefined>): SendWebhookOptions | 'help' {
  const { values } = parse(argv, OPTIONS, SEND_WEBHOOK_USAGE);
  const o = new Opts(values, SEND_WEBHOOK_USAGE);
  if (o.flag('help')) return 'help';
  const source = o.choice('source', SOURCES);
  if (source === undefined) throw new UsageError('missing --source', SEND_WEBHOOK_USAGE);
  const file = o.required('event');

  const rawUrl = o.string('url') ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url must be an http(s) URL (got '${rawUrl}')`, SEND_WEBHOOK_USAGE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be an http(s) URL (got '${rawUrl}')`, SEND_WEBHOOK_USAGE);
  }

  const topic = o.string('topic');
  if (topic !== undefined && source !== 'shopify') {
    throw new UsageError('--topic is for --source shopify only (other providers name the event in the body)', SEND_WEBHOOK_USAGE);
  }

  const envName = ENV.webhookSecret[source];
  // Like the runtime, the first of a comma-separated list (rotation) is the one that signs.
  const fromEnv = env[envName]
    ?.split(',')
    .map((s) => s.trim())
    .find(Boolean);
  const option = o.string('secret');
  const [secret, secretOrigin]: [string, SecretOrigin] =
    option !== undefined ? [option, 'option'] : fromEnv !== undefined ? [fromEnv, 'env'] : [DEV_WEBHOOK_SECRETS[source], 'dev'];

  return {
    source,
    file,
    url: url.href.replace(/\/+$/, ''),
    secret,
    secretOrigin,
    eventId: o.string('event-id'),
    topic,
    dryRun: o.flag('dry-run'),
  };
}

export interface SignedRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The request a provider would send for `body`: the adapter's signature headers stamped `now`,
 * plus Content-Type, plus (Shopify) the topic, which the adapter can only guess from the body.
 */
export function signedRequest(
  opts: Pick<SendWebhookOptions, 'source' | 'file' | 'url' | 'secret' | 'topic'>,
  body: string,
  now: Date,
  eventId: string,
): SignedRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(ADAPTERS[opts.source].sign(body, opts.secret, now, eventId))) {
    if (value !== undefined) headers[name] = value;
  }
  if (opts.source === 'shopify') {
    const topic = opts.topic ?? shopifyTopicFromFileName(opts.file) ?? headers['x-shopify-topic'];
    if (!topic) {
      throw new UsageError(`cannot tell the Shopify topic of ${opts.file}: pass --topic (e.g. orders/paid)`, SEND_WEBHOOK_USAGE);
    }
    headers['x-shopify-topic'] = topic;
  }
  return { url: `${opts.url}/webhooks/${opts.source}`, headers, body };
}

/** A fresh event id in the provider's style (Standard Webhooks ids are `msg_...`). */
export function freshEventId(source: SourceName): string {
  return source === 'generic' ? `msg_${randomUUID().replaceAll('-', '')}` : randomUUID();
}

export interface SendWebhookDeps {
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => Date;
  eventId?: (source: SourceName) => string;
}

const SECRET_ORIGIN: Record<SecretOrigin, (source: SourceName) => string> = {
  option: () => '--secret',
  env: (source) => `$${ENV.webhookSecret[source]}`,
  dev: () => "the dev secret of 'npm start'",
};

export async function runSendWebhook(argv: readonly string[], io: Io, deps: SendWebhookDeps = {}): Promise<number> {
  const opts = parseSendWebhookArgs(argv, deps.env ?? process.env);
  if (opts === 'help') {
    io.stdout.write(SEND_WEBHOOK_USAGE);
    return 0;
  }
  const body = readText(opts.file);
  try {
    JSON.parse(body);
  } catch (err) {
    throw new CliError(`${opts.file}: not JSON (${(err as Error).message})`);
  }
  const eventId = opts.eventId ?? (deps.eventId ?? freshEventId)(opts.source);
  const request = signedRequest(opts, body, (deps.now ?? (() => new Date()))(), eventId);

  if (opts.dryRun) {
    io.stdout.write(`POST ${request.url}\n`);
    for (const [name, value] of Object.entries(request.headers)) io.stdout.write(`${name}: ${value}\n`);
    return 0;
  }

  io.stderr.write(`signed with ${SECRET_ORIGIN[opts.secretOrigin](opts.source)}; POST ${request.url}\n`);
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new CliError(`cannot reach ${opts.url}: ${why} (is 'npm start' running?)`);
  }
  const text = await res.text();
  // The reason phrase from Node's table: fetch's statusText is whatever the server sent (often empty).
  io.stdout.write(`${res.status} ${STATUS_CODES[res.status] ?? ''}\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}`);
  return res.ok ? 0 : 1;
}
