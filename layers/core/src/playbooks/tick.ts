/**
 * The playbook tick (the `playbook-tick` function, every 15 minutes; locally on the same cadence,
 * or invoked by the demo with a simulated time). Each tick:
 * 1. enrolls, per enabled flag or anniversary playbook, the customers the latest mining run newly
 *    flagged (flag.raised; anniversaries from the run's moment flags), once per run; a new playbook
 *    starts with everyone the latest run flags;
 * 2. enrolls, per enabled date playbook whose yearly date is near, every live customer (or those
 *    in its segment), a bounded number of Scan pages per tick, resuming where the last tick stopped;
 * 3. fires every due step: the step becomes an offer or action registered through the same check
 *    as POST /offers (under the playbook's campaign: holdouts, contact fatigue, consent, quiet
 *    periods and conflicts apply), announced as action.due, or action.blocked with the findings.
 *
 * Exactly once per step and customer: the step is registered with an Idempotency-Key and announced
 * under an event id, both derived from (enrollment, step), and recorded in the enrollment only if
 * not recorded yet. Two ticks racing over one enrollment (or a tick retried after a crash) make one
 * offer, one event delivery, one record. A lease keeps the second tick from doing the work twice.
 */
import { assertRunning } from '../campaigns/campaign-service.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { FlagItem, MiningStore } from '../store/mining-store.js';
import type { DateScan, Enrollment, FiredStep, PlaybookItem, PlaybookStore } from '../store/playbook-store.js';
import { outboundEvent, type EventPublisher, type OutboundEvent } from '../outbound/events.js';
import { announce } from '../outbound/publisher.js';
import { OfferBlockedError, registerOffer, type OfferDeps } from '../offers/offer-service.js';
import type { Finding } from '../offers/schema.js';
import { logger } from '../observability.js';
import { dateAnchor, isTooLate, LATE_STEP_GRACE_DAYS, nextStep, offerRequestOf, stepDueAt, stopReason } from './engine.js';
import { newEnrollment } from './playbook-service.js';
import { PLAYBOOK_DUE_SHARDS } from '../store/keys.js';
import type { PlaybookStep, StoredPlaybook } from './schema.js';

export interface TickDeps extends OfferDeps {
  playbooks: PlaybookStore;
  runs: MiningStore;
  events: EventPublisher;
}

export interface TickReport {
  at: string;
  enrolled: number;
  due: number;
  blocked: number;
  stopped: number;
  /** Steps more than LATE_STEP_GRACE_DAYS past their time: recorded as skipped, not sent. */
  skipped: number;
  /** Steps that threw (logged): retried by the next tick. */
  failed: number;
  /** Enrollments not due yet after an edit, or left for the next tick (lease held, conflict). */
  deferred: number;
}

/** Due enrollments read per index partition and tick: the rest wait for the next tick. */
export const DUE_PER_SHARD = 200;
/** A tick holds an enrollment this long; a crashed tick's lease lapses and the next one retries. */
const LEASE_MS = 60_000;
/** Enrollments of one tick handled at once. */
const CONCURRENCY = 8;

/**
 * A date playbook enrolls from this many days before its date on: the tick runs every 15 minutes,
 * so the occurrence is reached the day before, leaving a day of ticks to scan every customer before
 * the first step. The anchor is the occurrence's date at 09:00 UTC, as flag anchors are.
 */
export const DATE_TRIGGER_WINDOW_DAYS = 1;
/** Scan pages read per date playbook and tick: the rest of the table waits for the next tick. */
export const DATE_SCAN_PAGES_PER_TICK = 20;
/** Items a Scan page reads (matching or not). */
export const DATE_SCAN_PAGE_SIZE = 500;

const findingsOf = (findings: readonly Finding[]) => findings.map((f) => ({ rule: f.rule, severity: f.severity }));

export async function runTick(deps: TickDeps, at: Date): Promise<TickReport> {
  const report: TickReport = { at: at.toISOString(), enrolled: 0, due: 0, blocked: 0, stopped: 0, skipped: 0, failed: 0, deferred: 0 };
  // Everything this tick does happens at the tick's time (a simulated one in the demo).
  const tickDeps: TickDeps = { ...deps, now: () => at };
  const playbooks = await deps.playbooks.list();
  const byId = new Map(playbooks.map((p) => [p.playbookId, p]));
  report.enrolled = await enrollFromLatestRun(tickDeps, playbooks);
  report.enrolled += await enrollFromDates(tickDeps, playbooks, at);

  for (let shard = 0; shard < PLAYBOOK_DUE_SHARDS; shard++) {
    const due = await deps.playbooks.due(shard, at.toISOString(), DUE_PER_SHARD);
    for (let i = 0; i < due.length; i += CONCURRENCY) {
      const outcomes = await Promise.all(
        due.slice(i, i + CONCURRENCY).map((d) =>
          // One enrollment that fails does not stop the tick: it is reported, its lease lapses, and the next tick retries it.
          fireDue(tickDeps, byId.get(d.playbookId), d.customerId, d.playbookId, at).catch((error: unknown) => {
            logger.error('playbook step failed', { ...d, error: error instanceof Error ? error.message : String(error) });
            return 'failed' as const;
          }),
        ),
      );
      for (const o of outcomes) report[o]++;
    }
  }
  logger.info('playbook tick', { ...report });
  return report;
}

/** Enrolls the latest run's newly raised flags into flag (and anniversary) playbooks, once per run. */
async function enrollFromLatestRun(deps: TickDeps, playbooks: readonly PlaybookItem[]): Promise<number> {
  const runId = await deps.runs.latestRunId();
  if (!runId) return 0;
  const now = deps.now();
  const nowEpoch = Math.floor(now.getTime() / 1000);
  let enrolled = 0;
  for (const playbook of playbooks) {
    const { trigger } = playbook;
    if (!playbook.enabled || (trigger.type !== 'flag' && trigger.type !== 'anniversary') || playbook.lastFlagRunId === runId) continue;
    const flagType = trigger.type === 'flag' ? trigger.flagType : 'moment';
    // A new playbook takes everyone the latest run flags; after that, whom each run newly raises.
    const fresh = playbook.lastFlagRunId === undefined;
    const wanted = (f: FlagItem) =>
      (fresh || f.raised === true) &&
      (trigger.type === 'flag' ? !trigger.segment || f.segment === trigger.segment : f.occasion === trigger.of);
    for await (const page of deps.runs.flagsOfRun(runId, flagType, nowEpoch)) {
      for (const flag of page.filter(wanted)) {
        // A dated flag (reorder-due, an anniversary) anchors on its date; others on the tick.
        const anchorAt = flag.date ? new Date(`${flag.date}T09:00:00Z`).toISOString() : now.toISOString();
        const enrollment = newEnrollment(playbook, flag.customerId, { at: anchorAt, key: `run:${runId}`, segment: flag.segment }, now);
        if (await deps.playbooks.enroll(enrollment)) enrolled++;
      }
    }
    await deps.playbooks.markFlagRunEnrolled(playbook.playbookId, runId);
  }
  return enrolled;
}

/**
 * Enrolls into each enabled date playbook whose yearly date is within DATE_TRIGGER_WINDOW_DAYS of
 * `at` every live customer, or with the trigger's segment every customer whose latest mining
 * results are in it, anchored at the date's 09:00 UTC and keyed by the date (so each year enrolls
 * once). At most `pagesPerTick` Scan pages per playbook: the position is kept on the playbook
 * (dateScan) after every page, and the next tick resumes there; a crash re-reads at most a page,
 * and enroll's condition makes enrolling again a no-op. The number of customers enrolled.
 */
export async function enrollFromDates(
  deps: { playbooks: Pick<PlaybookStore, 'scanCustomers' | 'markDateScan' | 'enroll'> },
  playbooks: readonly PlaybookItem[],
  at: Date,
  opts: { pagesPerTick?: number; pageSize?: number } = {},
): Promise<number> {
  const pagesPerTick = opts.pagesPerTick ?? DATE_SCAN_PAGES_PER_TICK;
  const pageSize = opts.pageSize ?? DATE_SCAN_PAGE_SIZE;
  let enrolled = 0;
  for (const playbook of playbooks) {
    const { trigger } = playbook;
    if (!playbook.enabled || trigger.type !== 'date') continue;
    const anchor = dateAnchor(trigger, at, DATE_TRIGGER_WINDOW_DAYS);
    if (!anchor) continue;
    // The scan of this occurrence so far; one of an earlier occurrence is over.
    const scan: DateScan | undefined = playbook.dateScan?.anchor === anchor ? playbook.dateScan : undefined;
    if (scan?.done) continue;
    const anchorAt = new Date(`${anchor}T09:00:00Z`).toISOString();
    const occurrence = { at: anchorAt, key: `date:${anchor}`, ...(trigger.segment ? { segment: trigger.segment } : {}) };
    let startKey = scan?.lastKey;
    for (let page = 0; page < pagesPerTick; page++) {
      const { customerIds, lastKey } = await deps.playbooks.scanCustomers({
        ...(trigger.segment ? { segment: trigger.segment } : {}),
        ...(startKey ? { startKey } : {}),
        limit: pageSize,
      });
      for (let i = 0; i < customerIds.length; i += CONCURRENCY) {
        const results = await Promise.all(
          customerIds.slice(i, i + CONCURRENCY).map((id) => deps.playbooks.enroll(newEnrollment(playbook, id, occurrence, at))),
        );
        enrolled += results.filter(Boolean).length;
      }
      await deps.playbooks.markDateScan(playbook.playbookId, lastKey ? { anchor, lastKey } : { anchor, done: true });
      if (!lastKey) break;
      startKey = lastKey;
    }
  }
  return enrolled;
}

type Outcome = 'due' | 'blocked' | 'stopped' | 'skipped' | 'failed' | 'deferred';

async function fireDue(
  deps: TickDeps,
  playbook: StoredPlaybook | undefined,
  customerId: string,
  playbookId: string,
  at: Date,
): Promise<Outcome> {
  const ref = { customerId, playbookId };
  if (!playbook) {
    await deps.playbooks.reschedule(ref, { endedReason: 'the playbook no longer exists' });
    return 'stopped';
  }
  // The lease first, then a fresh read: a tick that lost the race sees the step recorded.
  if (!(await deps.playbooks.lease(customerId, playbookId, at, LEASE_MS))) return 'deferred';
  const enrollment = await deps.playbooks.getEnrollment(customerId, playbookId);
  if (enrollment?.state !== 'active') return 'deferred';
  // A customer merged into another (whose own enrollments go on) or being erased gets nothing more.
  const profile = await deps.store.getProfile(customerId, true);
  if (!profile || profile.mergedInto || (profile as { erasedAt?: string }).erasedAt) {
    await deps.playbooks.reschedule(ref, {
      endedReason: profile?.mergedInto ? `the customer was merged into ${profile.mergedInto}` : 'the customer was erased',
    });
    return 'stopped';
  }
  const fired = new Set(Object.keys(enrollment.fired));
  const step = nextStep(playbook, fired);
  if (!step) {
    await deps.playbooks.reschedule(ref, { endedReason: 'every step fired' });
    return 'deferred';
  }
  const dueAt = stepDueAt(enrollment.anchorAt, step);
  // Disabled: look again in a day; an edit pushed the step later: move it.
  if (!playbook.enabled || dueAt > at.toISOString()) {
    await deps.playbooks.reschedule(ref, { nextDueAt: playbook.enabled ? dueAt : new Date(at.getTime() + 86_400_000).toISOString() });
    return 'deferred';
  }
  // A step long past its time (the playbook was disabled, the tick did not run) is skipped, not sent late.
  if (isTooLate(dueAt, at)) {
    const following = nextStep(playbook, new Set([...fired, step.id]));
    await deps.playbooks.recordStep(
      ref,
      step.id,
      { at: at.toISOString(), outcome: 'skipped', detail: `due ${dueAt}, more than ${LATE_STEP_GRACE_DAYS} days before the tick` },
      following ? { nextDueAt: stepDueAt(enrollment.anchorAt, following) } : { endedReason: 'every step fired or skipped' },
    );
    return 'skipped';
  }

  const stop = step.stopIf?.length ? stopReason(step.stopIf, await stopFacts(deps, enrollment)) : undefined;
  if (stop) {
    await deps.playbooks.recordStep(
      ref,
      step.id,
      { at: at.toISOString(), outcome: 'stopped', detail: stop },
      {
        endedReason: `stopped before ${step.id}: ${stop}`,
      },
    );
    return 'stopped';
  }

  const base = {
    playbookId,
    playbookName: playbook.name,
    stepId: step.id,
    customerId,
    kind: step.action.kind,
    channel: step.action.channel,
    ...(step.action.productId ? { productId: step.action.productId } : {}),
    ...(step.action.productFamily ? { productFamily: step.action.productFamily } : {}),
    ...(step.action.terms ? { terms: step.action.terms } : {}),
    ...(step.action.template ? { template: step.action.template } : {}),
    ...(playbook.campaignId ? { campaignId: playbook.campaignId } : {}),
    dueAt,
  };
  const identity = [enrollment.enrollmentId, step.id];
  let event: OutboundEvent;
  let record: FiredStep;
  const notRunning = await campaignNotRunning(deps, playbook.campaignId, at);
  try {
    if (notRunning) throw new OfferBlockedError({ decision: 'block', findings: [notRunning] });
    const result = await registerOffer(deps, offerRequestOf(playbook, step, customerId, at), {
      idempotencyKey: `playbook:${identity.join(':')}`,
    });
    const { offer, decision, findings } = result.body;
    event = outboundEvent('action.due', identity, { ...base, offerId: offer.id, decision, findings: findingsOf(findings) }, at);
    record = { at: at.toISOString(), outcome: 'due', offerId: offer.id };
  } catch (error) {
    if (error instanceof OfferBlockedError) {
      const findings = findingsOf(error.evaluation.findings);
      event = outboundEvent('action.blocked', identity, { ...base, decision: 'block', findings }, at);
      record = {
        at: at.toISOString(),
        outcome: 'blocked',
        detail: findings
          .filter((f) => f.severity === 'block')
          .map((f) => f.rule)
          .join(', '),
      };
    } else if (error instanceof NotFoundError) {
      // Erased (the enrollment went with the partition) or merged away: nothing more to do here.
      await deps.playbooks.reschedule(ref, { endedReason: 'the customer is gone (erased or merged)' }).catch(() => {});
      return 'stopped';
    } else if (error instanceof ConflictError) {
      return 'deferred'; // the customer's offers kept changing: the lease lapses, the next tick retries
    } else throw error;
  }
  await announce(deps.events, [event]);
  // The playbook as it is now: an edit made during this tick may have added a step.
  const current = (await deps.playbooks.get(playbookId)) ?? playbook;
  const following = nextStep(current, new Set([...fired, step.id]));
  await deps.playbooks.recordStep(
    ref,
    step.id,
    record,
    following ? { nextDueAt: stepDueAt(enrollment.anchorAt, following) } : { endedReason: 'every step fired' },
  );
  return record.outcome === 'due' ? 'due' : 'blocked';
}

/** A finding when the playbook's campaign does not run at `at` (ended, not started, gone): the step is blocked, and says why. */
async function campaignNotRunning(deps: TickDeps, campaignId: string | undefined, at: Date): Promise<Finding | undefined> {
  if (!campaignId) return undefined;
  const campaign = await deps.campaigns.getCampaign(campaignId);
  try {
    if (!campaign) throw new ConflictError(`Campaign '${campaignId}' no longer exists`);
    assertRunning(campaign, at);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    return { rule: 'campaign-not-running', severity: 'block', message: error.message, evidence: { campaignId } };
  }
}

/** What the stop conditions look at: purchases since the anchor, answers to this enrollment's offers, the segment now. */
async function stopFacts(deps: TickDeps, e: Enrollment) {
  // From the trigger, or from the enrollment when the anchor lies ahead of it (a reorder or anniversary date).
  const from = [e.anchorAt, e.createdAt].sort()[0]!;
  const since = await deps.offers.touchpointsSince(e.customerId, from);
  const purchasedSinceAnchor = since.some((tp) => tp.type === 'purchase' && tp.occurredAt > from);
  const offerIds = Object.values(e.fired).flatMap((f) => (f.offerId ? [f.offerId] : []));
  const offers = await Promise.all(offerIds.map((id) => deps.offers.getOffer(e.customerId, id)));
  // Any answer counts: accepted, bought (converted) or declined.
  const responded = offers.some((o) => o?.status === 'accepted' || o?.status === 'converted' || o?.status === 'declined');
  const segmentNow = (await deps.runs.customerMining(e.customerId))?.segment;
  return {
    purchasedSinceAnchor,
    responded,
    ...(e.segment ? { segmentAtEnrollment: e.segment } : {}),
    ...(segmentNow ? { segmentNow } : {}),
  };
}

/** The step a customer's enrollment fires next (for tests and the demo's printout). */
export function pendingStep(playbook: StoredPlaybook, e: Enrollment): PlaybookStep | undefined {
  return nextStep(playbook, new Set(Object.keys(e.fired)));
}
