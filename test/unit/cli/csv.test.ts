import { csvField, csvRow, parseCsv, round, toCsv } from '../../../cli/csv.js';
import { LineError } from '../../../cli/errors.js';

describe('CSV writing', () => {
  it('quotes only when needed and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(1.5)).toBe('1.5');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });

  it('writes rows with LF endings', () => {
    expect(csvRow(['a', 1, 'x,y'])).toBe('a,1,"x,y"\n');
    expect(toCsv(['h1', 'h2'], [['1', '2']])).toBe('h1,h2\n1,2\n');
  });

  it('round-trips through the parser', () => {
    const rows = [
      ['id', 'text'],
      ['1', 'comma, "quote"'],
      ['2', 'multi\nline'],
      ['3', ''],
    ];
    const parsed = [...parseCsv(rows.map((r) => csvRow(r)).join(''))].map((r) => r.fields);
    expect(parsed).toEqual(rows);
  });

  it('rounds without -0 or float noise', () => {
    expect(round(0.1 + 0.2, 4)).toBe(0.3);
    expect(round(-0.00001, 2)).toBe(0);
    expect(Object.is(round(-0.00001, 2), 0)).toBe(true);
  });
});

describe('CSV reading', () => {
  it('reports the line each record starts on, skipping blank lines, CRLF and BOM', () => {
    const text = '\ufeffa,b\r\n\r\n1,"x\r\ny"\r\n2,z\n';
    const recs = [...parseCsv(text)];
    expect(recs.map((r) => r.line)).toEqual([1, 3, 5]);
    expect(recs[1]!.fields).toEqual(['1', 'x\r\ny']);
    expect(recs[0]!.fields).toEqual(['a', 'b']);
  });

  it('keeps empty trailing fields', () => {
    expect([...parseCsv('a,\n')][0]!.fields).toEqual(['a', '']);
    expect([...parseCsv('a,')][0]!.fields).toEqual(['a', '']);
  });

  it('throws LineError on an unterminated quote and on junk after a closing quote', () => {
    const lineError = (text: string): LineError => {
      try {
        [...parseCsv(text)];
      } catch (err) {
        if (err instanceof LineError) return err;
        throw err;
      }
      throw new Error('expected a LineError');
    };
    expect(lineError('a\nb\n"x"y,1\n')).toMatchObject({ line: 3, detail: expect.stringMatching(/after a closing quote/) });
    expect(lineError('h\n1\n"never closed\nmore\n')).toMatchObject({ line: 3, detail: expect.stringMatching(/unterminated/) });
  });
});
