import { CONVERTIBLE_KINDS, creditStands, type CreditedPurchase } from '../campaigns/attribution.js';
import type { ControlledCell, OfferCell, ResponseStats } from '../mining/response.js';
import type { Item } from '../store/dynamo.js';
import { parseAssignmentSk, parseOfferSk } from '../store/keys.js';

/**
 * What earlier offers and campaigns tell the next run (mining/response.ts), counted while a shard
 * is extracted: the scan reads every customer partition anyway, so no counter is written per offer
 * (a shared counter would be a hot item under concurrent registrations). Pooled at fit.
 *
 * Every offer that reached the customer and a purchase can answer counts (withdrawn ones never
 * reached anyone; fees, penalties and service actions are not sales); converted and accepted
 * ones are responses. The rate is a rate to date: an offer still inside its attribution window
 * counts as not (yet) answered, and `pending` says how many of the offers are in that state.
 * Counting only answered offers would be worse early on: before the windows close, the only
 * answered offers are the ones that converted, and every rate would read 100%.
 */
export interface ShardResponses {
  /** JSON [flagType|null, segment|null, channel, valueTier|null] -> [offers, responded, pending (of offers)]. */
  offers: Record<string, [number, number, number]>;
  /** JSON [flagType, segment|null, group] -> [customers, converted]. */
  controlled: Record<string, [number, number]>;
}

export const emptyShardResponses = (): ShardResponses => ({ offers: {}, controlled: {} });

const RESPONDED = new Set(['converted', 'accepted']);

function cellOf<T>(cells: Record<string, T>, key: string, empty: () => T): T {
  if (!(key in cells)) cells[key] = empty();
  return cells[key]!;
}

/** Adds one customer partition's offer and assignment items to the shard's counts. */
export function countResponses(into: ShardResponses, item: Item, asOfMs: number): void {
  const sk = String(item.sk);
  if (parseOfferSk(sk) !== undefined) {
    const status = String(item.status);
    // Withdrawn offers never reached anyone; fees, penalties and service actions cannot be answered by a purchase.
    if (status === 'withdrawn' || !CONVERTIBLE_KINDS.includes(String(item.kind))) return;
    const t = (item.targeting ?? {}) as { flagType?: string; segment?: string; valueTier?: string };
    const key = JSON.stringify([t.flagType ?? null, t.segment ?? null, String(item.channel), t.valueTier ?? null]);
    const cell = cellOf(into.offers, key, (): [number, number, number] => [0, 0, 0]);
    const ends = Date.parse(String(item.attributionEndsAt ?? ''));
    cell[0]++;
    if (RESPONDED.has(status)) cell[1]++;
    else if (status !== 'declined' && Number.isFinite(ends) && ends >= asOfMs) cell[2]++;
    return;
  }
  if (parseAssignmentSk(sk) !== undefined && typeof item.flagType === 'string') {
    const key = JSON.stringify([item.flagType, typeof item.segment === 'string' ? item.segment : null, String(item.group)]);
    const cell = cellOf(into.controlled, key, (): [number, number] => [0, 0]);
    cell[0]++;
    if (Object.values((item.conversions ?? {}) as Record<string, CreditedPurchase>).some(creditStands)) cell[1]++;
  }
}

/** The shards' counts added up. */
export function poolResponses(shards: readonly ShardResponses[]): ShardResponses {
  const pooled = emptyShardResponses();
  for (const s of shards) {
    for (const [k, v] of Object.entries(s.offers ?? {})) {
      const cell = cellOf(pooled.offers, k, (): [number, number, number] => [0, 0, 0]);
      v.forEach((n, i) => {
        cell[i]! += n;
      });
    }
    for (const [k, v] of Object.entries(s.controlled ?? {})) {
      const cell = cellOf(pooled.controlled, k, (): [number, number] => [0, 0]);
      v.forEach((n, i) => {
        cell[i]! += n;
      });
    }
  }
  return pooled;
}

/** Response-rate cells as the API and the summary show them. */
export interface ResponseCellSummary {
  flagType: string | null;
  segment: string | null;
  channel: string;
  valueTier: string | null;
  offers: number;
  responded: number;
  pending: number;
}

export function offerCells(pooled: ShardResponses): ResponseCellSummary[] {
  return Object.entries(pooled.offers ?? {}).map(([k, [offers, responded, pending]]) => {
    const [flagType, segment, channel, valueTier] = JSON.parse(k) as [string | null, string | null, string, string | null];
    return { flagType, segment, channel, valueTier, offers, responded, pending };
  });
}

/** The mining core's input: answered offers by flag type and segment, and campaigns' controlled counts. */
export function responseStatsOf(pooled: ShardResponses): ResponseStats {
  const offers: OfferCell[] = offerCells(pooled)
    .filter((c) => c.flagType !== null && c.offers > 0)
    .map((c) => ({
      flagType: c.flagType!,
      channel: c.channel,
      offers: c.offers,
      responded: c.responded,
      ...(c.segment !== null ? { segment: c.segment } : {}),
      ...(c.valueTier !== null ? { valueTier: c.valueTier } : {}),
    }));
  const controlled: ControlledCell[] = Object.entries(pooled.controlled ?? {}).map(([k, [customers, converted]]) => {
    const [flagType, segment, group] = JSON.parse(k) as [string, string | null, 'treatment' | 'control'];
    return { flagType, group, customers, converted, ...(segment !== null ? { segment } : {}) };
  });
  return { offers, controlled };
}
