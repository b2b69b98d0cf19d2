import { clvJson, forecastCsv } from '../../../cli/clv.js';
import { parseCsv } from '../../../cli/csv.js';
import { conditionalExpectedAverageSpend, conditionalExpectedPurchases, pAlive } from '../../../layers/core/src/mining/clv/index.js';
import type { BgNbdFit, GammaGammaFit } from '../../../layers/core/src/mining/clv/index.js';

const bgnbd: BgNbdFit = {
  r: 0.243,
  alpha: 4.414,
  a: 0.793,
  b: 2.426,
  logLikelihood: -9582.4,
  iterations: 10,
  converged: true,
  customers: 2,
  patterns: 2,
};
const gammaGamma: GammaGammaFit = { p: 6.25, q: 3.74, v: 15.44, logLikelihood: -4055.9, iterations: 10, converged: true, customers: 1 };
const rows = [
  { customerId: 'a', frequency: 2, recency: 30.43, T: 38.86, monetary: 22.35, line: 2 },
  { customerId: 'b', frequency: 0, recency: 0, T: 38.43, monetary: 0, line: 3 },
];

describe('patron clv output', () => {
  it('JSON has exactly the documented shape', () => {
    expect(clvJson({ bgnbd, gammaGamma })).toEqual({
      bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4, iterations: 10 },
      gammaGamma: { p: 6.25, q: 3.74, v: 15.44, logLikelihood: -4055.9 },
    });
    expect(clvJson({ bgnbd, gammaGamma: null }).gammaGamma).toBeNull();
  });

  it('forecast CSV: id,p_alive,expected_purchases[,expected_spend]', () => {
    const t = [...parseCsv(forecastCsv(rows, 'customer_id', { bgnbd, gammaGamma }, 39))].map((r) => r.fields);
    expect(t[0]).toEqual(['customer_id', 'p_alive', 'expected_purchases', 'expected_spend']);
    const a = t[1]!.map(Number);
    expect(a[1]).toBeCloseTo(pAlive(bgnbd, 2, 30.43, 38.86), 6);
    const ea = conditionalExpectedPurchases(bgnbd, 39, 2, 30.43, 38.86);
    expect(a[2]).toBeCloseTo(ea, 6);
    expect(a[3]).toBeCloseTo(ea * conditionalExpectedAverageSpend(gammaGamma, 2, 22.35), 3);
    expect(t[2]![1]).toBe('1'); // x = 0: alive by construction
    const noSpend = [...parseCsv(forecastCsv(rows, '', { bgnbd, gammaGamma: null }, 39))].map((r) => r.fields);
    expect(noSpend[0]).toEqual(['id', 'p_alive', 'expected_purchases']);
  });

  it('refuses expected_spend when q <= 1', () => {
    expect(() => forecastCsv(rows, 'id', { bgnbd, gammaGamma: { ...gammaGamma, q: 0.9 } }, 39)).toThrow(/q = 0.9 <= 1/);
  });
});
