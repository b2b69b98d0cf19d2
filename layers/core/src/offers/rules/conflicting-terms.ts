import { concurrent, describeTerms, differingTerms, finding, hasTerms, origin, pickTerms, sameProduct, Who, type Rule } from './shared.js';

export const CONFLICTING_TERMS = 'conflicting-terms';

/**
 * Another active offer to the customer for the same product (or product family) at a different
 * price or on different terms: the customer would be quoted two prices for one mortgage.
 * Offers without terms on either side quote no price and are not compared.
 */
export const conflictingTerms: Rule = (offer, facts, activeOffers, config, now) => {
  const cfg = config.rules[CONFLICTING_TERMS];
  if (!cfg.kinds.includes(offer.kind) || !hasTerms(offer.terms, cfg.ignoreTermKeys)) return [];
  return activeOffers.flatMap((other) => {
    if (!cfg.kinds.includes(other.kind) || !hasTerms(other.terms, cfg.ignoreTermKeys) || !concurrent(offer, other, now)) return [];
    const matchedOn = sameProduct(offer, other, cfg.matchFamily);
    if (!matchedOn) return [];
    const differing = differingTerms(offer.terms, other.terms, cfg.ignoreTermKeys);
    if (!differing.length) return [];
    const product =
      matchedOn === 'productId' ? other.productId : `the ${other.productFamily} family (${other.productId ?? 'no product id'})`;
    return [
      finding(
        CONFLICTING_TERMS,
        'block',
        `${Who(facts)} already has offer ${other.id} for ${product} ${origin(other)} at ${describeTerms(other.terms, differing)}; ` +
          `this one says ${describeTerms(offer.terms, differing)}. The customer would be quoted two different prices for the same product.`,
        {
          offerId: other.id,
          matchedOn,
          productId: other.productId,
          productFamily: other.productFamily,
          otherTerms: pickTerms(other.terms),
          theseTerms: pickTerms(offer.terms),
          differingTerms: differing,
          otherTeam: other.team,
          otherChannel: other.channel,
          otherCreatedAt: other.createdAt,
        },
      ),
    ];
  });
};
