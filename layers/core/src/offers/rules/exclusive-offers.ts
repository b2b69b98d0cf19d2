import { concurrent, describeTerms, finding, sameProduct, Who, type Rule } from './shared.js';
import type { OfferRequest, RegisteredOffer } from '../schema.js';

export const EXCLUSIVE_OFFERS = 'exclusive-offers';

/**
 * Offers that must not be live together: another active offer in the same `exclusionGroup`, or two
 * discounts (terms with a `discountKeys` field) on the same product or family where either is not
 * stackable (`stackable: false`, or omitted when `stackableByDefault` is false).
 */
export const exclusiveOffers: Rule = (offer, facts, activeOffers, config, now) => {
  const cfg = config.rules[EXCLUSIVE_OFFERS];
  const isDiscount = (o: OfferRequest | RegisteredOffer) => cfg.discountKeys.some((k) => o.terms?.[k] !== undefined);
  const stacks = (o: OfferRequest | RegisteredOffer) => o.stackable ?? cfg.stackableByDefault;
  return activeOffers.flatMap((other) => {
    if (!concurrent(offer, other, now)) return [];
    if (offer.exclusionGroup && other.exclusionGroup === offer.exclusionGroup) {
      return [
        finding(
          EXCLUSIVE_OFFERS,
          'block',
          `${Who(facts)} already has offer ${other.id}${other.productId ? ` (${other.productId})` : ''} in exclusion group ${offer.exclusionGroup}: only one offer of the group may be active at a time.`,
          { offerId: other.id, exclusionGroup: offer.exclusionGroup, otherProductId: other.productId, otherCampaignId: other.campaignId },
        ),
      ];
    }
    const matchedOn = sameProduct(offer, other, true);
    if (matchedOn && isDiscount(offer) && isDiscount(other) && (!stacks(offer) || !stacks(other))) {
      const keys = cfg.discountKeys;
      const product = matchedOn === 'productId' ? offer.productId : `the ${offer.productFamily} family`;
      return [
        finding(
          EXCLUSIVE_OFFERS,
          'block',
          `${Who(facts)} already has discount offer ${other.id} on ${product} (${describeTerms(other.terms, keys)}) and the discounts must not stack; ` +
            `this one (${describeTerms(offer.terms, keys)}) would combine with it.`,
          {
            offerId: other.id,
            matchedOn,
            otherDiscount: Object.fromEntries(keys.filter((k) => other.terms?.[k] !== undefined).map((k) => [k, other.terms?.[k]])),
            thisDiscount: Object.fromEntries(keys.filter((k) => offer.terms?.[k] !== undefined).map((k) => [k, offer.terms?.[k]])),
            otherStackable: stacks(other),
            thisStackable: stacks(offer),
          },
        ),
      ];
    }
    return [];
  });
};
