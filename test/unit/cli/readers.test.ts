import { InputError } from '../../../cli/errors.js';
import { buildHistories, lastDate } from '../../../cli/histories.js';
import {
  readCdnow,
  readGroceries,
  readSummaryCsv,
  readTransactions,
  readTransactionsCsv,
  sniffFormat,
  type Format,
  type TxRow,
} from '../../../cli/readers.js';

const d = (s: string): Date => new Date(`${s}T00:00:00Z`);

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('CDNOW reader', () => {
  const master =
    ' customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n 00002 19970112  5   77.00\n';
  const sample = ' 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n\r\n 00018 0002 19970102  2   26.73\r\n';

  it('reads the master layout (with header) in minor units', () => {
    const r = readCdnow(master, 'CDNOW_master.txt');
    expect(r.layout).toBe('cdnow-master');
    expect(r.rows).toHaveLength(3);
    expect(r.rows[0]).toEqual({ customerId: '00001', date: d('1997-01-01'), amountMinor: 1177, line: 2 });
    expect(r.hasAmounts).toBe(true);
  });

  it('reads the master layout without a header', () => {
    expect(readCdnow(' 00001 19970101  1   11.77\n', 'm.txt').layout).toBe('cdnow-master');
  });

  it('detects the 5-column sample layout (CRLF, blank lines) and keys customers by the master id', () => {
    const r = readCdnow(sample, 'CDNOW_sample.txt');
    expect(r.layout).toBe('cdnow-sample');
    expect(r.rows.map((x) => [x.customerId, x.line, x.amountMinor])).toEqual([
      ['00004', 1, 2933],
      ['00004', 2, 2973],
      ['00018', 4, 2673],
    ]);
  });

  it('names the file and line of a bad date', () => {
    const bad = master.replace('19970112  5', '1997013  5');
    const e = inputError(() => readCdnow(bad, 'CDNOW_master.txt'));
    expect(e.message).toBe("CDNOW_master.txt:4: date '1997013' is not YYYYMMDD");
    expect(e.exitCode).toBe(1);
    expect(inputError(() => readCdnow(' 1 19970231 1 1.00\n', 'f')).message).toBe("f:1: date '19970231' is not a calendar day");
  });

  it('rejects wrong field counts, bad numbers and mixed layouts with the line', () => {
    expect(inputError(() => readCdnow('1 2 3\n', 'f')).message).toMatch(/^f:1: expected a CDNOW master line .* got 3 fields$/);
    expect(inputError(() => readCdnow(`${sample} 00019 19970102 1 2.00\n`, 'f')).message).toBe(
      'f:5: expected 5 fields (sample layout), got 4',
    );
    expect(inputError(() => readCdnow(' 1 19970101 x 1.00\n', 'f')).message).toBe("f:1: number_of_cds 'x' is not a whole number");
    expect(inputError(() => readCdnow(' 1 19970101 1 $1\n', 'f')).message).toBe("f:1: dollar_value '$1' is not a number");
    expect(inputError(() => readCdnow(' 1 19970101 1 -1\n', 'f')).message).toBe("f:1: dollar_value '-1' is negative");
    expect(inputError(() => readCdnow('\n\n', 'f')).message).toBe('f: no records (the file is empty)');
  });
});

describe('Groceries reader', () => {
  const text =
    'Member_number,Date,itemDescription\n1808,21-07-2015,tropical fruit\n1808,21-07-2015,whole milk\n2552,05-01-2015,"bottled beer, light"\n';

  it('reads items as categories, DD-MM-YYYY dates, no amounts', () => {
    const r = readGroceries(text, 'g.csv');
    expect(r.hasAmounts).toBe(false);
    expect(r.hasCategories).toBe(true);
    expect(r.rows[0]).toEqual({ customerId: '1808', date: d('2015-07-21'), categories: { 'tropical fruit': 1 }, line: 2 });
    expect(r.rows[2]!.categories).toEqual({ 'bottled beer, light': 1 });
    expect(r.rows[2]!.amountMinor).toBeUndefined();
  });

  it('points at bad lines', () => {
    expect(inputError(() => readGroceries(`${text}1,2015-01-01,milk\n`, 'g.csv')).message).toBe(
      "g.csv:5: date '2015-01-01' is not DD-MM-YYYY",
    );
    expect(inputError(() => readGroceries(`${text}1,31-02-2015,milk\n`, 'g.csv')).message).toBe(
      "g.csv:5: date '31-02-2015' is not a calendar day",
    );
    expect(inputError(() => readGroceries(`${text}1,01-02-2015\n`, 'g.csv')).message).toMatch(/^g\.csv:5: missing itemDescription/);
    expect(inputError(() => readGroceries('id,Date,item\n', 'g.csv')).message).toBe(
      'g.csv:1: header lacks columns member_number, itemdescription (expected Member_number,Date,itemDescription)',
    );
  });
});

describe('transactions CSV reader', () => {
  it('reads customer_id,date,amount[,category] by header name, amounts to minor units', () => {
    const r = readTransactionsCsv(
      'date,amount,customer_id,category,extra\n2024-01-02,12.34,a,shoes,x\n2024-01-03T10:00:00Z,0.1,b,,y\n2024-01-04,-5,a,shoes,z\n',
      't.csv',
    );
    expect(r.rows).toEqual([
      { customerId: 'a', date: d('2024-01-02'), amountMinor: 1234, categories: { shoes: 1 }, line: 2 },
      { customerId: 'b', date: d('2024-01-03'), amountMinor: 10, line: 3 },
      { customerId: 'a', date: d('2024-01-04'), amountMinor: -500, categories: { shoes: 1 }, line: 4 },
    ]);
    expect(r.hasCategories).toBe(true);
  });

  it('points at bad lines', () => {
    const head = 'customer_id,date,amount\n';
    expect(inputError(() => readTransactionsCsv(`${head}a,2024-01-02,1\nb,02/01/2024,1\n`, 't.csv')).message).toBe(
      "t.csv:3: date '02/01/2024' is not YYYY-MM-DD",
    );
    expect(inputError(() => readTransactionsCsv(`${head}a,2024-01-02,1e3\n`, 't.csv')).message).toBe(
      "t.csv:2: amount '1e3' is not a number",
    );
    expect(inputError(() => readTransactionsCsv(`${head},2024-01-02,1\n`, 't.csv')).message).toBe('t.csv:2: empty customer_id');
    expect(inputError(() => readTransactionsCsv('customer,date,amount\n', 't.csv')).message).toMatch(
      /^t\.csv:1: header lacks column customer_id/,
    );
  });
});

describe('format sniffing', () => {
  it.each<[string, string, Format | undefined]>([
    ['Member_number,Date,itemDescription\n', 'x.csv', 'groceries'],
    ['customer_id,date,amount\n', 'x.csv', 'csv'],
    [' customer_id  date number_of_cds  dollar_value\n', 'x.dat', 'cdnow'],
    [' 00004 0001 19970101  2   29.33\n', 'x.dat', 'cdnow'],
    ['whatever\n', 'x.txt', 'cdnow'],
    ['a,b,c\n', 'x.csv', undefined],
  ])('%j (%s) → %s', (text, file, format) => {
    expect(sniffFormat(text, file)).toBe(format);
  });

  it('dispatches on the format', () => {
    expect(readTransactions('cdnow', ' 1 19970101 1 1.00\n', 'f').rows).toHaveLength(1);
  });
});

describe('RFM summary reader (patron clv)', () => {
  it('matches columns by name after the id column; monetary_value optional', () => {
    const s = readSummaryCsv('cust,T,recency,frequency,monetary_value,note\n1,10,4,2,12.5,x\n2,8,0,0,0,y\n', 's.csv');
    expect(s.idColumn).toBe('cust');
    expect(s.hasMonetary).toBe(true);
    expect(s.rows).toEqual([
      { customerId: '1', frequency: 2, recency: 4, T: 10, monetary: 12.5, line: 2 },
      { customerId: '2', frequency: 0, recency: 0, T: 8, monetary: 0, line: 3 },
    ]);
    expect(readSummaryCsv('id,frequency,recency,T\n1,1,1,2\n', 's.csv').hasMonetary).toBe(false);
  });

  it("reads mine's customers.csv: a monetary column, empty on every row = no monetary", () => {
    const s = readSummaryCsv('customer_id,segment,frequency,recency,T,monetary,p_alive\n1,A,2,4,10,12.5,0.9\n2,B,0,0,8,0,0.5\n', 'c.csv');
    expect(s.hasMonetary).toBe(true);
    expect(s.rows.map((r) => r.monetary)).toEqual([12.5, 0]);
    const empty = readSummaryCsv('customer_id,segment,frequency,recency,T,monetary\n1,A,2,4,10,\n2,B,0,0,8,\n', 'c.csv');
    expect(empty.hasMonetary).toBe(false);
    expect(empty.rows[0]!.monetary).toBeUndefined();
    // monetary_value wins over monetary
    expect(readSummaryCsv('id,frequency,recency,T,monetary,monetary_value\n1,2,4,10,1,7\n', 'c.csv').rows[0]!.monetary).toBe(7);
  });

  it.each([
    ['id,frequency,recency,T\n1,1.5,1,2\n', 's.csv:2: frequency 1.5 is not a whole number >= 0'],
    ['id,frequency,recency,T\n1,1,3,2\n', 's.csv:2: recency 3 is greater than T 2'],
    ['id,frequency,recency,T\n1,0,1,2\n', 's.csv:2: recency 1 must be 0 when frequency is 0'],
    ['id,frequency,recency,T\n1,1,1,2\n2,1,abc,2\n', "s.csv:3: recency 'abc' is not a number"],
    ['id,frequency,recency,T\n1,1,1,2\n1,1,1,2\n', 's.csv:3: duplicate customer id 1 (first on line 2)'],
    ['id,frequency,recency,T,monetary_value\n1,1,1,2,-3\n', 's.csv:2: monetary_value -3 is negative'],
    ['id,frequency,recency,T,monetary\n1,1,1,2,-3\n', 's.csv:2: monetary -3 is negative'],
    [
      'id,frequency,recency,T,monetary\n1,1,1,2,5\n2,1,1,2,\n',
      's.csv:3: monetary is empty here but not on line 2 (fill it on every row or on none)',
    ],
    [
      'id,frequency,recency,T,monetary\n1,1,1,2,\n2,1,1,2,5\n',
      's.csv:2: monetary is empty here but not on line 3 (fill it on every row or on none)',
    ],
    ['id,frequency,recency\n1,1,1\n', 's.csv:1: header lacks column t (expected id,frequency,recency,T[,monetary_value|monetary])'],
    ['frequency,recency,T\n1,1,2\n', "s.csv:1: the first column must be the customer id, not 'frequency'"],
    ['id,frequency,recency,T\n', 's.csv: no customer rows after the header'],
    ['id,frequency,recency,T\n1,1\n', 's.csv:2: missing recency (expected at least 3 fields, got 2)'],
  ])('rejects %j', (text, message) => {
    expect(inputError(() => readSummaryCsv(text, 's.csv')).message).toBe(message);
  });
});

describe('histories', () => {
  const rows: TxRow[] = [
    { customerId: '10', date: d('2024-01-01'), amountMinor: 100, categories: { a: 1 }, line: 1 },
    { customerId: '10', date: d('2024-01-01'), amountMinor: 50, categories: { a: 2, b: 1 }, line: 2 },
    { customerId: '2', date: d('2024-01-05'), amountMinor: 70, line: 3 },
    { customerId: '10', date: d('2024-02-01'), amountMinor: -30, line: 4 },
    { customerId: '10', date: d('2024-03-01'), amountMinor: 10, line: 5 },
    { customerId: '3', date: d('2024-03-02'), amountMinor: 10, line: 6 },
    { customerId: '4', date: d('2024-01-02'), amountMinor: -10, line: 7 },
  ];

  it('merges same-day rows, splits refunds, applies as-of, sorts by id', () => {
    const { histories, stats } = buildHistories(rows, d('2024-02-15'));
    expect(histories.map((h) => h.customerId)).toEqual(['10', '2']);
    const h10 = histories[0]!;
    expect(h10.purchases).toEqual([{ date: d('2024-01-01'), amountMinor: 150, categories: { a: 3, b: 1 } }]);
    expect(h10.refunds).toEqual([{ date: d('2024-02-01'), amountMinor: 30 }]);
    expect(stats).toMatchObject({ rows: 7, rowsAfterAsOf: 2, refunds: 2, customers: 2, customersWithoutPurchases: 1, purchaseDays: 2 });
  });

  it('includes transactions on the as-of day itself; default as-of is the last date', () => {
    expect(lastDate(rows)).toEqual(d('2024-03-02'));
    const { histories } = buildHistories(rows, d('2024-03-02'));
    expect(histories.map((h) => h.customerId)).toEqual(['10', '2', '3']);
    expect(lastDate([])).toBeNull();
  });
});
