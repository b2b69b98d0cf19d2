import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Assignment, AssignmentGroup, Campaign } from '../campaigns/schema.js';
import { cancelledByCondition, isTransactionCancelled, isTransactionConflict, updateWhere, withoutKeys, type Item } from './dynamo.js';
import {
  assignmentSk,
  CAMPAIGN_SK,
  CAMPAIGNS_INDEX,
  CAMPAIGNS_INDEX_PK,
  campaignPk,
  campaignsIndexSk,
  customerPk,
  PROFILE_SK,
} from './keys.js';
import { LIVE_PROFILE_CONDITION, toAssignment } from './offer-store.js';

/** An index key of a campaign: what a page of GET /campaigns ends at. */
export interface CampaignKey {
  pk: string;
  sk: string;
  gsi1pk: string;
  gsi1sk: string;
}

/** The outcome of an assignment: the stored one (first write wins), or no live customer. */
export type AssignOutcome = { assignment: Assignment; created: boolean } | 'customer-gone';

/** Transactions on one assignment at once cancel each other (TransactionConflict): retried. */
const MAX_ATTEMPTS = 30;

/**
 * Campaigns (their own partition each, listed through gsi1 newest first) and the customers'
 * assignments to them (in the customer's partition; keys: see store/keys.ts).
 */
export class CampaignStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  async putCampaign(campaign: Campaign): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: campaignPk(campaign.id),
          sk: CAMPAIGN_SK,
          gsi1pk: CAMPAIGNS_INDEX_PK,
          gsi1sk: campaignsIndexSk(campaign.createdAt, campaign.id),
          ...campaign,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getCampaign(campaignId: string, consistent = false): Promise<Campaign | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: campaignPk(campaignId), sk: CAMPAIGN_SK }, ConsistentRead: consistent }),
    );
    return out.Item ? withoutKeys<Campaign>(out.Item) : undefined;
  }

  /** Newest first, `limit` at most; `lastKey` when there may be more. */
  async listCampaigns(limit: number, startKey?: CampaignKey): Promise<{ items: Campaign[]; lastKey?: CampaignKey }> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: CAMPAIGNS_INDEX,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': CAMPAIGNS_INDEX_PK },
        ScanIndexForward: false,
        Limit: limit,
        ...(startKey ? { ExclusiveStartKey: { ...startKey } } : {}),
      }),
    );
    return {
      items: ((out.Items ?? []) as Item[]).map((i) => withoutKeys<Campaign>(i)),
      ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey as unknown as CampaignKey } : {}),
    };
  }

  /** Ends an active campaign; undefined when it is not active (any more) or unknown. */
  async endCampaign(campaignId: string, endsAt: string, at: string): Promise<Campaign | undefined> {
    const item = await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: campaignPk(campaignId), sk: CAMPAIGN_SK },
      UpdateExpression: 'SET #status = :ended, endsAt = :endsAt, updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk) AND #status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':ended': 'ended', ':active': 'active', ':endsAt': endsAt, ':at': at },
    });
    return item && withoutKeys<Campaign>(item);
  }

  async getAssignment(customerId: string, campaignId: string, consistent = false): Promise<Assignment | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: customerPk(customerId), sk: assignmentSk(campaignId) },
        ConsistentRead: consistent,
      }),
    );
    return out.Item ? toAssignment(out.Item) : undefined;
  }

  /**
   * Stores the assignment unless one exists (first write wins), in one transaction with a check
   * that the customer is live (not merged away, not being erased: the erasure fence), so nothing
   * lands in a partition an erasure has started on. Answers the stored assignment either way.
   */
  async assign(customerId: string, campaignId: string, group: AssignmentGroup, assignedAt: string): Promise<AssignOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 10 * Math.min(attempt, 5)));
      const existing = await this.getAssignment(customerId, campaignId, true);
      if (existing) return { assignment: existing, created: false };
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.table,
                  Key: { pk: customerPk(customerId), sk: PROFILE_SK },
                  ConditionExpression: LIVE_PROFILE_CONDITION,
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: { pk: customerPk(customerId), sk: assignmentSk(campaignId), campaignId, customerId, group, assignedAt },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return { assignment: { campaignId, customerId, group, assignedAt }, created: true };
      } catch (error) {
        if (!isTransactionCancelled(error)) throw error;
        if (cancelledByCondition(error, 0)) return 'customer-gone';
        if (cancelledByCondition(error, 1) || isTransactionConflict(error)) continue; // another call won: read it
        throw error;
      }
    }
    throw new Error(`Assignment of '${customerId}' to campaign '${campaignId}' did not settle`);
  }
}
