import { parseCsv } from '../../../cli/csv.js';
import {
  CUSTOMERS_HEADER,
  customersCsv,
  featuresCsv,
  FLAGS_HEADER,
  flagsCsv,
  reasonTable,
  RULES_HEADER,
  rulesCsv,
  segmentProfiles,
  summaryJson,
} from '../../../cli/writers.js';
import { sampleResult } from './fixtures.js';

const table = (csv: string): string[][] => [...parseCsv(csv)].map((r) => r.fields);

describe('mine output writers', () => {
  it('customers.csv: exact header, one row per customer, money in major units', () => {
    const rows = table(customersCsv(sampleResult(), { hasAmounts: true }));
    expect(rows[0]!.join(',')).toBe(
      'customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,churn_risk,model,churn_probability,value_tier,lifecycle,next_purchase_date',
    );
    expect(rows[0]).toEqual([...CUSTOMERS_HEADER]);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual([
      'c1',
      'Champions',
      '5',
      '30',
      '35',
      '25',
      '0.9',
      '2.5',
      '123.45',
      '0.1',
      'paretoNbd',
      '0.05',
      'most-valuable',
      'loyal',
      '1997-10-07',
    ]);
    // the new columns parse: a model name or rule, a probability, a tier, a stage, a date or empty
    for (const r of rows.slice(1)) {
      const [model, churnProbability, tier, stage, next] = r.slice(10);
      expect(['bgnbd', 'paretoNbd', 'mbgNbd', 'rule']).toContain(model);
      expect(Number(churnProbability) >= 0 && Number(churnProbability) <= 1 && churnProbability !== '').toBe(true);
      expect(['most-valuable', 'potential', 'low-value']).toContain(tier);
      expect(['prospect', 'first-time', 'repeat', 'loyal', 'lapsing', 'lapsed']).toContain(stage);
      expect(next === '' || /^\d{4}-\d{2}-\d{2}$/.test(next!)).toBe(true);
    }
    expect(rows[3]!.slice(10)).toEqual(['rule', '0.75', 'low-value', 'lapsing', '']);
    expect(rows[3]![1]).toBe('At risk, "lapsing"'); // quoted on write, restored on read
    expect(customersCsv(sampleResult(), { hasAmounts: true })).toContain('c3,"At risk, ""lapsing""",');
  });

  it('customers.csv leaves money empty without amounts', () => {
    const rows = table(customersCsv(sampleResult(), { hasAmounts: false }));
    expect(rows[1]![5]).toBe('');
    expect(rows[1]![8]).toBe('');
  });

  it('flags.csv: one row per cross-sell suggestion (in order), reasons by id, the date of reorder-due', () => {
    const csv = flagsCsv(sampleResult());
    const rows = table(csv);
    expect(rows[0]).toEqual([...FLAGS_HEADER]);
    expect(rows[0]!.join(',')).toBe('customer_id,type,score,suggestion,reason_ids,date');
    expect(rows.slice(1)).toEqual([
      ['c3', 'churn-risk', '0.8', '', 'R1;R2', ''],
      ['c1', 'cross-sell', '0.6', 'bread, white', 'R3', ''],
      ['c1', 'cross-sell', '0.6', 'eggs', 'R3', ''],
      ['c2', 'up-sell', '0.4', 'plus', 'R4', ''],
      ['c1', 'reorder-due', '0.7', '', 'R2;R3', '1997-10-07'],
    ]);
    expect(csv).toContain('c1,cross-sell,0.6,"bread, white",R3,\n');
  });

  it('rules.csv: each distinct reason once, with the number of flags giving it; every reason_id resolves', () => {
    const result = sampleResult();
    const rules = table(rulesCsv(result));
    expect(rules[0]).toEqual([...RULES_HEADER]);
    expect(rules.slice(1)).toEqual([
      ['R1', '1', 'no purchase for 190 days'],
      ['R2', '2', 'typical gap 14 days'],
      ['R3', '2', 'similar customers buy these'],
      ['R4', '1', 'owns basic'],
    ]);
    const text = new Map(rules.slice(1).map((r) => [r[0]!, r[2]!]));
    const flagRows = table(flagsCsv(result)).slice(1);
    // flags.csv rows → flags (cross-sell: one row per suggestion), in order
    const perFlag = result.flags.flatMap((f) => (f.type === 'cross-sell' && f.suggestions ? f.suggestions.map(() => f) : [f]));
    flagRows.forEach((row, i) => {
      const ids = row[4]!.split(';');
      for (const id of ids) expect(text.has(id)).toBe(true);
      expect(ids.map((id) => text.get(id))).toEqual(perFlag[i]!.reasons);
    });
    // a reason repeated within one flag is written and counted once
    const twice = sampleResult();
    twice.flags = [{ ...twice.flags[0]!, reasons: ['x', 'x'] }];
    expect(reasonTable(twice).rows).toEqual([{ id: 'R1', text: 'x', flags: 1 }]);
    expect(table(flagsCsv(twice))[1]![4]).toBe('R1');
  });

  it('features.csv: customer_id + feature names, the scaled rows', () => {
    expect(table(featuresCsv(sampleResult()))).toEqual([
      ['customer_id', 'frequency', 'recency_days'],
      ['c1', '1.2', '-0.5'],
      ['c2', '0.8', '-0.4'],
      ['c3', '-2', '0.9'],
    ]);
  });

  it('segment profiles average over each segment', () => {
    const [champ, risk] = segmentProfiles(sampleResult(), { hasAmounts: true });
    expect(champ).toMatchObject({
      name: 'Champions',
      size: 2,
      meanFrequency: 4.5,
      meanDaysSinceLastPurchase: 16,
      meanClv: 111.73,
      totalClv: 223.45,
      meanMonetary: 22.5,
    });
    expect(champ!.share).toBeCloseTo(2 / 3, 10);
    expect(risk).toMatchObject({ size: 1, meanChurnRisk: 0.8 });
    expect(segmentProfiles(sampleResult(), { hasAmounts: false })[0]!.meanClv).toBeNull();
  });

  it('summary.json carries k, inertia, segments, models, counts, timings', () => {
    const s = JSON.parse(
      summaryJson(
        sampleResult(),
        { hasAmounts: true },
        {
          input: { file: 'f.txt', format: 'cdnow', layout: 'cdnow-sample' },
          unit: 'weeks',
          asOf: new Date('1997-09-30T00:00:00Z'),
          options: { k: 2 },
          counts: { rows: 10 },
          timingsMs: { read: 5, mine: 7 },
        },
      ),
    ) as Record<string, any>;
    expect(s.k).toBe(2);
    expect(s.inertia).toBe(3.5);
    expect(s.asOf).toBe('1997-09-30');
    expect(s.units.time).toBe('weeks');
    expect(s.segments).toHaveLength(2);
    expect(s.segments[0].centroid).toEqual({ frequency: 4.5 });
    expect(s.models.bgnbd.r).toBe(0.24);
    expect(s.counts).toEqual({
      rows: 10,
      customers: 3,
      flags: { 'churn-risk': 1, 'up-sell': 1, 'cross-sell': 1, prospect: 0, 'reorder-due': 1, moment: 0 },
    });
    expect(s.timingsMs).toEqual({ read: 5, mine: 7 });
    const r = sampleResult();
    expect(s.models).toEqual(r.models);
    expect(s.models.chosen).toBe('bgnbd');
    for (const key of ['modelChoice', 'churn', 'warnings', 'notes', 'kSelection', 'tiers', 'funnel'] as const) {
      expect({ key, value: s[key] }).toEqual({ key, value: r[key] });
    }
  });
});
