/**
 * Playbooks (POST/GET/PATCH /playbooks) and how customers enter them: purchases at ingest
 * (first-purchase, purchase), mining runs' flags at the tick (flag, anniversary via the run's
 * moment flags). Steps fire in tick.ts.
 */
import { ulid } from 'ulid';
import { effectiveCampaignStatus } from '../campaigns/campaign-service.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { CampaignStore } from '../store/campaign-store.js';
import type { Enrollment, PlaybookItem, PlaybookStore } from '../store/playbook-store.js';
import { isTooLate, matchesPurchase, type PurchaseFacts, stepDueAt } from './engine.js';
import type { PlaybookCreate, PlaybookPatch, StoredPlaybook } from './schema.js';

export interface PlaybookDeps {
  playbooks: PlaybookStore;
  campaigns: CampaignStore;
  now: () => Date;
}

/** The public shape (what the tick keeps on the item, lastFlagRunId and dateScan, stays inside). */
export function publicPlaybook(p: PlaybookItem): StoredPlaybook {
  const { lastFlagRunId: _run, dateScan: _scan, ...rest } = p;
  return rest;
}

async function assertCampaign(deps: PlaybookDeps, campaignId: string | undefined): Promise<void> {
  if (!campaignId) return;
  const campaign = await deps.campaigns.getCampaign(campaignId);
  if (!campaign)
    throw new ValidationError('Invalid request body', [{ path: 'body.campaignId', message: `names no campaign (${campaignId})` }]);
  // Its steps could never pass (a campaign that has not started yet blocks them until it does, and says so).
  if (effectiveCampaignStatus(campaign, deps.now()) !== 'active')
    throw new ValidationError('Invalid request body', [{ path: 'body.campaignId', message: `campaign ${campaignId} has ended` }]);
}

/** Playbooks at most: ingest matches every purchase against the purchase playbooks, and the tick reads them all. */
export const MAX_PLAYBOOKS = 100;

export async function createPlaybook(deps: PlaybookDeps, body: PlaybookCreate): Promise<StoredPlaybook> {
  await assertCampaign(deps, body.campaignId);
  const at = deps.now().toISOString();
  const playbook: StoredPlaybook = { ...body, playbookId: ulid(), version: 1, createdAt: at, updatedAt: at };
  if (!(await deps.playbooks.put(playbook, MAX_PLAYBOOKS)))
    throw new ConflictError(`At most ${MAX_PLAYBOOKS} playbooks; delete or reuse one (DELETE /playbooks/{id})`);
  return playbook;
}

export async function getPlaybook(deps: PlaybookDeps, id: string): Promise<StoredPlaybook> {
  const found = await deps.playbooks.get(id);
  if (!found) throw new NotFoundError(`No playbook ${id}`);
  return publicPlaybook(found);
}

export async function listPlaybooks(deps: PlaybookDeps): Promise<{ items: StoredPlaybook[] }> {
  return { items: (await deps.playbooks.list()).map(publicPlaybook) };
}

export async function deletePlaybook(deps: PlaybookDeps, id: string): Promise<void> {
  if (!(await deps.playbooks.delete(id))) throw new NotFoundError(`No playbook ${id}`);
}

/** Steps are replaced whole; enrollments keep what fired by step id, so no step fires twice. */
export async function patchPlaybook(deps: PlaybookDeps, id: string, patch: PlaybookPatch): Promise<StoredPlaybook> {
  const current = await deps.playbooks.get(id);
  if (!current) throw new NotFoundError(`No playbook ${id}`);
  const next = {
    ...current,
    ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    version: current.version + 1,
    updatedAt: deps.now().toISOString(),
  } as StoredPlaybook;
  const stored = await deps.playbooks.replace(next, current.version);
  if (!stored) throw new ConflictError('The playbook changed meanwhile; retry');
  return publicPlaybook(stored);
}

/** A new enrollment whose first step is due at anchor + its delay. */
export function newEnrollment(
  playbook: StoredPlaybook,
  customerId: string,
  anchor: { at: string; key: string; segment?: string },
  now: Date,
): Enrollment {
  const first = playbook.steps[0]!;
  return {
    customerId,
    playbookId: playbook.playbookId,
    enrollmentId: ulid(),
    anchorAt: anchor.at,
    anchorKey: anchor.key,
    ...(anchor.segment ? { segment: anchor.segment } : {}),
    state: 'active',
    fired: {},
    nextDueAt: stepDueAt(anchor.at, first),
    createdAt: now.toISOString(),
  };
}

/**
 * How long ingest keeps the list of purchase-triggered playbooks before reading it again: a new or
 * changed playbook applies to purchases within this time, and a busy webhook function reads the
 * list a few times a minute instead of once per purchase.
 */
export const PURCHASE_PLAYBOOKS_CACHE_MS = 5_000;

/**
 * Enrolls a purchaser in every enabled playbook whose purchase trigger the order matches. The
 * enabled purchase playbooks are read every few seconds per container (most purchases match none).
 * Idempotent: a redelivered order finds its enrollment (keyed by the order).
 */
export function purchaseEnroller(store: PlaybookStore, now: () => Date) {
  let cached: { at: number; playbooks: StoredPlaybook[] } | undefined;
  const playbooks = async () => {
    const t = now().getTime();
    if (!cached || t - cached.at > PURCHASE_PLAYBOOKS_CACHE_MS) {
      const all = await store.list();
      cached = {
        at: t,
        playbooks: all.filter((p) => p.enabled && (p.trigger.type === 'purchase' || p.trigger.type === 'first-purchase')),
      };
    }
    return cached.playbooks;
  };
  return {
    /** Whether any playbook listens to purchases (so ingest skips the first-purchase lookup otherwise). */
    async listening(): Promise<{ any: boolean; firstPurchase: boolean }> {
      const list = await playbooks();
      return { any: list.length > 0, firstPurchase: list.some((p) => p.trigger.type === 'first-purchase') };
    },
    async enroll(customerId: string, purchase: PurchaseFacts & { occurredAt: string; orderKey: string }): Promise<string[]> {
      const enrolled: string[] = [];
      for (const playbook of await playbooks()) {
        if (!matchesPurchase(playbook.trigger, purchase)) continue;
        // A purchase from the past (a backfill, a late delivery) whose first step is long overdue starts nothing.
        if (isTooLate(stepDueAt(purchase.occurredAt, playbook.steps[0]!), now())) continue;
        const enrollment = newEnrollment(playbook, customerId, { at: purchase.occurredAt, key: `order:${purchase.orderKey}` }, now());
        if (await store.enroll(enrollment)) enrolled.push(playbook.playbookId);
      }
      return enrolled;
    },
  };
}
export type PurchaseEnroller = ReturnType<typeof purchaseEnroller>;
