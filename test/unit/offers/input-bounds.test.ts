import { ValidationError } from '../../../layers/core/src/errors.js';
import { DEFAULT_RULES, evaluateOffer, OfferRequest, overrideIssues, RULE_NAMES } from '../../../layers/core/src/offers/index.js';
import { checkOffer, OfferStatusChange, registerOffer, type OfferDeps } from '../../../layers/core/src/offers/offer-service.js';
import { daysAgo, facts, NOW, offer, ruleSet } from './fixtures.js';

const base = { customerId: 'c1', kind: 'offer', productId: 'mortgage-30y', channel: 'email' } as const;
const paths = (
  input: unknown,
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[] }[] } } } = OfferRequest,
) => {
  const r = schema.safeParse(input);
  return r.success ? [] : r.error!.issues.map((i) => i.path.map(String).join('.'));
};
const big = (n: number) => 'x'.repeat(n);

describe('offer input bounds', () => {
  it.each(['customerId', 'productId', 'productFamily', 'campaignLabel', 'team', 'exclusionGroup', 'tier'])(
    'refuses a %s of more than 200 characters and names the field',
    (field) => {
      expect(paths({ ...base, [field]: big(200) })).toEqual([]);
      expect(paths({ ...base, [field]: big(201) })).toEqual([field]);
    },
  );

  it('takes a campaignId only in the shape of a campaign id (free text is campaignLabel), in Crockford spellings', () => {
    expect(paths({ ...base, campaignId: '01M8NYZ6SFZQ48EN3BA4EQW3N2' })).toEqual([]);
    expect(paths({ ...base, campaignId: 'o1m8nyz6sfzq48en3ba4eqw3n2' })).toEqual([]);
    for (const bad of ['spring', '01M8N-YZ6SFZQ48EN3BA4EQW3N2', '01M8NYZ6SFZQ48EN3BA4EQW3N', big(201)]) {
      expect(paths({ ...base, campaignId: bad })).toEqual(['campaignId']);
    }
  });

  it('refuses a 500 KB team naming the field, without echoing it', () => {
    const r = OfferRequest.safeParse({ ...base, team: big(500_000) });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['team']);
    expect(JSON.stringify(r.error!.issues).length).toBeLessThan(1000);
  });

  it('refuses an email of more than 320 characters', () => {
    expect(paths({ ...base, customerId: undefined, email: `${big(320)}@example.com` })).toContain('email');
  });

  it('bounds the override: actor at most 200 characters, reason at most 2,000', () => {
    expect(paths({ ...base, override: { actor: big(201), reason: 'ok' } })).toEqual(['override.actor']);
    expect(paths({ ...base, override: { actor: 'carol', reason: big(2001) } })).toEqual(['override.reason']);
    expect(paths({ ...base, override: { actor: 'carol', reason: big(2000) } })).toEqual([]);
  });

  it('bounds the status change: actor at most 200 characters, reason at most 2,000', () => {
    expect(paths({ status: 'accepted', actor: big(201) }, OfferStatusChange)).toEqual(['actor']);
    expect(paths({ status: 'accepted', actor: 'shop', reason: big(2001) }, OfferStatusChange)).toEqual(['reason']);
    expect(paths({ status: 'accepted', actor: 'shop', reason: big(2000) }, OfferStatusChange)).toEqual([]);
  });

  it('refuses terms with more than 50 fields or a field name of more than 64 characters', () => {
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    expect(paths({ ...base, terms: fifty })).toEqual([]);
    expect(paths({ ...base, terms: { ...fifty, k50: 1 } })).toEqual(['terms']);
    expect(paths({ ...base, terms: { [big(64)]: 1 } })).toEqual([]);
    expect(paths({ ...base, terms: { [big(65)]: 1 } })).toEqual(['terms']);
  });

  it('refuses term strings of more than 200 characters and numbers beyond ±1e12', () => {
    expect(paths({ ...base, terms: { note: big(201) } })).toEqual(['terms.note']);
    expect(paths({ ...base, terms: { fee: 1e13 } })).toEqual(['terms.fee']);
    expect(paths({ ...base, terms: { amount: -1e13 } })).toEqual(['terms.amount']);
    expect(paths({ ...base, terms: { rate: 1e13, termMonths: 1e13 } })).toEqual(['terms.rate', 'terms.termMonths']);
    expect(paths({ ...base, terms: { amount: 1e12, fee: -1e12, note: big(200) } })).toEqual([]);
  });

  it('names an unknown field in a bounded message', () => {
    const r = OfferRequest.safeParse({ ...base, [big(100_000)]: 1 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues.map((x) => [x.path, x.message])).length).toBeLessThan(1000);
  });

  it('bounds the rules an override names: known rule names only, each at most once in number', () => {
    expect(paths({ ...base, override: { actor: 'carol', reason: 'ok', rules: ['no-such-rule'] } })).toEqual(['override.rules.0']);
    expect(paths({ ...base, override: { actor: 'carol', reason: 'ok', rules: [] } })).toEqual(['override.rules']);
    expect(
      paths({ ...base, override: { actor: 'carol', reason: 'ok', rules: Array(RULE_NAMES.length + 1).fill('duplicate-offer') } }),
    ).toEqual(['override.rules']);
  });
});

describe('an override naming a rule that cannot be overridden', () => {
  const override = { actor: 'carol', reason: 'agreed with the customer', rules: ['conflicting-terms' as const] };
  const deps = { rules: DEFAULT_RULES } as unknown as OfferDeps;

  it('is a 422 naming the rule from the dry run, before anything is read', async () => {
    const error = await checkOffer(deps, { ...base, override } as OfferRequest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 422, message: expect.stringContaining('conflicting-terms') });
    expect((error as ValidationError).issues).toEqual([
      { path: 'body.override.rules.0', message: expect.stringContaining('conflicting-terms cannot be overridden') },
    ]);
  });

  it('is a 422 naming the rule from the registration, before anything is read or stored', async () => {
    await expect(registerOffer(deps, { ...base, override } as OfferRequest)).rejects.toMatchObject({
      status: 422,
      issues: [{ path: 'body.override.rules.0' }],
    });
  });

  it('names only the rules the rule set does not make overridable', () => {
    const rules = ['high-value-penalty', 'no-consent', 'duplicate-offer'] as const;
    expect(overrideIssues({ override: { ...override, rules: [...rules] } }).map((i) => i.path)).toEqual([
      'override.rules.1',
      'override.rules.2',
    ]);
    const cfg = ruleSet({ rules: { 'no-consent': { overridable: true }, 'high-value-penalty': { overridable: false } } });
    expect(overrideIssues({ override: { ...override, rules: [...rules] } }, cfg).map((i) => i.path)).toEqual([
      'override.rules.0',
      'override.rules.2',
    ]);
    expect(overrideIssues({ override: { actor: 'carol', reason: 'r' } })).toEqual([]);
  });

  it('lifts only the overridable blocks it names', () => {
    const cfg = ruleSet({ rules: { 'contact-fatigue': { overridable: true } } });
    const busy = facts({ recentContacts: [1, 2].map((d) => ({ channel: 'email', at: daysAgo(d), kind: 'offer' as const })) });
    const named = { actor: 'carol', reason: 'asked for it' };
    expect(evaluateOffer(offer({ override: { ...named, rules: ['contact-fatigue'] } }), busy, [], cfg, NOW).decision).toBe('warn');
    expect(evaluateOffer(offer({ override: { ...named, rules: ['high-value-penalty'] } }), busy, [], cfg, NOW).decision).toBe('block');
  });
});

describe('numbers DynamoDB cannot store', () => {
  it.each([5e-324, 1e-131, -1e-200])('refuses a term of %p (an underflow in DynamoDB) with a 422 naming the term', (n) => {
    const result = OfferRequest.safeParse({
      customerId: 'c1',
      kind: 'offer',
      productId: 'p',
      channel: 'branch',
      terms: { amount: n, fee: n, discountPercent: Math.abs(n) },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['terms.amount', 'terms.fee', 'terms.discountPercent']),
    );
  });
});
