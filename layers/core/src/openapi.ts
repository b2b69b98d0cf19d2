import 'zod-openapi';
import { createDocument } from 'zod-openapi';
import { z } from 'zod';
import { Customer360 } from './customers/customer-360.js';
import { EmailQuery, ErasureResultSchema, ErrorBody, IngestResponse, TouchpointPageSchema, TouchpointQuery } from './customers/api-schemas.js';
import { SOURCES, Touchpoint } from './touchpoint.js';
import { FlagQuery, FlagSchema } from './flags/flag-service.js';
import { StartRunBody } from './mining-job/messages.js';
import { RULE_DOCS } from './offers/docs.js';
import { OfferListQuery, OfferStatusChange } from './offers/offer-service.js';
import { Decision, Evaluation, Finding, OFFER_STATUSES, OfferRequest, RegisteredOffer, Severity } from './offers/schema.js';

const jsonContent = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...jsonContent(ErrorBody) });
const MiningRun = z
  .object({
    runId: z.string(),
    trigger: z.string(),
    phase: z.enum(['extracting', 'fitting', 'scoring', 'finalizing', 'completed', 'failed']),
    shards: z.object({ total: z.number().int(), extracted: z.number().int(), scored: z.number().int() }),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable(),
    timingsMs: z.record(z.string(), z.number()),
    summary: z.record(z.string(), z.unknown()).nullable().meta({ description: 'Customers, touchpoints, flag counts, k, model parameters, segment table' }),
    errors: z.array(z.object({ phase: z.string(), shard: z.number().int().optional(), message: z.string(), at: z.string() })),
  })
  .meta({ id: 'MiningRun' });
const FlagPage = z.object({ runId: z.string(), items: z.array(FlagSchema), nextCursor: z.string().nullable() }).meta({ id: 'FlagPage' });
const customerId = z.object({ id: z.string().meta({ description: 'Customer id (a merged id answers with the surviving customer)' }) });

// ---- offers (responses; the requests are the schemas the offers handler validates with)
const Offer = RegisteredOffer.extend({
  status: z.enum(OFFER_STATUSES).meta({ description: 'An active offer past validUntil reads as expired' }),
  updatedAt: z.string(),
}).meta({ id: 'Offer', description: 'A registered offer or action' });
const OfferAuditRecord = z
  .object({
    offerId: z.string(),
    at: z.string(),
    action: z.enum(['created', 'overridden', 'status-changed']),
    actor: z.string().meta({ description: 'created: override actor, else team, else "api"; overridden and status-changed: the person or system named in the request' }),
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
const offerId = z.object({ id: z.string().meta({ description: 'Offer id (ULID)' }) });
const ruleList = RULE_DOCS.map((d) => `\`${d.rule}\` (${d.severity})`).join(', ');

let cached: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  cached ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Patron API',
      version: '0.1.0',
      description:
        'Touchpoint ingestion from provider webhooks, the customer 360, mining results (segments, churn-risk, up-sell and cross-sell flags), and the offer registry that checks offers and actions for mistakes before they reach a customer.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    },
    paths: {
      '/health': {
        get: { summary: 'Liveness and table reachability', responses: { 200: { description: 'Healthy' } } },
      },
      '/webhooks/{source}': {
        post: {
          summary: 'Receive a provider webhook',
          description:
            'Signature checked on the raw body before parsing: Standard Webhooks (generic), X-Shopify-Hmac-Sha256, Stripe-Signature, X-Zendesk-Webhook-Signature. ' +
            'The generic source takes the canonical touchpoint below; the others take the provider payloads.',
          requestParams: { path: z.object({ source: z.enum(SOURCES) }) },
          requestBody: { ...jsonContent(Touchpoint.meta({ id: 'Touchpoint' })) },
          responses: {
            200: { description: 'Redelivery of an event already stored (duplicate: true)', ...jsonContent(IngestResponse) },
            201: { description: 'Stored', ...jsonContent(IngestResponse) },
            202: { description: 'Known provider event type Patron does not use (ignored: true)', ...jsonContent(IngestResponse) },
            400: error('Body is not JSON'),
            401: error('Missing or invalid signature, or timestamp outside tolerance'),
            404: error('Unknown source'),
            413: error('Body over 256 KB'),
            422: error('Payload violates the schema; issues lists each field'),
          },
        },
      },
      '/customers': {
        get: {
          summary: 'Find customers by email (through the hashed alias)',
          security: [{ apiKey: [] }],
          requestParams: { query: EmailQuery },
          responses: {
            200: { description: 'Matches (zero or one)', ...jsonContent(z.object({ customers: z.array(Customer360) })) },
            401: error('Missing or invalid API key'),
            422: error('Invalid query'),
          },
        },
      },
      '/customers/{id}': {
        get: {
          summary: 'Customer 360',
          security: [{ apiKey: [] }],
          requestParams: { path: customerId },
          responses: { 200: { description: 'The customer', ...jsonContent(Customer360) }, 401: error('Unauthorized'), 404: error('Unknown customer') },
        },
        delete: {
          summary: 'Erase a customer (right to be forgotten)',
          security: [{ apiKey: [] }],
          requestParams: { path: customerId },
          responses: { 200: { description: 'Erased; an audit record without PII is kept', ...jsonContent(ErasureResultSchema) }, 401: error('Unauthorized'), 404: error('Unknown customer') },
        },
      },
      '/mining-runs': {
        post: {
          summary: 'Start a mining run (extract, fit, score, finalize through the mining queue)',
          security: [{ apiKey: [] }],
          requestBody: { required: false, ...jsonContent(StartRunBody) },
          responses: { 202: { description: 'Started; poll its Location', ...jsonContent(MiningRun) }, 401: error('Unauthorized'), 422: error('Invalid body') },
        },
      },
      '/mining-runs/{id}': {
        get: {
          summary: 'A run: phase, shards done/total, counts, timings, segment table, errors',
          security: [{ apiKey: [] }],
          requestParams: { path: z.object({ id: z.string() }) },
          responses: { 200: { description: 'The run', ...jsonContent(MiningRun) }, 401: error('Unauthorized'), 404: error('Unknown run') },
        },
      },
      '/flags': {
        get: {
          summary: 'Flags of the latest completed run, highest score first (from an index, not a scan)',
          security: [{ apiKey: [] }],
          requestParams: { query: FlagQuery },
          responses: { 200: { description: 'A page of flags', ...jsonContent(FlagPage) }, 401: error('Unauthorized'), 404: error('No completed run yet'), 422: error('Invalid query') },
        },
      },
      '/segments': {
        get: {
          summary: 'Segment table of the latest completed run',
          security: [{ apiKey: [] }],
          responses: { 200: { description: 'Segments with sizes and centroid profiles' }, 401: error('Unauthorized'), 404: error('No completed run yet') },
        },
      },
      '/customers/{id}/flags': {
        get: {
          summary: "The customer's flags from the latest completed run",
          security: [{ apiKey: [] }],
          requestParams: { path: customerId },
          responses: { 200: { description: 'Flags, highest score first', ...jsonContent(z.object({ customerId: z.string(), runId: z.string().nullable(), items: z.array(FlagSchema) })) }, 401: error('Unauthorized'), 404: error('Unknown customer') },
        },
      },
      '/offers/check': {
        post: {
          summary: 'Dry run: check an offer or action against what is known about the customer and what was already offered',
          description:
            `Runs every enabled rule of the rule set (OFFER_RULES) and answers the decision (the worst finding severity; allow when none) and the findings. Stores nothing. Rules, default severity: ${ruleList}.`,
          security: [{ apiKey: [] }],
          requestBody: { ...jsonContent(OfferRequest) },
          responses: {
            200: { description: 'The decision and findings, blocks first', ...jsonContent(Evaluation) },
            400: error('Body is not JSON'),
            401: error('Unauthorized'),
            404: error('Unknown customer or email'),
            422: error('Invalid body; issues lists each field (unknown fields included)'),
          },
        },
      },
      '/offers': {
        post: {
          summary: 'Check and register an offer or action in one step',
          description:
            'Written only if the customer\'s offer ledger has not changed since the check read it (one DynamoDB transaction), so two conflicting registrations cannot both pass. ' +
            'A block answers 409 and stores nothing, unless every blocking rule is overridable and the body carries override {actor, reason}. ' +
            'With an Idempotency-Key, a retry of the same body replays the first 201 (header idempotent-replayed: true) for 24 hours.',
          security: [{ apiKey: [] }],
          requestParams: {
            header: z.object({
              'idempotency-key': z.string().min(1).max(255).optional().meta({ description: 'Optional, 1-255 characters; the same key with another body answers 422' }),
            }),
          },
          requestBody: { ...jsonContent(OfferRequest) },
          responses: {
            201: {
              description: 'Registered (decision allow or warn); a replay carries the header idempotent-replayed: true',
              headers: z.object({ 'idempotent-replayed': z.literal('true').optional().meta({ description: 'Present on a replay of an Idempotency-Key' }) }),
              ...jsonContent(OfferRegistration),
            },
            400: error('Body is not JSON'),
            401: error('Unauthorized'),
            404: error('Unknown customer or email'),
            409: {
              description: 'Blocked (error offer_blocked, with decision and findings), or conflict: the offers kept changing during the check (retry)',
              content: { 'application/json': { schema: z.union([OfferBlocked, ErrorBody]) } },
            },
            422: error('Invalid body or Idempotency-Key, or the key was already used with a different body'),
          },
        },
      },
      '/offers/{id}': {
        get: {
          summary: 'An offer with its audit trail (created, overridden, status changes)',
          security: [{ apiKey: [] }],
          requestParams: { path: offerId },
          responses: { 200: { description: 'The offer and its audit records, by time', ...jsonContent(OfferWithAudit) }, 401: error('Unauthorized'), 404: error('Unknown offer') },
        },
        patch: {
          summary: 'Change the status of an active offer',
          description: 'active -> accepted, declined, withdrawn or expired; every other status is final. An active offer past validUntil can only be marked expired. Audited with actor and reason.',
          security: [{ apiKey: [] }],
          requestParams: { path: offerId },
          requestBody: { ...jsonContent(OfferStatusChange) },
          responses: {
            200: { description: 'The offer after the change, with its audit trail', ...jsonContent(OfferWithAudit) },
            400: error('Body is not JSON'),
            401: error('Unauthorized'),
            404: error('Unknown offer'),
            409: error('Transition not allowed from the current status, or the status changed meanwhile'),
            422: error('Invalid body (unknown status, missing actor, unknown field)'),
          },
        },
      },
      '/customers/{id}/offers': {
        get: {
          summary: "The customer's offers, newest first",
          security: [{ apiKey: [] }],
          requestParams: { path: customerId, query: OfferListQuery },
          responses: {
            200: { description: 'Offers registered on the customer id', ...jsonContent(z.object({ customerId: z.string(), items: z.array(Offer) })) },
            401: error('Unauthorized'),
            404: error('Unknown customer'),
            422: error('Invalid query'),
          },
        },
      },
      '/customers/{id}/touchpoints': {
        get: {
          summary: 'Touchpoint history, newest first (by occurredAt)',
          security: [{ apiKey: [] }],
          requestParams: { path: customerId, query: TouchpointQuery },
          responses: {
            200: { description: 'A page; pass nextCursor as cursor for the next', ...jsonContent(TouchpointPageSchema) },
            400: error('Invalid cursor'),
            401: error('Unauthorized'),
            404: error('Unknown customer'),
            422: error('Invalid query'),
          },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
      },
    },
  });
  return cached;
}
