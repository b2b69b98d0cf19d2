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
