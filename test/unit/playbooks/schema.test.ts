import { PLAYBOOK_LIMITS, PlaybookCreate, PlaybookPatch, PlaybookTrigger } from '../../../layers/core/src/playbooks/schema.js';

const step = (id: string, days: number, extra: Record<string, unknown> = {}) => ({
  id,
  delay: { days },
  action: { kind: 'message', channel: 'email' },
  ...extra,
});
const base = { name: 'p', trigger: { type: 'first-purchase' }, steps: [step('a', 0)] };
type Schema = { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } };
const issues = (input: unknown, schema: Schema = PlaybookCreate) => {
  const r = schema.safeParse(input);
  return r.success ? [] : r.error!.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
};
const paths = (input: unknown, schema: Schema = PlaybookCreate) => issues(input, schema).map((i) => i.path);

describe('PlaybookCreate', () => {
  it('accepts a minimal playbook and fills in enabled', () => {
    const p = PlaybookCreate.parse(base);
    expect(p.enabled).toBe(true);
    expect(PlaybookCreate.parse({ ...base, enabled: false }).enabled).toBe(false);
  });

  it('accepts every trigger type', () => {
    for (const trigger of [
      { type: 'flag', flagType: 'churn-risk', segment: 'loyal' },
      { type: 'first-purchase' },
      { type: 'purchase' },
      { type: 'purchase', productId: 'COF-ETH-250', productFamily: 'coffee' },
      { type: 'anniversary', of: 'membership' },
      { type: 'date', month: 2, day: 29 },
      { type: 'date', month: 12, day: 31, segment: 'vip' },
    ]) {
      expect(paths({ ...base, trigger })).toEqual([]);
    }
  });

  it(`refuses more than ${PLAYBOOK_LIMITS.MAX_STEPS} steps, and none`, () => {
    const steps = Array.from({ length: PLAYBOOK_LIMITS.MAX_STEPS + 1 }, (_, i) => step(`s${i}`, i));
    expect(paths({ ...base, steps: steps.slice(0, PLAYBOOK_LIMITS.MAX_STEPS) })).toEqual([]);
    expect(paths({ ...base, steps })).toEqual(['steps']);
    expect(paths({ ...base, steps: [] })).toEqual(['steps']);
  });

  it('bounds the delay: days 0..730, hours 0..23, integers', () => {
    expect(paths({ ...base, steps: [step('a', 730)] })).toEqual([]);
    expect(paths({ ...base, steps: [step('a', 731)] })).toEqual(['steps.0.delay.days']);
    expect(paths({ ...base, steps: [step('a', -1)] })).toEqual(['steps.0.delay.days']);
    expect(paths({ ...base, steps: [step('a', 1.5)] })).toEqual(['steps.0.delay.days']);
    expect(paths({ ...base, steps: [{ ...step('a', 0), delay: { days: 0, hours: 24 } }] })).toEqual(['steps.0.delay.hours']);
    expect(paths({ ...base, steps: [{ ...step('a', 0), delay: { days: 0, minutes: 5 } }] })).toEqual(['steps.0.delay']);
  });

  it('takes step ids only as slugs', () => {
    expect(paths({ ...base, steps: [step('a', 0), step(`x${'-'.repeat(62)}`, 1)] })).toEqual([]);
    for (const bad of ['', 'Thank-you', '-a', 'a b', 'a_b', `x${'-'.repeat(63)}`]) {
      expect(paths({ ...base, steps: [step(bad, 0)] })).toEqual(['steps.0.id']);
    }
  });

  it('refuses a repeated step id at the repeat', () => {
    const r = issues({ ...base, steps: [step('a', 0), step('b', 1), step('a', 2)] });
    expect(r).toEqual([{ path: 'steps.2.id', message: 'repeats step id a' }]);
  });

  it('refuses a delay shorter than the previous one, counting hours', () => {
    expect(paths({ ...base, steps: [step('a', 5), step('b', 5), step('c', 6)] })).toEqual([]);
    expect(paths({ ...base, steps: [step('a', 5), step('b', 4)] })).toEqual(['steps.1.delay']);
    const hours = (id: string, days: number, h: number) => ({ ...step(id, days), delay: { days, hours: h } });
    expect(paths({ ...base, steps: [hours('a', 1, 5), hours('b', 1, 4)] })).toEqual(['steps.1.delay']);
    expect(paths({ ...base, steps: [hours('a', 0, 23), step('b', 1)] })).toEqual([]);
  });

  it('requires productId for a selling kind, as OfferRequest does', () => {
    for (const kind of ['offer', 'upsell', 'cross-sell', 'retention']) {
      const r = issues({ ...base, steps: [{ ...step('a', 0), action: { kind, channel: 'email' } }] });
      expect(r).toEqual([{ path: 'steps.0.action.productId', message: `is required for kind ${kind}` }]);
      expect(paths({ ...base, steps: [{ ...step('a', 0), action: { kind, channel: 'email', productId: 'x' } }] })).toEqual([]);
    }
  });

  it('bounds validDays, stopIf and the action fields', () => {
    const act = (action: Record<string, unknown>) => ({
      ...base,
      steps: [{ ...step('a', 0), action: { kind: 'message', channel: 'email', ...action } }],
    });
    expect(paths(act({ validDays: 365 }))).toEqual([]);
    expect(paths(act({ validDays: 366 }))).toEqual(['steps.0.action.validDays']);
    expect(paths(act({ validDays: 0 }))).toEqual(['steps.0.action.validDays']);
    expect(paths(act({ template: 'x'.repeat(201) }))).toEqual(['steps.0.action.template']);
    expect(paths(act({ channel: 'pigeon' }))).toEqual(['steps.0.action.channel']);
    expect(paths(act({ terms: { discountPercent: 101 } }))).toEqual(['steps.0.action.terms.discountPercent']);
    expect(paths({ ...base, steps: [step('a', 0, { stopIf: ['purchased', 'responded', 'left-segment'] })] })).toEqual([]);
    expect(paths({ ...base, steps: [step('a', 0, { stopIf: ['purchased', 'purchased'] })] })).toEqual(['steps.0.stopIf']);
    expect(paths({ ...base, steps: [step('a', 0, { stopIf: ['bored'] })] })).toEqual(['steps.0.stopIf.0']);
  });

  it('names unknown fields at every level', () => {
    expect(issues({ ...base, colour: 'red' })).toEqual([{ path: '', message: 'unknown field colour' }]);
    expect(paths({ ...base, trigger: { type: 'first-purchase', productId: 'x' } })).toEqual(['trigger']);
    expect(issues({ ...base, steps: [step('a', 0, { delayDays: 3 })] })).toEqual([{ path: 'steps.0', message: 'unknown field delayDays' }]);
    expect(paths({ ...base, steps: [{ ...step('a', 0), action: { kind: 'message', channel: 'email', tempalte: 't' } }] })).toEqual([
      'steps.0.action',
    ]);
    // A huge field name is not echoed whole.
    expect(issues({ ...base, ['k'.repeat(10_000)]: 1 })[0]!.message.length).toBeLessThan(100);
  });

  it('bounds the name, description and segment', () => {
    expect(paths({ ...base, name: 'x'.repeat(201) })).toEqual(['name']);
    expect(paths({ ...base, name: '  ' })).toEqual(['name']);
    expect(paths({ ...base, description: 'x'.repeat(5000) })).toEqual(['description']);
    expect(paths({ ...base, trigger: { type: 'flag', flagType: 'churn-risk', segment: 'x'.repeat(201) } })).toEqual(['trigger.segment']);
    expect(paths({ ...base, trigger: { type: 'flag', flagType: 'bored' } })).toEqual(['trigger.flagType']);
    expect(paths({ ...base, trigger: { type: 'weekly' } })).toEqual(['trigger.type']);
    expect(paths({ ...base, trigger: { type: 'anniversary', of: 'wedding' } })).toEqual(['trigger.of']);
  });

  it('takes a campaignId as OfferRequest does, normalised', () => {
    expect(PlaybookCreate.parse({ ...base, campaignId: 'o1m8nyz6sfzq48en3ba4eqw3n2' }).campaignId).toBe('01M8NYZ6SFZQ48EN3BA4EQW3N2');
    expect(paths({ ...base, campaignId: 'spring sale' })).toEqual(['campaignId']);
  });

  it('lists every error of a malformed playbook at once', () => {
    const r = paths({
      name: '',
      trigger: { type: 'date', month: 2, day: 30 },
      steps: [step('Bad Id', 800), step('b', 3, { action: { kind: 'offer', channel: 'fax' } }), step('b', 1)],
      extra: true,
    });
    expect(r.sort()).toEqual(
      [
        '',
        'name',
        'trigger.day',
        'steps.0.id',
        'steps.0.delay.days',
        'steps.1.action.channel',
        'steps.1.action.productId',
        'steps.2.id',
        'steps.2.delay',
      ].sort(),
    );
  });
});

describe('PlaybookTrigger dates', () => {
  it('refuses impossible dates and allows 02-29', () => {
    const date = (month: number, day: number) => paths({ type: 'date', month, day }, PlaybookTrigger);
    expect(date(2, 29)).toEqual([]);
    expect(date(1, 31)).toEqual([]);
    expect(issues({ type: 'date', month: 2, day: 30 }, PlaybookTrigger)).toEqual([
      { path: 'day', message: 'must be at most 29 in month 2' },
    ]);
    expect(date(4, 31)).toEqual(['day']);
    expect(date(11, 31)).toEqual(['day']);
    expect(date(13, 1)).toEqual(['month']);
    expect(date(0, 1)).toEqual(['month']);
    expect(date(1, 0)).toEqual(['day']);
    expect(date(1, 32)).toEqual(['day']);
  });
});

describe('PlaybookPatch', () => {
  it('changes name, description, enabled or steps', () => {
    expect(paths({ enabled: false }, PlaybookPatch)).toEqual([]);
    expect(paths({ name: 'n', description: 'd', steps: [step('a', 1)] }, PlaybookPatch)).toEqual([]);
  });

  it('refuses an empty patch', () => {
    expect(issues({}, PlaybookPatch)).toEqual([{ path: '', message: 'must change at least one of name, description, enabled, steps' }]);
  });

  it('refuses to change the trigger or the campaign, saying so', () => {
    const r = issues({ enabled: true, trigger: { type: 'purchase' } }, PlaybookPatch);
    expect(r).toHaveLength(1);
    expect(r[0]!.message).toMatch(/^trigger cannot change/);
    expect(issues({ campaignId: '01M8NYZ6SFZQ48EN3BA4EQW3N2' }, PlaybookPatch)[0]!.message).toMatch(/^campaignId cannot change/);
    expect(issues({ enabled: true, colour: 'red' }, PlaybookPatch)).toEqual([{ path: '', message: 'unknown field colour' }]);
  });

  it('checks steps as PlaybookCreate does', () => {
    expect(paths({ steps: [step('a', 2), step('a', 1)] }, PlaybookPatch)).toEqual(['steps.1.id', 'steps.1.delay']);
    expect(paths({ steps: [] }, PlaybookPatch)).toEqual(['steps']);
  });
});
