/**
 * The RFM summary and the CDNOW split the CLV tests build on (test/fixtures/cdnow.ts). The CDNOW
 * parser itself is the CLI's reader, tested in test/unit/cli/readers.test.ts.
 */
import { CDNOW_HOLDOUT_WEEKS, cdnow, summarize, type Transaction } from '../../../fixtures/cdnow.js';

const d = (s: string): Date => new Date(`${s}T00:00:00Z`);

describe('summarize', () => {
  const tx: Transaction[] = [
    // customer A: first 1997-01-01; two records on 01-10 are one transaction; repeat on 02-05;
    // holdout purchases on 10-01 and 1998-06-30; one after the observation end (ignored)
    { customerId: 'A', date: d('1997-01-01'), amount: 10 },
    { customerId: 'A', date: d('1997-01-10'), amount: 5 },
    { customerId: 'A', date: d('1997-01-10'), amount: 7 },
    { customerId: 'A', date: d('1997-02-05'), amount: 30 },
    { customerId: 'A', date: d('1997-10-01'), amount: 3 },
    { customerId: 'A', date: d('1998-06-30'), amount: 4 },
    { customerId: 'A', date: d('1998-07-01'), amount: 100 },
    // customer B: one-time buyer on the last calibration day
    { customerId: 'B', date: d('1997-09-30'), amount: 20 },
    // customer C: first purchase after calibration: not in the cohort
    { customerId: 'C', date: d('1997-10-02'), amount: 1 },
  ];

  it('builds x, t_x, T, repeat-transaction mean and holdout counts (weeks)', () => {
    const s = summarize(tx, { calibrationEnd: d('1997-09-30'), observationEnd: d('1998-06-30'), unit: 'weeks' });
    expect(s.map((c) => c.customerId)).toEqual(['A', 'B']);
    const [a, b] = s;
    expect(a).toMatchObject({ frequency: 2, recency: 35 / 7, T: 272 / 7, monetary: (12 + 30) / 2, holdoutFrequency: 2, holdoutAmount: 7 });
    expect(a!.firstPurchase.toISOString()).toBe('1997-01-01T00:00:00.000Z');
    expect(b).toMatchObject({ frequency: 0, recency: 0, T: 0, monetary: 0, holdoutFrequency: 0 });
  });

  it('supports days and no holdout', () => {
    const [a] = summarize(tx, { calibrationEnd: d('1997-09-30'), unit: 'days' });
    expect(a).toMatchObject({ frequency: 2, recency: 35, T: 272, holdoutFrequency: 0, holdoutAmount: 0 });
  });

  it('ignores the time of day (UTC calendar days)', () => {
    const s = summarize(
      [
        { customerId: 'X', date: new Date('1997-03-01T01:00:00Z'), amount: 1 },
        { customerId: 'X', date: new Date('1997-03-01T23:59:00Z'), amount: 2 },
        { customerId: 'X', date: new Date('1997-03-02T00:00:01Z'), amount: 4 },
      ],
      { calibrationEnd: d('1997-03-08'), unit: 'days' },
    );
    expect(s[0]).toMatchObject({ frequency: 1, recency: 1, T: 7, monetary: 4 });
  });

  it('rejects bad input', () => {
    expect(() =>
      summarize([{ customerId: 'X', date: new Date('nope'), amount: 1 }], { calibrationEnd: d('1997-01-01'), unit: 'days' }),
    ).toThrow(/transaction 0/);
    expect(() =>
      summarize([{ customerId: 'X', date: d('1997-01-01'), amount: Number.NaN }], { calibrationEnd: d('1997-01-01'), unit: 'days' }),
    ).toThrow(/amount/);
    expect(() => summarize([], { calibrationEnd: d('1997-02-01'), observationEnd: d('1997-01-01'), unit: 'days' })).toThrow(/before/);
  });
});

describe('CDNOW real data (../shared/datasets/cdnow)', () => {
  it('the holdout is 39 weeks (1997-10-01 .. 1998-06-30 = 273 days)', () => {
    expect(CDNOW_HOLDOUT_WEEKS).toBe(39);
  });

  it('sample: 6,919 records, 2,357 customers, 1,411 without a repeat purchase in calibration', () => {
    const { rows, summary } = cdnow('sample');
    expect(rows).toHaveLength(6919);
    expect(summary).toHaveLength(2357);
    // Verified from the file: 1,411 of the 2,357 made no repeat purchase in the 39 weeks.
    expect(summary.filter((c) => c.frequency === 0)).toHaveLength(1411);
    // 4,960 calibration records fall on 4,814 distinct customer-days: 2,457 repeat transactions.
    expect(summary.reduce((s, c) => s + c.frequency, 0)).toBe(2457);
    // Holdout (1997-10-01 .. 1998-06-30): 1,959 records on 1,882 distinct customer-days.
    expect(summary.reduce((s, c) => s + c.holdoutFrequency, 0)).toBe(1882);
    expect(Math.max(...summary.map((c) => c.frequency))).toBe(29);
    // The cohort's first purchases are all in Q1 1997, so T is between 26 and 39 weeks.
    const first = summary.map((c) => c.firstPurchase.getTime());
    expect(new Date(Math.min(...first)).toISOString().slice(0, 10)).toBe('1997-01-01');
    expect(new Date(Math.max(...first)).toISOString().slice(0, 10)).toBe('1997-03-25');
    expect(Math.max(...summary.map((c) => c.T))).toBeCloseTo(272 / 7, 12);
    // The paper's worked example customer shape (x = 2, t_x = 30.43, T = 38.86) is a
    // 1997-01-01 customer: T = 272 / 7 = 38.857.
    const violations = summary.filter((c) => c.recency > c.T || (c.frequency === 0 ? c.recency !== 0 : !(c.monetary > 0)));
    expect(violations).toEqual([]);
  });

  it('master: 69,659 records, 23,570 customers', () => {
    const { rows, summary } = cdnow('master');
    expect(rows).toHaveLength(69659);
    expect(summary).toHaveLength(23570);
    expect(summary.filter((c) => c.frequency === 0)).toHaveLength(14119);
    expect(summary.reduce((s, c) => s + c.frequency, 0)).toBe(24337);
    expect(summary.reduce((s, c) => s + c.holdoutFrequency, 0)).toBe(19684);
    // One master customer's repeat transactions are all $0.00 (unusable for Gamma-Gamma).
    expect(summary.filter((c) => c.frequency > 0 && c.monetary === 0)).toHaveLength(1);
  });
});
