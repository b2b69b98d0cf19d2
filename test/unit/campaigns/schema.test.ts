import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  AssignmentRequest,
  BatchAssignmentRequest,
  CampaignCreate,
  CampaignStatusChange,
} from '../../../layers/core/src/campaigns/schema.js';
import { ValidationError } from '../../../layers/core/src/errors.js';
import { parseJsonBody } from '../../../layers/core/src/http/request.js';

const event = (body: unknown) => ({ body: JSON.stringify(body), isBase64Encoded: false }) as unknown as APIGatewayProxyEventV2;
const base = { name: 'Winback Q4', channel: 'email', startsAt: '2026-12-01' };

function issuePaths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(422);
    return (error as ValidationError).issues.map((i) => i.path);
  }
  throw new Error('expected a ValidationError');
}

describe('campaign bounds', () => {
  it('fills the defaults: 10 % held out, 30 attribution days', () => {
    expect(parseJsonBody(event(base), CampaignCreate)).toEqual({ ...base, holdoutPercent: 10, attributionDays: 30 });
  });

  it('refuses a holdout over 50 %, naming body.holdoutPercent (422)', () => {
    expect(issuePaths(() => parseJsonBody(event({ ...base, holdoutPercent: 51 }), CampaignCreate))).toEqual(['body.holdoutPercent']);
    expect(issuePaths(() => parseJsonBody(event({ ...base, holdoutPercent: -1 }), CampaignCreate))).toEqual(['body.holdoutPercent']);
    expect(parseJsonBody(event({ ...base, holdoutPercent: 0 }), CampaignCreate).holdoutPercent).toBe(0);
    // Magnitudes DynamoDB cannot store (below 1e-130) were a 500: now a 422 like any bad value.
    for (const tiny of [1e-200, 5e-324, 0.001])
      expect(issuePaths(() => parseJsonBody(event({ ...base, holdoutPercent: tiny }), CampaignCreate))).toEqual(['body.holdoutPercent']);
    expect(parseJsonBody(event({ ...base, holdoutPercent: 50 }), CampaignCreate).holdoutPercent).toBe(50);
  });

  it('bounds every field', () => {
    const bad = (over: Record<string, unknown>) => issuePaths(() => parseJsonBody(event({ ...base, ...over }), CampaignCreate));
    expect(bad({ attributionDays: 0 })).toEqual(['body.attributionDays']);
    expect(bad({ attributionDays: 366 })).toEqual(['body.attributionDays']);
    expect(bad({ attributionDays: 1.5 })).toEqual(['body.attributionDays']);
    expect(bad({ name: '' })).toEqual(['body.name']);
    expect(bad({ name: 'x'.repeat(201) })).toEqual(['body.name']);
    expect(bad({ segment: 'x'.repeat(201) })).toEqual(['body.segment']);
    expect(bad({ productId: 'x'.repeat(201) })).toEqual(['body.productId']);
    expect(bad({ productFamily: '' })).toEqual(['body.productFamily']);
    expect(bad({ flagType: 'vip' })).toEqual(['body.flagType']);
    expect(bad({ valueTier: 'gold' })).toEqual(['body.valueTier']);
    expect(bad({ channel: 'pigeon' })).toEqual(['body.channel']);
    expect(bad({ startsAt: 'soon' })).toEqual(['body.startsAt']);
    expect(bad({ endsAt: '2026-11-01' })).toEqual(['body.endsAt']);
    expect(bad({ status: 'active' })).toEqual(['body']);
    expect(issuePaths(() => parseJsonBody(event({ channel: 'email', startsAt: '2026-12-01' }), CampaignCreate))).toEqual(['body.name']);
  });

  it('bounds the assignment bodies and the status change', () => {
    expect(issuePaths(() => parseJsonBody(event({}), AssignmentRequest))).toEqual(['body.customerId']);
    expect(issuePaths(() => parseJsonBody(event({ email: 'no' }), AssignmentRequest))).toEqual(['body.email']);
    expect(issuePaths(() => parseJsonBody(event({ customerIds: [] }), BatchAssignmentRequest))).toEqual(['body.customerIds']);
    expect(issuePaths(() => parseJsonBody(event({ customerIds: Array(501).fill('c') }), BatchAssignmentRequest))).toEqual([
      'body.customerIds',
    ]);
    expect(parseJsonBody(event({ customerIds: Array(500).fill('c') }), BatchAssignmentRequest).customerIds).toHaveLength(500);
    expect(issuePaths(() => parseJsonBody(event({ status: 'active' }), CampaignStatusChange))).toEqual(['body.status']);
  });
});
