/**
 * The console's pure parts: its catalogs cover every word the API can send and every key the code
 * asks for, translations keep their placeholders, the CSV export round-trips and cannot smuggle a
 * formula, the PKCE challenge matches RFC 7636's own vector. (The pages are tested in a real browser:
 * test/browser/.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { codeChallenge } from '../../../console/src/pkce.js';
import { csvField, flagsCsv } from '../../../console/src/csv.js';
import { en } from '../../../console/src/messages/en.js';
import { fa } from '../../../console/src/messages/fa.js';
import { ru } from '../../../console/src/messages/ru.js';
import { CAMPAIGN_STATUSES } from '../../../layers/core/src/campaigns/schema.js';
import { MiningRunView } from '../../../layers/core/src/flags/flag-service.js';
import { Decision, OFFER_STATUSES, Severity } from '../../../layers/core/src/offers/schema.js';
import { TOUCHPOINT_TYPES } from '../../../layers/core/src/touchpoint.js';
import {
  CONSENT_CHANNELS,
  FLAG_TYPES,
  LIFECYCLE_STAGES,
  OFFER_CHANNELS,
  OFFER_KINDS,
  VALUE_TIERS,
} from '../../../layers/core/src/vocabulary.js';

const SRC = join(process.cwd(), 'console', 'src');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [readFileSync(join(dir, e.name), 'utf8')] : [],
  );

describe('console catalogs', () => {
  const vocabularies: [string, readonly string[]][] = [
    ['tier', VALUE_TIERS],
    ['stage', LIFECYCLE_STAGES],
    ['flag', FLAG_TYPES],
    ['kind', OFFER_KINDS],
    ['channel', [...OFFER_CHANNELS, ...CONSENT_CHANNELS]],
    ['status', OFFER_STATUSES],
    ['tp', TOUCHPOINT_TYPES],
    ['phase', MiningRunView.shape.phase.options],
    ['campaignStatus', CAMPAIGN_STATUSES],
    ['severity', Severity.options],
    ['decision', Decision.options],
  ];

  it.each(vocabularies)('names every %s the API can send', (prefix, values) => {
    expect(values.filter((v) => !(`${prefix}.${v}` in en))).toEqual([]);
  });

  it('has every key the code asks for by name', () => {
    const keys = new Set<string>();
    for (const text of sources(SRC)) for (const m of text.matchAll(/\bt\('([a-zA-Z][\w.-]*)'/g)) keys.add(m[1]!);
    expect(keys.size).toBeGreaterThan(100);
    expect([...keys].filter((k) => !(k in en))).toEqual([]);
  });

  it.each([
    ['fa', fa],
    ['ru', ru],
  ] as const)('%s keeps every placeholder of the English message, and adds none', (_lang, catalog) => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const mismatched = Object.entries(en).filter(
      ([key, text]) => placeholders(catalog[key as keyof typeof en]).join() !== placeholders(text).join(),
    );
    expect(mismatched.map(([key]) => key)).toEqual([]);
  });

  it('Persian and Russian are translations, not copies of the English', () => {
    // Some words stay the same everywhere (SMS, CLV, p-value): at most a handful may be equal.
    const same = (catalog: Record<string, string>) => Object.keys(en).filter((k) => catalog[k] === en[k as keyof typeof en]);
    expect(same(fa).length).toBeLessThan(5);
    expect(same(ru).length).toBeLessThan(5);
  });
});

/** A strict RFC 4180 reader, to read the export back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('flags CSV export', () => {
  it('reads back as the same fields, whatever the text (RFC 4180)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { minLength: 1, maxLength: 8 }), (fields) => {
        const [row] = parseCsv(`${fields.map(csvField).join(',')}\r\n`);
        const unguarded = row!.map((f, i) => (f === `'${fields[i]}` ? fields[i] : f));
        expect(unguarded).toEqual(fields);
      }),
    );
  });

  it('keeps text that a spreadsheet would run as a formula as text, and numbers as numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    // Spreadsheets skip leading blanks and line breaks before reading a formula.
    expect(csvField(' =1+1')).toBe("' =1+1");
    expect(csvField('\u00a0=1+1')).toBe("'\u00a0=1+1");
    expect(csvField('\n=1+1')).toBe('"\'\n=1+1"');
    expect(csvField(-12.5)).toBe('-12.5');
  });

  it('writes a header and one line per flag', () => {
    const csv = flagsCsv([
      {
        customerId: 'C1',
        runId: 'R',
        type: 'churn-risk',
        score: 0.8,
        reasons: ['no purchase in 90 days', 'said "never again"'],
        expectedValueMinor: 1200,
        segment: 'Loyal',
      } as never,
    ]);
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual(['customerId', 'type', 'score', 'expectedValueMinor', 'segment', 'valueTier', 'lifecycle', 'reasons']);
    expect(rows[1]).toEqual(['C1', 'churn-risk', '0.8', '1200', 'Loyal', '', '', 'no purchase in 90 days; said "never again"']);
    expect(rows).toHaveLength(2);
  });
});

describe('PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
});
