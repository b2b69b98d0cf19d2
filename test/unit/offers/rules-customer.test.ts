import { alreadyOwned, DEFAULT_RULES, highValuePenalty, serviceTierMismatch } from '../../../layers/core/src/offers/index.js';
import { daysAgo, facts, NOW, offer, ruleSet } from './fixtures.js';

describe('already-owned', () => {
  const gold = offer({ productId: 'membership-gold', productFamily: 'membership', terms: undefined });

  it('blocks selling an active subscription again, with its id, start date and the years of loyalty', () => {
    const ann = facts({ activeSubscriptions: [{ subscriptionId: 'sub_123', productId: 'membership-gold', since: '2019-03-02' }] });
    const [f] = alreadyOwned(gold, ann, [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'already-owned',
      severity: 'block',
      evidence: {
        productId: 'membership-gold',
        matchedOn: 'productId',
        heldAs: 'active subscription',
        ref: 'sub_123',
        since: '2019-03-02',
        years: 7,
      },
    });
    expect(f?.message).toBe(
      'Ann already holds membership-gold (active subscription sub_123 since 2019-03-02): offering it again would insult a customer of 7 years.',
    );
  });

  it('blocks selling a product the customer bought', () => {
    const [f] = alreadyOwned(
      offer({ kind: 'cross-sell', productId: 'p-coffee', productFamily: undefined }),
      facts(),
      [],
      DEFAULT_RULES,
      NOW,
    );
    expect(f?.evidence).toMatchObject({ productId: 'p-coffee', heldAs: 'purchase' });
  });

  it('does not count past purchases of repeatable products, by id or by family', () => {
    const coffee = offer({ kind: 'cross-sell', productId: 'p-coffee', productFamily: undefined });
    expect(alreadyOwned(coffee, facts(), [], ruleSet({ rules: { 'already-owned': { repeatable: ['p-coffee'] } } }), NOW)).toEqual([]);
    const byFamily = ruleSet({ rules: { 'already-owned': { repeatable: ['coffee'], productFamilies: { 'p-coffee': 'coffee' } } } });
    expect(alreadyOwned(coffee, facts(), [], byFamily, NOW)).toEqual([]);
    const subscribed = facts({ activeSubscriptions: [{ subscriptionId: 'sub_c', productId: 'p-coffee' }] });
    expect(alreadyOwned(coffee, subscribed, [], byFamily, NOW)).toHaveLength(1);
  });

  it('blocks another product of a family the customer holds, using the catalog for the family', () => {
    const member = facts({ memberships: [{ productId: 'membership-classic', since: '1993-05-01' }] });
    const cfg = ruleSet({ rules: { 'already-owned': { productFamilies: { 'membership-classic': 'membership' } } } });
    const [f] = alreadyOwned(gold, member, [], cfg, NOW);
    expect(f?.evidence).toMatchObject({
      productId: 'membership-classic',
      productFamily: 'membership',
      matchedOn: 'productFamily',
      heldAs: 'membership',
      years: 33,
    });
    expect(f?.message).toContain('member of 33 years');
    expect(alreadyOwned(gold, member, [], DEFAULT_RULES, NOW)).toEqual([]); // no family known without the catalog
  });

  it('uses the family carried by the holding and can be limited to product ids', () => {
    const member = facts({ memberships: [{ productId: 'membership-classic', productFamily: 'membership' }] });
    expect(alreadyOwned(gold, member, [], DEFAULT_RULES, NOW)).toHaveLength(1);
    expect(alreadyOwned(gold, member, [], ruleSet({ rules: { 'already-owned': { matchFamily: false } } }), NOW)).toEqual([]);
  });

  it('allows a retention offer to someone who holds the product', () => {
    const ann = facts({ activeSubscriptions: [{ subscriptionId: 'sub_123', productId: 'membership-gold' }] });
    expect(alreadyOwned({ ...gold, kind: 'retention' }, ann, [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('does not fire for a product the customer does not hold', () => {
    expect(alreadyOwned(gold, facts(), [], DEFAULT_RULES, NOW)).toEqual([]);
  });
});

describe('high-value-penalty', () => {
  const lateFee = offer({
    kind: 'fee',
    productId: 'loan-1',
    productFamily: 'loan',
    terms: { amount: 35, currency: 'EUR' },
    channel: 'mail',
  });
  const champion = facts({
    mining: { runId: 'run_7', segment: 'Champions', clvMinor: 9_800_000, pAlive: 0.97, churnRisk: 0.05, scoredAt: daysAgo(2) },
  });

  it('blocks a fee against a customer of a top segment and names the segment', () => {
    const [f] = highValuePenalty(lateFee, champion, [], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'high-value-penalty',
      severity: 'block',
      evidence: { kind: 'fee', amount: 35, segment: 'Champions', runId: 'run_7' },
    });
    expect(f?.message).toContain('Champions');
    expect(f?.message).toContain('a fee of 35 EUR');
  });

  it('blocks a collection against a customer in the top CLV tier', () => {
    const top = facts({ mining: { ...champion.mining!, segment: 'Potential loyalists', clvTier: 'top' } });
    const [f] = highValuePenalty({ ...lateFee, kind: 'collection' }, top, [], DEFAULT_RULES, NOW);
    expect(f?.evidence).toMatchObject({ clvTier: 'top', topClvPercent: 10, clvMinor: 9_800_000 });
  });

  it('blocks from a CLV of exactly the threshold but not one minor unit below', () => {
    const cfg = ruleSet({ highValue: { clvMinorAtLeast: 1_000_000 } });
    const at = (clvMinor: number) => facts({ mining: { ...facts().mining!, clvMinor } });
    expect(highValuePenalty(lateFee, at(1_000_000), [], cfg, NOW)).toHaveLength(1);
    expect(highValuePenalty(lateFee, at(999_999), [], cfg, NOW)).toEqual([]);
  });

  it('blocks a penalty against a large depositor by revenue when a revenue threshold is set', () => {
    const cfg = ruleSet({ highValue: { revenueMinorAtLeast: 100_000 } });
    const [f] = highValuePenalty({ ...lateFee, kind: 'penalty' }, facts({ mining: null }), [], cfg, NOW);
    expect(f?.evidence).toMatchObject({ revenueMinor: 120_000, revenueMinorAtLeast: 100_000 });
    expect(highValuePenalty({ ...lateFee, kind: 'penalty' }, facts({ mining: null }), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('does not fire for an ordinary customer or for kinds that take no money', () => {
    expect(highValuePenalty(lateFee, facts(), [], DEFAULT_RULES, NOW)).toEqual([]);
    expect(highValuePenalty(offer(), champion, [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('uses the configured top segments', () => {
    const cfg = ruleSet({ highValue: { topSegments: ['Whales'] } });
    expect(highValuePenalty(lateFee, champion, [], cfg, NOW)).toEqual([]);
  });
});

describe('service-tier-mismatch', () => {
  const cfg = ruleSet({
    rules: { 'service-tier-mismatch': { premiumVariants: { 'support-standard': 'support-priority', travel: 'travel-concierge' } } },
  });
  const vip = facts({ mining: { ...facts().mining!, segment: 'Champions' } });
  const support = offer({ kind: 'service', productId: 'support-standard', productFamily: 'support', terms: undefined, channel: 'phone' });

  it('warns when a top-tier customer gets the standard service and suggests the premium variant', () => {
    const [f] = serviceTierMismatch(support, vip, [], cfg, NOW);
    expect(f).toMatchObject({
      rule: 'service-tier-mismatch',
      severity: 'warn',
      evidence: { premiumVariant: 'support-priority', segment: 'Champions', tier: 'standard' },
    });
    expect(f?.message).toContain('support-priority');
  });

  it('warns for a sales offer explicitly of the standard tier, matching the product family', () => {
    const trip = offer({ productId: 'travel-basic', productFamily: 'travel', tier: 'standard', terms: undefined });
    expect(serviceTierMismatch(trip, vip, [], cfg, NOW)[0]?.evidence).toMatchObject({ premiumVariant: 'travel-concierge' });
    expect(serviceTierMismatch({ ...trip, tier: undefined }, vip, [], cfg, NOW)).toEqual([]);
  });

  it('does not fire for the premium tier, an ordinary customer, or without a known premium variant', () => {
    expect(serviceTierMismatch({ ...support, tier: 'premium' }, vip, [], cfg, NOW)).toEqual([]);
    expect(serviceTierMismatch(support, facts(), [], cfg, NOW)).toEqual([]);
    expect(serviceTierMismatch(support, vip, [], DEFAULT_RULES, NOW)).toEqual([]);
  });
});
