import fc from 'fast-check';
import {
  assignmentGroup,
  HOLDOUT_KEY_LABEL,
  holdoutBucket,
  holdoutKey,
  holdoutKeyFromHasher,
} from '../../../layers/core/src/campaigns/assignment.js';
import { createPiiHasher } from '../../../layers/core/src/identity/pii-hasher.js';
import { cursorKeyFromHasher } from '../../../layers/core/src/http/cursor.js';

const hasher = createPiiHasher('test-pii-hash-key');
const key = holdoutKeyFromHasher(hasher);
const ids = Array.from({ length: 10_000 }, (_, i) => `cust_${i.toString(36).padStart(6, '0')}`);
const controlShare = (campaignId: string, holdoutPercent: number) =>
  (100 * ids.filter((id) => assignmentGroup(key, campaignId, id, holdoutPercent) === 'control').length) / ids.length;

describe('control-group assignment', () => {
  it('derives its key from the PII hash key, apart from the cursor key, once per hasher', () => {
    expect(HOLDOUT_KEY_LABEL).toBe('patron-holdout-v1');
    expect(key).toHaveLength(32);
    expect(key.equals(cursorKeyFromHasher(hasher))).toBe(false);
    expect(key.equals(holdoutKeyFromHasher(createPiiHasher('another-key')))).toBe(false);
    expect(holdoutKey(hasher)).toBe(holdoutKey(hasher));
    expect(holdoutKey(hasher).equals(key)).toBe(true);
  });

  it('maps every (campaign, customer) to a bucket in [0, 100), the same every time', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (campaignId, customerId) => {
        const b = holdoutBucket(key, campaignId, customerId);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(100);
        expect(holdoutBucket(key, campaignId, customerId)).toBe(b);
      }),
    );
  });

  it('gives the same inputs the same group (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.double({ min: 0, max: 50, noNaN: true }), (campaignId, customerId, percent) => {
        const group = assignmentGroup(key, campaignId, customerId, percent);
        expect(assignmentGroup(key, campaignId, customerId, percent)).toBe(group);
        expect(assignmentGroup(Buffer.from(key), campaignId, customerId, percent)).toBe(group);
        expect(group).toBe(holdoutBucket(key, campaignId, customerId) < percent ? 'control' : 'treatment');
      }),
    );
  });

  it('does not mistake (a, bc) for (ab, c)', () => {
    expect(holdoutBucket(key, 'a', 'bc')).not.toBe(holdoutBucket(key, 'ab', 'c'));
  });

  it.each([0, 10, 50])('holds out %i %% of 10,000 customers, within 1.5 points', (percent) => {
    for (const campaign of ['01CAMPAIGNA', '01CAMPAIGNB']) {
      expect(Math.abs(controlShare(campaign, percent) - percent)).toBeLessThanOrEqual(1.5);
    }
  });

  it('holds out nobody at 0 %', () => {
    expect(controlShare('01CAMPAIGNA', 0)).toBe(0);
    fc.assert(fc.property(fc.string(), fc.string(), (c, id) => void expect(assignmentGroup(key, c, id, 0)).toBe('treatment')));
  });

  it('holds out different customers in different campaigns', () => {
    const a = ids.filter((id) => assignmentGroup(key, 'c-a', id, 50) === 'control');
    const b = new Set(ids.filter((id) => assignmentGroup(key, 'c-b', id, 50) === 'control'));
    const both = a.filter((id) => b.has(id)).length;
    // Independent halves overlap in about a quarter of the customers.
    expect(Math.abs((100 * both) / ids.length - 25)).toBeLessThanOrEqual(1.5);
  });
});
