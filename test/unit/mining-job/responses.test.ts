import {
  countResponses,
  emptyShardResponses,
  offerCells,
  poolResponses,
  responseStatsOf,
} from '../../../layers/core/src/mining-job/responses.js';
import { assignmentSk, customerPk, offerSk } from '../../../layers/core/src/store/keys.js';

const asOf = Date.parse('2026-06-01T00:00:00Z');
const offer = (
  id: string,
  status: string,
  attributionEndsAt: string,
  targeting: Record<string, string> = { flagType: 'churn-risk', segment: 'A' },
  kind = 'message',
) => ({
  pk: customerPk('c1'),
  sk: offerSk(id),
  kind,
  status,
  channel: 'email',
  attributionEndsAt,
  targeting,
});
const credit = (refundedMinor: number) => ({
  at: '2026-05-01',
  revenueMinor: 100,
  orderTotalMinor: 100,
  refundedMinor,
  currency: 'EUR',
  refunds: {},
});

describe('response counts of a shard', () => {
  it('counts offers to date (open ones as not yet answered, and pending), leaves withdrawn ones out', () => {
    const r = emptyShardResponses();
    for (const item of [
      offer('o1', 'converted', '2026-07-01T00:00:00Z'),
      offer('o2', 'accepted', '2026-07-01T00:00:00Z'),
      offer('o3', 'declined', '2026-07-01T00:00:00Z'),
      offer('o4', 'active', '2026-05-01T00:00:00Z'), // window closed: no response
      offer('o5', 'active', '2026-07-01T00:00:00Z'), // still open: pending
      offer('o6', 'withdrawn', '2026-05-01T00:00:00Z'),
      offer('o7', 'active', '2026-05-01T00:00:00Z', {}), // no targeting: flagType null
      offer('o8', 'active', '2026-05-01T00:00:00Z', undefined, 'fee'), // a fee is never a response
    ])
      countResponses(r, item, asOf);
    const cells = offerCells(r);
    expect(cells).toContainEqual({
      flagType: 'churn-risk',
      segment: 'A',
      channel: 'email',
      valueTier: null,
      offers: 5,
      responded: 2,
      pending: 1,
    });
    expect(cells).toContainEqual({ flagType: null, segment: null, channel: 'email', valueTier: null, offers: 1, responded: 0, pending: 0 });
    // The mining core learns only from offers that name a flag type.
    expect(responseStatsOf(r).offers).toEqual([{ flagType: 'churn-risk', segment: 'A', channel: 'email', offers: 5, responded: 2 }]);
  });

  it('counts campaign assignments by flag type, segment and group; a purchase refunded in full is no conversion', () => {
    const r = emptyShardResponses();
    const assignment = (group: string, conversions: Record<string, unknown>, flagType?: string) => ({
      pk: customerPk('c1'),
      sk: assignmentSk(`camp-${group}`),
      group,
      segment: 'A',
      conversions,
      ...(flagType ? { flagType } : {}),
    });
    countResponses(r, assignment('treatment', { 'generic:o1': credit(0) }, 'churn-risk'), asOf);
    countResponses(r, assignment('treatment', { 'generic:o2': credit(100) }, 'churn-risk'), asOf);
    countResponses(r, assignment('control', {}, 'churn-risk'), asOf);
    countResponses(r, assignment('control', { 'generic:o3': credit(0) }), asOf); // a campaign without a flag type teaches nothing
    const pooled = poolResponses([r, r]);
    expect(responseStatsOf(pooled).controlled).toEqual([
      { flagType: 'churn-risk', segment: 'A', group: 'treatment', customers: 4, converted: 2 },
      { flagType: 'churn-risk', segment: 'A', group: 'control', customers: 2, converted: 0 },
    ]);
  });
});
