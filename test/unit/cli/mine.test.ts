import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCsv } from '../../../cli/csv.js';
import { memoryIo } from '../../../cli/io.js';
import { main } from '../../../cli/patron.js';
import { MINING_DEFAULTS } from '../../../layers/core/src/mining/defaults.js';
import type { PipelineOptions } from '../../../layers/core/src/mining/pipeline.js';
import type { CustomerHistory, MiningResult } from '../../../layers/core/src/mining/types.js';
import { fakeMine } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'patron-mine-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function run(argv: string[], over: Partial<MiningResult> = {}) {
  const calls: { histories: CustomerHistory[]; options: PipelineOptions }[] = [];
  const io = memoryIo();
  const code = await main(argv, io, { mine: fakeMine(calls, over) });
  return { code, out: io.out(), err: io.err(), calls };
}

describe('patron mine (with a stand-in pipeline)', () => {
  const cdnow = file(
    'cdnow.txt',
    ' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00018 0002 19970102  2   26.73\n 00004 0001 19971002  1   14.96\n',
  );

  it('reads, applies --as-of, calls mine with the options and writes the six files', async () => {
    const out = path.join(dir, 'out-cdnow');
    const r = await run([
      'mine',
      '--transactions',
      cdnow,
      '--format',
      'cdnow',
      '--as-of',
      '1997-09-30',
      '--k',
      '3',
      '--seed',
      '7',
      '--out',
      out,
    ]);
    expect(r.err).toMatch(
      /^read: 4 rows \(cdnow-sample\), 2 customers, 3 purchase days, \d+ ms\nmine: k=2, 2 flags, \d+ ms\nwrite: 6 files in .*, \d+ ms\n$/,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^2 customers, 2 segments \(k=2\), 2 flags/);
    const [call] = r.calls;
    expect(call!.options).toMatchObject({
      asOf: new Date('1997-09-30T00:00:00Z'),
      k: 3,
      seed: 7,
      unit: 'weeks',
      churnHorizonDays: MINING_DEFAULTS.churn.horizonDays,
      clv: {
        horizonPeriods: MINING_DEFAULTS.clv.horizonPeriods,
        periodsPerUnit: MINING_DEFAULTS.clv.periodsPerUnit.weeks,
        margin: MINING_DEFAULTS.clv.margin,
        discountRatePerPeriod: MINING_DEFAULTS.clv.discountRatePerPeriod,
      },
      flagBudget: MINING_DEFAULTS.flagBudget,
    });
    expect(call!.histories.map((h) => [h.customerId, h.purchases.length])).toEqual([
      ['00004', 2],
      ['00018', 1],
    ]);
    for (const f of ['customers.csv', 'flags.csv', 'rules.csv', 'features.csv', 'summary.json', 'segments.svg'])
      expect(existsSync(path.join(out, f))).toBe(true);
    const customers = [...parseCsv(readFileSync(path.join(out, 'customers.csv'), 'utf8'))].map((x) => x.fields);
    expect(customers[0]!.join(',')).toBe(
      'customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,churn_risk,model,churn_probability,value_tier,lifecycle,next_purchase_date',
    );
    expect(customers).toHaveLength(3);
    const flags = readFileSync(path.join(out, 'flags.csv'), 'utf8').trim().split('\n');
    expect(flags[0]).toBe('customer_id,type,score,suggestion,reason_ids,date');
    expect(flags).toHaveLength(1 + 2 * 2); // 2 cross-sell flags x 2 suggestions
    expect(flags[1]).toBe('00004,cross-sell,0.5,a,R1;R2,');
    expect(readFileSync(path.join(out, 'rules.csv'), 'utf8')).toBe('reason_id,customers,text\nR1,2,r1\nR2,2,r2\n');
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ asOf: '1997-09-30', k: 2, input: { format: 'cdnow', layout: 'cdnow-sample' } });
    expect(summary.counts).toMatchObject({ rows: 4, rowsAfterAsOf: 1, purchaseDays: 3, customers: 2, flagRows: 4 });
    expect(Object.keys(summary.timingsMs)).toEqual(expect.arrayContaining(['read', 'mine', 'write', 'total', 'mine.all']));
    const svg = readFileSync(path.join(out, 'segments.svg'), 'utf8');
    expect((svg.match(/<circle class="segment"/g) ?? []).length).toBe(2);
  });

  it('defaults --as-of to the last transaction and sniffs the format', async () => {
    const r = await run(['mine', '--transactions', cdnow, '--out', path.join(dir, 'out-default'), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.calls[0]!.options.asOf).toEqual(new Date('1997-10-02T00:00:00Z'));
    expect(r.calls[0]!.options.k).toBeUndefined();
  });

  it('groceries: items become categories, money columns stay empty', async () => {
    const g = file(
      'g.csv',
      'Member_number,Date,itemDescription\n1,01-01-2015,milk\n1,01-01-2015,bread\n1,05-01-2015,milk\n2,02-01-2015,eggs\n',
    );
    const out = path.join(dir, 'out-g');
    const r = await run(['mine', '--transactions', g, '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.calls[0]!.histories[0]!.purchases[0]).toEqual({ date: new Date('2015-01-01T00:00:00Z'), categories: { milk: 1, bread: 1 } });
    const row = readFileSync(path.join(out, 'customers.csv'), 'utf8').split('\n')[1]!.split(',');
    expect(row[5]).toBe('');
    expect(row[8]).toBe('');
    expect(readFileSync(path.join(out, 'segments.svg'), 'utf8')).toContain('mean expected purchases');
  });

  it('a bad line → exit 1 with file and line, nothing written', async () => {
    const bad = file('bad.csv', 'customer_id,date,amount\na,2024-01-01,5\nb,2024-13-01,5\n');
    const out = path.join(dir, 'out-bad');
    const r = await run(['mine', '--transactions', bad, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`patron: ${bad}:3: date '2024-13-01' is not a calendar day\n`);
    expect(existsSync(out)).toBe(false);
    expect(r.calls).toHaveLength(0);
  });

  it('unknown format → exit 2; no purchases before --as-of → exit 1', async () => {
    const odd = file('odd.dat', 'a;b;c\n');
    let r = await run(['mine', '--transactions', odd, '--out', path.join(dir, 'o')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^patron: cannot tell the format of .*odd\.dat; pass --format cdnow\|groceries\|csv\n/);
    r = await run(['mine', '--transactions', cdnow, '--as-of', '1996-01-01', '--out', path.join(dir, 'o')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no purchases on or before 1996-01-01 \(first purchase 1997-01-01\)\n$/);
  });

  it('prints the result warnings to stderr, one line each, even with --quiet', async () => {
    const warnings = ['bgnbd: a at its bound (1e-8): dropout not identified', 'P(alive) follows the recency rule'];
    const out = path.join(dir, 'out-warn');
    let r = await run(['mine', '--transactions', cdnow, '--out', out, '--quiet'], { warnings });
    expect(r.code).toBe(0);
    expect(r.err).toBe(warnings.map((w) => `warning: ${w}\n`).join(''));
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).warnings).toEqual(warnings);
    r = await run(['mine', '--transactions', cdnow, '--out', out], { warnings });
    expect(r.err).toContain(`\nwarning: ${warnings[0]}\nwarning: ${warnings[1]}\n`);
  });

  it('passes --churn-horizon-days, --margin, --discount-rate, --horizon-months, --flag-share to the pipeline', async () => {
    const r = await run([
      'mine',
      '--transactions',
      cdnow,
      '--out',
      path.join(dir, 'out-opts'),
      '--quiet',
      '--unit',
      'days',
      '--churn-horizon-days',
      '30',
      '--margin',
      '0.25',
      '--discount-rate',
      '0',
      '--horizon-months',
      '24',
      '--flag-share',
      '0.05',
    ]);
    expect(r.code).toBe(0);
    const o = r.calls[0]!.options;
    expect(o.churnHorizonDays).toBe(30);
    expect(o.clv).toEqual({
      horizonPeriods: 24,
      periodsPerUnit: MINING_DEFAULTS.clv.periodsPerUnit.days,
      margin: 0.25,
      discountRatePerPeriod: 0,
    });
    expect(Object.keys(o.flagBudget!).sort()).toEqual(Object.keys(MINING_DEFAULTS.flagBudget).sort());
    for (const share of Object.values(o.flagBudget!)) expect(share).toBe(0.05);
    const summary = JSON.parse(readFileSync(path.join(dir, 'out-opts', 'summary.json'), 'utf8'));
    expect(summary.options).toMatchObject({
      churnHorizonDays: 30,
      flagShare: 0.05,
      clv: { horizonMonths: 24, margin: 0.25, discountRatePerMonth: 0 },
    });
  });

  it.each([
    [['--churn-horizon-days', '6'], '--churn-horizon-days must be a whole number from 7 to 730'],
    [['--churn-horizon-days', '731'], '--churn-horizon-days must be a whole number from 7 to 730'],
    [['--churn-horizon-days', '30.5'], '--churn-horizon-days must be a whole number from 7 to 730'],
    [['--margin', '0'], '--margin must be a number > 0 and <= 1'],
    [['--margin', '1.01'], '--margin must be a number > 0 and <= 1'],
    [['--discount-rate=-0.01'], '--discount-rate must be a number >= 0 and < 1'],
    [['--discount-rate', '1'], '--discount-rate must be a number >= 0 and < 1'],
    [['--horizon-months', '0'], '--horizon-months must be a whole number from 1 to 120'],
    [['--horizon-months', '121'], '--horizon-months must be a whole number from 1 to 120'],
    [['--flag-share', '0'], '--flag-share must be a number > 0 and <= 1'],
    [['--flag-share', '1.5'], '--flag-share must be a number > 0 and <= 1'],
    [['--flag-share', 'lots'], "--flag-share must be a number > 0 and <= 1 (got 'lots')"],
  ])('%j → exit 2 before reading', async (flags, message) => {
    const out = path.join(dir, 'out-never');
    const r = await run(['mine', '--transactions', cdnow, '--out', out, ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`patron: ${message}`);
    expect(r.calls).toHaveLength(0);
    expect(existsSync(out)).toBe(false);
  });

  it('documents the new options with their defaults and every file', async () => {
    const r = await run(['mine', '--help']);
    expect(r.out).toMatch(/--churn-horizon-days N[\s\S]*\(default 90\)/);
    expect(r.out).toMatch(/--margin X[\s\S]*\(default 1:/);
    expect(r.out).toContain('(default 0.01)');
    expect(r.out).toMatch(/--horizon-months N .*\(default 12\)/);
    expect(r.out).toMatch(/--flag-share X[\s\S]*\(default 0\.2\)/);
    for (const f of ['customers.csv', 'flags.csv', 'rules.csv', 'features.csv', 'summary.json', 'segments.svg']) expect(r.out).toContain(f);
  });
});
