import {
  DEFAULT_RULES,
  evaluateOffer,
  RULE_DOCS,
  RULE_NAMES,
  ruleDocsMarkdown,
  type CustomerFacts,
} from '../../../layers/core/src/offers/index.js';
import { daysAgo, facts, NOW, offer, registered, ruleSet } from './fixtures.js';

const champion = (over: Partial<CustomerFacts> = {}) => facts({ mining: { ...facts().mining!, segment: 'Champions' }, ...over });
const lateFee = offer({ kind: 'fee', productId: 'loan-1', productFamily: 'loan', terms: { amount: 35, currency: 'EUR' }, channel: 'mail' });

describe('evaluateOffer', () => {
  it('allows an offer no rule objects to, with no findings', () => {
    expect(evaluateOffer(offer(), facts(), [], DEFAULT_RULES, NOW)).toEqual({ decision: 'allow', findings: [] });
  });

  it('decides warn when the worst finding is a warning', () => {
    const result = evaluateOffer(offer(), facts({ lastComplaintAt: daysAgo(2) }), [], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('warn');
    expect(result.findings.map((f) => f.rule)).toEqual(['quiet-period']);
  });

  it('decides block when any finding blocks and lists blocks before warnings, in rule order', () => {
    const ann = facts({
      lastComplaintAt: daysAgo(2),
      lastSeen: daysAgo(400),
      consent: { email: { granted: false, at: daysAgo(50) }, sms: null, phone: null },
    });
    const result = evaluateOffer(offer(), ann, [registered({ id: 'off_hh', terms: { rate: 2.9 } })], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('block');
    expect(result.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['conflicting-terms', 'block'],
      ['no-consent', 'block'],
      ['quiet-period', 'warn'],
      ['stale-profile', 'warn'],
    ]);
  });

  it('skips a rule disabled in the rule set', () => {
    const cfg = ruleSet({ rules: { 'quiet-period': { enabled: false } } });
    expect(evaluateOffer(offer(), facts({ lastComplaintAt: daysAgo(2) }), [], cfg, NOW)).toEqual({ decision: 'allow', findings: [] });
  });

  it('applies a severity override: quiet-period made a block blocks', () => {
    const cfg = ruleSet({ rules: { 'quiet-period': { severity: 'block' } } });
    const result = evaluateOffer(offer(), facts({ lastComplaintAt: daysAgo(2) }), [], cfg, NOW);
    expect(result.decision).toBe('block');
    expect(result.findings[0]).toMatchObject({ rule: 'quiet-period', severity: 'block' });
  });

  it('applies a severity override downwards: no-consent made a warning only warns', () => {
    const cfg = ruleSet({ rules: { 'no-consent': { severity: 'warn' } } });
    const result = evaluateOffer(offer({ channel: 'sms' }), facts({ consent: { email: null, sms: null, phone: null } }), [], cfg, NOW);
    expect(result).toMatchObject({ decision: 'warn', findings: [{ rule: 'no-consent', severity: 'warn' }] });
  });

  it('uses the default rule set when none is given', () => {
    expect(
      evaluateOffer(offer({ channel: 'sms' }), facts({ consent: { email: null, sms: null, phone: null } }), [], undefined, NOW).decision,
    ).toBe('block');
  });

  it('accepts now as an ISO string and rejects an invalid one', () => {
    expect(evaluateOffer(offer(), facts({ lastComplaintAt: daysAgo(2) }), [], DEFAULT_RULES, NOW.toISOString()).decision).toBe('warn');
    expect(() => evaluateOffer(offer(), facts(), [], DEFAULT_RULES, 'yesterday')).toThrow(TypeError);
  });

  it('is deterministic and leaves its inputs untouched', () => {
    const deepFreeze = <T>(v: T): T => {
      if (v && typeof v === 'object') Object.values(v).forEach(deepFreeze);
      return Object.freeze(v);
    };
    const args = deepFreeze({
      o: offer({ kind: 'upsell' }),
      f: facts({
        openTickets: ['t_1'],
        recentContacts: [
          { channel: 'email', at: daysAgo(1), kind: 'offer' },
          { channel: 'email', at: daysAgo(2), kind: 'message' },
        ],
      }),
      a: [registered({ id: 'off_a', kind: 'upsell', terms: { rate: 1 } }), registered({ id: 'off_b', kind: 'upsell', terms: { rate: 2 } })],
    });
    const first = evaluateOffer(args.o, args.f, args.a, DEFAULT_RULES, NOW);
    expect(evaluateOffer(args.o, args.f, args.a, DEFAULT_RULES, NOW)).toEqual(first);
    expect(first.findings.map((f) => f.rule)).toEqual([
      'conflicting-terms',
      'conflicting-terms',
      'contact-fatigue',
      'sell-after-complaint',
    ]);
  });
});

describe('override semantics of high-value-penalty', () => {
  const override = { actor: 'maria.k', reason: 'contractual fee agreed with the customer' };

  it('blocks a fee against a top-segment customer without an override', () => {
    expect(evaluateOffer(lateFee, champion(), [], DEFAULT_RULES, NOW)).toMatchObject({
      decision: 'block',
      findings: [{ rule: 'high-value-penalty', severity: 'block' }],
    });
  });

  it('turns the block into a warning that says who overrode it and why', () => {
    const result = evaluateOffer({ ...lateFee, override }, champion(), [], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('warn');
    const [f] = result.findings;
    expect(f).toMatchObject({
      rule: 'high-value-penalty',
      severity: 'warn',
      evidence: { segment: 'Champions', overridden: { actor: 'maria.k', reason: override.reason, severity: 'block' } },
    });
    expect(f?.message).toMatch(/Overridden by maria\.k: "contractual fee agreed with the customer"\.$/);
  });

  it('ignores an override without a reason', () => {
    const result = evaluateOffer({ ...lateFee, override: { actor: 'maria.k', reason: '  ' } }, champion(), [], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('block');
  });

  it('does not let an override lift blocks of rules that are not overridable', () => {
    const result = evaluateOffer(
      { ...lateFee, channel: 'email', override },
      champion({ consent: { email: { granted: false, at: daysAgo(9) }, sms: null, phone: null } }),
      [],
      DEFAULT_RULES,
      NOW,
    );
    expect(result.decision).toBe('block');
    expect(result.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['no-consent', 'block'],
      ['high-value-penalty', 'warn'],
    ]);
  });

  it('stops honouring overrides when high-value-penalty is configured not overridable', () => {
    const cfg = ruleSet({ rules: { 'high-value-penalty': { overridable: false } } });
    expect(evaluateOffer({ ...lateFee, override }, champion(), [], cfg, NOW).decision).toBe('block');
  });

  it('lets an operator make another rule overridable', () => {
    const cfg = ruleSet({ rules: { 'contact-fatigue': { overridable: true } } });
    const busy = facts({ recentContacts: [1, 2].map((d) => ({ channel: 'email', at: daysAgo(d), kind: 'offer' as const })) });
    expect(evaluateOffer(offer(), busy, [], cfg, NOW).decision).toBe('block');
    expect(evaluateOffer(offer({ override }), busy, [], cfg, NOW).findings[0]).toMatchObject({ rule: 'contact-fatigue', severity: 'warn' });
  });

  it('leaves a finding already downgraded to a warning as it is', () => {
    const cfg = ruleSet({ rules: { 'high-value-penalty': { severity: 'warn' } } });
    const [f] = evaluateOffer({ ...lateFee, override }, champion(), [], cfg, NOW).findings;
    expect(f?.severity).toBe('warn');
    expect(f?.message).not.toContain('Overridden');
  });
});

describe('RULE_DOCS', () => {
  it('documents every rule once, in evaluation order, with the defaults of the code', () => {
    expect(RULE_DOCS.map((d) => d.rule)).toEqual([...RULE_NAMES]);
    const fatigue = RULE_DOCS.find((d) => d.rule === 'contact-fatigue');
    expect(fatigue).toMatchObject({ severity: 'block' });
    expect(fatigue?.defaults).toContain('windowDays: 7; perChannel: 2');
    expect(RULE_DOCS.find((d) => d.rule === 'high-value-penalty')?.defaults).toContain(
      "highValue.topSegments: Champions, Loyal, Can't lose them",
    );
    for (const d of RULE_DOCS) expect(d.checks && d.prevents).toBeTruthy();
  });

  it('renders a Markdown table with one row per rule', () => {
    const lines = ruleDocsMarkdown().split('\n');
    expect(lines).toHaveLength(2 + RULE_NAMES.length);
    expect(lines[0]).toBe('| Rule | Checks | Default | Prevents |');
    expect(lines[4]).toMatch(/^\| `already-owned` \|.*\| block; on;.*33 years.*\|$/);
  });
});
