import { createHash } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  assignmentsToCredit,
  creditOf,
  purchaseFromTouchpoint,
  refundFromTouchpoint,
  type CreditedPurchase,
} from '../campaigns/attribution.js';
import type { Assignment, AssignmentGroup, Campaign } from '../campaigns/schema.js';
import {
  batchGetItems,
  batchWrite,
  cancelledByCondition,
  isConditionalFailure,
  isTransactionCancelled,
  isTransactionConflict,
  queryAll,
  queryPartition,
  updateWhere,
  withoutKeys,
  type Item,
} from './dynamo.js';
import {
  ASSIGNMENT_SK_PREFIX,
  ASSIGNMENTS_INDEX,
  anonymousAssignmentSk,
  anonymousAssignmentsIndexSk,
  assignmentSk,
  assignmentsIndexPk,
  assignmentsIndexSk,
  CAMPAIGN_SK,
  CAMPAIGNS_INDEX,
  CAMPAIGNS_INDEX_PK,
  campaignPk,
  campaignsIndexSk,
  customerPk,
  MINING_SK,
  OFFER_SK_PREFIX,
  parseTouchpointSk,
} from './keys.js';
import { liveProfileCheck, storedConversionOf, toAssignment, toOffer, type StoredConversion, type StoredOffer } from './offer-store.js';

/** What the latest mining run said of a customer when they were assigned (for results by segment). */
export interface AssignmentTargeting {
  segment?: string;
  valueTier?: string;
  /** The campaign's flag type: the next mining run learns its uplift per flag type and segment. */
  flagType?: string;
}

/** An assignment as stored: the public fields, the targeting, contacts and credited purchases. */
export interface StoredAssignment extends Assignment, AssignmentTargeting {
  /** First offer registered under the campaign for the customer. */
  contactedAt?: string;
  channels?: string[];
  /** Purchases credited to the campaign, by order key (`<source>:<orderId>`). */
  conversions: Record<string, CreditedPurchase>;
  /**
   * Set when a customer of the other group was merged into this one: purchases before it were that
   * customer's answers in their own group (kept there, anonymously) and are not credited here.
   */
  creditsFrom?: string;
}

/** An assignment as its campaign's results read it: live, or the anonymous copy an erasure left. */
export type AssignmentRecord = Pick<StoredAssignment, 'group' | 'segment' | 'valueTier' | 'channels' | 'contactedAt' | 'conversions'>;

const storedAssignment = (item: Item): StoredAssignment | undefined => {
  const a = toAssignment(item);
  if (!a) return undefined;
  return {
    ...a,
    ...(typeof item.segment === 'string' ? { segment: item.segment } : {}),
    ...(typeof item.valueTier === 'string' ? { valueTier: item.valueTier } : {}),
    ...(typeof item.contactedAt === 'string' ? { contactedAt: item.contactedAt } : {}),
    ...(item.channels instanceof Set || Array.isArray(item.channels) ? { channels: [...(item.channels as Iterable<string>)].sort() } : {}),
    ...(typeof item.creditsFrom === 'string' ? { creditsFrom: item.creditsFrom } : {}),
    conversions: (item.conversions ?? {}) as Record<string, CreditedPurchase>,
  };
};

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
  async assign(
    customerId: string,
    campaignId: string,
    group: AssignmentGroup,
    assignedAt: string,
    targeting: AssignmentTargeting = {},
  ): Promise<AssignOutcome> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 10 * Math.min(attempt, 5)));
      const existing = await this.getAssignment(customerId, campaignId, true);
      if (existing) return { assignment: existing, created: false };
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              liveProfileCheck(this.table, customerId),
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    pk: customerPk(customerId),
                    sk: assignmentSk(campaignId),
                    gsi1pk: assignmentsIndexPk(campaignId),
                    gsi1sk: assignmentsIndexSk(group, customerId),
                    campaignId,
                    customerId,
                    group,
                    assignedAt,
                    ...targeting,
                    conversions: {},
                  },
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

  /** The segment and value tier of each customer's latest scores (customers never scored are absent). */
  async targetingOf(customerIds: readonly string[]): Promise<Map<string, AssignmentTargeting>> {
    const items = await batchGetItems(
      this.doc,
      this.table,
      customerIds.map((id) => ({ pk: customerPk(id), sk: MINING_SK })),
    );
    return new Map(
      items.map((i) => [
        String(i.customerId),
        {
          ...(typeof i.segment === 'string' ? { segment: i.segment } : {}),
          ...(typeof i.valueTier === 'string' ? { valueTier: i.valueTier } : {}),
        },
      ]),
    );
  }

  /**
   * What attribution reads for a purchase: the customer's assignments and offers (with their
   * conversions) in one strongly consistent Query, ASSIGN# to OFFER# being one sort-key range
   * (store/keys.ts), so a purchase costs one read for its attribution, not two.
   */
  async attributionState(
    customerId: string,
  ): Promise<{ assignments: StoredAssignment[]; offers: { offer: StoredOffer; conversion?: StoredConversion }[] }> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': customerPk(customerId), ':from': ASSIGNMENT_SK_PREFIX, ':to': `${OFFER_SK_PREFIX}\uffff` },
      ConsistentRead: true,
    });
    const assignments: StoredAssignment[] = [];
    const offers: { offer: StoredOffer; conversion?: StoredConversion }[] = [];
    for (const item of items) {
      const sk = String(item.sk);
      if (sk.startsWith(ASSIGNMENT_SK_PREFIX)) {
        const a = storedAssignment(item);
        if (a) assignments.push(a);
      } else if (sk.startsWith(OFFER_SK_PREFIX)) offers.push({ offer: toOffer(item), conversion: storedConversionOf(item) });
    }
    return { assignments, offers };
  }

  /**
   * Credits one purchase (keyed by its order) to an assignment, once: a redelivery or a second
   * attribution of the same order changes nothing (false). Assignments stored before credits existed
   * get their empty map first.
   */
  creditPurchase(customerId: string, campaignId: string, orderKey: string, credit: CreditedPurchase): Promise<boolean> {
    return creditAssignment(this.doc, this.table, customerId, campaignId, orderKey, credit);
  }

  /** Applies one refund (keyed by its touchpoint) to a credited purchase, once; false when applied already. */
  async refundCredit(customerId: string, campaignId: string, orderKey: string, refundKey: string, amountMinor: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: customerPk(customerId), sk: assignmentSk(campaignId) },
          UpdateExpression:
            'SET conversions.#order.refundedMinor = conversions.#order.refundedMinor + :amount, conversions.#order.refunds.#refund = :amount',
          ConditionExpression: 'attribute_exists(conversions.#order) AND attribute_not_exists(conversions.#order.refunds.#refund)',
          ExpressionAttributeNames: { '#order': orderKey, '#refund': refundKey },
          ExpressionAttributeValues: { ':amount': amountMinor },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw error;
    }
  }

  /** Records that an offer under the campaign reached the assigned customer (in the offer's transaction). */
  contactUpdate(customerId: string, campaignId: string, channel: string, at: string) {
    return {
      TableName: this.table,
      Key: { pk: customerPk(customerId), sk: assignmentSk(campaignId) },
      UpdateExpression: 'SET contactedAt = if_not_exists(contactedAt, :at) ADD channels :channel',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': at, ':channel': new Set([channel]) },
    };
  }

  /** Every assignment of a campaign, live and anonymous (the results' input). */
  async assignmentsOf(campaignId: string): Promise<AssignmentRecord[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      IndexName: ASSIGNMENTS_INDEX,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': assignmentsIndexPk(campaignId) },
    });
    return items.map((i) => ({
      group: i.group as AssignmentGroup,
      ...(typeof i.segment === 'string' ? { segment: i.segment } : {}),
      ...(typeof i.valueTier === 'string' ? { valueTier: i.valueTier } : {}),
      ...(typeof i.contactedAt === 'string' ? { contactedAt: i.contactedAt } : {}),
      channels: i.channels instanceof Set || Array.isArray(i.channels) ? [...(i.channels as Iterable<string>)].sort() : [],
      conversions: (i.conversions ?? {}) as Record<string, CreditedPurchase>,
    }));
  }
}

/**
 * Credits one purchase (keyed by its order) to an assignment, once: a redelivery or a second
 * attribution of the same order changes nothing (false). Assignments stored before credits existed
 * get their empty map first.
 */
async function creditAssignment(
  doc: DynamoDBDocumentClient,
  table: string,
  customerId: string,
  campaignId: string,
  orderKey: string,
  credit: CreditedPurchase,
): Promise<boolean> {
  const key = { pk: customerPk(customerId), sk: assignmentSk(campaignId) };
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET conversions.#order = :credit',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(conversions.#order)',
        ExpressionAttributeNames: { '#order': orderKey },
        ExpressionAttributeValues: { ':credit': credit },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalFailure(error)) return false;
    if (!isMissingMap(error)) throw error;
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET conversions = if_not_exists(conversions, :empty)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
    return creditAssignment(doc, table, customerId, campaignId, orderKey, credit);
  }
}

/** DynamoDB's answer to a SET on a path inside a map attribute that does not exist. */
const isMissingMap = (error: unknown) =>
  (error as { name?: string })?.name === 'ValidationException' &&
  /document path provided in the update expression is invalid/i.test(String((error as Error).message));

/**
 * Erasure step (customers/customer-service.ts, before the partition is deleted; `items` is the
 * partition as read after the erasure fence): each assignment leaves an anonymous copy under its
 * campaign, so results keep their counts: the group, the targeting, contact channels and the
 * credited amounts with their dates reduced to the day; no customer id, no order id.
 *
 * The credits are worked out again from the partition's purchases and refunds (attribution.ts), not
 * only taken from the assignment: a purchase stored just before the fence may not have been
 * attributed yet when the erasure read the partition, and its answer must still count. The copy's
 * id is derived from the assignment, so a retried erasure rewrites the same copy.
 */
export async function anonymizeAssignments(doc: DynamoDBDocumentClient, table: string, items: Item[]): Promise<number> {
  const assignments = items.flatMap((item) => storedAssignment(item) ?? []);
  if (!assignments.length) return 0;
  const touchpoints = items.flatMap((item) => {
    const key = parseTouchpointSk(String(item.sk));
    if (!key) return [];
    return [
      {
        id: String(item.id),
        source: key.source,
        type: String(item.type),
        occurredAt: String(item.occurredAt),
        data: (item.data ?? {}) as Item,
      },
    ];
  });
  const purchases = touchpoints.flatMap((tp) => purchaseFromTouchpoint(tp) ?? []);
  const refunds = touchpoints.flatMap((tp) => refundFromTouchpoint(tp) ?? []);
  const campaigns = new Map<string, Campaign>();
  for (const id of new Set(assignments.map((a) => a.campaignId))) {
    const out = await doc.send(new GetCommand({ TableName: table, Key: { pk: campaignPk(id), sk: CAMPAIGN_SK } }));
    if (out.Item) campaigns.set(id, withoutKeys<Campaign>(out.Item));
  }
  const copies = assignments.map((a) => {
    const credits: Record<string, CreditedPurchase> = { ...a.conversions };
    for (const purchase of purchases) {
      for (const { revenueMinor } of assignmentsToCredit([a], purchase, (id) => campaigns.get(id))) {
        const refunded = refunds
          .filter((r) => r.orderKey === purchase.orderKey && r.currency === purchase.currency)
          .reduce((sum, r) => sum + r.amountMinor, 0);
        credits[purchase.orderKey] = { ...creditOf(purchase, revenueMinor), refundedMinor: refunded };
      }
    }
    return { PutRequest: { Item: anonymousCopy(a, credits) } };
  });
  await batchWrite(doc, table, copies);
  return copies.length;
}

/**
 * An assignment without its customer: the group, the targeting, contact channels and the credited
 * amounts with their dates reduced to the day; no customer id, no order id. Its id is derived from
 * the assignment, so writing it again (a retried erasure or merge) rewrites the same copy.
 */
function anonymousCopy(a: StoredAssignment, credits: Record<string, CreditedPurchase>): Item {
  const id = createHash('sha256').update(`${a.campaignId}|${a.customerId}`).digest('hex').slice(0, 26);
  const conversions = Object.values(credits).map((c, i) => [`purchase-${i + 1}`, { ...c, at: c.at.slice(0, 10), refunds: {} }]);
  return {
    pk: campaignPk(a.campaignId),
    sk: anonymousAssignmentSk(id),
    gsi1pk: assignmentsIndexPk(a.campaignId),
    gsi1sk: anonymousAssignmentsIndexSk(a.group, id),
    group: a.group,
    ...(a.segment ? { segment: a.segment } : {}),
    ...(a.valueTier ? { valueTier: a.valueTier } : {}),
    ...(a.contactedAt ? { contactedAt: a.contactedAt.slice(0, 10) } : {}),
    ...(a.channels?.length ? { channels: new Set(a.channels) } : {}),
    conversions: Object.fromEntries(conversions),
  };
}

/**
 * Merge step (identity/merge.ts): the merged-away customer's assignments move to the survivor.
 * Where the survivor is assigned to the campaign already, the survivor's group stands (a customer
 * is in one group of a campaign). In the same group, the merged-away assignment's credited
 * purchases and contact join it: they are the same person's answers. In the other group, they stay
 * there as an anonymous count (the randomization measured them there), and the survivor is credited
 * only from the merge on. Idempotent, like the rest of a merge's tail.
 */
export async function moveAssignments(
  doc: DynamoDBDocumentClient,
  table: string,
  fromId: string,
  toId: string,
  now: string,
): Promise<number> {
  const items = await queryPartition(doc, table, customerPk(fromId), ASSIGNMENT_SK_PREFIX, { consistent: true });
  let moved = 0;
  for (const item of items) {
    const a = storedAssignment(item);
    if (!a) continue;
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...item,
            pk: customerPk(toId),
            customerId: toId,
            gsi1sk: assignmentsIndexSk(a.group, toId),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      moved++;
    } catch (error) {
      if (!isConditionalFailure(error)) throw error;
      const survivor = await doc.send(
        new GetCommand({ TableName: table, Key: { pk: customerPk(toId), sk: assignmentSk(a.campaignId) }, ConsistentRead: true }),
      );
      if (survivor.Item && survivor.Item.group !== a.group) {
        // The two were measured in different groups: what the merged-away customer did stays in
        // its group (anonymously), and the survivor is credited only from the merge on.
        await doc.send(new PutCommand({ TableName: table, Item: anonymousCopy(a, a.conversions) }));
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: customerPk(toId), sk: assignmentSk(a.campaignId) },
            UpdateExpression: 'SET creditsFrom = if_not_exists(creditsFrom, :now)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': now },
          }),
        );
        continue;
      }
      for (const [orderKey, credit] of Object.entries(a.conversions)) {
        await creditAssignment(doc, table, toId, a.campaignId, orderKey, credit);
      }
      if (a.contactedAt) {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: customerPk(toId), sk: assignmentSk(a.campaignId) },
            UpdateExpression: `SET contactedAt = if_not_exists(contactedAt, :at)${a.channels?.length ? ' ADD channels :channels' : ''}`,
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':at': a.contactedAt, ...(a.channels?.length ? { ':channels': new Set(a.channels) } : {}) },
          }),
        );
      }
    }
  }
  await batchWrite(
    doc,
    table,
    items.map((it) => ({ DeleteRequest: { Key: { pk: it.pk, sk: it.sk } } })),
  );
  return moved;
}
