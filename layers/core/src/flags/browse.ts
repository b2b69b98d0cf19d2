/**
 * Browsing the customers of the latest completed run by value (GET /customer-scores): the run's
 * per-customer results (the MINING item) are indexed in CLV order in one gsi1 partition per run
 * (store/keys.ts), filtered by segment, value tier, lifecycle stage or flag type, and paged with
 * a cursor that names a position in that partition. Names come from one BatchGet of the page's
 * profiles; no email or phone is ever listed.
 */
import { shapeCheckedCursor } from '../http/cursor.js';
import { z } from 'zod';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { LIFECYCLE_STAGES, VALUE_TIERS } from '../mining/lifecycle.js';
import { FLAG_TYPES } from '../mining/types.js';
import type { CustomerStore } from '../store/customer-store.js';
import type { CustomerMiningItem, CustomerPosition, MiningStore } from '../store/mining-store.js';
import { canonicalSegment } from './flag-service.js';

export const BROWSE_LIMITS = { MAX_PAGE: 100, DEFAULT_PAGE: 50, MAX_CURSOR: 512 } as const;

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const BrowseQuery = z.strictObject({
  segment: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: "A segment of the latest run (any case); an unknown one is a 422 listing the run's segments" }),
  valueTier: z.enum(VALUE_TIERS).optional(),
  lifecycle: z.enum(LIFECYCLE_STAGES).optional().meta({ description: 'Lifecycle stage' }),
  flagType: z.enum(FLAG_TYPES).optional().meta({ description: 'Customers the run flagged with this type' }),
  order: z.enum(['desc', 'asc']).default('desc').meta({ description: 'By CLV: desc (default, most valuable first) or asc' }),
  limit: z.coerce.number().int().min(1).max(BROWSE_LIMITS.MAX_PAGE).default(BROWSE_LIMITS.DEFAULT_PAGE),
  cursor: z.string().min(1).max(BROWSE_LIMITS.MAX_CURSOR).optional().meta({ description: 'nextCursor of the previous page' }),
});
export type BrowseQuery = z.infer<typeof BrowseQuery>;

export const BrowsedCustomer = z
  .object({
    customerId: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    segment: z.string(),
    valueTier: z.enum(VALUE_TIERS).nullable(),
    lifecycle: z.enum(LIFECYCLE_STAGES).nullable(),
    clvMinor: z.number().int(),
    pAlive: z.number(),
    churnProbability: z
      .number()
      .nullable()
      .meta({ description: "Calibrated P(no purchase in the run's churn horizon); null when the run has none" }),
    flagTypes: z.array(z.string()).meta({ description: 'The flag types the run gave the customer' }),
  })
  .meta({ id: 'BrowsedCustomer' });

export const CustomerBrowsePage = z
  .object({
    runId: z.string(),
    completedAt: z.string().nullable(),
    order: z.enum(['desc', 'asc']),
    items: z.array(BrowsedCustomer),
    nextCursor: z.string().nullable(),
  })
  .meta({
    id: 'CustomerBrowsePage',
    description:
      'By CLV; a page may be shorter than limit (a selective filter, or customers erased or merged since the run) and still carry a nextCursor: null only at the end',
  });
export type CustomerBrowsePage = z.infer<typeof CustomerBrowsePage>;

/** A position in one run's value order; unsigned (it only points into the run's own partition), checked for shape. */
const BrowseCursor = z.strictObject({
  r: z.string().regex(ULID),
  c: z
    .number()
    .int()
    .min(0)
    .max(10 ** 16 - 1),
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[0-9A-Za-z_-]+$/),
  /** The filters and order it was issued for: a position in one list means nothing in another. */
  q: z.string().max(400),
});
type BrowseCursor = z.infer<typeof BrowseCursor>;

/** The query a cursor belongs to: everything but the page size and the cursor itself (segments in any case, as matched). */
const listOf = (q: BrowseQuery) =>
  JSON.stringify([q.segment?.trim().toLowerCase() ?? null, q.valueTier ?? null, q.lifecycle ?? null, q.flagType ?? null, q.order]);

const browseCursor = shapeCheckedCursor<BrowseCursor>(BrowseCursor);
const encodeCursor = (runId: string, p: CustomerPosition, q: BrowseQuery) =>
  browseCursor.encode({ r: runId, c: p.clvMinor, id: p.customerId, q: listOf(q) });

export interface BrowseDeps {
  runs: MiningStore;
  store: CustomerStore;
}

export async function browseCustomers(deps: BrowseDeps, q: BrowseQuery): Promise<CustomerBrowsePage> {
  const after = q.cursor ? browseCursor.decode(q.cursor) : undefined;
  if (after && after.q !== listOf(q))
    throw new BadRequestError('cursor belongs to another list (other filters or order): start again without it');
  const latest = await deps.runs.latestRuns();
  const runId = latest.runId;
  if (!runId) throw new NotFoundError('No mining run has completed yet: POST /mining-runs starts one');
  if (after && after.r !== runId) {
    throw new ConflictError('A newer mining run completed since this cursor was issued: start again without a cursor');
  }
  const segment = q.segment === undefined ? undefined : await canonicalSegment(deps, runId, q.segment);
  const page = await deps.runs.customersByValue({
    runId,
    filter: {
      ...(segment !== undefined ? { segment } : {}),
      ...(q.valueTier ? { valueTier: q.valueTier } : {}),
      ...(q.lifecycle ? { lifecycle: q.lifecycle } : {}),
      ...(q.flagType ? { flagType: q.flagType } : {}),
    },
    limit: q.limit,
    ascending: q.order === 'asc',
    ...(after ? { after: { clvMinor: after.c, customerId: after.id } } : {}),
  });
  const profiles = page.items.length ? await deps.store.getProfiles(page.items.map((m) => m.customerId)) : new Map();
  const items = page.items.flatMap((m) => {
    const p = profiles.get(m.customerId);
    // Erased or merged away since the run: not a customer to show (the next run drops the item).
    if (!p || p.mergedInto || (p as { erasedAt?: string }).erasedAt) return [];
    return [itemOf(m, p.firstName, p.lastName)];
  });
  return {
    runId,
    completedAt: latest.completedAt ?? null,
    order: q.order,
    items,
    nextCursor: page.next ? encodeCursor(runId, page.next, q) : null,
  };
}

function itemOf(m: CustomerMiningItem, firstName?: string, lastName?: string): z.infer<typeof BrowsedCustomer> {
  return {
    customerId: m.customerId,
    firstName: firstName ?? null,
    lastName: lastName ?? null,
    segment: m.segment,
    valueTier: m.valueTier ?? null,
    lifecycle: m.lifecycle ?? null,
    clvMinor: m.clvMinor,
    pAlive: m.pAlive,
    churnProbability: m.churnProbability ?? null,
    flagTypes: m.flagTypes ?? [],
  };
}
