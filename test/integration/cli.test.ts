/**
 * The analyst CLI end to end, as a child process (the `patron` bin: cli/bin/patron.js, which runs
 * cli/patron.ts through tsx) on the real data sets in ../shared/datasets.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCsv } from '../../cli/csv.js';
import { summarizeCdnowText } from '../fixtures/cdnow.js';

const ROOT = process.cwd();
const BIN = path.join(ROOT, 'cli/bin/patron.js');
const CDNOW_SAMPLE = path.resolve(ROOT, '../shared/datasets/cdnow/CDNOW_sample.txt');
const GROCERIES = path.resolve(ROOT, '../shared/datasets/groceries/Groceries_dataset.csv');
const SAMPLE_RFM = path.join(ROOT, 'events/rfm/sample-rfm.csv');
const TIMEOUT = 90_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function patron(...args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const table = (text: string): string[][] => [...parseCsv(text)].map((r) => r.fields);

const tmp = mkdtempSync(path.join(tmpdir(), 'patron-cli-'));

/** Every reason_id in flags.csv resolves in rules.csv, and rules.csv counts the flags using it. */
function checkReasonIds(out: string): string[][] {
  const rules = table(readFileSync(path.join(out, 'rules.csv'), 'utf8'));
  expect(rules[0]).toEqual(['reason_id', 'customers', 'text']);
  const ids = new Set(rules.slice(1).map((x) => x[0]));
  expect(ids.size).toBe(rules.length - 1);
  const flags = table(readFileSync(path.join(out, 'flags.csv'), 'utf8')).slice(1);
  for (const f of flags) {
    expect(f).toHaveLength(6);
    for (const id of f[4]!.split(';').filter(Boolean)) expect(ids.has(id)).toBe(true);
    if (f[1] === 'reorder-due' || f[1] === 'moment') expect(f[5]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }
  return rules.slice(1);
}

describe('patron clv on the CDNOW sample (39-week calibration)', () => {
  const summaryFile = path.join(tmp, 'cdnow-summary.csv');
  const noMoneyFile = path.join(tmp, 'cdnow-summary-nomoney.csv');
  beforeAll(() => {
    const summary = summarizeCdnowText(readFileSync(CDNOW_SAMPLE, 'utf8'), CDNOW_SAMPLE);
    expect(summary).toHaveLength(2357);
    // columns after the id in a different order than the CLI's output, to check by-name matching
    writeFileSync(
      summaryFile,
      `customer_id,T,frequency,recency,monetary_value\n${summary.map((c) => [c.customerId, c.T, c.frequency, c.recency, c.monetary].join(',')).join('\n')}\n`,
    );
    writeFileSync(
      noMoneyFile,
      `id,frequency,recency,T\n${summary.map((c) => [c.customerId, c.frequency, c.recency, c.T].join(',')).join('\n')}\n`,
    );
  });

  it(
    'reproduces Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4',
    async () => {
      const r = await patron('clv', '--summary', summaryFile);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(['bgnbd', 'paretoNbd', 'mbgNbd', 'gammaGamma']);
      expect(Object.keys(out.bgnbd)).toEqual(['r', 'alpha', 'a', 'b', 'logLikelihood', 'iterations']);
      // each further model: its parameters, or the error it failed with
      expect(Object.keys(out.paretoNbd)).toEqual(
        out.paretoNbd.error ? ['error'] : ['r', 'alpha', 's', 'beta', 'logLikelihood', 'iterations'],
      );
      expect(Object.keys(out.mbgNbd)).toEqual(out.mbgNbd.error ? ['error'] : ['r', 'alpha', 'a', 'b', 'logLikelihood', 'iterations']);
      expect(Object.keys(out.gammaGamma)).toEqual(['p', 'q', 'v', 'logLikelihood']);
      expect(out.bgnbd.r).toBeCloseTo(0.243, 2);
      expect(out.bgnbd.alpha).toBeCloseTo(4.414, 2);
      expect(out.bgnbd.a).toBeCloseTo(0.793, 2);
      expect(out.bgnbd.b).toBeCloseTo(2.426, 2);
      expect(out.bgnbd.logLikelihood).toBeCloseTo(-9582.4, 1);
      // Gamma-Gamma on the 946 repeat buyers (lifetimes' CDNOW example: p=6.25, q=3.74, v=15.45)
      expect(out.gammaGamma.p).toBeCloseTo(6.25, 1);
      expect(out.gammaGamma.q).toBeCloseTo(3.74, 1);
      expect(out.gammaGamma.v).toBeCloseTo(15.44, 0);
      expect(r.ms).toBeLessThan(30_000);
    },
    TIMEOUT,
  );

  it(
    'forecasts per customer with --horizon/--out; gammaGamma is null without monetary_value',
    async () => {
      const out = path.join(tmp, 'forecast.csv');
      const r = await patron('clv', '--summary', noMoneyFile, '--horizon', '39', '--out', out);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).gammaGamma).toBeNull();
      const rows = table(readFileSync(out, 'utf8'));
      expect(rows[0]).toEqual(['id', 'p_alive', 'expected_purchases']);
      expect(rows).toHaveLength(2358);
      const expected = rows.slice(1).reduce((s, row) => s + Number(row[2]), 0);
      // Σ E[Y(39) | x, t_x, T] = 1,653.4 at the fitted parameters; 1,788 repeat purchases
      // actually happened in the 39-week holdout (weeks 40-78)
      expect(expected).toBeCloseTo(1653.4, 0);
      for (const row of rows.slice(1)) {
        const p = Number(row[1]);
        expect(p >= 0 && p <= 1).toBe(true);
      }
      // to stdout: CSV on stdout, parameters on stderr
      const s = await patron('clv', '--summary', summaryFile, '--horizon', '39');
      expect(s.code).toBe(0);
      expect(s.stdout.split('\n')[0]).toBe('customer_id,p_alive,expected_purchases,expected_spend,clv');
      expect(JSON.parse(s.stderr).bgnbd.r).toBeCloseTo(0.243, 2);
    },
    TIMEOUT,
  );

  it(
    'a bad summary line → exit 1 naming file and line, no stack trace',
    async () => {
      const bad = path.join(tmp, 'bad-summary.csv');
      const lines = readFileSync(summaryFile, 'utf8').split('\n');
      lines[1041] = lines[1041]!.replace(/^([^,]+),([^,]+),/, '$1,$2,two,');
      writeFileSync(bad, lines.join('\n'));
      const r = await patron('clv', '--summary', bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`patron: ${bad}:1042: frequency 'two' is not a number\n`);
    },
    TIMEOUT,
  );
});

describe('patron clv on events/rfm/sample-rfm.csv', () => {
  it(
    'fits the three purchase models and Gamma-Gamma (monetary column) and forecasts',
    async () => {
      const r = await patron('clv', '--summary', SAMPLE_RFM);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out)).toEqual(['bgnbd', 'paretoNbd', 'mbgNbd', 'gammaGamma']);
      for (const m of ['bgnbd', 'paretoNbd', 'mbgNbd']) expect(Number.isFinite(out[m].logLikelihood)).toBe(true);
      expect(out.gammaGamma.p).toBeGreaterThan(0);
      const f = await patron('clv', '--summary', SAMPLE_RFM, '--horizon', '26', '--margin', '0.3', '--horizon-months', '6');
      expect(f.code).toBe(0);
      const rows = table(f.stdout);
      expect(rows[0]).toEqual(['customer_id', 'p_alive', 'expected_purchases', 'expected_spend', 'clv']);
      expect(rows.length).toBeGreaterThanOrEqual(21);
    },
    TIMEOUT,
  );
});

describe('patron mine', () => {
  it(
    'CDNOW sample as of 1997-09-30: six files, exact headers, one row per customer, the chosen model',
    async () => {
      const out = path.join(tmp, 'mine-cdnow');
      const r = await patron('mine', '--format', 'cdnow', '--transactions', CDNOW_SAMPLE, '--as-of', '1997-09-30', '--out', out);
      expect(r.stderr).toMatch(/^read: 6,919 rows \(cdnow-sample\), 2,357 customers/);
      expect(r.code).toBe(0);
      for (const f of ['customers.csv', 'flags.csv', 'rules.csv', 'features.csv', 'summary.json', 'segments.svg'])
        expect(existsSync(path.join(out, f))).toBe(true);

      const customers = table(readFileSync(path.join(out, 'customers.csv'), 'utf8'));
      expect(customers[0]!.join(',')).toBe(
        'customer_id,segment,frequency,recency,T,monetary,p_alive,expected_purchases,clv,churn_risk,model,churn_probability,value_tier,lifecycle,next_purchase_date',
      );
      expect(customers).toHaveLength(1 + 2357);
      expect(new Set(customers.slice(1).map((c) => c[0])).size).toBe(2357);
      for (const c of customers.slice(1)) {
        const churn = Number(c[9]);
        expect(c[9] !== '' && churn >= 0 && churn <= 1).toBe(true);
        expect(['bgnbd', 'paretoNbd', 'mbgNbd', 'rule']).toContain(c[10]);
        const p = Number(c[11]);
        expect(c[11] !== '' && p >= 0 && p <= 1).toBe(true);
        expect(['most-valuable', 'potential', 'low-value']).toContain(c[12]);
        expect(['prospect', 'first-time', 'repeat', 'loyal', 'lapsing', 'lapsed']).toContain(c[13]);
        expect(c[14] === '' || /^\d{4}-\d{2}-\d{2}$/.test(c[14]!)).toBe(true);
      }

      const flags = table(readFileSync(path.join(out, 'flags.csv'), 'utf8'));
      expect(flags[0]!.join(',')).toBe('customer_id,type,score,suggestion,reason_ids,date');
      checkReasonIds(out);

      const features = table(readFileSync(path.join(out, 'features.csv'), 'utf8'));
      expect(features[0]![0]).toBe('customer_id');
      expect(features).toHaveLength(1 + 2357);

      const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
      expect(summary.asOf).toBe('1997-09-30');
      expect(summary.counts.customers).toBe(2357);
      expect(summary.segments.length).toBe(summary.k);
      expect(summary.segments.reduce((s: number, x: { size: number }) => s + x.size, 0)).toBe(2357);
      // the holdout chooses among the three purchase models; the chosen one's parameters are
      // under its name (the paper's BG/NBD parameters: `patron clv` above)
      expect(summary.modelChoice.candidates.map((c: { name: string }) => c.name).sort()).toEqual(['bgnbd', 'mbgNbd', 'paretoNbd']);
      expect(['bgnbd', 'paretoNbd', 'mbgNbd']).toContain(summary.models.chosen);
      expect(summary.models.chosen).toBe(summary.modelChoice.chosen);
      expect(Number.isFinite(summary.models[summary.models.chosen].logLikelihood)).toBe(true);
      if (summary.models.chosen === 'bgnbd') {
        const bg = summary.models.bgnbd;
        expect(bg.r).toBeCloseTo(0.243, 2);
        expect(bg.alpha).toBeCloseTo(4.414, 2);
        expect(bg.a).toBeCloseTo(0.793, 2);
        expect(bg.b).toBeCloseTo(2.426, 2);
      }
      expect(Object.keys(summary.timingsMs)).toEqual(expect.arrayContaining(['read', 'mine', 'write']));
      expect(Object.keys(summary)).toEqual(
        expect.arrayContaining(['models', 'modelChoice', 'churn', 'warnings', 'notes', 'kSelection', 'tiers', 'funnel']),
      );
      expect(summary.churn.horizonDays).toBe(90);
      // every warning of the run reached stderr
      for (const w of summary.warnings as string[]) expect(r.stderr).toContain(`warning: ${w}\n`);

      // mine's customers.csv is a valid `patron clv` summary (the monetary column)
      const clv = await patron('clv', '--summary', path.join(out, 'customers.csv'));
      expect(clv.code).toBe(0);
      const fitted = JSON.parse(clv.stdout);
      expect(Object.keys(fitted)).toEqual(['bgnbd', 'paretoNbd', 'mbgNbd', 'gammaGamma']);
      expect(fitted.gammaGamma).not.toBeNull();

      const svg = readFileSync(path.join(out, 'segments.svg'), 'utf8');
      expect((svg.match(/<circle class="segment"/g) ?? []).length).toBe(
        summary.segments.filter((s: { size: number }) => s.size > 0).length,
      );
      expect(r.ms).toBeLessThan(30_000);
    },
    TIMEOUT,
  );

  it(
    'Groceries: cross-sell rows, one per suggested category; shared reasons written once',
    async () => {
      const out = path.join(tmp, 'mine-groceries');
      const r = await patron('mine', '--format', 'groceries', '--transactions', GROCERIES, '--out', out, '--quiet');
      // --quiet: only the fit warnings
      for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^warning: /);
      expect(r.code).toBe(0);
      const rules = checkReasonIds(out);
      // cross-sell rule texts repeat across customers: some reason is shared by many flags
      expect(Math.max(...rules.map((x) => Number(x[1])))).toBeGreaterThan(10);
      const customers = table(readFileSync(path.join(out, 'customers.csv'), 'utf8'));
      expect(customers).toHaveLength(1 + 3898);
      expect(customers[1]![5]).toBe(''); // no amounts: no monetary
      const flags = table(readFileSync(path.join(out, 'flags.csv'), 'utf8'));
      const cross = flags.slice(1).filter((f) => f[1] === 'cross-sell');
      expect(cross.length).toBeGreaterThan(0);
      for (const f of cross) expect(f[3]).not.toBe('');
      expect(r.ms).toBeLessThan(30_000);
    },
    TIMEOUT,
  );

  it(
    'a bad transaction file → exit 1 with the line number',
    async () => {
      const bad = path.join(tmp, 'CDNOW_bad.txt');
      const lines = readFileSync(CDNOW_SAMPLE, 'utf8').split('\n');
      lines[1041] = lines[1041]!.replace(/ 1997(\d\d)(\d\d) /, ' 1997$1$2x ');
      writeFileSync(bad, lines.join('\n'));
      const r = await patron('mine', '--format', 'cdnow', '--transactions', bad, '--out', path.join(tmp, 'never'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^read: |^patron: /);
      expect(r.stderr).toMatch(/patron: .*CDNOW_bad\.txt:1042: date '1997\d{4}x' is not YYYYMMDD\n$/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(tmp, 'never'))).toBe(false);
    },
    TIMEOUT,
  );
});
