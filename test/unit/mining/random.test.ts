/**
 * The shared generators (layers/core/src/random.ts) keep the outputs their users had before they
 * were one module: seeds pin mining runs, the demo population and test figures.
 */
import { deriveSeed, hash31, hash32, lcg32, mulberry32, sampleIndices, sfc32 } from '../../../layers/core/src/random.js';
import { DAY_MS, DAY_S, HOUR_MS, MINUTE_MS, SECOND_MS, WEEK_MS } from '../../../layers/core/src/time.js';

const draws = (u: () => number, n: number) => Array.from({ length: n }, u);

describe('seeded generators', () => {
  it('mulberry32 and deriveSeed: the mining core stream', () => {
    expect(draws(mulberry32(42), 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(deriveSeed(42, 'k')).toBe(3289118412);
  });

  it('sfc32: the demo population stream (seeded by hash32, 15 draws discarded)', () => {
    expect(draws(sfc32(42, 'population'), 3)).toEqual([0.6960353348404169, 0.867475641425699, 0.5927329619880766]);
    expect(hash32('a:42:population')).toBe(2079349353);
    expect(hash32('label')).toBe(deriveSeed(0, 'label'));
  });

  it('lcg32(hash31(runId)): the mining job reservoir stream', () => {
    const runId = '01JDQ8Z6X4M3V9K2H7T5R1N0PB';
    expect(hash31(runId)).toBe(1374302206);
    expect(draws(lcg32(hash31(runId)), 4)).toEqual([0.3916105788666755, 0.8348560258746147, 0.962536915903911, 0.9960129302926362]);
    // Code points, first UTF-16 unit of each (as `[...id].reduce` did).
    expect(hash31('Zürich-😀')).toBe(953612543);
  });

  it('every generator stays in [0, 1)', () => {
    for (const u of [mulberry32(1), sfc32(1), lcg32(1)]) {
      for (const x of draws(u, 1000)) expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it('sampleIndices: m distinct sorted indices', () => {
    const idx = sampleIndices(1000, 50, mulberry32(3));
    expect(new Set(idx).size).toBe(50);
    expect([...idx]).toEqual([...idx].sort((a, b) => a - b));
    expect([...sampleIndices(5, 9, mulberry32(3))]).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('time constants', () => {
  it('are the durations they name', () => {
    expect([SECOND_MS, MINUTE_MS, HOUR_MS, DAY_MS, WEEK_MS, DAY_S]).toEqual([1000, 60_000, 3_600_000, 86_400_000, 604_800_000, 86_400]);
  });
});
