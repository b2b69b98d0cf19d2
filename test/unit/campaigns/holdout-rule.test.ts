import {
  DEFAULT_RULES,
  evaluateOffer,
  holdout,
  overrideIssues,
  parseRuleSet,
  RULE_DOCS,
  type CampaignAssignmentFact,
} from '../../../layers/core/src/offers/index.js';
import { ValidationError } from '../../../layers/core/src/errors.js';
import { facts, NOW, offer } from '../offers/fixtures.js';

const control: CampaignAssignmentFact = {
  campaignId: '01WINBACK',
  campaignName: 'Winback Q4',
  group: 'control',
  assignedAt: '2026-11-20T10:00:00.000Z',
};
const treatment: CampaignAssignmentFact = { ...control, group: 'treatment' };
const override = { actor: 'carol', reason: 'the customer asked for it' };

describe('holdout rule', () => {
  it("blocks an offer under the campaign to a customer in the campaign's control group, naming the campaign", () => {
    const result = evaluateOffer(offer({ campaignId: '01WINBACK' }), facts({ campaignAssignments: [control] }), [], DEFAULT_RULES, NOW);
    expect(result.decision).toBe('block');
    expect(result.findings).toEqual([
      {
        rule: 'holdout',
        severity: 'block',
        overridable: false,
        message: expect.stringContaining('Ann is in the control group of campaign "Winback Q4" (01WINBACK)'),
        evidence: { campaignId: '01WINBACK', group: 'control', assignedAt: control.assignedAt },
      },
    ]);
  });

  it('says "would be" for a dry run whose group is computed but not stored (no date)', () => {
    const { assignedAt: _, ...computed } = control;
    const result = evaluateOffer(offer({ campaignId: '01WINBACK' }), facts({ campaignAssignments: [computed] }), [], DEFAULT_RULES, NOW);
    expect(result.findings[0]).toMatchObject({
      message: expect.stringContaining('Ann would be in the control group of campaign "Winback Q4" (01WINBACK):'),
      evidence: { campaignId: '01WINBACK', group: 'control' },
    });
    expect(result.findings[0]!.evidence).not.toHaveProperty('assignedAt');
  });

  it('allows the treatment group', () => {
    expect(evaluateOffer(offer({ campaignId: '01WINBACK' }), facts({ campaignAssignments: [treatment] }), [], DEFAULT_RULES, NOW)).toEqual({
      decision: 'allow',
      findings: [],
    });
  });

  it('leaves offers without a campaign, or under another campaign, alone', () => {
    const held = facts({ campaignAssignments: [control] });
    expect(evaluateOffer(offer({ campaignId: undefined }), held, [], DEFAULT_RULES, NOW).decision).toBe('allow');
    expect(evaluateOffer(offer({ campaignId: 'spring' }), held, [], DEFAULT_RULES, NOW).decision).toBe('allow');
    expect(holdout(offer({ campaignId: '01WINBACK' }), facts(), [], DEFAULT_RULES, NOW)).toEqual([]);
  });

  it('names the campaign by id when its name is not known', () => {
    const { campaignName: _n, ...unnamed } = control;
    const [f] = holdout(
      offer({ campaignId: '01WINBACK' }),
      facts({ name: undefined, campaignAssignments: [unnamed] }),
      [],
      DEFAULT_RULES,
      NOW,
    );
    expect(f?.message).toMatch(/^The customer is in the control group of campaign 01WINBACK since/);
  });

  it('cannot be overridden: naming it is refused, and a general override leaves the block', () => {
    expect(overrideIssues({ override: { ...override, rules: ['holdout'] } })).toEqual([
      { path: 'override.rules.0', message: expect.stringContaining('holdout cannot be overridden') },
    ]);
    const result = evaluateOffer(
      offer({ campaignId: '01WINBACK', override }),
      facts({ campaignAssignments: [control] }),
      [],
      DEFAULT_RULES,
      NOW,
    );
    expect(result.decision).toBe('block');
    expect(result.findings[0]?.message).not.toContain('Overridden');
  });

  it('cannot be made overridable by the rule set', () => {
    expect(DEFAULT_RULES.rules.holdout).toEqual({ enabled: true, overridable: false });
    expect(() => parseRuleSet({ rules: { holdout: { overridable: true } } })).toThrow(ValidationError);
    try {
      parseRuleSet({ rules: { holdout: { overridable: true } } });
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['rules.holdout.overridable']);
    }
    expect(parseRuleSet({ rules: { holdout: { enabled: false } } }).rules.holdout.enabled).toBe(false);
  });

  it('is documented as a block without overridable', () => {
    const doc = RULE_DOCS.find((d) => d.rule === 'holdout');
    expect(doc).toMatchObject({ severity: 'block' });
    expect(doc?.defaults).not.toContain('overridable');
  });
});
