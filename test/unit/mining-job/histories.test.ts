import { decodeHistory, encodeHistory, historyFromItems, historyProblem } from '../../../layers/core/src/mining-job/histories.js';

const item = (type: string, occurredAt: string, source = 'generic', data: Record<string, unknown> = {}) => ({
  type,
  occurredAt,
  source,
  data,
});

describe('historyFromItems: prospect signals', () => {
  const items = [
    item('web_visit', '2026-03-02T10:00:00.000Z', 'generic', { url: 'https://shop.example.com/' }),
    item('consent_changed', '2026-03-01T09:00:00.000Z', 'zendesk', { channel: 'email', granted: true }),
    item('inquiry', '2026-03-05T12:00:00.000Z'),
    item('coupon_requested', '2026-03-06T12:00:00.000Z', 'generic', { code: 'WELCOME10' }),
    item('web_visit', '2026-03-07T12:00:00.000Z'),
    item('email_clicked', '2026-03-08T12:00:00.000Z'),
  ];

  it('maps web visits, inquiries and coupon requests to date lists, and sets firstSeen and its source', () => {
    const h = historyFromItems('c1', items);
    expect(h.visits).toEqual([new Date('2026-03-02T10:00:00.000Z'), new Date('2026-03-07T12:00:00.000Z')]);
    expect(h.inquiries).toEqual([new Date('2026-03-05T12:00:00.000Z')]);
    expect(h.couponRequests).toEqual([new Date('2026-03-06T12:00:00.000Z')]);
    expect(h.firstSeen).toEqual(new Date('2026-03-01T09:00:00.000Z'));
    expect(h.source).toBe('zendesk');
    expect(h.emailEvents).toEqual([{ date: new Date('2026-03-08T12:00:00.000Z'), kind: 'clicked' }]);
    expect(h.purchases).toEqual([]);
    expect(historyProblem(h)).toBeUndefined();
  });

  it('leaves firstSeen and source out without a dated touchpoint', () => {
    const h = historyFromItems('c2', []);
    expect(h.firstSeen).toBeUndefined();
    expect(h.source).toBeUndefined();
    expect(h.visits).toEqual([]);
  });

  it('survives the JSON-lines round trip through S3', () => {
    const h = historyFromItems('c1', items);
    const back = decodeHistory(JSON.parse(JSON.stringify(encodeHistory(h))));
    expect(back).toEqual(h);
    expect(back.visits![0]).toBeInstanceOf(Date);
    expect(back.firstSeen).toBeInstanceOf(Date);
  });

  it('reports a visit, inquiry or coupon request with an invalid date', () => {
    expect(historyProblem(historyFromItems('c3', [item('web_visit', 'not a date')]))).toBe('web visit with an invalid date');
    expect(historyProblem(historyFromItems('c3', [item('inquiry', 'nope')]))).toBe('inquiry with an invalid date');
    expect(historyProblem(historyFromItems('c3', [item('coupon_requested', 'nope')]))).toBe('coupon request with an invalid date');
    expect(historyProblem({ customerId: 'c4', purchases: [], firstSeen: new Date(Number.NaN) })).toBe('first-seen date is invalid');
  });
});

describe('historyFromItems: purchase discounts', () => {
  const purchase = (occurredAt: string, totalMinor: number, discountMinor?: number) =>
    item('purchase', occurredAt, 'shopify', {
      orderId: occurredAt,
      currency: 'EUR',
      totalMinor,
      ...(discountMinor === undefined ? {} : { discountMinor }),
      items: [{ sku: 'S1', category: 'coffee', quantity: 1, unitPriceMinor: totalMinor }],
    });

  it("sums the day's discounts into its purchase, and leaves discountMinor out of days without one", () => {
    const h = historyFromItems('c5', [
      purchase('2026-03-02T10:00:00.000Z', 1800, 200),
      purchase('2026-03-02T18:00:00.000Z', 900, 100),
      purchase('2026-03-02T19:00:00.000Z', 500), // same day, no discount field
      purchase('2026-03-09T10:00:00.000Z', 2000),
    ]);
    expect(h.purchases.map((p) => [p.amountMinor, p.discountMinor])).toEqual([
      [3200, 300],
      [2000, undefined],
    ]);
    expect('discountMinor' in h.purchases[1]!).toBe(false);
    expect(historyProblem(h)).toBeUndefined();
    expect(decodeHistory(JSON.parse(JSON.stringify(encodeHistory(h))))).toEqual(h);
  });

  it('reports a discount that is not a plausible number', () => {
    expect(historyProblem(historyFromItems('c6', [purchase('2026-03-02T10:00:00.000Z', 1000, Number.NaN)]))).toBe(
      'purchase discount NaN is not a plausible number',
    );
    expect(
      historyProblem({ customerId: 'c7', purchases: [{ date: new Date('2026-03-02T00:00:00Z'), discountMinor: 1e16, categories: {} }] }),
    ).toBe('purchase discount 10000000000000000 is not a plausible number');
  });
});
