import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { editDistance } from '../../../cli/args.js';
import { memoryIo } from '../../../cli/io.js';
import { main } from '../../../cli/patron.js';

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('patron argument handling', () => {
  it('prints help with exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(...argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: patron <command>/);
      expect(r.err).toBe('');
    }
    expect((await run('clv', '--help')).out).toMatch(/^Usage: patron clv --summary FILE/);
    expect((await run('mine', '-h')).out).toMatch(/^Usage: patron mine --transactions FILE/);
    expect((await run('help', 'mine')).out).toMatch(/^Usage: patron mine/);
  });

  it('no command, unknown command → exit 2, message and usage on stderr', async () => {
    let r = await run();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^patron: missing command\n\nUsage: patron <command>/);
    r = await run('segment');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^patron: unknown command 'segment'\n\nUsage: patron <command>/);
    r = await run('--summary', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^patron: unknown option '--summary' \(options go after the command\)/);
  });

  it('unknown flags → exit 2 with a did-you-mean and the subcommand usage', async () => {
    let r = await run('clv', '--summry', 'x.csv');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^patron: unknown option '--summry' \(did you mean --summary\?\)\n\nUsage: patron clv/);
    r = await run('mine', '--transactions', 'x', '--out', 'o', '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^patron: unknown option '--bogus'\n\nUsage: patron mine/);
  });

  it('missing or malformed values → exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['clv'], /^patron: missing --summary\n/],
      [['clv', '--summary'], /^patron: Option '--summary <value>' argument missing\n/],
      [['clv', '--summary', 's.csv', '--horizon', 'soon'], /^patron: --horizon must be a number > 0 \(got 'soon'\)\n/],
      [['clv', '--summary', 's.csv', '--horizon=-1'], /^patron: --horizon must be a number > 0 \(got '-1'\)\n/],
      [['clv', '--summary', 's.csv', '--out', 'f.csv'], /^patron: --out needs --horizon/],
      [['clv', '--summary', 's.csv', '--penalizer=-1'], /^patron: --penalizer must be a number >= 0/],
      [['clv', 'extra'], /^patron: Unexpected argument 'extra'/],
      [['mine', '--out', 'o'], /^patron: missing --transactions\n/],
      [['mine', '--transactions', 't'], /^patron: missing --out\n/],
      [
        ['mine', '--transactions', 't', '--out', 'o', '--format', 'xlsx'],
        /^patron: --format must be one of cdnow, groceries, csv \(got 'xlsx'\)/,
      ],
      [
        ['mine', '--transactions', 't', '--out', 'o', '--as-of', '2024-02-30'],
        /^patron: --as-of must be a date YYYY-MM-DD \(got '2024-02-30'\)/,
      ],
      [['mine', '--transactions', 't', '--out', 'o', '--k', '1'], /^patron: --k must be a whole number >= 2 \(got '1'\)/],
      [['mine', '--transactions', 't', '--out', 'o', '--seed', '1.5'], /^patron: --seed must be a whole number >= 0/],
      [['mine', '--transactions', 't', '--out', 'o', '--unit', 'months'], /^patron: --unit must be one of weeks, days/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/\n\nUsage: patron /);
    }
  });

  it('unreadable and malformed files → exit 1, one line, no stack', async () => {
    let r = await run('clv', '--summary', '/nonexistent/summary.csv');
    expect(r.code).toBe(1);
    expect(r.err).toBe('patron: cannot read /nonexistent/summary.csv: no such file or directory\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'patron-args-'));
    const file = path.join(dir, 's.csv');
    writeFileSync(file, 'id,frequency,recency,T\n1,1,1,2\n2,x,1,2\n');
    r = await run('clv', '--summary', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`patron: ${file}:3: frequency 'x' is not a number\n`);
    r = await run('clv', '--summary', file, '--debug');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/InputError/); // the stack, only with --debug
  });

  it('reports model fit failures as exit 1 when no purchase model fits', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'patron-args-'));
    const file = path.join(dir, 's.csv');
    writeFileSync(file, 'id,frequency,recency,T\n1,0,0,2\n2,0,0,3\n');
    const r = await run('clv', '--summary', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^patron: no purchase model could be fitted: bg-nbd fit failed \(degenerate-input\): no customer made a repeat purchase/,
    );
    expect(r.err).toMatch(/pareto-nbd fit failed .*mbg-nbd fit failed/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('editDistance', () => {
    expect(editDistance('summry', 'summary')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
