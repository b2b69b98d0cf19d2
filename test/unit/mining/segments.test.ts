import fc from 'fast-check';
import {
  qualifySegmentName,
  ACTIVE_NAMES,
  GONE_NAMES,
  hungarian,
  nameSegments,
  percentileRank,
  quantileGrid,
  SEGMENT_NAMES,
  type PopulationQuantiles,
  type SegmentProfile,
} from '../../../layers/core/src/mining/segments.js';
import { mulberry32 } from '../../../layers/core/src/random.js';

/** A population: recency 0-720 days, repeats (40% one-time buyers, the rest 1 + exponential, mean 6), AOV 10-200, tenure 0-1000. */
function population(): PopulationQuantiles {
  const u = mulberry32(1);
  const n = 5000;
  const rec: number[] = [];
  const freq: number[] = [];
  const aov: number[] = [];
  const ten: number[] = [];
  for (let i = 0; i < n; i++) {
    rec.push(u() * 720);
    freq.push(u() < 0.4 ? 0 : 1 + Math.floor(-Math.log(1 - u()) * 6));
    aov.push(10 + u() * 190);
    ten.push(u() * 1000);
  }
  return { recencyDays: quantileGrid(rec), frequency: quantileGrid(freq), monetary: quantileGrid(aov), tenureDays: quantileGrid(ten) };
}

const crafted: Record<string, SegmentProfile> = {
  champions: { recencyDays: 10, frequency: 35, monetary: 180, tenureDays: 700 },
  lost: { recencyDays: 650, frequency: 0, monetary: 30, tenureDays: 680 },
  newcomers: { recencyDays: 5, frequency: 0, monetary: 90, tenureDays: 5 },
  cantLose: { recencyDays: 500, frequency: 35, monetary: 190, tenureDays: 950 },
  hibernating: { recencyDays: 380, frequency: 1, monetary: 50, tenureDays: 500 },
  potential: { recencyDays: 40, frequency: 12, monetary: 100, tenureDays: 250 },
};

describe('segment naming', () => {
  const pop = population();

  it('names crafted centroids after their RFM profile', () => {
    const keys = Object.keys(crafted);
    const names = nameSegments(
      keys.map((k) => crafted[k]!),
      pop,
    );
    expect(Object.fromEntries(keys.map((k, i) => [k, names[i]]))).toEqual({
      champions: 'Champions',
      lost: 'Lost',
      newcomers: 'New',
      cantLose: "Can't lose them",
      hibernating: 'Hibernating',
      potential: 'Potential loyalists',
    });
  });

  it('uses every name at most once, and disambiguates beyond eight clusters', () => {
    const u = mulberry32(2);
    const profiles = Array.from({ length: 10 }, () => ({
      recencyDays: u() * 720,
      frequency: u() * 40,
      monetary: 10 + u() * 190,
      tenureDays: u() * 1000,
    }));
    const eight = nameSegments(profiles.slice(0, 8), pop);
    expect(new Set(eight)).toEqual(new Set(SEGMENT_NAMES));
    const ten = nameSegments(profiles, pop);
    expect(new Set(ten).size).toBe(10);
    expect(ten.filter((n) => n.includes('(higher value)')).length).toBe(2);
  });

  it('works without amounts', () => {
    const names = nameSegments(
      [
        { recencyDays: 10, frequency: 35, tenureDays: 700 },
        { recencyDays: 650, frequency: 0, tenureDays: 680 },
        { recencyDays: 5, frequency: 0, tenureDays: 5 },
      ],
      { ...pop, monetary: undefined },
    );
    expect(names).toEqual(['Champions', 'Lost', 'New']);
  });
});

describe('names never contradict the numbers', () => {
  const pop = population();
  const base = (name: string) => name.replace(/ \(.*\)$/, '');
  const isGone = (name: string) => (GONE_NAMES as readonly string[]).includes(base(name));
  const isActive = (name: string) => (ACTIVE_NAMES as readonly string[]).includes(base(name));
  const profile = fc.record({
    recencyDays: fc.double({ min: 0, max: 900, noNaN: true }),
    frequency: fc.double({ min: 0, max: 60, noNaN: true }),
    monetary: fc.double({ min: 1, max: 400, noNaN: true }),
    tenureDays: fc.double({ min: 0, max: 1200, noNaN: true }),
    pAlive: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  });

  it('a gone or quiet segment has been away longer than, is less likely alive than, and (Hibernating, Lost) buys no more often than every Champions / Loyal / Potential loyalists one', () => {
    fc.assert(
      fc.property(fc.array(profile, { minLength: 1, maxLength: 12 }), fc.boolean(), (profiles, withAmounts) => {
        const ps = withAmounts ? profiles : profiles.map(({ monetary: _, ...p }) => p);
        const names = nameSegments(ps, withAmounts ? pop : { ...pop, monetary: undefined });
        expect(names).toHaveLength(ps.length);
        expect(new Set(names).size).toBe(ps.length);
        ps.forEach((g, i) => {
          if (!isGone(names[i]!)) return;
          ps.forEach((a, j) => {
            if (!isActive(names[j]!)) return;
            expect(g.recencyDays).toBeGreaterThan(a.recencyDays);
            if (/^(Hibernating|Lost)/.test(names[i]!)) expect(g.frequency).toBeLessThanOrEqual(a.frequency);
            if (g.pAlive !== undefined && a.pAlive !== undefined) expect(g.pAlive).toBeLessThan(a.pAlive);
          });
        });
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('repairs a naming the prototypes alone would get wrong', () => {
    // The plain minimum-cost assignment names these Champions, Potential loyalists, Hibernating,
    // At risk: the "Hibernating" cluster buys three times as often as the "Potential loyalists".
    const profiles: SegmentProfile[] = [
      { recencyDays: 41, frequency: 18, monetary: 173, tenureDays: 964 },
      { recencyDays: 313, frequency: 2, monetary: 142, tenureDays: 574 },
      { recencyDays: 553, frequency: 6, monetary: 123, tenureDays: 371 },
      { recencyDays: 429, frequency: 17, monetary: 82, tenureDays: 155 },
    ];
    expect(nameSegments(profiles, pop)).toEqual(['Champions', 'Hibernating', 'Lost', 'At risk']);
  });
});

describe('percentileRank', () => {
  it('uses the mid-rank for values shared by many customers', () => {
    const grid = quantileGrid([0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]);
    expect(percentileRank(grid, 0)).toBeCloseTo(0.25, 1);
    expect(percentileRank(grid, 5)).toBe(1);
    expect(percentileRank(grid, -1)).toBe(0);
  });
});

describe('hungarian', () => {
  it('finds the minimum-cost assignment', () => {
    // greedy row by row gives 1 + 3 + 8 = 12; the optimum is 2 + 3 + 4 = 9
    expect(
      hungarian([
        [1, 2, 9],
        [2, 7, 3],
        [4, 8, 9],
      ]),
    ).toEqual([1, 2, 0]);
  });
});

describe('qualifySegmentName', () => {
  it('adds the behaviour a cluster stands out on, after the RFM name', () => {
    expect(qualifySegmentName('At risk', { discountedShare: 0.48, complaintsToDate: 0.1 })).toBe('At risk · deal seekers');
    expect(qualifySegmentName('Lost', { discountedShare: 0.31, complaintsToDate: 1.4 })).toBe('Lost · deal seekers, complaints');
    expect(qualifySegmentName('Champions', { discountedShare: 0.05, complaintsToDate: 0.2 })).toBe('Champions');
    // Data without these columns (CDNOW, Groceries) keeps the plain names.
    expect(qualifySegmentName('Loyal', { frequency: 3 })).toBe('Loyal');
  });
});
