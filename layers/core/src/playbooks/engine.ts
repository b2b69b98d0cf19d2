import type { OfferRequest } from '../offers/schema.js';
import { OFFER_LIMITS } from '../offers/schema.js';
import { DAY_MS, HOUR_MS } from '../time.js';
import {
  type AnniversaryOf,
  MAX_DAY_OF_MONTH,
  type PlaybookStep,
  type PlaybookTrigger,
  STOP_CONDITIONS,
  type StopCondition,
  type StoredPlaybook,
} from './schema.js';

/**
 * The pure logic of playbooks: when steps are due, which purchases and dates trigger, when a step
 * stops, which step is next and the offer request a step becomes. No I/O and no clock: the caller
 * passes the time in.
 */

/** Offers registered by playbooks carry this team, so their results can be told apart. */
export const PLAYBOOK_TEAM = 'playbooks';

/**
 * A step more than this many days past its due time is skipped, not sent: a thank-you weeks late
 * (after a backfilled purchase, or a playbook re-enabled after a pause) does more harm than none.
 */
export const LATE_STEP_GRACE_DAYS = 2;

/** Whether a step due at `dueAtIso` is too late to act on at `at`. */
export const isTooLate = (dueAtIso: string, at: Date): boolean => at.getTime() - Date.parse(dueAtIso) > LATE_STEP_GRACE_DAYS * 86_400_000;

export function stepDelayMs(step: Pick<PlaybookStep, 'delay'>): number {
  return (step.delay.days * 24 + (step.delay.hours ?? 0)) * HOUR_MS;
}

/** The instant a step is due; throws a RangeError on an anchor that is not a date. */
export function stepDueAt(anchorIso: string, step: Pick<PlaybookStep, 'delay'>): string {
  return new Date(Date.parse(anchorIso) + stepDelayMs(step)).toISOString();
}

export interface PurchaseFacts {
  firstPurchase: boolean;
  lines: readonly { productId?: string; sku?: string; category?: string }[];
}

/** Whether a purchase enrolls into a purchase-type trigger; other trigger types never match a purchase. */
export function matchesPurchase(trigger: PlaybookTrigger, purchase: PurchaseFacts): boolean {
  if (trigger.type === 'first-purchase') return purchase.firstPurchase;
  if (trigger.type !== 'purchase') return false;
  const { productId, productFamily } = trigger;
  if (productId === undefined && productFamily === undefined) return true;
  return purchase.lines.some(
    (l) =>
      (productId !== undefined && (l.productId === productId || l.sku === productId)) ||
      (productFamily !== undefined && l.category === productFamily),
  );
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
/** Day `day` of `month` in `year`, clamped to the month's end (02-29 → 02-28 in non-leap years). */
const occurrence = (year: number, month: number, day: number): number => {
  const max = month === 2 ? (isLeap(year) ? 29 : 28) : (MAX_DAY_OF_MONTH[month - 1] ?? 31);
  return Date.UTC(year, month - 1, Math.min(day, max));
};
const dayOf = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The first yearly occurrence, in a year from `fromYear` on, within [asOf's UTC day, + withinDays days]. */
function nextYearly(month: number, day: number, fromYear: number, asOf: Date, withinDays: number): string | undefined {
  const start = dayOf(asOf);
  if (!Number.isFinite(start) || !(withinDays >= 0)) return undefined;
  const end = start + withinDays * DAY_MS;
  for (let year = Math.max(fromYear, asOf.getUTCFullYear()); ; year++) {
    const at = occurrence(year, month, day);
    if (at > end) return undefined;
    if (at >= start) return isoDay(at);
  }
}

/**
 * The next anniversary (one year after the date at the earliest) of the first purchase or the
 * membership, as YYYY-MM-DD (UTC), if it falls within [asOf's UTC day, that day + withinDays].
 */
export function anniversaryAnchor(
  of: AnniversaryOf,
  dates: { firstPurchaseAt?: string; memberSince?: string },
  asOf: Date,
  withinDays: number,
): string | undefined {
  const since = of === 'first-purchase' ? dates.firstPurchaseAt : dates.memberSince;
  if (since === undefined) return undefined;
  const t = Date.parse(since);
  if (!Number.isFinite(t)) return undefined;
  const d = new Date(t);
  return nextYearly(d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCFullYear() + 1, asOf, withinDays);
}

/** The next occurrence of a yearly date, as YYYY-MM-DD (UTC), within [asOf's UTC day, that day + withinDays]. */
export function dateAnchor(trigger: { month: number; day: number }, asOf: Date, withinDays: number): string | undefined {
  return nextYearly(trigger.month, trigger.day, asOf.getUTCFullYear(), asOf, withinDays);
}

export interface StopFacts {
  purchasedSinceAnchor: boolean;
  responded: boolean;
  segmentAtEnrollment?: string;
  segmentNow?: string;
}

/** The condition that stops a step, if any; with several, the first in STOP_CONDITIONS order (so the reason does not depend on how stopIf is spelt). */
export function stopReason(stopIf: readonly StopCondition[] | undefined, facts: StopFacts): StopCondition | undefined {
  if (!stopIf?.length) return undefined;
  const holds: Record<StopCondition, boolean> = {
    purchased: facts.purchasedSinceAnchor,
    responded: facts.responded,
    // An unknown segment (no mining run yet, or the customer dropped out of its results) is not a departure.
    'left-segment':
      facts.segmentAtEnrollment !== undefined && facts.segmentNow !== undefined && facts.segmentAtEnrollment !== facts.segmentNow,
  };
  return STOP_CONDITIONS.find((c) => stopIf.includes(c) && holds[c]);
}

/** The first step, in order, not yet fired. Fired is by step id, so an edit never fires a step twice. */
export function nextStep(playbook: Pick<StoredPlaybook, 'steps'>, fired: ReadonlySet<string>): PlaybookStep | undefined {
  return playbook.steps.find((s) => !fired.has(s.id));
}

/** `playbook <name>, step <id>` within the id bound: the name is cut short when needed. */
function labelOf(name: string, stepId: string): string {
  const suffix = `, step ${stepId}`;
  const budget = OFFER_LIMITS.MAX_ID_LENGTH - 'playbook '.length - suffix.length;
  let short = name.length > budget ? name.slice(0, budget) : name;
  // Never leave half a surrogate pair (OfferRequest refuses unpaired surrogates).
  if (/[\uD800-\uDBFF]$/.test(short)) short = short.slice(0, -1);
  return `playbook ${short.trimEnd()}${suffix}`;
}

/**
 * The offer request a step becomes for a customer, for the normal checked path. The step's
 * template is not part of it (OfferRequest has no such field): the caller passes it on.
 */
export function offerRequestOf(playbook: StoredPlaybook, step: PlaybookStep, customerId: string, now: Date): OfferRequest {
  const a = step.action;
  const request: OfferRequest = { customerId, kind: a.kind, channel: a.channel, team: PLAYBOOK_TEAM };
  if (a.productId !== undefined) request.productId = a.productId;
  if (a.productFamily !== undefined) request.productFamily = a.productFamily;
  if (a.terms !== undefined) request.terms = { ...a.terms };
  // A campaign id names the campaign (and its holdout); only without one does a label say where the offer came from.
  if (playbook.campaignId !== undefined) request.campaignId = playbook.campaignId;
  else request.campaignLabel = labelOf(playbook.name, step.id);
  if (a.validDays !== undefined) request.validUntil = new Date(now.getTime() + a.validDays * DAY_MS).toISOString();
  return request;
}
