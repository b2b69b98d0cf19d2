import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCsv } from '../../../cli/csv.js';
import { memoryIo } from '../../../cli/io.js';
import { main } from '../../../cli/patron.js';
import type { CustomerHistory, MiningOptions } from '../../../layers/core/src/mining/types.js';
import { fakeMine } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'patron-mine-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function run(argv: string[]) {
  const calls: { histories: CustomerHistory[]; options: MiningOptions }[] = [];
  const io = memoryIo();
  const code = await main(argv, io, { mine: fakeMine(calls) });
  return { code, out: io.out(), err: io.err(), calls };
}

describe('patron mine (with a stand-in pipeline)', () => {
  const cdnow = file(
    'cdnow.txt',
    ' 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00018 0002 19970102  2   26.73\n 00004 0001 19971002  1   14.96\n',
  );

  it('reads, applies --as-of, calls mine with the options and writes the five files', async () => {
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
      /^read: 4 rows \(cdnow-sample\), 2 customers, 3 purchase days, \d+ ms\nmine: k=2, 2 flags, \d+ ms\nwrite: 5 files in .*, \d+ ms\n$/,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^2 customers, 2 segments \(k=2\), 2 flags/);
    const [call] = r.calls;
    expect(call!.options).toMatchObject({ asOf: new Date('1997-09-30T00:00:00Z'), k: 3, seed: 7, unit: 'weeks' });
    expect(call!.histories.map((h) => [h.customerId, h.purchases.length])).toEqual([
      ['00004', 2],
      ['00018', 1],
    ]);
    for (const f of ['customers.csv', 'flags.csv', 'features.csv', 'summary.json', 'segments.svg'])
      expect(existsSync(path.join(out, f))).toBe(true);
    const customers = [...parseCsv(readFileSync(path.join(out, 'customers.csv'), 'utf8'))].map((x) => x.fields);
    expect(customers[0]!.join(',')).toBe('customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,churn_risk');
    expect(customers).toHaveLength(3);
    const flags = readFileSync(path.join(out, 'flags.csv'), 'utf8').trim().split('\n');
    expect(flags[0]).toBe('customer_id,type,score,suggestion,reasons');
    expect(flags).toHaveLength(1 + 2 * 2); // 2 cross-sell flags x 2 suggestions
    expect(flags[1]).toBe('00004,cross-sell,0.5,a,r1; r2');
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
});
