import { DAY_MS } from '../../time.js';
import { day, finding, plural, Who, type Rule } from './shared.js';

export const ALREADY_OWNED = 'already-owned';

interface Holding {
  productId: string;
  productFamily?: string;
  heldAs: 'membership' | 'active subscription' | 'purchase';
  ref?: string;
  since?: string;
}

/**
 * Selling the customer what they already hold: a product they bought, an active subscription or a
 * membership (from touchpoints), matched by productId or, unless disabled, productFamily. Past
 * purchases of `repeatable` products (consumables) do not count. The 33-year member invited to
 * become a member.
 */
export const alreadyOwned: Rule = (offer, facts, _activeOffers, config, now) => {
  const cfg = config.rules[ALREADY_OWNED];
  if (!cfg.kinds.includes(offer.kind) || (!offer.productId && !offer.productFamily)) return [];
  const familyOf = (h: { productId: string; productFamily?: string }) => h.productFamily ?? cfg.productFamilies[h.productId];
  const offeredFamily = offer.productFamily ?? (offer.productId ? cfg.productFamilies[offer.productId] : undefined);

  const repeatable = (productId: string) => {
    const family = cfg.productFamilies[productId];
    return cfg.repeatable.includes(productId) || (family !== undefined && cfg.repeatable.includes(family));
  };
  const subscribed = new Set(facts.activeSubscriptions.map((s) => s.productId));
  const holdings: Holding[] = [
    ...(facts.memberships ?? []).map((m) => ({
      productId: m.productId,
      productFamily: m.productFamily,
      heldAs: 'membership' as const,
      ref: m.membershipId,
      since: m.since,
    })),
    ...facts.activeSubscriptions.map((s) => ({
      productId: s.productId,
      productFamily: s.productFamily,
      heldAs: 'active subscription' as const,
      ref: s.subscriptionId,
      since: s.since,
    })),
    ...facts.ownedProducts.filter((p) => !subscribed.has(p) && !repeatable(p)).map((p) => ({ productId: p, heldAs: 'purchase' as const })),
  ];
  const byId = holdings.filter((h) => offer.productId !== undefined && h.productId === offer.productId);
  const byFamily = cfg.matchFamily && offeredFamily ? holdings.filter((h) => !byId.includes(h) && familyOf(h) === offeredFamily) : [];
  const held = byId[0] ?? byFamily[0];
  if (!held) return [];

  const matchedOn = byId.length ? 'productId' : 'productFamily';
  const years = held.since ? Math.floor((now.getTime() - Date.parse(held.since)) / (365.25 * DAY_MS)) : undefined;
  const how = [held.heldAs, held.ref, held.since && `since ${day(held.since)}`].filter(Boolean).join(' ');
  const what =
    matchedOn === 'productId'
      ? `offering it again`
      : `offering ${offer.productId ?? `another ${offeredFamily}`}, of the same ${offeredFamily} family,`;
  const role = held.heldAs === 'membership' ? 'member' : 'customer';
  const consequence =
    years !== undefined && years >= 1
      ? `would insult a ${role} of ${plural(years, 'year')}`
      : `would show that we do not know what the ${role} already has`;
  return [
    finding(ALREADY_OWNED, 'block', `${Who(facts)} already holds ${held.productId} (${how}): ${what} ${consequence}.`, {
      productId: held.productId,
      productFamily: familyOf(held),
      matchedOn,
      heldAs: held.heldAs,
      ...(held.ref ? { ref: held.ref } : {}),
      ...(held.since ? { since: held.since, years } : {}),
      holdings: [...byId, ...byFamily].map((h) => ({ productId: h.productId, heldAs: h.heldAs, ...(h.ref ? { ref: h.ref } : {}) })),
    }),
  ];
};
