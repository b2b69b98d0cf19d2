import { ValidationError } from '../../../layers/core/src/errors.js';
import type { Customer360 } from '../../../layers/core/src/customers/customer-360.js';
import { DEFAULT_RULES, factsFromCustomer360, OfferRequest, parseRuleSet } from '../../../layers/core/src/offers/index.js';

/** The field issues parseRuleSet reports for an input. */
function issuesOf(input: unknown) {
  try {
    parseRuleSet(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('parseRuleSet', () => {
  it('fills an empty rule set with the documented defaults', () => {
    const rules = parseRuleSet({});
    expect(rules).toEqual(DEFAULT_RULES);
    expect(rules.rules['already-owned'].repeatable).toEqual([]);
    expect(rules.rules['contact-fatigue']).toEqual({
      enabled: true,
      overridable: false,
      windowDays: 7,
      perChannel: 2,
      channelLimits: {},
      total: 4,
      exemptKinds: ['service', 'collection'],
    });
    expect(rules.rules['high-value-penalty'].overridable).toBe(true);
    expect(rules.highValue).toEqual({
      topSegments: ['Champions', 'Loyal', "Can't lose them"],
      topClvPercent: 10,
      clvMinorAtLeast: null,
      revenueMinorAtLeast: null,
    });
  });

  it('reads JSON text and keeps the defaults of everything it does not mention', () => {
    const rules = parseRuleSet('{"rules": {"quiet-period": {"severity": "block", "days": 21}}}');
    expect(rules.rules['quiet-period']).toMatchObject({
      enabled: true,
      severity: 'block',
      days: 21,
      kinds: ['offer', 'upsell', 'cross-sell'],
    });
    expect(rules.rules['no-consent']).toEqual(DEFAULT_RULES.rules['no-consent']);
  });

  it('names the path of a bad threshold', () => {
    expect(
      issuesOf({ rules: { 'contact-fatigue': { perChannel: -1, windowDays: 0 } } })
        .map((i) => i.path)
        .sort(),
    ).toEqual(['rules.contact-fatigue.perChannel', 'rules.contact-fatigue.windowDays']);
  });

  it('names an unknown rule and a misspelt setting', () => {
    expect(issuesOf({ rules: { 'no-spam': {} } })).toEqual([{ path: 'rules.no-spam', message: 'unknown field no-spam' }]);
    expect(issuesOf({ rules: { 'quiet-period': { dayz: 3 } } })).toEqual([
      { path: 'rules.quiet-period.dayz', message: 'unknown field dayz' },
    ]);
  });

  it('rejects an unknown severity, a channel without consent data and an unknown kind', () => {
    const paths = issuesOf({
      rules: { 'stale-profile': { severity: 'fatal' }, 'no-consent': { optInChannels: ['branch'] }, 'already-owned': { kinds: ['gift'] } },
    }).map((i) => i.path);
    expect(paths.sort()).toEqual(['rules.already-owned.kinds.0', 'rules.no-consent.optInChannels.0', 'rules.stale-profile.severity']);
  });

  it('rejects a top CLV percentage outside (0, 100]', () => {
    expect(issuesOf({ highValue: { topClvPercent: 0 } })[0]?.path).toBe('highValue.topClvPercent');
  });

  it('reports text that is not JSON at the root', () => {
    expect(issuesOf('{rules:')[0]?.path).toBe('(root)');
  });

  it('keeps the default rule set frozen', () => {
    expect(Object.isFrozen(DEFAULT_RULES.rules['contact-fatigue'].exemptKinds)).toBe(true);
  });
});

describe('OfferRequest', () => {
  const issueExample = {
    customerId: 'c_ann',
    email: 'ann@example.com',
    kind: 'offer',
    productId: 'mortgage-30y',
    productFamily: 'mortgage',
    terms: { amount: 250000, currency: 'EUR', rate: 3.1, termMonths: 360 },
    channel: 'phone',
    campaignLabel: 'spring',
    team: 'branch-berlin',
    validFrom: '2026-11-23',
    validUntil: '2026-12-31',
  };
  const paths = (input: unknown) => OfferRequest.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];

  it('accepts the example body of the issue', () => {
    expect(OfferRequest.parse(issueExample)).toEqual(issueExample);
  });

  it('requires customerId or email', () => {
    const { customerId: _c, email: _e, ...anonymous } = issueExample;
    expect(paths(anonymous)).toEqual(['customerId']);
    expect(paths({ ...anonymous, email: 'ann@example.com' })).toEqual([]);
  });

  it('requires productId for kinds that sell something, not for messages or fees', () => {
    const { productId: _p, ...noProduct } = issueExample;
    for (const kind of ['offer', 'upsell', 'cross-sell', 'retention']) expect(paths({ ...noProduct, kind })).toEqual(['productId']);
    for (const kind of ['message', 'fee', 'service']) expect(paths({ ...noProduct, kind })).toEqual([]);
  });

  it('rejects a validity that ends before it starts but accepts a single day', () => {
    expect(paths({ ...issueExample, validUntil: '2026-11-22' })).toEqual(['validUntil']);
    expect(paths({ ...issueExample, validUntil: '2026-11-23' })).toEqual([]);
    expect(paths({ ...issueExample, validFrom: '2026-11-23T10:00:00Z', validUntil: '2026-11-23' })).toEqual([]);
    expect(paths({ ...issueExample, validFrom: '23.11.2026' })).toEqual(['validFrom']);
  });

  it('rejects unknown kinds, channels and fields by name', () => {
    expect(paths({ ...issueExample, kind: 'bribe', channel: 'fax', product_id: 'x' }).sort()).toEqual(['', 'channel', 'kind']);
  });

  it('keeps extra number and string terms but not other values', () => {
    expect(OfferRequest.parse({ ...issueExample, terms: { rate: 3.1, period: '2026-11', fixedYears: 10 } }).terms).toEqual({
      rate: 3.1,
      period: '2026-11',
      fixedYears: 10,
    });
    expect(paths({ ...issueExample, terms: { rate: '3.1' } })).toEqual(['terms.rate']);
    expect(paths({ ...issueExample, terms: { nested: { a: 1 } } })).toEqual(['terms.nested']);
  });

  it('requires both an actor and a reason in an override', () => {
    expect(paths({ ...issueExample, override: { actor: 'maria.k' } })).toEqual(['override.reason']);
    expect(paths({ ...issueExample, override: { actor: 'maria.k', reason: 'agreed by phone' } })).toEqual([]);
  });
});

describe('factsFromCustomer360', () => {
  const c360: Customer360 = {
    id: 'c_ann',
    name: { first: 'Ann', last: 'Lee' },
    identifiers: { emails: ['ann@example.com'], phones: [], externalIds: [] },
    consent: { email: { granted: false, at: '2026-10-01T08:00:00Z', source: 'shopify' }, sms: null, phone: null },
    firstSeen: '2019-03-02T10:00:00Z',
    lastSeen: '2026-11-20T10:00:00Z',
    touchpointCount: 12,
    touchpointsByType: {},
    purchaseCount: 3,
    revenue: [
      { currency: 'USD', amountMinor: 500 },
      { currency: 'EUR', amountMinor: 90_000 },
    ],
    averageOrderValue: [],
    refunds: { count: 0, amounts: [] },
    categories: {},
    ownedProducts: ['p-coffee', 'membership-gold'],
    activeSubscriptions: [{ subscriptionId: 'sub_123', productId: 'membership-gold' }],
    openTickets: ['t_9'],
    complaints: 1,
    averageSatisfaction: 3.5,
    ratingsCount: 2,
    paymentFailures: 0,
    sourceSystems: ['shopify'],
    mergedFrom: [],
    createdAt: '2019-03-02T10:00:00Z',
    mining: {
      runId: 'run_7',
      segment: 'Champions',
      clvMinor: 9_000,
      pAlive: 0.9,
      churnRisk: 0.2,
      expectedPurchases: 1.5,
      scoredAt: '2026-11-21T00:00:00Z',
    },
  };

  it('takes the rule inputs from the 360 and the dates from the store', () => {
    const f = factsFromCustomer360(c360, {
      clvTier: 'top',
      subscriptionsSince: { sub_123: '2019-03-02' },
      lastComplaintAt: '2026-11-20T10:00:00Z',
    });
    expect(f).toEqual({
      customerId: 'c_ann',
      name: 'Ann',
      consent: c360.consent,
      ownedProducts: ['p-coffee', 'membership-gold'],
      activeSubscriptions: [{ subscriptionId: 'sub_123', productId: 'membership-gold', since: '2019-03-02' }],
      openTickets: ['t_9'],
      averageSatisfaction: 3.5,
      firstSeen: '2019-03-02T10:00:00Z',
      lastSeen: '2026-11-20T10:00:00Z',
      revenueMinor: 90_000,
      currency: 'EUR',
      mining: {
        runId: 'run_7',
        segment: 'Champions',
        clvMinor: 9_000,
        pAlive: 0.9,
        churnRisk: 0.2,
        scoredAt: '2026-11-21T00:00:00Z',
        clvTier: 'top',
      },
      recentContacts: [],
      lastComplaintAt: '2026-11-20T10:00:00Z',
    });
  });

  it('uses the main currency the store names', () => {
    expect(factsFromCustomer360(c360, { currency: 'USD' }).revenueMinor).toBe(500);
    expect(factsFromCustomer360({ ...c360, revenue: [], mining: null }).revenueMinor).toBe(0);
  });
});
