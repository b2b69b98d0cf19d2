import fc from 'fast-check';
import { compareFlags, mine, rankValueOf } from '../../../layers/core/src/mining/pipeline.js';
import {
  fitResponseModel,
  MIN_CONTROLLED,
  PRIOR_STRENGTH,
  responseEstimate,
  shrunk,
  type ResponseStats,
} from '../../../layers/core/src/mining/response.js';
import type { Flag } from '../../../layers/core/src/mining/types.js';
import { SYNTHETIC_TIERS, syntheticHistories } from '../../fixtures/synthetic.js';

describe('fitResponseModel', () => {
  it('has no estimate without answered offers or campaigns, so flags keep ranking by value', () => {
    expect(fitResponseModel({ offers: [], controlled: [] })).toBeUndefined();
  });

  it('shrinks a segment’s response rate toward its type’s, and the type’s toward all offers', () => {
    const model = fitResponseModel({
      offers: [
        { flagType: 'churn-risk', segment: 'A', offers: 3, responded: 3 },
        { flagType: 'churn-risk', segment: 'B', offers: 97, responded: 7 },
        { flagType: 'up-sell', segment: 'A', offers: 100, responded: 50 },
      ],
      controlled: [],
    })!;
    const overall = 60 / 200;
    const churnType = shrunk(10, 100, overall);
    expect(model.byType['churn-risk']!.type).toMatchObject({ source: 'response-rate', rate: churnType, fromType: true });
    const a = responseEstimate(model, 'churn-risk', 'A')!;
    // 3 of 3 is not 100%: three offers barely move the estimate off the type's rate.
    expect(a.rate).toBeCloseTo((churnType * PRIOR_STRENGTH + 3) / (PRIOR_STRENGTH + 3), 12);
    expect(a.rate).toBeLessThan(0.5);
    expect(a.evidence).toEqual({ offers: 3, responded: 3 });
    // A segment the offers never named gets its type's estimate.
    expect(responseEstimate(model, 'churn-risk', 'Unseen')).toMatchObject({ fromType: true, rate: churnType });
    expect(responseEstimate(model, 'prospect', 'A')).toBeUndefined();
  });

  it('uses the uplift against control groups once both groups are big enough, for every segment of the type', () => {
    const below: ResponseStats = {
      offers: [{ flagType: 'churn-risk', segment: 'A', offers: 100, responded: 40 }],
      controlled: [
        { flagType: 'churn-risk', segment: 'A', group: 'treatment', customers: MIN_CONTROLLED - 1, converted: 10 },
        { flagType: 'churn-risk', segment: 'A', group: 'control', customers: MIN_CONTROLLED, converted: 10 },
      ],
    };
    expect(fitResponseModel(below)!.byType['churn-risk']!.type.source).toBe('response-rate');

    const enough: ResponseStats = {
      offers: below.offers,
      controlled: [
        // A responds a lot, but buys as much without the offer: no uplift, whatever its response rate.
        { flagType: 'churn-risk', segment: 'A', group: 'treatment', customers: 200, converted: 80 },
        { flagType: 'churn-risk', segment: 'A', group: 'control', customers: 200, converted: 84 },
        { flagType: 'churn-risk', segment: 'B', group: 'treatment', customers: 200, converted: 60 },
        { flagType: 'churn-risk', segment: 'B', group: 'control', customers: 200, converted: 20 },
      ],
    };
    const model = fitResponseModel(enough)!;
    const a = responseEstimate(model, 'churn-risk', 'A')!;
    const b = responseEstimate(model, 'churn-risk', 'B')!;
    expect(a.source).toBe('uplift');
    expect(a.rate).toBe(0); // floored: a negative uplift is no reason to act, and no reason to rank below zero value
    expect(b.rate).toBeCloseTo(shrunk(60, 200, 140 / 400) - shrunk(20, 200, 104 / 400), 12);
    expect(model.byType['churn-risk']!.type.rate).toBeCloseTo(140 / 400 - 104 / 400, 12);
  });

  it('keeps every shrunk rate between the observed rate and the prior (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.double({ min: 0, max: 1, noNaN: true }), (x, extra, prior) => {
        const n = x + extra;
        const r = shrunk(x, n, prior);
        const observed = n > 0 ? x / n : prior;
        expect(r).toBeGreaterThanOrEqual(Math.min(observed, prior) - 1e-12);
        expect(r).toBeLessThanOrEqual(Math.max(observed, prior) + 1e-12);
      }),
    );
  });
});

describe('targeting that learns: a synthetic world where one segment responds and another does not', () => {
  const asOf = new Date(Date.UTC(2026, 0, 1));
  const histories = syntheticHistories(1500, { seed: 11, asOf });
  const options = { asOf, seed: 3, productTiers: SYNTHETIC_TIERS, k: 6, flagBudget: { 'churn-risk': 0.05 } };
  const before = mine(histories, options);
  const segmentOf = new Map(before.customers.map((c) => [c.customerId, c.segment]));
  const churn = (flags: readonly Flag[]) => flags.filter((f) => f.type === 'churn-risk');
  // The two segments with the most churn-risk candidates: one answers offers, the other never does.
  const counts = new Map<string, number>();
  for (const f of churn(before.flags)) counts.set(segmentOf.get(f.customerId)!, (counts.get(segmentOf.get(f.customerId)!) ?? 0) + 1);
  const bySize = [...counts].sort((x, y) => y[1] - x[1]);
  const [responsive, deaf] = [bySize[0]![0], bySize[1]![0]];
  const responses: ResponseStats = {
    offers: [
      { flagType: 'churn-risk', segment: responsive, offers: 300, responded: 120 },
      { flagType: 'churn-risk', segment: deaf, offers: 300, responded: 3 },
    ],
    controlled: [],
  };
  const after = mine(histories, { ...options, responses });
  const share = (flags: readonly Flag[], segment: string) => churn(flags).filter((f) => segmentOf.get(f.customerId) === segment).length;

  it('ranks by value before any response, the same with only unanswered offers', () => {
    expect(churn(before.flags).every((f) => f.expectedIncrementalValueMinor === undefined)).toBe(true);
    const sorted = [...churn(before.flags)].sort(compareFlags);
    expect(sorted.map((f) => f.expectedValueMinor)).toEqual([...sorted.map((f) => f.expectedValueMinor)].sort((a, b) => b - a));
    const empty = mine(histories, { ...options, responses: { offers: [], controlled: [] } });
    expect(empty.flags).toEqual(before.flags);
  });

  it('after responses accrue, the responsive segment takes more of the budget and the deaf one less, and the reasons say why', () => {
    expect(churn(after.flags).length).toBe(churn(before.flags).length); // the same budget
    expect(share(after.flags, responsive)).toBeGreaterThan(share(before.flags, responsive));
    expect(share(after.flags, deaf)).toBeLessThan(share(before.flags, deaf));
    for (const f of churn(after.flags)) {
      expect(f.expectedIncrementalValueMinor).toBeLessThanOrEqual(f.expectedValueMinor);
      expect(f.reasons.at(-1)).toMatch(/expected incremental value \d+ .*of offers on churn-risk flags/);
    }
    const sorted = [...churn(after.flags)].sort(compareFlags);
    expect(sorted.map(rankValueOf)).toEqual([...sorted.map(rankValueOf)].sort((a, b) => b - a));
  });
});
