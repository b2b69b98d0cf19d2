import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attempt, clvJson, DEFAULT_FORECAST_CLV, fitSummary, forecastCsv, type ForecastClv } from '../../../cli/clv.js';
import { parseCsv } from '../../../cli/csv.js';
import { memoryIo } from '../../../cli/io.js';
import { main } from '../../../cli/patron.js';
import {
  conditionalExpectedAverageSpend,
  conditionalExpectedPurchases,
  customerLifetimeValue,
  ModelFitError,
  pAlive,
} from '../../../layers/core/src/mining/clv/index.js';
import type { BgNbdFit, GammaGammaFit, ParetoNbdFit } from '../../../layers/core/src/mining/clv/index.js';

const table = (csv: string): string[][] => [...parseCsv(csv)].map((r) => r.fields);
const SAMPLE = path.join(process.cwd(), 'events/rfm/sample-rfm.csv');

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

const paretoNbd: ParetoNbdFit = {
  r: 0.55,
  alpha: 10.58,
  s: 0.61,
  beta: 11.67,
  logLikelihood: -9595,
  iterations: 20,
  converged: true,
  customers: 2,
  patterns: 2,
};
const ok = <T>(fit: T) => ({ ok: true as const, fit });

describe('patron clv output', () => {
  it('JSON has exactly the documented shape; a failed fit shows its error', () => {
    expect(
      clvJson({
        bgnbd: ok(bgnbd),
        paretoNbd: ok(paretoNbd),
        mbgNbd: { ok: false, error: 'mbg-nbd fit failed (diverged): a parameter ran off' },
        gammaGamma: ok(gammaGamma),
      }),
    ).toEqual({
      bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4, iterations: 10 },
      paretoNbd: { r: 0.55, alpha: 10.58, s: 0.61, beta: 11.67, logLikelihood: -9595, iterations: 20 },
      mbgNbd: { error: 'mbg-nbd fit failed (diverged): a parameter ran off' },
      gammaGamma: { p: 6.25, q: 3.74, v: 15.44, logLikelihood: -4055.9 },
    });
    expect(clvJson({ bgnbd: ok(bgnbd), paretoNbd: ok(paretoNbd), mbgNbd: ok(bgnbd), gammaGamma: null }).gammaGamma).toBeNull();
  });

  it('attempt() turns a thrown fit error into its message', () => {
    expect(attempt(() => 1)).toEqual({ ok: true, fit: 1 });
    expect(
      attempt(() => {
        throw new ModelFitError('pareto-nbd', 'diverged', 'ran off');
      }),
    ).toEqual({ ok: false, error: 'pareto-nbd fit failed (diverged): ran off' });
  });

  it('fitSummary fits all three purchase models and reports failures instead of throwing', () => {
    // nobody repeats: every purchase model's dropout is unidentified
    const once = Array.from({ length: 20 }, (_, i) => ({ customerId: `c${i}`, frequency: 0, recency: 0, T: 10 + i, line: i + 2 }));
    const fit = fitSummary(once, false, 0);
    for (const m of [fit.paretoNbd, fit.mbgNbd]) expect(m.ok).toBe(false);
    const json = clvJson(fit) as unknown as Record<string, { error?: string }>;
    expect(json.paretoNbd!.error).toMatch(/pareto-nbd fit failed/);
    expect(json.mbgNbd!.error).toMatch(/mbg-nbd fit failed/);
    expect(fit.gammaGamma).toBeNull();
  });

  it('forecast CSV: id,p_alive,expected_purchases[,expected_spend]', () => {
    const t = [...parseCsv(forecastCsv(rows, 'customer_id', { bgnbd, gammaGamma }, 39))].map((r) => r.fields);
    expect(t[0]).toEqual(['customer_id', 'p_alive', 'expected_purchases', 'expected_spend', 'clv']);
    const a = t[1]!.map(Number);
    expect(a[1]).toBeCloseTo(pAlive(bgnbd, 2, 30.43, 38.86), 6);
    const ea = conditionalExpectedPurchases(bgnbd, 39, 2, 30.43, 38.86);
    expect(a[2]).toBeCloseTo(ea, 6);
    expect(a[3]).toBeCloseTo(ea * conditionalExpectedAverageSpend(gammaGamma, 2, 22.35), 3);
    expect(a[4]).toBeCloseTo(
      customerLifetimeValue({
        bgnbd,
        gammaGamma,
        x: 2,
        t_x: 30.43,
        T: 38.86,
        monetary: 22.35,
        horizonPeriods: 12,
        periodsPerUnit: 12 / 52,
        margin: 1,
        discountRatePerPeriod: 0.01,
      }),
      3,
    );
    expect(t[2]![1]).toBe('1'); // x = 0: alive by construction
    // margin scales the clv column; a higher discount rate lowers it
    const clvAt = (over: Partial<ForecastClv>): number =>
      Number(table(forecastCsv(rows, 'id', { bgnbd, gammaGamma }, 39, { ...DEFAULT_FORECAST_CLV, ...over }))[1]![4]);
    expect(clvAt({ margin: 0.5 })).toBeCloseTo(a[4]! / 2, 3);
    expect(clvAt({ discountRatePerMonth: 0.1 })).toBeLessThan(a[4]!);
    expect(clvAt({ horizonMonths: 24 })).toBeGreaterThan(a[4]!);
    const noSpend = [...parseCsv(forecastCsv(rows, '', { bgnbd, gammaGamma: null }, 39))].map((r) => r.fields);
    expect(noSpend[0]).toEqual(['id', 'p_alive', 'expected_purchases']);
  });

  it('refuses expected_spend when q <= 1', () => {
    expect(() => forecastCsv(rows, 'id', { bgnbd, gammaGamma: { ...gammaGamma, q: 0.9 } }, 39)).toThrow(/q = 0.9 <= 1/);
  });
});

describe('patron clv command', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'patron-clv-'));
  async function run(argv: string[]) {
    const io = memoryIo();
    const code = await main(argv, io);
    return { code, out: io.out(), err: io.err() };
  }

  it('runs on events/rfm/sample-rfm.csv (the header mine writes: monetary) with all three models', async () => {
    expect(readFileSync(SAMPLE, 'utf8').split('\n')[0]).toBe('customer_id,frequency,recency,T,monetary');
    const r = await run(['clv', '--summary', SAMPLE]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(Object.keys(json)).toEqual(['bgnbd', 'paretoNbd', 'mbgNbd', 'gammaGamma']);
    expect(Object.keys(json.bgnbd)).toEqual(['r', 'alpha', 'a', 'b', 'logLikelihood', 'iterations']);
    expect(Object.keys(json.paretoNbd)).toEqual(['r', 'alpha', 's', 'beta', 'logLikelihood', 'iterations']);
    expect(Object.keys(json.mbgNbd)).toEqual(['r', 'alpha', 'a', 'b', 'logLikelihood', 'iterations']);
    expect(json.gammaGamma).not.toBeNull(); // the monetary column counts
    const f = await run([
      'clv',
      '--summary',
      SAMPLE,
      '--horizon',
      '26',
      '--margin',
      '0.3',
      '--discount-rate',
      '0.02',
      '--horizon-months',
      '6',
    ]);
    expect(f.code).toBe(0);
    const rows = table(f.out);
    expect(rows[0]).toEqual(['customer_id', 'p_alive', 'expected_purchases', 'expected_spend', 'clv']);
    for (const row of rows.slice(1)) expect(Number.isFinite(Number(row[4]))).toBe(true);
  });

  it("accepts mine's customers.csv with an all-empty monetary column (no amounts) as no monetary", async () => {
    const file = path.join(dir, 'customers.csv');
    const lines = readFileSync(SAMPLE, 'utf8').trim().split('\n').slice(1);
    writeFileSync(
      file,
      `customer_id,segment,frequency,recency,T,monetary,p_alive\n${lines.map((l) => l.replace(/^([^,]+),(.*),[^,]*$/, '$1,Seg,$2,,0.5')).join('\n')}\n`,
    );
    const r = await run(['clv', '--summary', file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).gammaGamma).toBeNull();
  });

  it.each([
    [['--horizon-months', '0'], '--horizon-months must be a whole number from 1 to 120'],
    [['--horizon-months', '121'], '--horizon-months must be a whole number from 1 to 120'],
    [['--margin', '0'], '--margin must be a number > 0 and <= 1'],
    [['--margin', '1.5'], '--margin must be a number > 0 and <= 1'],
    [['--discount-rate', '1'], '--discount-rate must be a number >= 0 and < 1'],
    [['--discount-rate=-0.1'], '--discount-rate must be a number >= 0 and < 1'],
    [['--unit', 'months'], '--unit must be one of weeks, days'],
  ])('%j → exit 2', async (flags, message) => {
    const r = await run(['clv', '--summary', SAMPLE, '--horizon', '10', ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`patron: ${message}`);
  });

  it('the clv settings need --horizon', async () => {
    const r = await run(['clv', '--summary', SAMPLE, '--margin', '0.5']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^patron: --margin needs --horizon/);
  });

  it('documents the options with their defaults', async () => {
    const r = await run(['clv', '--help']);
    expect(r.out).toContain('--horizon-months N');
    expect(r.out).toMatch(/--margin X .*\(default 1\)/);
    expect(r.out).toMatch(/--discount-rate X .*\(default 0\.01\)/);
    expect(r.out).toMatch(/\(default 12\)/);
  });
});
