import { FUNCTIONS } from '../../infra/definitions.js';
import { synthPatron } from './synth.js';

const offersEnv = (template: ReturnType<typeof synthPatron>['template']) => {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
    Properties: { Handler?: string; Description?: string; Environment?: { Variables?: Record<string, unknown> } };
  }[];
  // The offers function and the playbook tick (whose steps go through the same check) read the rule set.
  const readers = FUNCTIONS.filter((d) => d.offerRules).map((d) => d.description);
  const offers = fns.filter((f) => readers.includes(f.Properties.Description ?? ''));
  if (offers.length !== 2) throw new Error('expected the offers and playbook-tick functions in the template');
  return {
    offers: offers.map((f) => f.Properties.Environment?.Variables ?? {}),
    others: fns.filter((f) => !offers.includes(f)).map((f) => f.Properties.Environment?.Variables ?? {}),
  };
};

describe('offer rule set from the CDK context', () => {
  it('sets OFFER_RULES on the functions that check offers only (offers, playbook-tick), as validated JSON', () => {
    const rules = { rules: { 'quiet-period': { days: 30 } } };
    const { offers, others } = offersEnv(synthPatron({ bundle: false, cfnValidation: false, context: { offerRules: rules } }).template);
    for (const env of offers) expect(JSON.parse(String(env.OFFER_RULES))).toEqual(rules);
    expect(others.every((env) => !('OFFER_RULES' in env))).toBe(true);
  });

  it('fails the synth naming the bad field', () => {
    expect(() =>
      synthPatron({ bundle: false, cfnValidation: false, context: { offerRules: '{"rules":{"quiet-period":{"days":"soon"}}}' } }),
    ).toThrow(/offerRules is invalid: rules\.quiet-period\.days/);
  });
});
