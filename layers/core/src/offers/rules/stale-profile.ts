import { day, daysSince, finding, ms, who, type Rule } from './shared.js';

export const STALE_PROFILE = 'stale-profile';

/**
 * Deciding on old data: the newest of lastSeen/profileUpdatedAt is older than `maxProfileAgeDays`,
 * the mining scores (mining.scoredAt) are older than `maxScoreAgeDays`, or the latest mining run
 * failed. Customers without any date, or never scored, are not reported (nothing to be stale).
 * An outdated database is worse than none.
 */
export const staleProfile: Rule = (_offer, facts, _activeOffers, config, now) => {
  const cfg = config.rules[STALE_PROFILE];
  const parts: string[] = [];
  const evidence: Record<string, unknown> = {};

  const profileDates = [facts.lastSeen, facts.profileUpdatedAt].filter((d): d is string => ms(d) !== undefined);
  const newest = profileDates.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
  if (newest) {
    const age = daysSince(newest, now);
    if (age > cfg.maxProfileAgeDays) {
      parts.push(`${who(facts)}'s data was last updated ${age} days ago (${day(newest)}; limit ${cfg.maxProfileAgeDays})`);
      Object.assign(evidence, {
        lastSeen: facts.lastSeen,
        profileUpdatedAt: facts.profileUpdatedAt,
        profileAgeDays: age,
        maxProfileAgeDays: cfg.maxProfileAgeDays,
      });
    }
  }
  const scoredAt = facts.mining?.scoredAt;
  if (scoredAt && ms(scoredAt) !== undefined) {
    const age = daysSince(scoredAt, now);
    if (age > cfg.maxScoreAgeDays) {
      parts.push(`the mining scores are ${age} days old (run ${facts.mining?.runId}, ${day(scoredAt)}; limit ${cfg.maxScoreAgeDays})`);
      Object.assign(evidence, { scoredAt, runId: facts.mining?.runId, scoreAgeDays: age, maxScoreAgeDays: cfg.maxScoreAgeDays });
    }
  }
  if (cfg.warnOnFailedRun && facts.lastMiningRun?.status === 'failed') {
    const run = facts.lastMiningRun;
    parts.push(
      `the latest mining run${run.runId ? ` ${run.runId}` : ''} failed${run.completedAt ? ` on ${day(run.completedAt)}` : ''}, so segments and flags may be out of date`,
    );
    evidence.lastMiningRun = run;
  }
  if (!parts.length) return [];
  const text = parts.join('; ');
  return [
    finding(
      STALE_PROFILE,
      'warn',
      `${text[0]?.toUpperCase()}${text.slice(1)}. Check the customer's current situation before acting: an outdated database is worse than none.`,
      evidence,
    ),
  ];
};
