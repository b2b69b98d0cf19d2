import 'zod-openapi';
import { createDocument } from 'zod-openapi';
import { z } from 'zod';
import { Customer360 } from './customers/customer-360.js';
import { EmailQuery, ErasureResultSchema, ErrorBody, IngestResponse, TouchpointPageSchema, TouchpointQuery } from './customers/api-schemas.js';
import { SOURCES, Touchpoint } from './touchpoint.js';
import { FlagQuery, FlagSchema } from './flags/flag-service.js';
import { StartRunBody } from './mining-job/messages.js';

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

let cached: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  cached ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Patron API',
      version: '0.1.0',
      description: 'Touchpoint ingestion from provider webhooks, the customer 360, and mining results (segments, churn-risk, up-sell and cross-sell flags).',
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
    },
  });
  return cached;
}
