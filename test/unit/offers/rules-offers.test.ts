import { conflictingTerms, DEFAULT_RULES, duplicateOffer, exclusiveOffers } from '../../../layers/core/src/offers/index.js';
import { daysAgo, facts, NOW, offer, registered, ruleSet } from './fixtures.js';

describe('conflicting-terms', () => {
  const cheaper = registered({ id: 'off_hh', terms: { amount: 250_000, currency: 'EUR', rate: 2.9, termMonths: 360 } });

  it('blocks a second price for the same product and names the other offer and both terms', () => {
    const [f, ...rest] = conflictingTerms(offer(), facts(), [cheaper], DEFAULT_RULES, NOW);
    expect(rest).toHaveLength(0);
    expect(f).toMatchObject({
      rule: 'conflicting-terms',
      severity: 'block',
      evidence: {
        offerId: 'off_hh',
        matchedOn: 'productId',
        otherTerms: { amount: 250_000, currency: 'EUR', rate: 2.9, termMonths: 360 },
        theseTerms: { amount: 250_000, currency: 'EUR', rate: 3.1, termMonths: 360 },
        differingTerms: ['rate'],
      },
    });
    expect(f?.message).toContain('off_hh');
    expect(f?.message).toContain('rate 2.9');
    expect(f?.message).toContain('rate 3.1');
    expect(f?.message).toContain('team branch-hamburg');
  });

  it('blocks different terms for another product of the same family', () => {
    const twenty = registered({ id: 'off_20', productId: 'mortgage-20y', terms: { rate: 2.7, termMonths: 240 } });
    const [f] = conflictingTerms(offer(), facts(), [twenty], DEFAULT_RULES, NOW);
    expect(f?.evidence).toMatchObject({ offerId: 'off_20', matchedOn: 'productFamily' });
  });

  it('compares only product ids when family matching is off', () => {
    const twenty = registered({ id: 'off_20', productId: 'mortgage-20y', terms: { rate: 2.7 } });
    expect(conflictingTerms(offer(), facts(), [twenty], ruleSet({ rules: { 'conflicting-terms': { matchFamily: false } } }), NOW)).toEqual(
      [],
    );
  });

  it('does not fire when the terms are the same (that is a duplicate, not a conflict)', () => {
    expect(conflictingTerms(offer(), facts(), [registered()], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('ignores offers that are no longer active', () => {
    for (const status of ['accepted', 'declined', 'withdrawn', 'expired'] as const) {
      expect(conflictingTerms(offer(), facts(), [{ ...cheaper, status }], DEFAULT_RULES, NOW)).toEqual([]);
    }
  });

  it('ignores an offer whose validity ended yesterday but not one valid through today', () => {
    expect(conflictingTerms(offer(), facts(), [{ ...cheaper, validUntil: '2026-11-22' }], DEFAULT_RULES, NOW)).toEqual([]);
    expect(conflictingTerms(offer(), facts(), [{ ...cheaper, validUntil: '2026-11-23' }], DEFAULT_RULES, NOW)).toHaveLength(1);
  });

  it('does not fire when the validity windows do not overlap', () => {
    const untilDecember = { ...cheaper, validUntil: '2026-12-31' };
    expect(conflictingTerms(offer({ validFrom: '2027-01-01' }), facts(), [untilDecember], DEFAULT_RULES, NOW)).toEqual([]);
    expect(conflictingTerms(offer({ validFrom: '2026-12-31' }), facts(), [untilDecember], DEFAULT_RULES, NOW)).toHaveLength(1);
  });

  it('does not compare with offers of another product family', () => {
    const loan = registered({ id: 'off_car', productId: 'car-loan', productFamily: 'loan', terms: { rate: 5.5 } });
    expect(conflictingTerms(offer(), facts(), [loan], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('does not treat a fee on the product as a competing price', () => {
    const fee = registered({ id: 'off_fee', kind: 'fee', terms: { amount: 50, currency: 'EUR' } });
    expect(conflictingTerms(offer(), facts(), [fee], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('leaves out ignored term fields from the comparison', () => {
    const noted = registered({ terms: { amount: 250_000, currency: 'EUR', rate: 3.1, termMonths: 360, note: 'called on Monday' } });
    const cfg = ruleSet({ rules: { 'conflicting-terms': { ignoreTermKeys: ['note'] } } });
    expect(conflictingTerms(offer(), facts(), [noted], DEFAULT_RULES, NOW)).toHaveLength(1);
    expect(conflictingTerms(offer(), facts(), [noted], cfg, NOW)).toEqual([]);
  });

  it('does not compare with an offer that quotes no terms', () => {
    expect(conflictingTerms(offer(), facts(), [registered({ terms: undefined })], DEFAULT_RULES, NOW)).toEqual([]);
  });
});

describe('duplicate-offer', () => {
  it('blocks the same offer already active from another team and channel', () => {
    const [f] = duplicateOffer(offer(), facts(), [registered({ id: 'off_dup' })], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'duplicate-offer',
      severity: 'block',
      evidence: { offerId: 'off_dup', kind: 'offer', productId: 'mortgage-30y' },
    });
    expect(f?.message).toContain('off_dup');
  });

  it('does not fire when the terms differ', () => {
    expect(duplicateOffer(offer(), facts(), [registered({ terms: { rate: 2.9 } })], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('does not fire for a different kind on the same product', () => {
    expect(duplicateOffer(offer(), facts(), [registered({ kind: 'retention' })], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('does not fire when the earlier offer was withdrawn', () => {
    expect(duplicateOffer(offer(), facts(), [registered({ status: 'withdrawn' })], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('blocks charging the same fee twice', () => {
    const fee = {
      kind: 'fee' as const,
      productId: undefined,
      productFamily: undefined,
      terms: { amount: 25, currency: 'EUR', period: '2026-11' },
    };
    expect(duplicateOffer(offer(fee), facts(), [registered({ ...fee, id: 'off_fee' })], DEFAULT_RULES, NOW)).toHaveLength(1);
    expect(
      duplicateOffer(
        offer(fee),
        facts(),
        [registered({ ...fee, id: 'off_fee', terms: { ...fee.terms, period: '2026-10' } })],
        DEFAULT_RULES,
        NOW,
      ),
    ).toEqual([]);
  });

  it('does not treat two plain messages as duplicates', () => {
    const message = { kind: 'message' as const, productId: undefined, productFamily: undefined, terms: undefined };
    expect(duplicateOffer(offer(message), facts(), [registered({ ...message })], DEFAULT_RULES, NOW)).toEqual([]);
  });
});

describe('exclusive-offers', () => {
  const card = { productId: 'card-gold', productFamily: 'card', terms: { discountPercent: 10 } };

  it('blocks a second offer in the same exclusion group', () => {
    const other = registered({ id: 'off_x', productId: 'card-gold', exclusionGroup: 'welcome-bonus' });
    const [f] = exclusiveOffers(offer({ exclusionGroup: 'welcome-bonus' }), facts(), [other], DEFAULT_RULES, NOW);
    expect(f).toMatchObject({
      rule: 'exclusive-offers',
      severity: 'block',
      evidence: { offerId: 'off_x', exclusionGroup: 'welcome-bonus' },
    });
    expect(f?.message).toContain('welcome-bonus');
  });

  it('does not fire for different exclusion groups or an expired group member', () => {
    const other = registered({ exclusionGroup: 'welcome-bonus' });
    expect(exclusiveOffers(offer({ exclusionGroup: 'summer' }), facts(), [other], DEFAULT_RULES, NOW)).toEqual([]);
    expect(
      exclusiveOffers(offer({ exclusionGroup: 'welcome-bonus' }), facts(), [{ ...other, validUntil: daysAgo(1) }], DEFAULT_RULES, NOW),
    ).toEqual([]);
  });

  it('blocks two discounts on one product when either must not stack', () => {
    const other = registered({ id: 'off_10', ...card, stackable: false });
    const [f] = exclusiveOffers(offer({ ...card, terms: { discountPercent: 15 } }), facts(), [other], DEFAULT_RULES, NOW);
    expect(f?.evidence).toMatchObject({
      offerId: 'off_10',
      otherDiscount: { discountPercent: 10 },
      thisDiscount: { discountPercent: 15 },
      otherStackable: false,
      thisStackable: true,
    });
    expect(exclusiveOffers(offer({ ...card, stackable: false }), facts(), [registered({ ...card })], DEFAULT_RULES, NOW)).toHaveLength(1);
  });

  it('lets stackable discounts combine, unless discounts are non-stackable by default', () => {
    const other = registered({ ...card });
    expect(exclusiveOffers(offer({ ...card, stackable: true }), facts(), [other], DEFAULT_RULES, NOW)).toEqual([]);
    const strict = ruleSet({ rules: { 'exclusive-offers': { stackableByDefault: false } } });
    expect(exclusiveOffers(offer({ ...card }), facts(), [other], strict, NOW)).toHaveLength(1);
  });

  it('does not compare discounts on unrelated products', () => {
    const other = registered({ productId: 'car-loan', productFamily: 'loan', terms: { discountPercent: 5 }, stackable: false });
    expect(exclusiveOffers(offer({ ...card }), facts(), [other], DEFAULT_RULES, NOW)).toEqual([]);
  });
});
