import { parseCsv } from '../../../cli/csv.js';
import { CUSTOMERS_HEADER, customersCsv, featuresCsv, FLAGS_HEADER, flagsCsv, segmentProfiles, summaryJson } from '../../../cli/writers.js';
import { sampleResult } from './fixtures.js';

const table = (csv: string): string[][] => [...parseCsv(csv)].map((r) => r.fields);

describe('mine output writers', () => {
  it('customers.csv: exact header, one row per customer, money in major units', () => {
    const rows = table(customersCsv(sampleResult(), { hasAmounts: true }));
    expect(rows[0]!.join(',')).toBe('customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,churn_risk');
    expect(rows[0]).toEqual([...CUSTOMERS_HEADER]);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toEqual(['c1', 'Champions', '5', '30', '35', '25', '0.9', '2.5', '123.45', '0.1']);
    expect(rows[3]![1]).toBe('At risk, "lapsing"'); // quoted on write, restored on read
    expect(customersCsv(sampleResult(), { hasAmounts: true })).toContain('c3,"At risk, ""lapsing""",');
  });

  it('customers.csv leaves money empty without amounts', () => {
    const rows = table(customersCsv(sampleResult(), { hasAmounts: false }));
    expect(rows[1]![5]).toBe('');
    expect(rows[1]![8]).toBe('');
  });

  it('flags.csv: one row per cross-sell suggestion (in order), reasons joined with "; "', () => {
    const csv = flagsCsv(sampleResult());
    const rows = table(csv);
    expect(rows[0]).toEqual([...FLAGS_HEADER]);
    expect(rows.slice(1)).toEqual([
      ['c3', 'churn-risk', '0.8', '', 'no purchase for 190 days; typical gap 14 days'],
      ['c1', 'cross-sell', '0.6', 'bread, white', 'similar customers buy these'],
      ['c1', 'cross-sell', '0.6', 'eggs', 'similar customers buy these'],
      ['c2', 'up-sell', '0.4', 'plus', 'owns basic'],
    ]);
    expect(csv).toContain('c1,cross-sell,0.6,"bread, white",similar customers buy these\n');
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
    expect(s.counts).toEqual({ rows: 10, customers: 3, flags: { 'churn-risk': 1, 'up-sell': 1, 'cross-sell': 1 } });
    expect(s.timingsMs).toEqual({ read: 5, mine: 7 });
  });
});
