import { SELLING_KINDS } from '../schema.js';
import { finding, highValueReasons, listing, Who, type Rule } from './shared.js';

export const SERVICE_TIER_MISMATCH = 'service-tier-mismatch';

/**
 * Standard treatment for a top-tier customer where a premium variant exists: a service (unless its
 * tier is premium) or a sales offer explicitly of tier standard, for a product (or family) that
 * has a premium variant in `premiumVariants`. Warns and names the premium variant. The VIP abroad
 * who gets the ordinary service.
 */
export const serviceTierMismatch: Rule = (offer, facts, _activeOffers, config) => {
  const cfg = config.rules[SERVICE_TIER_MISMATCH];
  const standard =
    (offer.kind === 'service' && offer.tier !== 'premium') ||
    ((SELLING_KINDS as readonly string[]).includes(offer.kind) && offer.tier === 'standard');
  if (!standard) return [];
  const key = offer.productId !== undefined && cfg.premiumVariants[offer.productId] !== undefined ? offer.productId : offer.productFamily;
  const premium = key !== undefined ? cfg.premiumVariants[key] : undefined;
  if (!premium || premium === offer.productId) return [];
  const { reasons, evidence } = highValueReasons(facts, config.highValue);
  if (!reasons.length) return [];
  return [
    finding(
      SERVICE_TIER_MISMATCH,
      'warn',
      `${Who(facts)} is a top-tier customer (${listing(reasons)}) but would get the standard ${offer.productId ?? offer.productFamily}; the premium variant ${premium} exists and is what this customer should be offered.`,
      {
        productId: offer.productId,
        productFamily: offer.productFamily,
        tier: offer.tier ?? 'standard',
        premiumVariant: premium,
        ...evidence,
      },
    ),
  ];
};
