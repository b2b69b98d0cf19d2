import { outboundEvent, type OutboundEvent, type EventPublisher } from '../outbound/events.js';
import { announce } from '../outbound/publisher.js';
import { DAY_MS } from '../time.js';
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { z } from 'zod';
import { DEFAULT_ATTRIBUTION_DAYS, offerWindow } from '../campaigns/attribution.js';
import { assertRunning, campaignAssignmentFact } from '../campaigns/campaign-service.js';
import type { Assignment, Campaign } from '../campaigns/schema.js';
import { toCustomer360 } from '../customers/customer-360.js';
import { resolveCustomerId, type CustomerDeps } from '../customers/customer-service.js';
import { SUBSCRIPTION_SEPARATOR } from '../customers/profile.js';
import { ConflictError, NotFoundError, PatronError, ValidationError } from '../errors.js';
import type { CampaignStore } from '../store/campaign-store.js';
import type { LatestRuns, MiningStore } from '../store/mining-store.js';
import type { AuditRecord, CustomerSnapshot, OfferStore, StoredOffer } from '../store/offer-store.js';
import type { RuleSetConfig } from './config.js';
import { evaluateOffer, overrideIssues } from './engine.js';
import { anonymousFacts, factsFromCustomer360, type CustomerFacts, type FactsExtras, type RecentContact } from './facts.js';
import {
  BoundedId,
  BoundedText,
  OFFER_STATUSES,
  windowEnd,
  type Evaluation,
  type Finding,
  type OfferRequest,
  type OfferStatus,
} from './schema.js';

export interface OfferDeps extends CustomerDeps {
  offers: OfferStore;
  runs: MiningStore;
  rules: RuleSetConfig;
  /** Campaigns and their control groups (the holdout rule). */
  campaigns: CampaignStore;
  /** Where `offer.registered` is announced. */
  events?: EventPublisher;
}

/** A block answers 409 with the same `{decision, findings}` a dry run returns. */
export class OfferBlockedError extends PatronError {
  readonly status = 409;
  readonly code = 'offer_blocked';
  constructor(readonly evaluation: Evaluation) {
    super(
      `Blocked by ${evaluation.findings
        .filter((f) => f.severity === 'block')
        .map((f) => f.rule)
        .join(', ')}`,
    );
  }
  override toBody(): Record<string, unknown> {
    return { ...super.toBody(), ...this.evaluation };
  }
}

export const OfferStatusChange = z
  .strictObject({
    status: z.enum(['accepted', 'declined', 'withdrawn', 'expired']),
    actor: BoundedId.meta({ description: 'Who made the change (person or system)' }),
    reason: BoundedText.optional(),
  })
  .meta({ id: 'OfferStatusChange', examples: [{ status: 'accepted', actor: 'shop-checkout', reason: 'order 1042 paid' }] });
export type OfferStatusChange = z.infer<typeof OfferStatusChange>;

export const OfferListQuery = z.object({ status: z.enum(OFFER_STATUSES).optional() });

/** Registrations that lost the optimistic lock re-check; each round at least one of them wins. */
const MAX_ATTEMPTS = 30;

// ---------------------------------------------------------------- facts

/** The longest look-back any rule needs: the touchpoints read per check are those of this window. */
export function factsWindowDays(rules: RuleSetConfig): number {
  const r = rules.rules;
  return Math.max(r['sell-after-complaint'].withinDays, r['contact-fatigue'].windowDays, r['quiet-period'].days) + 1;
}

/** Completed runs never change: their summaries are cached for the life of the container. */
const runSummaries = new Map<string, { clvPercentiles?: number[] }>();

/**
 * The latest completed run (with its CLV percentiles) and whether a newer run failed. The pointer
 * is read on every check (one GetItem in the same parallel round), so a new run shows at once.
 */
async function latestRunInfo(runs: MiningStore) {
  const latest = await runs.latestRuns();
  let summary = latest.runId ? runSummaries.get(latest.runId) : undefined;
  if (latest.runId && !summary) {
    const run = await runs.getRun(latest.runId, false);
    summary = { clvPercentiles: run?.summary?.clvPercentiles as number[] | undefined };
    runSummaries.set(latest.runId, summary);
  }
  return { ...latest, clvPercentiles: summary?.clvPercentiles };
}

/** What stale-profile knows of the mining runs: a failure newer than the latest success wins. */
export function lastMiningRunFact(latest: LatestRuns): CustomerFacts['lastMiningRun'] {
  if (latest.failedRunId && (!latest.runId || latest.failedRunId > latest.runId)) {
    return { status: 'failed', runId: latest.failedRunId, ...(latest.failedAt ? { completedAt: latest.failedAt } : {}) };
  }
  return latest.runId
    ? { status: 'completed', runId: latest.runId, ...(latest.completedAt ? { completedAt: latest.completedAt } : {}) }
    : undefined;
}

/** The CLV at the `percent`-th percentile of a 101-point grid (linear between points). */
export function percentileOf(grid: readonly number[], percent: number): number {
  const pos = Math.min(Math.max(percent, 0), 100) * ((grid.length - 1) / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, grid.length - 1);
  return grid[lo]! + (grid[hi]! - grid[lo]!) * (pos - lo);
}

interface CheckContext {
  customerId: string;
  facts: CustomerFacts;
  active: StoredOffer[];
  ledgerVersion: number;
  /** The customer's campaign assignments as stored. */
  assignments: Assignment[];
  /** The latest run's segment, value tier and flag types of the customer (for the offer's `targeting`). */
  scores: { segment?: string; valueTier?: string; flagTypes: string[] };
}

/**
 * Reads everything a check needs with a fixed number of requests, in parallel: the customer's
 * non-touchpoint items (one Query) and the touchpoints of the rules' window (one Query), plus the
 * latest run pointer (one GetItem). Only a customer with no touchpoint in the
 * window costs one more one-item Query, for the date of the last touchpoint (stale-profile).
 */
async function loadContext(deps: OfferDeps, customerId: string, now: Date): Promise<CheckContext | undefined> {
  const since = new Date(now.getTime() - factsWindowDays(deps.rules) * DAY_MS).toISOString();
  const [snap, recent, run] = await Promise.all([
    deps.offers.snapshot(customerId),
    deps.offers.touchpointsSince(customerId, since),
    latestRunInfo(deps.runs),
  ]);
  if (!snap.profile || snap.profile.mergedInto) return undefined;
  // Newest first, so the window's first touchpoint is the customer's last one.
  const span = recent.length ? { last: recent[0]!.occurredAt } : { last: await deps.store.lastTouchpointAt(customerId) };
  const nowMs = now.getTime();
  const mining = snap.mining && snap.mining.runId === run.runId ? snap.mining : undefined;
  const c360 = toCustomer360(snap.profile, span, mining ? { ...mining } : null);
  const extras = recentExtras(recent, deps.rules);
  extras.recentContacts = [...contactsFromOffers(snap.offers), ...(extras.recentContacts ?? [])];
  extras.subscriptionsSince = subscriptionsSince(snap);
  extras.lastMiningRun = lastMiningRunFact(run);
  if (snap.assignments.length) {
    extras.campaignAssignments = snap.assignments.map(({ campaignId, group, assignedAt }) => ({ campaignId, group, assignedAt }));
  }
  if (run.runId) {
    extras.flags = snap.flags
      .filter((f) => f.runId === run.runId && f.expiresAt * 1000 > nowMs)
      .map((f) => ({ type: f.type, score: f.score }));
    const topPercent = deps.rules.highValue.topClvPercent;
    if (mining && run.clvPercentiles?.length) {
      const threshold = percentileOf(run.clvPercentiles, 100 - topPercent);
      extras.clvTier = mining.clvMinor > 0 && mining.clvMinor >= threshold ? 'top' : 'other';
    }
  }
  const active = snap.offers.filter((o) => effectiveStatus(o, now) === 'active');
  return {
    customerId,
    facts: factsFromCustomer360(c360, extras),
    active,
    ledgerVersion: snap.ledgerVersion,
    assignments: snap.assignments,
    scores: {
      ...(mining?.segment ? { segment: mining.segment } : {}),
      ...(mining?.valueTier ? { valueTier: mining.valueTier } : {}),
      flagTypes: (extras.flags ?? []).map((f) => f.type),
    },
  };
}

type RecentTouchpoint = { id: string; type: string; occurredAt: string; data: Record<string, unknown> };

/** Last complaint, low rating, payment failure, cancellation and outbound messages of the window. */
export function recentExtras(touchpoints: readonly RecentTouchpoint[], rules: RuleSetConfig): FactsExtras {
  const lowRating = rules.rules['sell-after-complaint'].satisfactionAtMost;
  const latest: Partial<
    Record<'lastComplaintAt' | 'lastLowRatingAt' | 'lastPaymentFailureAt' | 'lastCancellationAt' | 'profileUpdatedAt', string>
  > = {};
  const keep = (key: keyof typeof latest, at: string) => {
    if (!latest[key] || at > latest[key]!) latest[key] = at;
  };
  const messages = new Map<string, RecentContact>();
  for (const tp of touchpoints) {
    const at = tp.occurredAt;
    if (tp.type === 'ticket_opened' && tp.data.complaint) keep('lastComplaintAt', at);
    else if (tp.type === 'satisfaction_rated' && Number(tp.data.score) <= lowRating) keep('lastLowRatingAt', at);
    else if (tp.type === 'payment_failed') keep('lastPaymentFailureAt', at);
    else if (tp.type === 'subscription_cancelled') keep('lastCancellationAt', at);
    else if (tp.type === 'profile_updated') keep('profileUpdatedAt', at);
    else if (tp.type === 'email_opened' || tp.type === 'email_clicked') {
      // Opens and clicks prove an email reached the customer; several per message are one contact.
      const ref = String(tp.data.messageId ?? tp.data.campaignId ?? tp.id);
      const seen = messages.get(ref);
      if (!seen || at < seen.at) messages.set(ref, { channel: 'email', at, kind: 'message', ref });
    }
  }
  return { ...latest, recentContacts: [...messages.values()] };
}

function contactsFromOffers(offers: readonly StoredOffer[]): RecentContact[] {
  return offers.map((o) => ({ channel: o.channel, at: o.createdAt, kind: 'offer', ref: o.id }));
}

function subscriptionsSince(snap: CustomerSnapshot): Record<string, string> {
  const since: Record<string, string> = {};
  for (const entry of snap.profile?.subscriptionStarts ?? []) {
    const [id = '', at = ''] = entry.split(SUBSCRIPTION_SEPARATOR);
    if (!since[id] || at < since[id]) since[id] = at;
  }
  return since;
}

/** An active offer whose validity ended reads as expired, without a write. */
export function effectiveStatus(offer: Pick<StoredOffer, 'status' | 'validUntil'>, now: Date): OfferStatus {
  if (offer.status === 'active' && offer.validUntil && windowEnd(offer.validUntil) < now.getTime()) return 'expired';
  return offer.status;
}

const publicOffer = (o: StoredOffer, now: Date): StoredOffer => ({ ...o, status: effectiveStatus(o, now) });

// ---------------------------------------------------------------- API operations

/** Dry run: the decision and findings, nothing stored. */
export async function checkOffer(deps: OfferDeps, request: OfferRequest): Promise<Evaluation> {
  assertOverridable(deps, request);
  assertNotExpired(request, deps.now());
  const now = deps.now();
  const [ctx, campaign] = await Promise.all([contextFor(deps, request, now), offerCampaign(deps, request)]);
  // A dry run stores nothing: a customer not yet assigned is checked against the group they would get.
  await addCampaignFact(deps, ctx, campaign, { store: false });
  return evaluateOffer(request, ctx.facts, ctx.active, deps.rules, now);
}

/**
 * The campaign an offer names: undefined without campaignId; a 422 when campaignId names no
 * campaign (whatever its spelling: a typo must not skip the campaign's holdout, so there is no
 * "free text" campaignId; that is campaignLabel), and a 409 for a campaign not running (not
 * started, or ended): nothing is registered under it then.
 */
async function offerCampaign(deps: OfferDeps, request: OfferRequest): Promise<Campaign | undefined> {
  if (!request.campaignId) return undefined;
  const campaign = await deps.campaigns.getCampaign(request.campaignId);
  if (!campaign) {
    throw new ValidationError('Unknown campaign', [
      { path: 'body.campaignId', message: `no campaign has the id '${request.campaignId}' (GET /campaigns lists them)` },
    ]);
  }
  assertRunning(campaign, deps.now());
  return campaign;
}

/**
 * The customer's assignment to the offer's campaign, named, in the facts (for the holdout rule): a
 * customer not yet assigned to an active campaign is assigned first (stored when `store`).
 */
async function addCampaignFact(deps: OfferDeps, ctx: CheckContext, campaign: Campaign | undefined, opts: { store: boolean }) {
  const { flagTypes: _f, ...targeting } = ctx.scores;
  const fact = await campaignAssignmentFact(deps, campaign, ctx.customerId, ctx.assignments, { ...opts, targeting });
  if (!fact) return;
  ctx.facts.campaignAssignments = [...(ctx.facts.campaignAssignments ?? []).filter((a) => a.campaignId !== fact.campaignId), fact];
}

/**
 * The check context of the customer a request names. A customer id is read directly (one round
 * of parallel reads); an email, a merged-away or an unknown id first go through resolution.
 */
async function contextFor(deps: OfferDeps, ref: { customerId?: string; email?: string }, now: Date): Promise<CheckContext> {
  const direct = ref.customerId && !ref.email ? await loadContext(deps, ref.customerId, now) : undefined;
  if (direct) return direct;
  const customerId = await resolveCustomerId(deps, ref);
  const ctx = await loadContext(deps, customerId, now);
  if (!ctx) throw new NotFoundError(`Customer '${ref.customerId ?? customerId}' not found`);
  return ctx;
}

export interface RegisterResult {
  status: 201;
  body: { offer: StoredOffer; decision: Evaluation['decision']; findings: Finding[] };
  replayed: boolean;
}

/**
 * Checks and registers in one step: the offer is written only if the customer's offer ledger has
 * not moved since the check read it, so concurrent conflicting registrations cannot both pass. A
 * block answers 409 unless an overridable rule was overridden by a person; nothing of the offer is
 * stored then, but an offer under a campaign has assigned its customer first (the group is decided
 * at the first attempt to contact, which is what intention to treat counts).
 */
/**
 * Checks and registers, then announces `offer.registered` (a replay announces it again under the
 * same event id, so a first announcement that failed is made up for and none is delivered twice).
 */
export async function registerOffer(
  deps: OfferDeps,
  request: OfferRequest,
  opts: { idempotencyKey?: string } = {},
): Promise<RegisterResult> {
  const result = await checkAndRegister(deps, request, opts);
  if (deps.events) await announce(deps.events, [registeredEvent(result.body)]);
  return result;
}

/** Ids and figures only: findings by rule and severity (their text may name the customer). */
export function registeredEvent(body: RegisterResult['body']): OutboundEvent {
  const { offer } = body;
  return outboundEvent(
    'offer.registered',
    [offer.id],
    {
      offerId: offer.id,
      customerId: offer.customerId,
      kind: offer.kind,
      channel: offer.channel,
      ...(offer.productId ? { productId: offer.productId } : {}),
      ...(offer.productFamily ? { productFamily: offer.productFamily } : {}),
      ...(offer.campaignId ? { campaignId: offer.campaignId } : {}),
      ...(offer.team ? { team: offer.team } : {}),
      decision: body.decision,
      findings: body.findings.map((f) => ({ rule: f.rule, severity: f.severity })),
    },
    new Date(offer.createdAt),
  );
}

async function checkAndRegister(deps: OfferDeps, request: OfferRequest, opts: { idempotencyKey?: string }): Promise<RegisterResult> {
  assertOverridable(deps, request);
  assertNotExpired(request, deps.now());
  const keyHash = opts.idempotencyKey ? sha256(opts.idempotencyKey) : undefined;
  const requestHash = sha256(stableJson(request));
  if (keyHash) {
    const replay = await replayed(deps, keyHash, requestHash);
    if (replay) return replay;
  }
  let customerId = request.customerId;
  const campaign = await offerCampaign(deps, request);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      await new Promise((r) => setTimeout(r, Math.random() * 10 * Math.min(attempt, 5)));
      // The write that moved the ledger may have been this key's own concurrent twin.
      const replay = keyHash ? await replayed(deps, keyHash, requestHash) : undefined;
      if (replay) return replay;
    }
    const now = deps.now();
    const ctx = await contextFor(deps, { ...request, customerId }, now);
    customerId = ctx.customerId;
    await addCampaignFact(deps, ctx, campaign, { store: true });
    const evaluation = evaluateOffer(request, ctx.facts, ctx.active, deps.rules, now);
    if (evaluation.decision === 'block') {
      // What blocks may be this key's own twin, committed since the first look.
      const replay = keyHash ? await replayed(deps, keyHash, requestHash) : undefined;
      if (replay) return replay;
      throw new OfferBlockedError(evaluation);
    }
    const at = now.toISOString();
    const offer = newOffer(request, ctx.customerId, at, targetingOf(request, campaign, ctx.scores));
    offer.attributionEndsAt = new Date(offerWindow(offer, campaign?.attributionDays ?? DEFAULT_ATTRIBUTION_DAYS)[1]).toISOString();
    const fact = campaign && ctx.facts.campaignAssignments?.find((a) => a.campaignId === campaign.id);
    const body = { offer, decision: evaluation.decision, findings: evaluation.findings };
    // The response names the customer; what is stored (the audit records and the Idempotency-Key
    // record, hence a replay) holds the same findings worded without the name ("the customer"),
    // so no first name outlives an erasure in an audit trail.
    const anonymous = ctx.facts.name ? evaluateOffer(request, anonymousFacts(ctx.facts), ctx.active, deps.rules, now) : evaluation;
    const storedBody = { ...body, findings: anonymous.findings };
    const outcome = await deps.offers.register({
      offer,
      expectedVersion: ctx.ledgerVersion,
      audit: creationAudit(offer, request, anonymous, at),
      idempotency: keyHash ? { keyHash, record: { requestHash, offerId: offer.id, status: 201, body: storedBody } } : undefined,
      // The assignment records the contact (for results by channel), in the same transaction.
      also: fact?.assignedAt ? [deps.campaigns.contactUpdate(ctx.customerId, fact.campaignId, offer.channel, at)] : [],
    });
    if (outcome === 'stored') return { status: 201, body, replayed: false };
  }
  throw new ConflictError(`The offers of customer '${customerId ?? request.email}' kept changing during the check; retry the request`);
}

/** An offer whose validity ended before it is proposed could never be taken up: a mistake, 422. */
function assertNotExpired(request: OfferRequest, now: Date): void {
  if (request.validUntil && windowEnd(request.validUntil) < now.getTime()) {
    throw new ValidationError('The offer would have expired before it is registered', [
      { path: 'body.validUntil', message: `is in the past (${request.validUntil})` },
    ]);
  }
}

/** An override naming a rule the rule set does not make overridable is a 422 naming the rule, never ignored. */
function assertOverridable(deps: OfferDeps, request: OfferRequest): void {
  const issues = overrideIssues(request, deps.rules);
  if (issues.length) {
    throw new ValidationError(
      `The override names rules that cannot be overridden: ${(request.override?.rules ?? []).filter((r) => !deps.rules.rules[r].overridable).join(', ')}`,
      issues.map((i) => ({ ...i, path: `body.${i.path}` })),
    );
  }
}

async function replayed(deps: OfferDeps, keyHash: string, requestHash: string): Promise<RegisterResult | undefined> {
  const record = await deps.offers.getIdempotency(keyHash);
  if (!record) return undefined;
  if (record.requestHash !== requestHash) {
    throw new ValidationError('Idempotency-Key was already used with a different request', [
      { path: 'header.Idempotency-Key', message: `was used for offer ${record.offerId} with a different body; use a new key` },
    ]);
  }
  return { status: 201, body: record.body as RegisterResult['body'], replayed: true };
}

/**
 * Which flag an offer of each kind acts on when its campaign names none: the first of these the
 * customer carries in the latest run (a retention offer to a churn-risk customer answers that flag).
 */
const FLAGS_FOR_KIND: Partial<Record<OfferRequest['kind'], readonly string[]>> = {
  retention: ['churn-risk'],
  upsell: ['up-sell'],
  'cross-sell': ['cross-sell'],
  offer: ['reorder-due', 'moment', 'prospect', 'up-sell', 'cross-sell', 'churn-risk'],
  message: ['moment', 'reorder-due', 'churn-risk', 'prospect'],
};

/** Whom the offer targets, as the latest run saw the customer: counted by response rates. */
function targetingOf(request: OfferRequest, campaign: Campaign | undefined, scores: CheckContext['scores']): StoredOffer['targeting'] {
  const flagType = campaign?.flagType ?? FLAGS_FOR_KIND[request.kind]?.find((t) => scores.flagTypes.includes(t));
  const targeting = {
    ...(flagType ? { flagType } : {}),
    ...(scores.segment ? { segment: scores.segment } : {}),
    ...(scores.valueTier ? { valueTier: scores.valueTier } : {}),
  };
  return Object.keys(targeting).length ? targeting : undefined;
}

function newOffer(request: OfferRequest, customerId: string, at: string, targeting: StoredOffer['targeting']): StoredOffer {
  const { customerId: _c, email: _e, ...fields } = request;
  return {
    ...fields,
    ...(targeting ? { targeting } : {}),
    id: ulid(),
    customerId,
    status: 'active',
    createdAt: at,
    updatedAt: at,
    ...(request.team ? { createdBy: request.team } : {}),
  };
}

function creationAudit(offer: StoredOffer, request: OfferRequest, evaluation: Evaluation, at: string): AuditRecord[] {
  const findings = evaluation.findings.map(({ rule, severity, message }) => ({ rule, severity, message }));
  const created: AuditRecord = {
    offerId: offer.id,
    at,
    action: 'created',
    actor: request.override?.actor ?? request.team ?? 'api',
    decision: evaluation.decision,
    findings,
  };
  const overridden = evaluation.findings.filter((f) => f.evidence.overridden);
  if (!overridden.length || !request.override) return [created];
  return [
    created,
    {
      offerId: offer.id,
      at,
      action: 'overridden',
      actor: request.override.actor,
      reason: request.override.reason,
      findings: overridden.map(({ rule, message }) => ({ rule, severity: 'block' as const, message })),
    },
  ];
}

const TRANSITIONS: Record<OfferStatus, readonly OfferStatus[]> = {
  active: ['accepted', 'declined', 'withdrawn', 'expired'],
  accepted: [],
  declined: [],
  withdrawn: [],
  expired: [],
  // Set and taken back by attribution only (a purchase, a full refund).
  converted: [],
};

async function findOffer(deps: OfferDeps, offerId: string, consistent = false): Promise<StoredOffer> {
  const customerId = await deps.offers.offerCustomer(offerId);
  const offer = customerId ? await deps.offers.getOffer(customerId, offerId, consistent) : undefined;
  if (!offer) throw new NotFoundError(`Offer '${offerId}' not found`);
  return offer;
}

export async function getOffer(deps: OfferDeps, offerId: string): Promise<{ offer: StoredOffer; audit: AuditRecord[] }> {
  const offer = await findOffer(deps, offerId);
  return { offer: publicOffer(offer, deps.now()), audit: await deps.offers.auditTrail(offerId) };
}

/** Status changes follow TRANSITIONS; the write is conditional on the status it was read with. */
export async function changeOfferStatus(
  deps: OfferDeps,
  offerId: string,
  change: OfferStatusChange,
): Promise<{ offer: StoredOffer; audit: AuditRecord[] }> {
  const offer = await findOffer(deps, offerId, true);
  const now = deps.now();
  const current = effectiveStatus(offer, now);
  if (current === 'expired' && change.status !== 'expired' && offer.status === 'active') {
    throw new ConflictError(`Offer '${offerId}' expired on ${offer.validUntil}; it can only be marked expired`);
  }
  if (!TRANSITIONS[offer.status].includes(change.status)) {
    throw new ConflictError(`Offer '${offerId}' is ${offer.status}; it cannot become ${change.status}`);
  }
  const at = now.toISOString();
  const audit: AuditRecord = {
    offerId,
    at,
    action: 'status-changed',
    actor: change.actor,
    from: offer.status,
    to: change.status,
    ...(change.reason ? { reason: change.reason } : {}),
  };
  if (!(await deps.offers.transition({ offer, to: change.status, at, audit }))) {
    const latest = await findOffer(deps, offerId, true);
    throw new ConflictError(`Offer '${offerId}' changed meanwhile: it is ${latest.status}`);
  }
  return getOffer(deps, offerId);
}

export async function listCustomerOffers(
  deps: OfferDeps,
  customerId: string,
  status?: OfferStatus,
): Promise<{ customerId: string; items: StoredOffer[] }> {
  const live = await resolveCustomerId(deps, { customerId });
  const now = deps.now();
  const items = (await deps.offers.customerOffers(live))
    .map((o) => publicOffer(o, now))
    .filter((o) => !status || o.status === status)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return { customerId: live, items };
}

// ---------------------------------------------------------------- helpers

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with object keys sorted, so the same request always hashes the same. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
