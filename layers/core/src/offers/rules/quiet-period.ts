import { addDays, ago, aKind, day, finding, listing, Who, withinDays, type Rule } from './shared.js';

export const QUIET_PERIOD = 'quiet-period';

const EVENTS = {
  complaint: { field: 'lastComplaintAt', says: 'complained' },
  'payment-failure': { field: 'lastPaymentFailureAt', says: 'had a payment fail' },
  cancellation: { field: 'lastCancellationAt', says: 'cancelled a subscription' },
} as const;

/**
 * A sales contact within `days` days after a complaint, a payment failure or a cancellation
 * (day `days` itself is still quiet). Warns by default; an operator may make it a block.
 */
export const quietPeriod: Rule = (offer, facts, _activeOffers, config, now) => {
  const cfg = config.rules[QUIET_PERIOD];
  if (!cfg.kinds.includes(offer.kind)) return [];
  const hits = cfg.events.flatMap((event) => {
    const { field, says } = EVENTS[event];
    const at = facts[field];
    return withinDays(at, cfg.days, now) ? [{ event, at, says, quietUntil: addDays(at, cfg.days) }] : [];
  });
  if (!hits.length) return [];
  const until = hits
    .map((h) => h.quietUntil)
    .sort()
    .at(-1);
  return [
    finding(
      QUIET_PERIOD,
      'warn',
      `${Who(facts)} ${listing(hits.map((h) => `${h.says} ${ago(h.at, now)} (${day(h.at)})`))}; the quiet period is ${cfg.days} days, until ${until}. Hold back ${aKind(offer.kind)} until then.`,
      { quietDays: cfg.days, quietUntil: until, events: hits.map(({ event, at, quietUntil }) => ({ event, at, quietUntil })) },
    ),
  ];
};
