import { concurrent, describeTerms, differingTerms, finding, hasTerms, kindNoun, origin, pickTerms, Who, type Rule } from './shared.js';

export const DUPLICATE_OFFER = 'duplicate-offer';

/**
 * The same offer (same kind, same product or family, same terms) is already active, whatever the
 * channel or team. An offer with neither product, family nor terms (a plain message or service
 * contact) has nothing to identify it by and is left to contact-fatigue.
 */
export const duplicateOffer: Rule = (offer, facts, activeOffers, _config, now) => {
  if (!offer.productId && !offer.productFamily && !hasTerms(offer.terms)) return [];
  return activeOffers.flatMap((other) => {
    if (other.kind !== offer.kind || !concurrent(offer, other, now)) return [];
    if ((other.productId ?? null) !== (offer.productId ?? null)) return [];
    if ((other.productFamily ?? null) !== (offer.productFamily ?? null) && offer.productId === undefined) return [];
    if (differingTerms(offer.terms, other.terms).length) return [];
    const product = offer.productId ?? offer.productFamily;
    return [
      finding(
        DUPLICATE_OFFER,
        'block',
        `${Who(facts)} already has the same ${kindNoun(offer.kind)}${product ? ` for ${product}` : ''} (${describeTerms(offer.terms)}): offer ${other.id} ${origin(other)} is still active. Sending it again would be a duplicate.`,
        {
          offerId: other.id,
          kind: other.kind,
          productId: other.productId,
          productFamily: other.productFamily,
          terms: pickTerms(other.terms),
          otherTeam: other.team,
          otherChannel: other.channel,
          otherCreatedAt: other.createdAt,
        },
      ),
    ];
  });
};
