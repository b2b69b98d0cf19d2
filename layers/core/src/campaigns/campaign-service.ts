import { ulid } from 'ulid';
import { z } from 'zod';
import { resolveCustomerId, type CustomerDeps } from '../customers/customer-service.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { canonicalSegment, listFlags } from '../flags/flag-service.js';
import type { MiningStore } from '../store/mining-store.js';
import { campaignResults, type CampaignResults } from './results.js';
import { cursorCodecFromHasher } from '../http/cursor.js';
import { liveOwners } from '../identity/resolver.js';
import type { CampaignAssignmentFact } from '../offers/facts.js';
import { windowEnd, windowStart } from '../offers/schema.js';
import type { AssignmentTargeting, CampaignKey, CampaignStore } from '../store/campaign-store.js';
import { CAMPAIGN_SK, CAMPAIGNS_INDEX_PK, parseCampaignPk, parseCampaignsIndexSk } from '../store/keys.js';
import { assignmentGroup, holdoutKey } from './assignment.js';
import {
  normalizeCampaignId,
  type Assignment,
  type AssignmentRequest,
  type Campaign,
  type CampaignCreate,
  type CampaignStatus,
  type CampaignStatusChange,
} from './schema.js';

export interface CampaignDeps extends CustomerDeps {
  campaigns: CampaignStore;
  runs: MiningStore;
}

/** Batch assignments run this many at once (each is one read and at most one transaction). */
const BATCH_CONCURRENCY = 16;

/** A campaign past its endsAt reads as ended, without a write. */
export function effectiveCampaignStatus(c: Pick<Campaign, 'status' | 'endsAt'>, now: Date): CampaignStatus {
  if (c.status === 'active' && c.endsAt && windowEnd(c.endsAt) < now.getTime()) return 'ended';
  return c.status;
}

const publicCampaign = (c: Campaign, now: Date): Campaign => ({ ...c, status: effectiveCampaignStatus(c, now) });

/**
 * Creates a campaign. A segment is checked against the latest run's segments (and spelt as the run
 * spells it), so a typo is a 422 now rather than an empty audience later; before any run, it is kept as given.
 */
export async function createCampaign(deps: CampaignDeps, body: CampaignCreate): Promise<{ campaign: Campaign }> {
  const at = deps.now().toISOString();
  const runId = body.segment ? await deps.runs.latestRunId() : undefined;
  const segment = body.segment && runId ? await canonicalSegment(deps, runId, body.segment, 'body.segment') : body.segment;
  const campaign: Campaign = { ...body, ...(segment ? { segment } : {}), id: ulid(), status: 'active', createdAt: at, updatedAt: at };
  await deps.campaigns.putCampaign(campaign);
  return { campaign: publicCampaign(campaign, deps.now()) };
}

async function findCampaign(deps: CampaignDeps, campaignId: string, consistent = false): Promise<Campaign> {
  const campaign = await deps.campaigns.getCampaign(normalizeCampaignId(campaignId), consistent);
  if (!campaign) throw new NotFoundError(`Campaign '${campaignId}' not found`);
  return campaign;
}

export async function getCampaign(deps: CampaignDeps, campaignId: string): Promise<{ campaign: Campaign }> {
  return { campaign: publicCampaign(await findCampaign(deps, campaignId), deps.now()) };
}

/** Signed cursor: the index key of the last campaign of a page, checked to be one before use. */
const CampaignCursor = z
  .strictObject({ pk: z.string().max(300), sk: z.string().max(50), gsi1pk: z.string().max(50), gsi1sk: z.string().max(300) })
  .refine(
    (k) =>
      parseCampaignPk(k.pk) !== undefined &&
      k.sk === CAMPAIGN_SK &&
      k.gsi1pk === CAMPAIGNS_INDEX_PK &&
      parseCampaignsIndexSk(k.gsi1sk) !== undefined,
  );

export async function listCampaigns(
  deps: CampaignDeps,
  query: { limit: number; cursor?: string },
): Promise<{ items: Campaign[]; nextCursor: string | null }> {
  const codec = cursorCodecFromHasher(deps.hashPii);
  const startKey: CampaignKey | undefined = query.cursor ? codec.decode('campaigns', query.cursor, CampaignCursor) : undefined;
  const page = await deps.campaigns.listCampaigns(query.limit, startKey);
  const now = deps.now();
  const { lastKey } = page;
  return {
    items: page.items.map((c) => publicCampaign(c, now)),
    nextCursor: lastKey
      ? codec.encode('campaigns', { pk: lastKey.pk, sk: lastKey.sk, gsi1pk: lastKey.gsi1pk, gsi1sk: lastKey.gsi1sk })
      : null,
  };
}

/**
 * Ends an active campaign now (endsAt = now; one that has not started yet ends at its start, so
 * endsAt is never before startsAt); 409 when it has ended already, by PATCH or by its own endsAt
 * (whose date is then kept).
 */
export async function endCampaign(deps: CampaignDeps, campaignId: string, _change: CampaignStatusChange): Promise<{ campaign: Campaign }> {
  const now = deps.now();
  const current = await findCampaign(deps, campaignId, true);
  const conflict = () => new ConflictError(`Campaign '${current.id}' has ended already`);
  if (effectiveCampaignStatus(current, now) !== 'active') throw conflict();
  const endsAt = new Date(Math.max(now.getTime(), windowStart(current.startsAt))).toISOString();
  const ended = await deps.campaigns.endCampaign(current.id, endsAt, now.toISOString());
  if (!ended) throw conflict(); // ended by a concurrent PATCH
  return { campaign: publicCampaign(ended, now) };
}

/**
 * A campaign assigns customers and takes offers only while it runs: from its startsAt (so nobody
 * is measured from before the campaign existed for them) until it ends. 409 otherwise.
 */
export function assertRunning(campaign: Campaign, now: Date): void {
  if (effectiveCampaignStatus(campaign, now) !== 'active') {
    throw new ConflictError(`Campaign '${campaign.id}' has ended: no customer is assigned or offered under it any more`);
  }
  if (windowStart(campaign.startsAt) > now.getTime()) {
    throw new ConflictError(`Campaign '${campaign.id}' starts on ${campaign.startsAt}: nobody is assigned or offered under it before`);
  }
}

/** The campaign, for an assignment: 404 when unknown, 409 when not running. */
async function activeCampaign(deps: CampaignDeps, campaignId: string): Promise<Campaign> {
  const campaign = await findCampaign(deps, campaignId);
  assertRunning(campaign, deps.now());
  return campaign;
}

/** The group the campaign puts the customer in (deterministic; see assignment.ts). */
export const groupIn = (deps: Pick<CustomerDeps, 'hashPii'>, campaign: Pick<Campaign, 'id' | 'holdoutPercent'>, customerId: string) =>
  assignmentGroup(holdoutKey(deps.hashPii), campaign.id, customerId, campaign.holdoutPercent);

/**
 * Assigns a live customer (stored once; a later call answers the stored one), with the segment and
 * value tier of their latest scores, so results can be read by segment as targeted.
 */
async function assignLive(
  deps: CampaignDeps,
  campaign: Campaign,
  customerId: string,
  targeting?: AssignmentTargeting,
): Promise<Assignment | undefined> {
  const known = targeting ?? (await deps.campaigns.targetingOf([customerId])).get(customerId);
  const outcome = await deps.campaigns.assign(customerId, campaign.id, groupIn(deps, campaign, customerId), deps.now().toISOString(), {
    ...known,
    ...(campaign.flagType ? { flagType: campaign.flagType } : {}),
  });
  return outcome === 'customer-gone' ? undefined : outcome.assignment;
}

export async function assignCustomer(deps: CampaignDeps, campaignId: string, ref: AssignmentRequest): Promise<Assignment> {
  const campaign = await activeCampaign(deps, campaignId);
  const customerId = await resolveCustomerId(deps, ref);
  const assignment = await assignLive(deps, campaign, customerId);
  if (!assignment) throw new NotFoundError(`Customer '${ref.customerId ?? customerId}' not found`);
  return assignment;
}

/**
 * Assigns up to 500 customers: merged ids answer with their surviving customer, unknown and erased
 * ids are listed in `unknown`. Assignments of ids that resolve to the same customer are one.
 */
export async function assignCustomers(
  deps: CampaignDeps,
  campaignId: string,
  customerIds: readonly string[],
): Promise<{ assignments: Assignment[]; unknown: string[] }> {
  const campaign = await activeCampaign(deps, campaignId);
  const ids = [...new Set(customerIds)];
  const profiles = await deps.store.getProfiles(ids);
  const owners = new Map<string, string | undefined>();
  const merged: string[] = [];
  for (const id of ids) {
    const p = profiles.get(id);
    if (!p) owners.set(id, undefined);
    else if (p.mergedInto) merged.push(id);
    else owners.set(id, 'erasedAt' in p && p.erasedAt ? undefined : id);
  }
  if (merged.length) {
    for (const [id, live] of await liveOwners(deps.store, merged, deps.now().toISOString())) owners.set(id, live);
  }
  const live = [...new Set(ids.flatMap((id) => owners.get(id) ?? []))];
  const byCustomer = new Map<string, Assignment | undefined>();
  const targeting = await deps.campaigns.targetingOf(live);
  for (let i = 0; i < live.length; i += BATCH_CONCURRENCY) {
    const chunk = live.slice(i, i + BATCH_CONCURRENCY);
    const done = await Promise.all(chunk.map((id) => assignLive(deps, campaign, id, targeting.get(id) ?? {})));
    for (const [j, id] of chunk.entries()) byCustomer.set(id, done[j]);
  }
  // An id whose customer was erased or merged away meanwhile counts as unknown too.
  return {
    assignments: live.flatMap((id) => byCustomer.get(id) ?? []),
    unknown: ids.filter((id) => {
      const owner = owners.get(id);
      return owner === undefined || !byCustomer.get(owner);
    }),
  };
}

/**
 * The customer's assignment to the campaign an offer names, as a rule fact: the stored one, else
 * (the campaign known and active) a new one, stored when `store` (a registration) and only computed
 * for a dry run. Undefined for an unknown campaign, or an ended one the customer was never assigned
 * to. `stored` is what the customer's snapshot already holds.
 */
export async function campaignAssignmentFact(
  deps: CampaignDeps,
  campaign: Campaign | undefined,
  customerId: string,
  stored: readonly Assignment[],
  opts: { store: boolean; targeting?: AssignmentTargeting },
): Promise<CampaignAssignmentFact | undefined> {
  if (!campaign) return undefined;
  const name = { campaignId: campaign.id, campaignName: campaign.name };
  let assignment: Assignment | undefined = stored.find((a) => a.campaignId === campaign.id);
  if (!assignment && effectiveCampaignStatus(campaign, deps.now()) === 'active') {
    // A dry run computes the group the customer would get, without storing (or dating) it.
    if (!opts.store) return { ...name, group: groupIn(deps, campaign, customerId) };
    assignment = await assignLive(deps, campaign, customerId, opts.targeting);
  }
  return assignment && { ...name, group: assignment.group, assignedAt: assignment.assignedAt };
}

/**
 * Assigns the customers of the latest run's flags of the campaign's flagType (and its segment and
 * value tier), best first, up to `limit` per call; `nextCursor` resumes the list.
 */
export async function assignFromFlags(
  deps: CampaignDeps,
  campaignId: string,
  opts: { limit: number; cursor?: string },
): Promise<{ assignments: Assignment[]; unknown: string[]; nextCursor: string | null }> {
  const campaign = await activeCampaign(deps, campaignId);
  if (!campaign.flagType) {
    throw new ValidationError('The campaign names no flagType', [
      { path: 'body.fromFlags', message: `campaign '${campaign.id}' has no flagType: assign customerIds instead` },
    ]);
  }
  const ids: string[] = [];
  let cursor = opts.cursor;
  do {
    const page = await listFlags(deps, {
      type: campaign.flagType,
      segment: campaign.segment,
      limit: Math.min(FLAG_PAGE, opts.limit - ids.length),
      cursor,
    }).catch((error: unknown) => {
      // The campaign's segment is not one of the latest run's: say so about the campaign.
      if (error instanceof ValidationError && error.issues?.some((i) => i.path === 'query.segment')) {
        throw new ValidationError("The campaign's segment is not one of the latest run's", [
          { path: 'campaign.segment', message: error.issues[0]!.message },
        ]);
      }
      throw error;
    });
    ids.push(...page.items.filter((f) => !campaign.valueTier || f.valueTier === campaign.valueTier).map((f) => f.customerId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && ids.length < opts.limit);
  const assigned = ids.length ? await assignCustomers(deps, campaign.id, ids) : { assignments: [], unknown: [] };
  return { ...assigned, nextCursor: cursor ?? null };
}

/** Flags read per page while assigning from flags (the flags API's largest page). */
const FLAG_PAGE = 200;

/** Treatment against control, overall and by segment, value tier and channel (see results.ts). */
export async function getCampaignResults(
  deps: CampaignDeps,
  campaignId: string,
): Promise<{ campaign: Campaign; asOf: string } & CampaignResults> {
  const campaign = await findCampaign(deps, campaignId);
  const outcomes = await deps.campaigns.assignmentsOf(campaign.id);
  return { campaign: publicCampaign(campaign, deps.now()), asOf: deps.now().toISOString(), ...campaignResults(outcomes) };
}
