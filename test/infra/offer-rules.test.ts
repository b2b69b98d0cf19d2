import { synthPatron } from './synth.js';

const offersEnv = (template: ReturnType<typeof synthPatron>['template']) => {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
    Properties: { Handler?: string; Description?: string; Environment?: { Variables?: Record<string, unknown> } };
  }[];
  const offers = fns.find((f) => f.Properties.Description?.startsWith('Checks offers'));
  if (!offers) throw new Error('no offers function in the template');
  return {
    offers: offers.Properties.Environment?.Variables ?? {},
    others: fns.filter((f) => f !== offers).map((f) => f.Properties.Environment?.Variables ?? {}),
  };
};

describe('offer rule set from the CDK context', () => {
  it('sets OFFER_RULES on the offers function only, as validated JSON', () => {
    const rules = { rules: { 'quiet-period': { days: 30 } } };
    const { offers, others } = offersEnv(synthPatron({ bundle: false, cfnValidation: false, context: { offerRules: rules } }).template);
    expect(JSON.parse(String(offers.OFFER_RULES))).toEqual(rules);
    expect(others.every((env) => !('OFFER_RULES' in env))).toBe(true);
  });

  it('fails the synth naming the bad field', () => {
    expect(() =>
      synthPatron({ bundle: false, cfnValidation: false, context: { offerRules: '{"rules":{"quiet-period":{"days":"soon"}}}' } }),
    ).toThrow(/offerRules is invalid: rules\.quiet-period\.days/);
  });
});
