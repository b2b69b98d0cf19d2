import { applyTouchpoint, isProfileTooLarge, UpdateBuilder, type Touchpoint } from '@patron/core';

const purchase = {
  type: 'purchase',
  occurredAt: '2026-11-30T10:00:00Z',
  customer: { email: 'a@example.com' },
  data: {
    orderId: 'o1',
    currency: 'EUR',
    totalMinor: 500,
    items: [{ sku: 's1', productId: 'p1', category: 'tea', quantity: 2, unitPriceMinor: 250 }],
  },
} as Touchpoint;

describe('a profile at its size limit', () => {
  it('recognizes DynamoDB refusing to grow an item, alone or inside a cancelled transaction, and nothing else', () => {
    const reason = { Code: 'ValidationError', Message: 'Item size to update has exceeded the maximum allowed size' };
    expect(isProfileTooLarge({ name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, reason] })).toBe(true);
    expect(isProfileTooLarge({ name: 'ValidationException', message: 'Item size has exceeded the maximum allowed size' })).toBe(true);
    expect(isProfileTooLarge({ name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'ConditionalCheckFailed' }] })).toBe(
      false,
    );
    expect(isProfileTooLarge(new Error('boom'))).toBe(false);
  });

  it('still counts a capped purchase (count, revenue, type) but adds no product or category, and says it is capped', () => {
    const { expression, names } = (() => {
      const u = applyTouchpoint(new UpdateBuilder(), purchase, { capped: true });
      return { expression: u.expression(), names: Object.values(u.names) };
    })();
    expect(names).toEqual(expect.arrayContaining(['purchaseCount', 'revenue', 'typeCounts', 'aggregatesCapped']));
    expect(names).not.toContain('ownedProducts');
    expect(names).not.toContain('categoryQuantities');
    expect(expression).toMatch(/ADD/);
  });
});
