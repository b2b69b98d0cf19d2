import { z } from 'zod';
import { TOUCHPOINT_TYPES } from '../touchpoint.js';

export const EmailQuery = z.object({
  email: z.string({ error: 'is required' }).trim().email('must be an email address'),
});

export const TouchpointQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).optional(),
  type: z.enum(TOUCHPOINT_TYPES).optional(),
});

export const StoredTouchpointSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    source: z.string(),
    dedupeKey: z.string(),
    type: z.enum(TOUCHPOINT_TYPES),
    occurredAt: z.string(),
    receivedAt: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'StoredTouchpoint' });

export const TouchpointPageSchema = z
  .object({ customerId: z.string(), items: z.array(StoredTouchpointSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'TouchpointPage' });

export const ErasureResultSchema = z
  .object({
    customerId: z.string(),
    erasedAt: z.string(),
    itemsDeleted: z.number().int(),
    aliasesDeleted: z.number().int(),
    mergedIdsErased: z.array(z.string()),
  })
  .meta({ id: 'ErasureResult' });

export const IngestResponse = z
  .object({
    status: z.enum(['stored', 'duplicate', 'ignored']),
    touchpointId: z.string().optional(),
    customerId: z.string().optional(),
    type: z.enum(TOUCHPOINT_TYPES).optional(),
    eventType: z.string(),
    merged: z.array(z.string()).optional().meta({ description: 'Customer ids merged into this one by this delivery' }),
    duplicate: z.literal(true).optional(),
    ignored: z.literal(true).optional(),
    parked: z
      .literal(true)
      .optional()
      .meta({ description: 'Shopify: a refund of an order not seen yet, kept 7 days and applied once when the order arrives' }),
    reason: z.string().optional(),
  })
  .meta({ id: 'IngestResponse' });

export const ErrorBody = z
  .object({
    error: z.string().meta({ example: 'validation_failed' }),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });
