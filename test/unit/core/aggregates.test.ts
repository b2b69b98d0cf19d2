import { applyTouchpoint, Touchpoint, UpdateBuilder, toCustomer360, type ProfileItem } from '@patron/core';

const customer = { email: 'ann@example.com' };
const purchase = Touchpoint.parse({
  type: 'purchase',
  occurredAt: '2026-01-02T10:00:00Z',
  customer,
  data: {
    orderId: 'o-1',
    currency: 'EUR',
    totalMinor: 2500,
    items: [
      { sku: 'COF-1', productId: 'p-coffee', category: 'coffee', quantity: 2, unitPriceMinor: 1000 },
      { sku: 'MUG-1', category: 'kitchen', quantity: 1, unitPriceMinor: 500 },
      { sku: 'COF-2', category: 'coffee', quantity: 1, unitPriceMinor: 0 },
    ],
  },
});

describe('applyTouchpoint', () => {
  it('adds a purchase to count, revenue per currency, units per category and owned products', () => {
    const u = applyTouchpoint(new UpdateBuilder(), purchase);
    const expr = u.expression();
    const values = Object.values(u.values);
    expect(expr).toMatch(/^SET .* ADD /);
    expect(Object.values(u.names)).toEqual(
      expect.arrayContaining(['purchaseCount', 'revenue', 'EUR', 'coffee', 'kitchen', 'ownedProducts']),
    );
    expect(values).toContain(2500);
    expect(values).toContain(3); // coffee units summed across two lines
    expect(values).toContainEqual(new Set(['p-coffee', 'COF-1', 'MUG-1', 'COF-2']));
  });

  it('never repeats a name placeholder for one attribute', () => {
    const u = applyTouchpoint(new UpdateBuilder(), purchase);
    const names = Object.values(u.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('records a solved ticket separately so arrival order cannot reopen it', () => {
    const solved = Touchpoint.parse({ type: 'ticket_solved', occurredAt: '2026-01-03T00:00:00Z', customer, data: { ticketId: 't-9' } });
    const u = applyTouchpoint(new UpdateBuilder(), solved);
    expect(Object.values(u.names)).toContain('solvedTicketIds');
    expect(Object.values(u.names)).not.toContain('openedTicketIds');
  });
});

describe('toCustomer360', () => {
  const profile: ProfileItem = {
    pk: 'CUST#c1',
    sk: 'PROFILE',
    customerId: 'c1',
    createdAt: '2026-01-01T00:00:00.000Z',
    typeCounts: { purchase: 2 },
    revenue: { EUR: 3001, USD: 1000 },
    refunded: {},
    categoryQuantities: { coffee: 3 },
    consent: { email: { granted: false, at: '2026-02-01T00:00:00.000Z', source: 'generic' } },
    purchaseCount: 2,
    ratingSum: 9,
    ratingCount: 2,
    openedTicketIds: new Set(['t1', 't2']),
    solvedTicketIds: new Set(['t1', 't3']),
    startedSubscriptions: new Set(['sub_1|prod_gold', 'sub_2|prod_tea']),
    cancelledSubscriptions: new Set(['sub_2']),
    ownedProducts: new Set(['p-coffee']),
  };

  it('derives open tickets as opened minus solved', () => {
    expect(toCustomer360(profile, {}).openTickets).toEqual(['t2']);
  });

  it('derives active subscriptions as started minus cancelled and counts them as owned', () => {
    const view = toCustomer360(profile, {});
    expect(view.activeSubscriptions).toEqual([{ subscriptionId: 'sub_1', productId: 'prod_gold' }]);
    expect(view.ownedProducts).toEqual(['p-coffee', 'prod_gold']);
  });

  it('computes average order value per currency and average satisfaction', () => {
    const view = toCustomer360(profile, { first: 'a', last: 'b' });
    expect(view.averageOrderValue).toEqual([
      { currency: 'EUR', amountMinor: 1501 },
      { currency: 'USD', amountMinor: 500 },
    ]);
    expect(view.averageSatisfaction).toBe(4.5);
    expect(view.consent).toEqual({ email: profile.consent.email, sms: null, phone: null });
    expect([view.firstSeen, view.lastSeen]).toEqual(['a', 'b']);
  });
});
