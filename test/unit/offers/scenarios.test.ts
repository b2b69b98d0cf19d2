import { DEFAULT_RULES, evaluateOffer, OfferRequest, parseRuleSet } from '../../../layers/core/src/offers/index.js';
import { daysAgo, facts, NOW, registered } from './fixtures.js';

/** The classic stories of issue 4, end to end through the default rule set. */
describe('classic mistakes the engine catches', () => {
  it('two employees offering one customer the same mortgage at two prices: the second is blocked', () => {
    const hamburg = registered({
      id: 'off_hh_17',
      team: 'branch-hamburg',
      channel: 'phone',
      terms: { amount: 250_000, currency: 'EUR', rate: 2.9, termMonths: 360 },
    });
    const berlin = OfferRequest.parse({
      customerId: 'c_ann',
      kind: 'offer',
      productId: 'mortgage-30y',
      productFamily: 'mortgage',
      terms: { amount: 250_000, currency: 'EUR', rate: 3.1, termMonths: 360 },
      channel: 'phone',
      campaignLabel: 'spring',
      team: 'branch-berlin',
      validFrom: '2026-11-23',
      validUntil: '2026-12-31',
    });
    const result = evaluateOffer(berlin, facts(), [hamburg], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('block');
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      rule: 'conflicting-terms',
      evidence: { offerId: 'off_hh_17', otherTerms: { rate: 2.9 }, theseTerms: { rate: 3.1 } },
    });
    expect(result.findings[0]?.message).toBe(
      'Ann already has offer off_hh_17 for mortgage-30y (team branch-hamburg, by phone, 2026-11-20) at rate 2.9; this one says rate 3.1. ' +
        'The customer would be quoted two different prices for the same product.',
    );
  });

  it('the association inviting its member of 33 years to become a member: blocked', () => {
    const member = facts({
      name: 'Ann',
      memberships: [{ productId: 'membership-full', productFamily: 'membership', since: '1993-05-01', membershipId: 'm_0042' }],
    });
    const invitation = OfferRequest.parse({
      email: 'ann@example.com',
      kind: 'offer',
      productId: 'membership-full',
      productFamily: 'membership',
      channel: 'mail',
      campaignLabel: 'join-us',
    });
    const result = evaluateOffer(invitation, member, [], DEFAULT_RULES, NOW);
    expect(result).toMatchObject({
      decision: 'block',
      findings: [{ rule: 'already-owned', evidence: { heldAs: 'membership', ref: 'm_0042', years: 33 } }],
    });
    expect(result.findings[0]?.message).toBe(
      'Ann already holds membership-full (membership m_0042 since 1993-05-01): offering it again would insult a member of 33 years.',
    );
  });

  it('the bank fining its largest depositor for a late payment: blocked until a person overrides with a reason', () => {
    const rules = parseRuleSet({ highValue: { revenueMinorAtLeast: 100_000_000 } });
    const depositor = facts({
      revenueMinor: 420_000_000,
      mining: { ...facts().mining!, segment: 'Potential loyalists', clvTier: 'top', clvMinor: 310_000_000 },
    });
    const fine = OfferRequest.parse({
      customerId: 'c_ann',
      kind: 'penalty',
      productId: 'loan-88',
      terms: { amount: 40, currency: 'EUR' },
      channel: 'mail',
      team: 'loans-back-office',
    });
    const blocked = evaluateOffer(fine, depositor, [], rules, NOW);
    expect(blocked).toMatchObject({
      decision: 'block',
      findings: [{ rule: 'high-value-penalty', evidence: { clvTier: 'top', revenueMinor: 420_000_000 } }],
    });
    expect(blocked.findings[0]?.message).toContain(
      'in the top 10% by lifetime value (3,100,000.00 EUR) and has brought 4,200,000.00 EUR in revenue',
    );

    const overridden = evaluateOffer(
      { ...fine, override: { actor: 'head-of-loans', reason: 'third late payment this year, agreed with the relationship manager' } },
      depositor,
      [],
      rules,
      NOW,
    );
    expect(overridden.decision).toBe('warn');
    expect(overridden.findings[0]?.message).toContain('Overridden by head-of-loans');
  });

  it('pitching an upgrade the day after a complaint: warned, with a retention offer suggested, and the retention offer passes', () => {
    const upset = facts({ lastComplaintAt: daysAgo(1), openTickets: ['t_311'] });
    const upsell = OfferRequest.parse({
      customerId: 'c_ann',
      kind: 'upsell',
      productId: 'plan-premium',
      productFamily: 'plan',
      channel: 'phone',
    });
    const result = evaluateOffer(upsell, upset, [], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('warn');
    expect(result.findings.map((f) => f.rule)).toEqual(['sell-after-complaint', 'quiet-period']);
    expect(result.findings[0]?.evidence).toMatchObject({ openTickets: ['t_311'], lastComplaintAt: daysAgo(1), suggestion: 'retention' });

    const retention = OfferRequest.parse({ ...upsell, kind: 'retention', productId: 'plan-current', terms: { discountPercent: 20 } });
    expect(evaluateOffer(retention, upset, [], DEFAULT_RULES, NOW)).toEqual({ decision: 'allow', findings: [] });
  });

  it('emailing someone who opted out: blocked, while a letter stays possible', () => {
    const optedOut = facts({
      consent: { email: { granted: false, at: '2026-10-01T08:00:00Z', source: 'unsubscribe link' }, sms: null, phone: null },
    });
    const mail = OfferRequest.parse({ customerId: 'c_ann', kind: 'cross-sell', productId: 'insurance-home', channel: 'email' });
    const result = evaluateOffer(mail, optedOut, [], DEFAULT_RULES, NOW);
    expect(result).toMatchObject({
      decision: 'block',
      findings: [{ rule: 'no-consent', evidence: { channel: 'email', at: '2026-10-01T08:00:00Z' } }],
    });
    expect(evaluateOffer({ ...mail, channel: 'mail' }, optedOut, [], DEFAULT_RULES, NOW).decision).toBe('allow');
  });
});
