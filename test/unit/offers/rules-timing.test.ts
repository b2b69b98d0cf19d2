import { DAY_MS } from '../../../layers/core/src/time.js';
import {
  contactFatigue,
  DEFAULT_RULES,
  noConsent,
  quietPeriod,
  sellAfterComplaint,
  staleProfile,
  type RecentContact,
} from '../../../layers/core/src/offers/index.js';
import { daysAgo, facts, NOW, offer, ruleSet } from './fixtures.js';

const DAY = DAY_MS;

describe('sell-after-complaint', () => {
  const upsell = offer({ kind: 'upsell', productId: 'card-platinum', productFamily: 'card', terms: undefined });

  it('warns about an up-sell to a customer with an open ticket and suggests retention', () => {
    const [f] = sellAfterComplaint(upsell, facts({ openTickets: ['t_9'] }), [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'sell-after-complaint',
      severity: 'warn',
      evidence: { openTickets: ['t_9'], suggestion: 'retention' },
    });
    expect(f?.message).toBe(
      'Ann has 1 open ticket (t_9): an up-sell now would feel tone-deaf. Resolve the problem first and consider a retention offer for Ann instead.',
    );
  });

  it('counts a complaint on day 30 but not on day 31', () => {
    expect(sellAfterComplaint(upsell, facts({ lastComplaintAt: daysAgo(30) }), [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({
      lastComplaintAt: daysAgo(30),
    });
    expect(sellAfterComplaint(upsell, facts({ lastComplaintAt: daysAgo(31) }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('counts a recent low rating and a low lifetime average (at most 2 of 5)', () => {
    expect(sellAfterComplaint(upsell, facts({ lastLowRatingAt: daysAgo(3) }), [], DEFAULT_RULES, NOW)[0]?.message).toContain('3 days ago');
    expect(sellAfterComplaint(upsell, facts({ averageSatisfaction: 2 }), [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({
      averageSatisfaction: 2,
    });
    expect(sellAfterComplaint(upsell, facts({ averageSatisfaction: 2.1 }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('counts a churn-risk flag from a score of 0.7, and the mining churn risk without a flag', () => {
    const flagged = (score: number) =>
      facts({
        flags: [
          { type: 'up-sell', score: 0.99 },
          { type: 'churn-risk', score },
        ],
      });
    expect(sellAfterComplaint(upsell, flagged(0.7), [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({ churnRiskFlagScore: 0.7 });
    expect(sellAfterComplaint(upsell, flagged(0.69), [], DEFAULT_RULES, NOW)).toEqual([]);
    const risky = facts({ mining: { ...facts().mining!, churnRisk: 0.8 } });
    expect(sellAfterComplaint(upsell, risky, [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({ churnRisk: 0.8, runId: 'run_7' });
  });

  it('lists every reason in one finding', () => {
    const [f, ...rest] = sellAfterComplaint(upsell, facts({ openTickets: ['t_9'], lastComplaintAt: daysAgo(1) }), [], DEFAULT_RULES, NOW);
    expect(rest).toEqual([]);
    expect(f?.message).toContain('has 1 open ticket (t_9) and complained yesterday');
  });

  it('does not fire for a happy customer or for kinds other than up-sell and cross-sell', () => {
    expect(sellAfterComplaint(upsell, facts(), [], DEFAULT_RULES, NOW)).toEqual([]);
    expect(sellAfterComplaint({ ...upsell, kind: 'retention' }, facts({ openTickets: ['t_9'] }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('can ignore open tickets', () => {
    const cfg = ruleSet({ rules: { 'sell-after-complaint': { openTickets: false } } });
    expect(sellAfterComplaint(upsell, facts({ openTickets: ['t_9'] }), [], cfg, NOW)).toEqual([]);
  });
});

describe('contact-fatigue', () => {
  const emails = (n: number): RecentContact[] =>
    Array.from({ length: n }, (_, i) => ({ channel: 'email', at: daysAgo(i + 1), kind: 'offer', ref: `off_${i}` }));

  it('allows exactly 2 emails in 7 days (this one included) and blocks the 3rd', () => {
    expect(contactFatigue(offer(), facts({ recentContacts: emails(1) }), [], DEFAULT_RULES, NOW)).toEqual([]);
    const [f] = contactFatigue(offer(), facts({ recentContacts: emails(2) }), [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'contact-fatigue',
      severity: 'block',
      evidence: { channel: 'email', channelCount: 3, channelLimit: 2, windowDays: 7 },
    });
    expect(f?.message).toContain('3rd email contact with Ann in 7 days (limit 2 per channel)');
    expect(f?.message).toContain('2026-11-22, 2026-11-21');
  });

  it('allows exactly 4 contacts over all channels and blocks the 5th', () => {
    const mixed = (n: number): RecentContact[] =>
      ['sms', 'phone', 'mail', 'in-app'].slice(0, n).map((channel, i) => ({ channel, at: daysAgo(i + 1), kind: 'message' }));
    expect(contactFatigue(offer(), facts({ recentContacts: mixed(3) }), [], DEFAULT_RULES, NOW)).toEqual([]);
    const [f] = contactFatigue(offer(), facts({ recentContacts: mixed(4) }), [], DEFAULT_RULES, NOW);
    expect(f?.evidence).toMatchObject({ totalCount: 5, totalLimit: 4, channelCount: 1 });
    expect(f?.message).toContain('5th contact with Ann in 7 days over all channels (limit 4)');
  });

  it('counts a contact exactly 7 days ago and forgets one a moment older', () => {
    const at = (ms: number): RecentContact[] => [
      { channel: 'email', at: daysAgo(1), kind: 'offer' },
      { channel: 'email', at: new Date(NOW.getTime() - ms).toISOString(), kind: 'message' },
    ];
    expect(contactFatigue(offer(), facts({ recentContacts: at(7 * DAY) }), [], DEFAULT_RULES, NOW)).toHaveLength(1);
    expect(contactFatigue(offer(), facts({ recentContacts: at(7 * DAY + 1) }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('applies a per-channel limit from the configuration', () => {
    const cfg = ruleSet({ rules: { 'contact-fatigue': { channelLimits: { email: 3 } } } });
    expect(contactFatigue(offer(), facts({ recentContacts: emails(2) }), [], cfg, NOW)).toEqual([]);
    expect(contactFatigue(offer(), facts({ recentContacts: emails(3) }), [], cfg, NOW)[0]?.evidence).toMatchObject({ channelLimit: 3 });
  });

  it('never holds back service contacts or collection notices', () => {
    expect(contactFatigue(offer({ kind: 'service' }), facts({ recentContacts: emails(5) }), [], DEFAULT_RULES, NOW)).toEqual([]);
    expect(contactFatigue(offer({ kind: 'collection' }), facts({ recentContacts: emails(5) }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });
});

describe('no-consent', () => {
  const optedOut = facts({
    consent: {
      email: { granted: false, at: '2026-10-01T08:00:00Z', source: 'unsubscribe link' },
      sms: null,
      phone: { granted: false, at: '2026-09-01T00:00:00Z' },
    },
  });

  it('blocks an email to a customer who opted out, with the date and source', () => {
    const [f] = noConsent(offer(), optedOut, [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'no-consent',
      severity: 'block',
      evidence: { channel: 'email', granted: false, at: '2026-10-01T08:00:00Z', source: 'unsubscribe link' },
    });
    expect(f?.message).toBe(
      'Ann opted out of email on 2026-10-01 (via unsubscribe link): contacting Ann by email would go against that choice.',
    );
  });

  it('blocks a call to a customer who opted out of phone', () => {
    expect(noConsent(offer({ channel: 'phone' }), optedOut, [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({
      channel: 'phone',
      granted: false,
    });
  });

  it('blocks an SMS without a known opt-in but allows a call without a stated choice', () => {
    expect(noConsent(offer({ channel: 'sms' }), optedOut, [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({
      channel: 'sms',
      granted: null,
      optInRequired: true,
    });
    expect(noConsent(offer({ channel: 'phone' }), facts(), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('allows channels with an opt-in and channels without consent semantics', () => {
    expect(noConsent(offer(), facts(), [], DEFAULT_RULES, NOW)).toEqual([]);
    for (const channel of ['mail', 'branch', 'in-app'] as const)
      expect(noConsent(offer({ channel }), optedOut, [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('exempts service contacts and collection notices by default, and not when configured otherwise', () => {
    expect(noConsent(offer({ kind: 'service' }), optedOut, [], DEFAULT_RULES, NOW)).toEqual([]);
    expect(noConsent(offer({ kind: 'collection' }), optedOut, [], DEFAULT_RULES, NOW)).toEqual([]);
    const strict = ruleSet({ rules: { 'no-consent': { exemptKinds: [] } } });
    expect(noConsent(offer({ kind: 'collection' }), optedOut, [], strict, NOW)).toHaveLength(1);
  });

  it('allows email without a known choice when email is configured as opt-out based', () => {
    const cfg = ruleSet({ rules: { 'no-consent': { optInChannels: ['sms'] } } });
    const unknown = facts({ consent: { email: null, sms: null, phone: null } });
    expect(noConsent(offer(), unknown, [], DEFAULT_RULES, NOW)).toHaveLength(1);
    expect(noConsent(offer(), unknown, [], cfg, NOW)).toEqual([]);
  });
});

describe('quiet-period', () => {
  it('warns about an offer on day 14 after a complaint and names the end of the quiet period', () => {
    const [f] = quietPeriod(offer(), facts({ lastComplaintAt: daysAgo(14) }), [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'quiet-period',
      severity: 'warn',
      evidence: { quietDays: 14, quietUntil: '2026-11-23', events: [{ event: 'complaint', at: daysAgo(14) }] },
    });
    expect(f?.message).toBe(
      'Ann complained 14 days ago (2026-11-09); the quiet period is 14 days, until 2026-11-23. Hold back an offer until then.',
    );
  });

  it('is over on day 15', () => {
    expect(quietPeriod(offer(), facts({ lastComplaintAt: daysAgo(15) }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('starts after a payment failure and after a cancellation', () => {
    const [f] = quietPeriod(
      offer({ kind: 'cross-sell' }),
      facts({ lastPaymentFailureAt: daysAgo(2), lastCancellationAt: daysAgo(10) }),
      [],
      DEFAULT_RULES,
      NOW,
    );
    expect(f?.evidence).toMatchObject({
      quietUntil: '2026-12-05',
      events: [
        { event: 'payment-failure', quietUntil: '2026-12-05' },
        { event: 'cancellation', quietUntil: '2026-11-27' },
      ],
    });
    expect(f?.message).toContain('had a payment fail 2 days ago (2026-11-21) and cancelled a subscription 10 days ago (2026-11-13)');
  });

  it('lets retention offers and fees through, and only watches the configured events', () => {
    const recent = facts({ lastPaymentFailureAt: daysAgo(2) });
    expect(quietPeriod(offer({ kind: 'retention' }), recent, [], DEFAULT_RULES, NOW)).toEqual([]);
    expect(quietPeriod(offer({ kind: 'fee' }), recent, [], DEFAULT_RULES, NOW)).toEqual([]);
    expect(quietPeriod(offer(), recent, [], ruleSet({ rules: { 'quiet-period': { events: ['complaint'] } } }), NOW)).toEqual([]);
  });
});

describe('stale-profile', () => {
  it('warns when the newest profile date is 366 days old but not at 365', () => {
    const [f] = staleProfile(offer(), facts({ lastSeen: daysAgo(366) }), [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({ rule: 'stale-profile', severity: 'warn', evidence: { profileAgeDays: 366, maxProfileAgeDays: 365 } });
    expect(f?.message).toContain("Ann's data was last updated 366 days ago");
    expect(staleProfile(offer(), facts({ lastSeen: daysAgo(365) }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('takes a recent profile update as fresh data', () => {
    expect(staleProfile(offer(), facts({ lastSeen: daysAgo(500), profileUpdatedAt: daysAgo(10) }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('warns when the mining scores are 31 days old but not at 30', () => {
    const scored = (d: number) => facts({ mining: { ...facts().mining!, scoredAt: daysAgo(d) } });
    expect(staleProfile(offer(), scored(31), [], DEFAULT_RULES, NOW)[0]?.evidence).toMatchObject({ scoreAgeDays: 31, runId: 'run_7' });
    expect(staleProfile(offer(), scored(30), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('warns when the latest mining run failed, unless configured not to', () => {
    const failed = facts({ lastMiningRun: { status: 'failed', runId: 'run_8', completedAt: daysAgo(1) } });
    expect(staleProfile(offer(), failed, [], DEFAULT_RULES, NOW)[0]?.message).toContain('The latest mining run run_8 failed on 2026-11-22');
    expect(staleProfile(offer(), failed, [], ruleSet({ rules: { 'stale-profile': { warnOnFailedRun: false } } }), NOW)).toEqual([]);
  });

  it('does not report a customer with no dates and no scores', () => {
    expect(staleProfile(offer(), facts({ lastSeen: undefined, mining: null, lastMiningRun: undefined }), [], DEFAULT_RULES, NOW)).toEqual(
      [],
    );
  });
});
