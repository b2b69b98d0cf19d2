/**
 * The route table: every HTTP route of the API in one list, with the function that serves it, how
 * it is authenticated, its operation id and summary, its inputs and its responses per status.
 * From it come the CDK routes (infra/definitions.ts), each handler's dispatch and the auth
 * middleware (http/router.ts) and the OpenAPI document (openapi.ts). Adding a route is one entry
 * here plus its handler; the compiler then asks for the handler, and the tests for the docs.
 */
import { EVENT_TYPES } from '../outbound/events.js';
import {
  DeliveryPage,
  DeliveryQuery,
  SubscriptionCreate,
  SubscriptionList,
  SubscriptionPatch,
  SubscriptionView,
  SubscriptionWithSecret,
  TestDelivery,
} from '../outbound/schema.js';
import { PlaybookCreate, PlaybookPatch, StoredPlaybookSchema } from '../playbooks/schema.js';
import { z } from 'zod';
import { VALUE_TIERS } from '../mining/lifecycle.js';
import {
  Assignment,
  AssignmentRequest,
  BatchAssignmentRequest,
  BatchAssignmentResult,
  CAMPAIGN_LIMITS,
  CampaignCreate,
  CampaignEnvelope,
  CampaignListQuery,
  CampaignPage,
  CampaignResultsSchema,
  CampaignStatusChange,
} from '../campaigns/schema.js';
import { ResponseRates, ResponseRatesQuery } from '../flags/response-rates.js';
import { Customer360 } from '../customers/customer-360.js';
import {
  EmailQuery,
  ErasureResultSchema,
  ErrorBody,
  IngestResponse,
  TouchpointPageSchema,
  TouchpointQuery,
} from '../customers/api-schemas.js';
import { LookupRequest } from '../customers/lookup.js';
import { FlagQuery, FlagSchema, MiningRunView } from '../flags/flag-service.js';
import { BrowseQuery, CustomerBrowsePage } from '../flags/browse.js';
import { MiningRunList, RunListQuery } from '../flags/run-list.js';
import { SourcesHealth, SourcesQuery } from '../ingest/source-health.js';
import { FLUSH_INTERVAL_MS } from '../ingest/source-activity.js';
import { StartRunBody } from '../mining-job/messages.js';
import { RULE_DOCS } from '../offers/docs.js';
import { OfferListQuery, OfferStatusChange } from '../offers/offer-service.js';
import { Decision, Evaluation, Finding, OFFER_STATUSES, OfferRequest, RegisteredOffer, Severity } from '../offers/schema.js';
import { SOURCES, Touchpoint } from '../touchpoint.js';
import { SCOPES, type Scope } from './api-keys.js';

/** Every Lambda function of the stack (infra/definitions.ts has one entry per name). */
export const FUNCTION_NAMES = [
  'webhook',
  'customers',
  'mining-runs',
  'mining-worker',
  'flags',
  'offers',
  'subscriptions',
  'outbound',
  'playbooks',
  'playbook-tick',
  'console',
  'health',
  'openapi',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * `api-key`: a credential holding the route's `scope`: the `x-api-key` header matching API_KEYS, or
 * `Authorization: Bearer <access token>` of a user signed in through the stack's Cognito user pool
 * (their groups are their scopes). Checked by the router before the handler (http/router.ts).
 * `credential`: the same credentials, but any valid one will do, whatever its scopes (`GET /me`).
 * `webhook-signature`: the provider's signature over the raw body, verified by the ingest with the
 * source's WEBHOOK_SECRET_* (it needs the raw body and the source, so not a generic middleware).
 * `none`: public.
 */
export type Auth = 'none' | 'api-key' | 'credential' | 'webhook-signature';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** The body's media type when it is not JSON (the console's page and assets). */
  mediaType?: string;
  headers?: z.ZodObject;
}

export interface RouteSpec {
  method: HttpMethod;
  /** API Gateway path template, e.g. `/customers/{id}`. */
  path: string;
  fn: FunctionName;
  auth: Auth;
  /** The scope an `api-key` route needs (admin holds every scope; unset = admin). */
  scope?: Scope;
  operationId: string;
  summary: string;
  description?: string;
  tag: keyof typeof TAGS;
  params?: { path?: z.ZodObject; query?: z.ZodObject; header?: z.ZodObject };
  /** Ends something for good (e.g. a campaign): request collections list it after the routes that use it. */
  final?: boolean;
  /** `example`: a body the route accepts on the demo's data (the OpenAPI example, and patron.http's body). */
  body?: { schema: z.ZodType; required: boolean; example?: unknown };
  /** Success and route-specific errors; 401 (for auth) and 500 are added for every route. */
  responses: Record<number, ResponseSpec>;
}

const error = (description: string): ResponseSpec => ({ description, schema: ErrorBody });

// ---- response schemas that belong to the API surface rather than to one service
const FlagPage = z.object({ runId: z.string(), items: z.array(FlagSchema), nextCursor: z.string().nullable() }).meta({ id: 'FlagPage' });
const CustomerFlags = z
  .object({ customerId: z.string(), runId: z.string().nullable(), items: z.array(FlagSchema) })
  .meta({ id: 'CustomerFlags' });
const ValueTierRow = z
  .object({
    tier: z.enum(VALUE_TIERS),
    customers: z.number().int(),
    share: z.number(),
    meanClvMinor: z.number(),
    meanSpendMinor: z.number(),
    clvShare: z.number(),
  })
  .meta({ id: 'ValueTier' });
const Segments = z
  .object({
    runId: z.string(),
    completedAt: z.string().optional(),
    k: z.number().int().optional(),
    segments: z.array(z.record(z.string(), z.unknown())),
    tiers: z.array(ValueTierRow),
  })
  .meta({ id: 'Segments', description: 'Segments with sizes and centroid profiles, and the value tiers' });
const Funnel = z
  .object({
    runId: z.string(),
    completedAt: z.string().optional(),
    funnel: z
      .object({
        stages: z.record(z.string(), z.number().int()).meta({ description: 'Customers per lifecycle stage now' }),
        reached: z
          .object({ known: z.number().int(), bought: z.number().int(), repeated: z.number().int(), loyal: z.number().int() })
          .meta({ description: 'Customers who ever reached each step: known, first purchase, second purchase, loyal' }),
        conversion: z
          .object({ prospectToFirst: z.number().nullable(), firstToRepeat: z.number().nullable(), repeatToLoyal: z.number().nullable() })
          .meta({ description: 'Share of those who reached a step who went on to the next' }),
      })
      .nullable(),
    tiers: z.array(ValueTierRow),
  })
  .meta({ id: 'Funnel', description: 'Lifecycle funnel and value tiers of the latest completed run' });
const CustomerMatches = z.object({ customers: z.array(Customer360) }).meta({ id: 'CustomerMatches' });
const Health = z
  .object({ status: z.literal('ok'), table: z.object({ reachable: z.boolean(), latencyMs: z.number() }) })
  .meta({ id: 'Health' });
const Me = z
  .object({
    principal: z.string().meta({ description: "The API key's name, or the signed-in user's Cognito username" }),
    kind: z.enum(['api-key', 'user']),
    scopes: z
      .array(z.enum(SCOPES))
      .meta({ description: 'What it may do (admin holds every scope); a user gets the groups named like a scope' }),
  })
  .meta({ id: 'Me', description: 'Who the credential belongs to and its scopes' });
const OpenApi = z.record(z.string(), z.unknown()).meta({ id: 'OpenApiDocument', description: 'This document' });
const Offer = RegisteredOffer.extend({
  status: z.enum(OFFER_STATUSES).meta({ description: 'An active offer past validUntil reads as expired' }),
  updatedAt: z.string(),
}).meta({ id: 'Offer', description: 'A registered offer or action' });
const OfferAuditRecord = z
  .object({
    offerId: z.string(),
    at: z.string(),
    action: z.enum(['created', 'overridden', 'status-changed']),
    actor: z.string().meta({
      description:
        'created: override actor, else team, else "api"; overridden and status-changed: the person or system named in the request',
    }),
    reason: z.string().optional(),
    from: z.enum(OFFER_STATUSES).optional(),
    to: z.enum(OFFER_STATUSES).optional(),
    decision: Decision.optional().meta({ description: 'created: the decision the registration passed with' }),
    findings: z.array(z.object({ rule: z.string(), severity: Severity, message: z.string() })).optional(),
  })
  .meta({ id: 'OfferAuditRecord' });
const OfferRegistration = z
  .object({ offer: Offer, decision: Decision, findings: z.array(Finding) })
  .meta({ id: 'OfferRegistration', description: 'The stored offer with the decision (allow or warn) and findings it passed with' });
const OfferWithAudit = z.object({ offer: Offer, audit: z.array(OfferAuditRecord) }).meta({ id: 'OfferWithAudit' });
const OfferBlocked = z
  .object({ error: z.literal('offer_blocked'), message: z.string(), decision: z.literal('block'), findings: z.array(Finding) })
  .meta({ id: 'OfferBlocked', description: 'Nothing stored; the same {decision, findings} a dry run returns' });
const PlaybookList = z.object({ items: z.array(StoredPlaybookSchema) }).meta({ id: 'PlaybookList' });
const CustomerOffers = z.object({ customerId: z.string(), items: z.array(Offer) }).meta({ id: 'CustomerOffers' });

const customerId = z.object({ id: z.string().meta({ description: 'Customer id (a merged id answers with the surviving customer)' }) });
const offerId = z.object({ id: z.string().meta({ description: 'Offer id (ULID)' }) });
const runId = z.object({ id: z.string().meta({ description: 'Mining run id (ULID)' }) });
const campaignId = z.object({ id: z.string().meta({ description: 'Campaign id (ULID)' }) });
const subscriptionId = z.object({ id: z.string().meta({ description: 'Subscription id (ULID)' }) });
const playbookId = z.object({ id: z.string().meta({ description: 'Playbook id (ULID)' }) });
const eventList = EVENT_TYPES.map((t) => `\`${t}\``).join(', ');
const ruleList = RULE_DOCS.map((d) => `\`${d.rule}\` (${d.severity}${d.defaults.includes('overridable') ? ', overridable' : ''})`).join(
  ', ',
);

/**
 * The headers that identify a delivery per source; the signature headers themselves are the
 * security schemes of the webhook route (openapi.ts, WEBHOOK_SIGNATURE_SCHEMES).
 */
const WebhookHeaders = z.object({
  'webhook-id': z.string().optional().meta({ description: 'generic (Standard Webhooks): the event id, the idempotency key' }),
  'webhook-timestamp': z.string().optional().meta({ description: 'generic: Unix seconds; at most 5 minutes from now' }),
  'x-shopify-topic': z
    .string()
    .optional()
    .meta({ description: 'shopify: e.g. orders/create, orders/paid, refunds/create, customers/create' }),
  'x-shopify-event-id': z.string().optional().meta({ description: 'shopify: the event id, the idempotency key (required)' }),
  'x-zendesk-webhook-signature-timestamp': z
    .string()
    .optional()
    .meta({ description: 'zendesk: the timestamp that is signed together with the body' }),
});

/** The signature header of each webhook source, as an OpenAPI apiKey-in-header scheme. */
export const WEBHOOK_SIGNATURE_SCHEMES = {
  standardWebhooks: {
    header: 'webhook-signature',
    description:
      'generic: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` with WEBHOOK_SECRET_GENERIC; several space-separated while rotating',
  },
  shopifyHmac: {
    header: 'X-Shopify-Hmac-Sha256',
    description: 'shopify: base64 HMAC-SHA256 of the raw body with the app secret (WEBHOOK_SECRET_SHOPIFY)',
  },
  stripeSignature: {
    header: 'Stripe-Signature',
    description: 'stripe: `t=<unix>,v1=<hex HMAC-SHA256 of t.body>` with the endpoint secret (WEBHOOK_SECRET_STRIPE)',
  },
  zendeskSignature: {
    header: 'X-Zendesk-Webhook-Signature',
    description: 'zendesk: base64 HMAC-SHA256 of timestamp + body with the signing secret (WEBHOOK_SECRET_ZENDESK)',
  },
} as const;

/** Tags in the order the document lists them. */
export const TAGS = {
  Ingest: 'Provider webhooks in: verified, validated, deduplicated, stored as touchpoints',
  Customers: 'The customer 360, history, lookup and erasure',
  Mining: 'Mining runs and their results: flags and segments',
  Offers: 'Mistake prevention: check and register offers and actions',
  Campaigns: 'Campaigns and their control groups: who is held out, decided once and kept',
  Playbooks: 'Timed sequences of actions, each checked like an offer, fired by a scheduled tick',
  Events: 'Outbound events: webhook subscriptions (Standard Webhooks) and their deliveries',
  Operations: 'Health, who am I, and this document',
  Console: 'The web console for people: its page and assets (same origin as the API, so no CORS)',
} as const;

export const ROUTES = [
  {
    method: 'POST',
    path: '/webhooks/{source}',
    fn: 'webhook',
    auth: 'webhook-signature',
    operationId: 'receiveWebhook',
    tag: 'Ingest',
    summary: 'Receive a provider webhook',
    description:
      'Signature checked on the raw body before parsing: Standard Webhooks (generic), X-Shopify-Hmac-Sha256, Stripe-Signature, X-Zendesk-Webhook-Signature. ' +
      'The generic source takes the canonical touchpoint below; the others take the provider payloads.',
    params: { path: z.object({ source: z.enum(SOURCES) }), header: WebhookHeaders },
    body: {
      schema: z.union([
        Touchpoint.meta({
          id: 'Touchpoint',
          description: 'generic: the canonical touchpoint; customer needs at least one of email, phone or externalId',
        }),
        z
          .record(z.string(), z.unknown())
          .meta({ id: 'ProviderPayload', description: "shopify, stripe, zendesk: the provider's own webhook payload, as it sends it" }),
      ]),
      required: true,
      // A generic purchase by Ann (events/generic/purchase.json has the full shape).
      example: {
        type: 'purchase',
        occurredAt: '2026-11-30T10:00:00Z',
        customer: { email: 'ann@example.com' },
        data: {
          orderId: 'o-1042',
          currency: 'EUR',
          totalMinor: 2599,
          items: [{ sku: 'COF-1', category: 'coffee', quantity: 1, unitPriceMinor: 2599 }],
        },
      },
    },
    responses: {
      200: { description: 'Redelivery of an event already stored (duplicate: true)', schema: IngestResponse },
      201: { description: 'Stored', schema: IngestResponse },
      202: {
        description:
          'Known provider event type Patron does not use, a delivery for an erased customer (ignored: true), or a Shopify refund of an order not seen yet (parked: true)',
        schema: IngestResponse,
      },
      400: error('Body is not JSON'),
      404: error('Unknown source'),
      413: error('Body over 256 KB'),
      422: error('Payload violates the schema; issues lists each field'),
    },
  },
  {
    method: 'GET',
    path: '/sources',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getSourcesHealth',
    tag: 'Ingest',
    summary:
      'Per webhook source: last delivery, deliveries accepted, duplicate, ignored, parked and rejected in the last 24 hours and 7 days, and stale when it has gone quiet',
    description:
      `Counted without a write per delivery: each webhook container counts in memory and writes its counts at its first delivery after a quiet period, then at most every ${FLUSH_INTERVAL_MS / 1000} seconds, at a later delivery. So what a container counted since its last write shows at its next delivery ${FLUSH_INTERVAL_MS / 1000} seconds or more later, and is lost if the container is recycled before that. ` +
      'Windows are counted in whole hours (up to one hour more than their name). Counting started with this route: deliveries before it are not counted.',
    params: { query: SourcesQuery },
    responses: {
      200: { description: 'Every source, in a fixed order', schema: SourcesHealth },
      422: error('Invalid query (staleAfterHours 1-720; unknown parameters are refused)'),
    },
  },
  {
    method: 'GET',
    path: '/customers',
    fn: 'customers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'findCustomers',
    tag: 'Customers',
    summary: 'Find customers by email (through the hashed alias); prefer POST /customers/lookup, which keeps the email out of the URL',
    params: { query: EmailQuery },
    responses: {
      200: { description: 'Matches (zero or one)', schema: CustomerMatches },
      422: error('Invalid query'),
    },
  },
  {
    method: 'POST',
    path: '/customers/lookup',
    fn: 'customers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'lookupCustomers',
    tag: 'Customers',
    summary: 'Find customers by email or phone, with the PII in the body (preferred over GET /customers?email=)',
    description: 'The address or number never appears in a URL, so it stays out of access logs, proxies and browser history.',
    body: { schema: LookupRequest, required: true },
    responses: {
      200: { description: 'Matches (zero or one)', schema: CustomerMatches },
      400: error('Body is not JSON'),
      422: error('Invalid body: exactly one of email or phone'),
    },
  },
  {
    method: 'GET',
    path: '/customers/{id}',
    fn: 'customers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getCustomer',
    tag: 'Customers',
    summary: 'Customer 360',
    params: { path: customerId },
    responses: { 200: { description: 'The customer', schema: Customer360 }, 404: error('Unknown customer') },
  },
  {
    method: 'DELETE',
    path: '/customers/{id}',
    fn: 'customers',
    auth: 'api-key',
    scope: 'customers:erase',
    operationId: 'eraseCustomer',
    tag: 'Customers',
    summary: 'Erase a customer (right to be forgotten)',
    params: { path: customerId },
    responses: {
      200: { description: 'Erased; an audit record without PII is kept', schema: ErasureResultSchema },
      404: error('Unknown customer'),
    },
  },
  {
    method: 'GET',
    path: '/customers/{id}/touchpoints',
    fn: 'customers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listTouchpoints',
    tag: 'Customers',
    summary: 'Touchpoint history, newest first (by occurredAt)',
    params: { path: customerId, query: TouchpointQuery },
    responses: {
      200: { description: 'A page; pass nextCursor as cursor for the next', schema: TouchpointPageSchema },
      400: error('Invalid cursor'),
      404: error('Unknown customer'),
      422: error('Invalid query'),
    },
  },
  {
    method: 'POST',
    path: '/mining-runs',
    fn: 'mining-runs',
    auth: 'api-key',
    scope: 'mining:run',
    operationId: 'startMiningRun',
    tag: 'Mining',
    summary: 'Start a mining run (extract, fit, score, finalize through the mining queue)',
    body: { schema: StartRunBody, required: false },
    responses: {
      202: {
        description: 'Started; poll its Location',
        schema: MiningRunView,
        headers: z.object({ location: z.string().meta({ description: 'The run, relative: /mining-runs/{id}' }) }),
      },
      400: error('Body is not JSON'),
      422: error('Invalid body'),
    },
  },
  {
    method: 'GET',
    path: '/mining-runs',
    fn: 'mining-runs',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listMiningRuns',
    tag: 'Mining',
    summary: 'Mining runs, newest first: phase, trigger, times, shards and the headline numbers of each summary',
    description:
      'Runs started before this route existed are not listed (they have no index entry); GET /mining-runs/{id} still answers them, with the whole summary.',
    params: { query: RunListQuery },
    responses: {
      200: { description: 'A page of runs; pass nextCursor as cursor for the next', schema: MiningRunList },
      400: error('Invalid cursor'),
      422: error('Invalid query (limit 1-50; unknown parameters are refused)'),
    },
  },
  {
    method: 'GET',
    path: '/mining-runs/{id}',
    fn: 'mining-runs',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getMiningRun',
    tag: 'Mining',
    summary: 'A run: phase, shards done/total, counts, timings, segment table, errors',
    params: { path: runId },
    responses: { 200: { description: 'The run', schema: MiningRunView }, 404: error('Unknown run') },
  },
  {
    method: 'GET',
    path: '/flags',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listFlags',
    tag: 'Mining',
    summary: 'Flags of the latest completed run, highest score first (from an index, not a scan)',
    params: { query: FlagQuery },
    responses: {
      200: { description: 'A page of flags', schema: FlagPage },
      400: error('Invalid cursor'),
      404: error('No completed run yet'),
      422: error('Invalid query'),
    },
  },
  {
    method: 'GET',
    path: '/customer-scores',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'browseCustomers',
    tag: 'Mining',
    summary:
      'Browse the customers of the latest completed run by value (CLV), most valuable first (order=asc: least), filtered by segment, value tier, lifecycle stage or flag type; customers scored before this route existed are listed from the next run on',
    description:
      "Read from a per-run index in CLV order (no scan); each call reads at most 10 index pages, so a selective filter may answer a short page (even an empty one) with a nextCursor: follow it until it is null. Items carry the customer's first and last name only (no email or phone); customers erased or merged since the run are left out. A cursor belongs to the run it was issued in: after a newer run completes it answers 409.",
    params: { query: BrowseQuery },
    responses: {
      200: { description: 'A page of customers by value', schema: CustomerBrowsePage },
      400: error('Invalid cursor'),
      404: error('No completed run yet'),
      409: error('A newer run completed since the cursor was issued (start again without it)'),
      422: error('Invalid query: issues names each parameter (unknown segment, tier, stage or flag type; limit 1-100; unknown parameters)'),
    },
  },
  {
    method: 'GET',
    path: '/customers/{id}/flags',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listCustomerFlags',
    tag: 'Mining',
    summary: "The customer's flags from the latest completed run",
    params: { path: customerId },
    responses: { 200: { description: 'Flags, highest score first', schema: CustomerFlags }, 404: error('Unknown customer') },
  },
  {
    method: 'GET',
    path: '/segments',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listSegments',
    tag: 'Mining',
    summary: 'Segment table of the latest completed run',
    responses: { 200: { description: 'Segments with sizes and centroid profiles', schema: Segments }, 404: error('No completed run yet') },
  },
  {
    method: 'GET',
    path: '/funnel',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getFunnel',
    tag: 'Mining',
    summary: 'Lifecycle funnel (prospect to loyal, lapsing, lapsed) and value tiers of the latest completed run',
    responses: { 200: { description: 'Funnel and tiers', schema: Funnel }, 404: error('No completed run yet') },
  },
  {
    method: 'GET',
    path: '/response-rates',
    fn: 'flags',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getResponseRates',
    tag: 'Mining',
    summary:
      'Response rates to offers by flag type, segment, channel and value tier, smoothed toward the overall rate (as of the latest run)',
    params: { query: ResponseRatesQuery },
    responses: {
      200: { description: 'Response rates with their counts', schema: ResponseRates },
      404: error('No completed run yet'),
      422: error('Invalid query'),
    },
  },
  {
    method: 'POST',
    path: '/offers/check',
    fn: 'offers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'checkOffer',
    tag: 'Offers',
    summary: 'Dry run: check an offer or action against what is known about the customer and what was already offered',
    description: `Runs every enabled rule of the rule set (OFFER_RULES) and answers the decision (the worst finding severity; allow when none) and the findings. Stores nothing. Rules, default severity: ${ruleList}.`,
    body: {
      schema: OfferRequest,
      required: true,
      // Ann is one of the people every demo base holds (local/demo/population.ts README_PEOPLE).
      example: { email: 'ann@example.com', kind: 'offer', productId: 'SUB-TEA-1M', channel: 'mail', team: 'newsletter' },
    },
    responses: {
      200: { description: 'The decision and findings, blocks first', schema: Evaluation },
      400: error('Body is not JSON'),
      404: error('Unknown customer or email'),
      422: error('Invalid body; issues lists each field (unknown fields included)'),
    },
  },
  {
    method: 'POST',
    path: '/offers',
    fn: 'offers',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'registerOffer',
    tag: 'Offers',
    summary: 'Check and register an offer or action in one step',
    description:
      "Written only if the customer's offer ledger has not changed since the check read it (one DynamoDB transaction), so two conflicting registrations cannot both pass. " +
      'A block answers 409 and stores nothing, unless every blocking rule is overridable and the body carries override {actor, reason}. ' +
      'With an Idempotency-Key, a retry of the same body replays the first 201 (header idempotent-replayed: true) for 24 hours.',
    params: {
      header: z.object({
        'idempotency-key': z
          .string()
          .min(1)
          .max(255)
          .optional()
          .meta({ description: 'Optional, 1-255 characters; the same key with another body answers 422' }),
      }),
    },
    body: {
      schema: OfferRequest,
      required: true,
      // Ann is one of the people every demo base holds (local/demo/population.ts README_PEOPLE).
      example: { email: 'ann@example.com', kind: 'offer', productId: 'SUB-TEA-1M', channel: 'mail', team: 'newsletter' },
    },
    responses: {
      201: {
        description: 'Registered (decision allow or warn); a replay carries the header idempotent-replayed: true',
        headers: z.object({
          'idempotent-replayed': z.literal('true').optional().meta({ description: 'Present on a replay of an Idempotency-Key' }),
        }),
        schema: OfferRegistration,
      },
      400: error('Body is not JSON'),
      404: error('Unknown customer or email'),
      409: {
        description:
          'Blocked (error offer_blocked, with decision and findings), or conflict: the offers kept changing during the check (retry)',
        schema: z.union([OfferBlocked, ErrorBody]),
      },
      422: error('Invalid body or Idempotency-Key, or the key was already used with a different body'),
    },
  },
  {
    method: 'GET',
    path: '/offers/{id}',
    fn: 'offers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getOffer',
    tag: 'Offers',
    summary: 'An offer with its audit trail (created, overridden, status changes)',
    params: { path: offerId },
    responses: { 200: { description: 'The offer and its audit records, by time', schema: OfferWithAudit }, 404: error('Unknown offer') },
  },
  {
    method: 'PATCH',
    path: '/offers/{id}',
    fn: 'offers',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'changeOfferStatus',
    tag: 'Offers',
    summary: 'Change the status of an active offer',
    description:
      'active -> accepted, declined, withdrawn or expired; every other status is final. An active offer past validUntil can only be marked expired. Audited with actor and reason.',
    params: { path: offerId },
    body: { schema: OfferStatusChange, required: true },
    responses: {
      200: { description: 'The offer after the change, with its audit trail', schema: OfferWithAudit },
      400: error('Body is not JSON'),
      404: error('Unknown offer'),
      409: error('Transition not allowed from the current status, or the status changed meanwhile'),
      422: error('Invalid body (unknown status, missing actor, unknown field)'),
    },
  },
  {
    method: 'GET',
    path: '/customers/{id}/offers',
    fn: 'offers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listCustomerOffers',
    tag: 'Offers',
    summary: "The customer's offers, newest first",
    params: { path: customerId, query: OfferListQuery },
    responses: {
      200: { description: 'Offers registered on the customer id', schema: CustomerOffers },
      404: error('Unknown customer'),
      422: error('Invalid query'),
    },
  },
  {
    method: 'POST',
    path: '/campaigns',
    fn: 'offers',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'createCampaign',
    tag: 'Campaigns',
    summary: 'Create a campaign with a control group (holdoutPercent, default 10)',
    body: { schema: CampaignCreate, required: true },
    responses: {
      201: { description: 'Created, active', schema: CampaignEnvelope },
      400: error('Body is not JSON'),
      422: error('Invalid body; issues lists each field (unknown fields included)'),
    },
  },
  {
    method: 'GET',
    path: '/campaigns',
    fn: 'offers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listCampaigns',
    tag: 'Campaigns',
    summary: 'Campaigns, newest first',
    params: { query: CampaignListQuery },
    responses: {
      200: { description: 'A page; pass nextCursor as cursor for the next', schema: CampaignPage },
      400: error('Invalid cursor'),
      422: error('Invalid query'),
    },
  },
  {
    method: 'GET',
    path: '/campaigns/{id}',
    fn: 'offers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getCampaign',
    tag: 'Campaigns',
    summary: 'A campaign (a campaign past endsAt reads as ended)',
    params: { path: campaignId },
    responses: { 200: { description: 'The campaign', schema: CampaignEnvelope }, 404: error('Unknown campaign') },
  },
  {
    method: 'POST',
    path: '/campaigns/{id}/assignments',
    fn: 'offers',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'assignToCampaign',
    tag: 'Campaigns',
    summary: "Assign a customer to the campaign's treatment or control group (decided once, then kept)",
    description:
      'The group is deterministic: control iff a keyed hash of (campaign, customer) falls below holdoutPercent. The first call stores it; every later call answers the stored assignment (same group, same assignedAt).',
    params: { path: campaignId },
    body: { schema: AssignmentRequest, required: true },
    responses: {
      200: { description: 'The assignment', schema: Assignment },
      400: error('Body is not JSON'),
      404: error('Unknown campaign, or unknown or erased customer'),
      409: error('The campaign has ended'),
      422: error('Invalid body'),
    },
  },
  {
    method: 'POST',
    path: '/campaigns/{id}/assignments/batch',
    fn: 'offers',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'assignToCampaignBatch',
    tag: 'Campaigns',
    summary: `Assign up to ${CAMPAIGN_LIMITS.MAX_BATCH} customers at once`,
    params: { path: campaignId },
    body: { schema: BatchAssignmentRequest, required: true },
    responses: {
      200: { description: 'The assignments, and the ids with no live customer', schema: BatchAssignmentResult },
      400: error('Body is not JSON'),
      404: error('Unknown campaign'),
      409: error('The campaign has ended'),
      422: error('Invalid body'),
    },
  },
  {
    method: 'GET',
    path: '/campaigns/{id}/results',
    fn: 'offers',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getCampaignResults',
    tag: 'Campaigns',
    summary: 'Treatment against control: conversion, uplift with its interval and p-value, incremental revenue',
    description:
      "Counted from the campaign's assignments as purchases arrive (attributed at ingest): overall, by segment, by value tier and by channel. `measurement` says how in words, `method` names the statistics, and `note` says when the groups are too small to conclude.",
    params: { path: campaignId },
    responses: { 200: { description: 'The results so far', schema: CampaignResultsSchema }, 404: error('Unknown campaign') },
  },
  // Ending a campaign is final for it: listed after what a campaign is used for (patron.http follows this order).
  {
    method: 'PATCH',
    path: '/campaigns/{id}',
    fn: 'offers',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'endCampaign',
    final: true,
    tag: 'Campaigns',
    summary: 'End a campaign now (endsAt becomes now)',
    description: 'No customer is assigned to an ended campaign; the assignments made stay, and the holdout rule keeps applying them.',
    params: { path: campaignId },
    body: { schema: CampaignStatusChange, required: true },
    responses: {
      200: { description: 'The campaign, ended', schema: CampaignEnvelope },
      400: error('Body is not JSON'),
      404: error('Unknown campaign'),
      409: error('The campaign has ended already'),
      422: error('Invalid body'),
    },
  },
  {
    method: 'POST',
    path: '/playbooks',
    fn: 'playbooks',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'createPlaybook',
    tag: 'Playbooks',
    summary: 'Create a playbook: a trigger, then timed steps, each registered as a checked offer or action',
    description:
      'Triggers: a flag type a mining run raises, a first purchase, a purchase of a product or category, the anniversary of the first purchase or membership, a yearly date. ' +
      "Each step fires once per customer at trigger + delay, through the same check as POST /offers (under the playbook's campaign, if any: holdouts apply), " +
      'and is announced as action.due (allowed) or action.blocked (with the findings). Shipped examples: events/playbooks/.',
    body: { schema: PlaybookCreate, required: true },
    responses: {
      201: { description: 'Created', schema: StoredPlaybookSchema },
      400: error('Body is not JSON'),
      409: error('At most 100 playbooks'),
      422: error('Invalid playbook; issues lists every field error (an unknown campaignId included)'),
    },
  },
  {
    method: 'GET',
    path: '/playbooks',
    fn: 'playbooks',
    auth: 'api-key',
    scope: 'read',
    operationId: 'listPlaybooks',
    tag: 'Playbooks',
    summary: 'Every playbook, oldest first',
    responses: { 200: { description: 'The playbooks', schema: PlaybookList } },
  },
  {
    method: 'GET',
    path: '/playbooks/{id}',
    fn: 'playbooks',
    auth: 'api-key',
    scope: 'read',
    operationId: 'getPlaybook',
    tag: 'Playbooks',
    summary: 'A playbook',
    params: { path: playbookId },
    responses: { 200: { description: 'The playbook', schema: StoredPlaybookSchema }, 404: error('Unknown playbook') },
  },
  {
    method: 'PATCH',
    path: '/playbooks/{id}',
    fn: 'playbooks',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'changePlaybook',
    tag: 'Playbooks',
    summary: 'Change name, description, enabled or steps (a fired step never fires again, whatever the edit)',
    params: { path: playbookId },
    body: { schema: PlaybookPatch, required: true },
    responses: {
      200: { description: 'The playbook after the change', schema: StoredPlaybookSchema },
      400: error('Body is not JSON'),
      404: error('Unknown playbook'),
      409: error('The playbook changed meanwhile (retry)'),
      422: error('Invalid patch; trigger and campaignId cannot change'),
    },
  },
  {
    method: 'DELETE',
    path: '/playbooks/{id}',
    fn: 'playbooks',
    auth: 'api-key',
    scope: 'offers:write',
    operationId: 'deletePlaybook',
    final: true,
    tag: 'Playbooks',
    summary: 'Delete a playbook: no customer enters it any more, and no further step fires (what fired stays on record as offers)',
    params: { path: playbookId },
    responses: { 204: { description: 'Deleted' }, 404: error('Unknown playbook') },
  },
  {
    method: 'POST',
    path: '/subscriptions',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'createSubscription',
    tag: 'Events',
    summary: 'Subscribe a URL to events; answers the signing secret once',
    description:
      `Events: ${eventList}. Deliveries are signed as Standard Webhooks specifies (webhook-id, webhook-timestamp, webhook-signature), ` +
      'retried with backoff for about 27 hours (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then failed and the subscription disabled; a 410 answer disables it at once. ' +
      'The URL must be https (locally also http on loopback) and must not resolve to a private, loopback, link-local or metadata address.',
    body: {
      schema: SubscriptionCreate,
      required: true,
      example: { url: 'https://example.com/patron-events', events: ['flag.raised', 'action.due'] },
    },
    responses: {
      201: { description: 'Created; the secret is not shown again (rotate it to get a new one)', schema: SubscriptionWithSecret },
      400: error('Body is not JSON'),
      409: error('Too many subscriptions'),
      422: error('Invalid body; a refused URL names the reason'),
    },
  },
  {
    method: 'GET',
    path: '/subscriptions',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'listSubscriptions',
    tag: 'Events',
    summary: 'Every subscription, oldest first (without secrets)',
    responses: { 200: { description: 'The subscriptions', schema: SubscriptionList } },
  },
  {
    method: 'GET',
    path: '/subscriptions/{id}',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'getSubscription',
    tag: 'Events',
    summary: 'A subscription: URL, events, status (and why it was disabled)',
    params: { path: subscriptionId },
    responses: { 200: { description: 'The subscription', schema: SubscriptionView }, 404: error('Unknown subscription') },
  },
  {
    method: 'PATCH',
    path: '/subscriptions/{id}',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'changeSubscription',
    tag: 'Events',
    summary: 'Change URL, events or description, or re-enable (status active)',
    params: { path: subscriptionId },
    body: { schema: SubscriptionPatch, required: true },
    responses: {
      200: { description: 'The subscription after the change', schema: SubscriptionView },
      400: error('Body is not JSON'),
      404: error('Unknown subscription'),
      422: error('Invalid body; a refused URL names the reason'),
    },
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/rotate-secret',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'rotateSubscriptionSecret',
    tag: 'Events',
    summary: 'A new signing secret; every previous one keeps signing for 24 hours from its rotation (at most 4 sign at once)',
    params: { path: subscriptionId },
    responses: {
      200: { description: 'The new secret, shown once', schema: SubscriptionWithSecret },
      404: error('Unknown subscription'),
      409: error('The subscription changed meanwhile (retry), or 4 secrets already sign (wait for the oldest to expire)'),
    },
  },
  {
    method: 'GET',
    path: '/subscriptions/{id}/deliveries',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'listDeliveries',
    tag: 'Events',
    summary: 'Deliveries to the subscription, newest first: status, attempts, last error, next try',
    params: { path: subscriptionId, query: DeliveryQuery },
    responses: {
      200: { description: 'A page of deliveries', schema: DeliveryPage },
      400: error('Invalid cursor'),
      404: error('Unknown subscription'),
      422: error('Invalid query'),
    },
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/test',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'testSubscription',
    tag: 'Events',
    summary: 'Queue a subscription.test event to this subscription (follow it in its deliveries)',
    params: { path: subscriptionId },
    responses: {
      202: { description: 'Queued', schema: TestDelivery },
      404: error('Unknown subscription'),
      409: error('The subscription is disabled'),
    },
  },
  {
    method: 'DELETE',
    path: '/subscriptions/{id}',
    fn: 'subscriptions',
    auth: 'api-key',
    scope: 'admin',
    operationId: 'deleteSubscription',
    final: true,
    tag: 'Events',
    summary: 'Delete a subscription (its pending deliveries are cancelled)',
    params: { path: subscriptionId },
    responses: { 204: { description: 'Deleted' }, 404: error('Unknown subscription') },
  },
  {
    method: 'GET',
    path: '/me',
    fn: 'customers',
    auth: 'credential',
    operationId: 'getMe',
    tag: 'Operations',
    summary: 'Who the API key or signed-in user is, and its scopes (any valid credential)',
    description: 'The console shows or hides actions by these scopes; every other route still checks its own.',
    responses: { 200: { description: 'The caller', schema: Me } },
  },
  {
    method: 'GET',
    path: '/console',
    fn: 'console',
    auth: 'none',
    operationId: 'getConsole',
    tag: 'Console',
    summary: 'The web console (sign in with an API key, or through the Cognito hosted UI where the stack has it)',
    responses: {
      200: { description: 'The page, with a strict Content-Security-Policy', mediaType: 'text/html', schema: z.string() },
    },
  },
  {
    method: 'GET',
    path: '/console/{file}',
    fn: 'console',
    auth: 'none',
    operationId: 'getConsoleFile',
    tag: 'Console',
    summary: "The console's script, stylesheet (named by content hash, cached for good) and config.json (where to sign in)",
    params: {
      path: z.object({ file: z.string().max(128).meta({ description: 'A file name the console build produced, or config.json' }) }),
    },
    responses: {
      200: { description: 'The file', mediaType: '*/*', schema: z.string() },
      404: error('No such console file'),
    },
  },
  {
    method: 'GET',
    path: '/health',
    fn: 'health',
    auth: 'none',
    operationId: 'getHealth',
    tag: 'Operations',
    summary: 'Liveness and table reachability',
    responses: { 200: { description: 'Healthy', schema: Health } },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    fn: 'openapi',
    auth: 'none',
    operationId: 'getOpenApiDocument',
    tag: 'Operations',
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'OpenAPI 3.1', schema: OpenApi } },
  },
] as const satisfies readonly RouteSpec[];

export type Route = (typeof ROUTES)[number];
export type RouteKey = `${Route['method']} ${Route['path']}`;
/** The route keys one function serves, e.g. `'GET /customers' | 'GET /customers/{id}' | ...`. */
export type RouteKeyOf<F extends FunctionName> = Route extends infer R
  ? R extends { fn: F; method: infer M extends string; path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;

export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>): string => `${route.method} ${route.path}`;

const BY_KEY: ReadonlyMap<string, RouteSpec> = new Map(ROUTES.map((r) => [routeKey(r), r]));

/** The route spec behind an API Gateway routeKey (undefined for a key the table does not list). */
export const routeSpec = (key: string): RouteSpec | undefined => BY_KEY.get(key);

/** The routes one function serves, as infra/definitions.ts gives them to CDK. */
export const routesOf = (fn: FunctionName): { method: HttpMethod; path: string }[] =>
  ROUTES.filter((r) => r.fn === fn).map((r) => ({ method: r.method, path: r.path }));
