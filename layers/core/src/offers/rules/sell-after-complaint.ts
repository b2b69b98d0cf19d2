import { ago, aKind, day, finding, listing, plural, who, Who, withinDays, type Rule } from './shared.js';

export const SELL_AFTER_COMPLAINT = 'sell-after-complaint';

/**
 * An up-sell or cross-sell to an unhappy customer: an open ticket, a complaint or a low rating in
 * the last `withinDays` days, a low lifetime average rating, or a churn risk at or above
 * `churnRiskAtLeast` (churn-risk flag or mining score). Warns and suggests a retention offer.
 */
export const sellAfterComplaint: Rule = (offer, facts, _activeOffers, config, now) => {
  const cfg = config.rules[SELL_AFTER_COMPLAINT];
  if (!cfg.kinds.includes(offer.kind)) return [];
  const reasons: string[] = [];
  const evidence: Record<string, unknown> = {};

  if (cfg.openTickets && facts.openTickets.length) {
    reasons.push(`has ${plural(facts.openTickets.length, 'open ticket')} (${facts.openTickets.join(', ')})`);
    evidence.openTickets = facts.openTickets;
  }
  if (withinDays(facts.lastComplaintAt, cfg.withinDays, now)) {
    reasons.push(`complained ${ago(facts.lastComplaintAt, now)} (${day(facts.lastComplaintAt)})`);
    evidence.lastComplaintAt = facts.lastComplaintAt;
  }
  if (withinDays(facts.lastLowRatingAt, cfg.withinDays, now)) {
    reasons.push(`gave a rating of ${cfg.satisfactionAtMost} or less ${ago(facts.lastLowRatingAt, now)} (${day(facts.lastLowRatingAt)})`);
    evidence.lastLowRatingAt = facts.lastLowRatingAt;
  }
  if (facts.averageSatisfaction !== null && facts.averageSatisfaction <= cfg.satisfactionAtMost) {
    reasons.push(`rates us ${facts.averageSatisfaction} out of 5 on average`);
    evidence.averageSatisfaction = facts.averageSatisfaction;
  }
  const flag = (facts.flags ?? []).filter((f) => f.type === 'churn-risk').sort((a, b) => b.score - a.score)[0];
  if (flag && flag.score >= cfg.churnRiskAtLeast) {
    reasons.push(`is flagged as a churn risk (score ${flag.score.toFixed(2)})`);
    evidence.churnRiskFlagScore = flag.score;
  } else if (facts.mining && facts.mining.churnRisk >= cfg.churnRiskAtLeast) {
    reasons.push(`has a churn risk of ${facts.mining.churnRisk.toFixed(2)} (run ${facts.mining.runId})`);
    evidence.churnRisk = facts.mining.churnRisk;
    evidence.runId = facts.mining.runId;
  }
  if (!reasons.length) return [];
  Object.assign(evidence, {
    withinDays: cfg.withinDays,
    satisfactionAtMost: cfg.satisfactionAtMost,
    churnRiskAtLeast: cfg.churnRiskAtLeast,
    suggestion: 'retention',
  });
  return [
    finding(
      SELL_AFTER_COMPLAINT,
      'warn',
      `${Who(facts)} ${listing(reasons)}: ${aKind(offer.kind)} now would feel tone-deaf. Resolve the problem first and consider a retention offer for ${who(facts)} instead.`,
      evidence,
    ),
  ];
};
