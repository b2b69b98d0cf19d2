import { aKind, finding, highValueReasons, listing, Who, type Rule } from './shared.js';

export const HIGH_VALUE_PENALTY = 'high-value-penalty';

/**
 * A penalty, fee or collection against a top-tier customer (top CLV tier, a CLV or revenue
 * threshold, or a top segment: see `highValue` in the rule set). Blocks; the engine turns the
 * block into a warning when the offer carries an `override` with actor and reason (the rule is
 * overridable by default). The bank fining its largest depositor for a late payment.
 */
export const highValuePenalty: Rule = (offer, facts, _activeOffers, config) => {
  const cfg = config.rules[HIGH_VALUE_PENALTY];
  if (!cfg.kinds.includes(offer.kind)) return [];
  const { reasons, evidence } = highValueReasons(facts, config.highValue);
  if (!reasons.length) return [];
  const amount =
    offer.terms?.amount !== undefined ? ` of ${offer.terms.amount}${offer.terms.currency ? ` ${offer.terms.currency}` : ''}` : '';
  return [
    finding(
      HIGH_VALUE_PENALTY,
      'block',
      `${Who(facts)} is one of the most valuable customers (${listing(reasons)}): ${aKind(offer.kind)}${amount} risks losing far more than it brings. A person must decide, with a reason.`,
      {
        kind: offer.kind,
        ...(offer.terms?.amount !== undefined ? { amount: offer.terms.amount, currency: offer.terms.currency } : {}),
        ...evidence,
      },
    ),
  ];
};
