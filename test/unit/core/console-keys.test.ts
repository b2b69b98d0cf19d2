import fc from 'fast-check';
import * as schema from '../../../layers/core/src/store/keys.js';

const any = fc.string({ unit: 'binary' });
const instant = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

describe('table schema: the browse, runs and source keys', () => {
  it('builders and parsers invert each other', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e15 }), any, (clvMinor, customerId) => {
        expect(schema.parseCustomersIndexSk(schema.customersIndexSk(clvMinor, customerId))).toEqual({ clvMinor, customerId });
      }),
    );
    fc.assert(fc.property(any, (runId) => schema.parseCustomersIndexPk(schema.customersIndexPk(runId)) === runId));
    fc.assert(fc.property(any, (source) => schema.parseSourcePk(schema.sourcePk(source)) === source));
    fc.assert(
      fc.property(instant, any, (createdAt, runId) => {
        expect(schema.parseRunsIndexSk(schema.runsIndexSk(createdAt, runId))).toEqual({ createdAt, runId });
      }),
    );
  });

  it('the browse key sorts by CLV numerically, negative and non-finite as 0, huge capped', () => {
    const keys = [500, 12, 100_000, 12].map((clv, i) => schema.customersIndexSk(clv, `c${i}`)).sort();
    expect(keys.map((k) => schema.parseCustomersIndexSk(k)!.customerId)).toEqual(['c1', 'c3', 'c0', 'c2']);
    expect(schema.parseCustomersIndexSk(schema.customersIndexSk(-5, 'x'))!.clvMinor).toBe(0);
    expect(schema.parseCustomersIndexSk(schema.customersIndexSk(Number.NaN, 'x'))!.clvMinor).toBe(0);
    expect(schema.parseCustomersIndexSk(schema.customersIndexSk(1e30, 'x'))!.clvMinor).toBe(1e16 - 1);
  });

  it('hour buckets sort in time order and stay below their end key', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        const [x, y] = [schema.sourceHourSk(a), schema.sourceHourSk(b)];
        if (a.slice(0, 13) < b.slice(0, 13)) expect(x < y).toBe(true);
        expect(x < schema.SOURCE_HOURS_END_SK).toBe(true);
        expect(schema.parseSourceHourSk(x)).toBe(`${a.slice(0, 13)}:00:00.000Z`);
      }),
    );
  });

  it('stored format (changing any of these needs a data migration)', () => {
    expect([
      schema.customersIndexPk('01RUN'),
      schema.customersIndexSk(1200, 'c1'),
      schema.RUNS_INDEX_PK,
      schema.runsIndexSk('2026-01-02T12:00:00+02:00', '01RUN'),
      schema.sourcePk('shopify'),
      schema.sourceHourSk('2026-01-02T10:59:59.999Z'),
      schema.SOURCE_LAST_SK,
    ]).toEqual([
      'CUSTOMERS#01RUN',
      '0000000000001200#c1',
      'MINING_RUNS',
      '2026-01-02T10:00:00.000Z#01RUN',
      'SOURCE#shopify',
      'HOUR#2026-01-02T10',
      'LAST_DELIVERY',
    ]);
  });
});
