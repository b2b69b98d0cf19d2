import { createHash } from 'node:crypto';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { StoredPlaybook } from '../playbooks/schema.js';
import { deleteCounted, isConditionalFailure, putCounted, isTransactionCancelled, queryAll, updateWhere, withoutKeys } from './dynamo.js';
import {
  customerPk,
  enrollmentSk,
  GSI1,
  MINING_SK,
  PLAYBOOK_DUE_SHARDS,
  PLAYBOOK_SK,
  PLAYBOOKS_COUNTER,
  PLAYBOOKS_INDEX_PK,
  playbookDueIndexPk,
  playbookDueIndexSk,
  playbookDueUntilSk,
  playbookPk,
  playbooksIndexSk,
  PROFILE_SK,
} from './keys.js';
import { LIVE_PROFILE_CONDITION, liveProfileCheck } from './offer-store.js';

/** How one step of one enrollment ended. */
export interface FiredStep {
  at: string;
  outcome: 'due' | 'blocked' | 'stopped' | 'skipped';
  offerId?: string;
  /** Why it stopped, or the blocking rules. */
  detail?: string;
}

/** A customer in a playbook: where the clock started and which steps fired (by step id). */
export interface Enrollment {
  customerId: string;
  playbookId: string;
  /** A ULID: the idempotency keys and event ids of this enrollment's steps derive from it. */
  enrollmentId: string;
  /** When the trigger happened: every step's delay counts from here. */
  anchorAt: string;
  /** What enrolled the customer (an order, a run, an anniversary): the same trigger never enrolls twice. */
  anchorKey: string;
  /** The customer's segment at enrollment (for the left-segment stop condition). */
  segment?: string;
  state: 'active' | 'done';
  endedReason?: string;
  fired: Record<string, FiredStep>;
  nextDueAt?: string;
  leaseUntil?: string;
  createdAt: string;
}

/**
 * How far a date-triggered playbook's enrollment scan got for one occurrence (kept on the playbook
 * item by the tick, internal like lastFlagRunId): the next tick resumes at `lastKey`; `done` once
 * the whole table was read for `anchor`. A new occurrence (the next year) starts over.
 */
export interface DateScan {
  /** The occurrence, YYYY-MM-DD. */
  anchor: string;
  /** The scan's LastEvaluatedKey: where the next page starts. */
  lastKey?: Record<string, unknown>;
  done?: boolean;
}

/** A playbook as stored, with what the tick keeps on it. */
export type PlaybookItem = StoredPlaybook & { lastFlagRunId?: string; dateScan?: DateScan };

/** Spreads due enrollments over the index partitions by customer (stable, so one item stays in one). */
const dueShardOf = (customerId: string) => createHash('sha256').update(customerId).digest().readUInt32BE(0) % PLAYBOOK_DUE_SHARDS;

const dueKeys = (customerId: string, playbookId: string, dueAt: string) => ({
  gsi1pk: playbookDueIndexPk(dueShardOf(customerId)),
  gsi1sk: playbookDueIndexSk(dueAt, customerId, playbookId),
});

/** A playbook as stored: its keys, and the gsi1 entry that lists playbooks oldest first. */
const playbookItem = (p: StoredPlaybook) => ({
  pk: playbookPk(p.playbookId),
  sk: PLAYBOOK_SK,
  gsi1pk: PLAYBOOKS_INDEX_PK,
  gsi1sk: playbooksIndexSk(p.createdAt, p.playbookId),
  ...p,
});

export class PlaybookStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** Stores a new playbook unless `max` exist already (exact under concurrency): false when full. */
  async put(p: StoredPlaybook, max: number): Promise<boolean> {
    return putCounted(this.doc, this.table, playbookItem(p), PLAYBOOKS_COUNTER, max);
  }

  async get(id: string): Promise<PlaybookItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: playbookPk(id), sk: PLAYBOOK_SK }, ConsistentRead: true }),
    );
    return out.Item ? withoutKeys<PlaybookItem>(out.Item) : undefined;
  }

  /** Every playbook, oldest first. */
  async list(): Promise<PlaybookItem[]> {
    const items = await queryAll(this.doc, {
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': PLAYBOOKS_INDEX_PK },
    });
    return items.map((i) => withoutKeys<PlaybookItem>(i));
  }

  /** Replaces the playbook if it is still at `version` (optimistic); the new one, or undefined. */
  async replace(p: StoredPlaybook, version: number): Promise<StoredPlaybook | undefined> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: playbookItem(p),
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': version },
        }),
      );
      return p;
    } catch (error) {
      if (isConditionalFailure(error)) return undefined;
      throw error;
    }
  }

  /** Deletes the playbook; its enrollments end at their next due time ("the playbook no longer exists"). */
  async delete(id: string): Promise<boolean> {
    return deleteCounted(this.doc, this.table, { pk: playbookPk(id), sk: PLAYBOOK_SK }, PLAYBOOKS_COUNTER);
  }

  /** Records that the tick enrolled a run's flags (so the next tick does not read them again). */
  async markFlagRunEnrolled(playbookId: string, runId: string): Promise<void> {
    await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: playbookPk(playbookId), sk: PLAYBOOK_SK },
      UpdateExpression: 'SET lastFlagRunId = :run',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':run': runId },
    });
  }

  /** Records how far a date-triggered playbook's enrollment scan got (see DateScan). */
  async markDateScan(playbookId: string, scan: DateScan): Promise<void> {
    await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: playbookPk(playbookId), sk: PLAYBOOK_SK },
      UpdateExpression: 'SET dateScan = :scan',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':scan': scan },
    });
  }

  /**
   * One page of a Scan over the whole table for customers: every live one (profile not merged away
   * or erased), or, with a segment, every one whose latest mining results put it in that segment
   * (its MINING item; a merged-away or erased customer is kept out by enroll's profile check).
   * There is no index of customers, hence the Scan: `limit` bounds the items read (not the ids
   * returned); `lastKey` is where the next page starts, undefined after the last page.
   */
  async scanCustomers(opts: {
    segment?: string;
    startKey?: Record<string, unknown>;
    limit: number;
  }): Promise<{ customerIds: string[]; lastKey?: Record<string, unknown> }> {
    const out = await this.doc.send(
      new ScanCommand({
        TableName: this.table,
        ...(opts.segment !== undefined
          ? {
              FilterExpression: 'sk = :sk AND #segment = :segment',
              ExpressionAttributeNames: { '#segment': 'segment' },
              ExpressionAttributeValues: { ':sk': MINING_SK, ':segment': opts.segment },
            }
          : {
              FilterExpression: `sk = :sk AND ${LIVE_PROFILE_CONDITION}`,
              ExpressionAttributeValues: { ':sk': PROFILE_SK },
            }),
        ProjectionExpression: 'customerId',
        Limit: opts.limit,
        ...(opts.startKey ? { ExclusiveStartKey: opts.startKey } : {}),
      }),
    );
    const customerIds = (out.Items ?? []).flatMap((i) => (typeof i.customerId === 'string' ? [i.customerId] : []));
    return { customerIds, ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey } : {}) };
  }

  /**
   * Enrolls a live customer: only when not in the playbook already, or when the earlier enrollment
   * is done and came from another trigger (the same order, run or anniversary never enrolls twice).
   * The profile check in the same transaction keeps an erased or merged-away customer out.
   */
  async enroll(e: Enrollment): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            liveProfileCheck(this.table, e.customerId),
            {
              Put: {
                TableName: this.table,
                Item: {
                  pk: customerPk(e.customerId),
                  sk: enrollmentSk(e.playbookId),
                  ...(e.nextDueAt ? dueKeys(e.customerId, e.playbookId, e.nextDueAt) : {}),
                  ...e,
                },
                ConditionExpression: 'attribute_not_exists(pk) OR (#state = :done AND anchorKey <> :anchor)',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':done': 'done', ':anchor': e.anchorKey },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isTransactionCancelled(error)) return false;
      throw error;
    }
  }

  async getEnrollment(customerId: string, playbookId: string): Promise<Enrollment | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk: customerPk(customerId), sk: enrollmentSk(playbookId) }, ConsistentRead: true }),
    );
    return out.Item ? withoutKeys<Enrollment>(out.Item) : undefined;
  }

  /** Enrollments due by `nowIso` in one index partition, earliest first. */
  async due(shard: number, nowIso: string, limit: number): Promise<{ customerId: string; playbookId: string }[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :until',
        ExpressionAttributeValues: { ':pk': playbookDueIndexPk(shard), ':until': playbookDueUntilSk(nowIso) },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => ({ customerId: String(i.customerId), playbookId: String(i.playbookId) }));
  }

  /** One tick at a time per enrollment: the lease, or false when another tick holds it. */
  async lease(customerId: string, playbookId: string, now: Date, holdMs: number): Promise<boolean> {
    const item = await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: customerPk(customerId), sk: enrollmentSk(playbookId) },
      UpdateExpression: 'SET leaseUntil = :until',
      ConditionExpression: 'attribute_exists(pk) AND #state = :active AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':until': new Date(now.getTime() + holdMs).toISOString(),
        ':now': now.toISOString(),
        ':active': 'active',
      },
    });
    return item !== undefined;
  }

  /**
   * Records a step once (conditional on its id not being recorded yet) and moves the enrollment to
   * its next due time, or ends it (leaving the due index) when `nextDueAt` is undefined.
   */
  async recordStep(
    e: Pick<Enrollment, 'customerId' | 'playbookId'>,
    stepId: string,
    fired: FiredStep,
    next: { nextDueAt?: string; endedReason?: string },
  ): Promise<boolean> {
    const due = next.nextDueAt ? dueKeys(e.customerId, e.playbookId, next.nextDueAt) : undefined;
    const item = await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: customerPk(e.customerId), sk: enrollmentSk(e.playbookId) },
      UpdateExpression: due
        ? 'SET fired.#step = :fired, nextDueAt = :due, gsi1pk = :gpk, gsi1sk = :gsk REMOVE leaseUntil'
        : 'SET fired.#step = :fired, #state = :done, endedReason = :reason REMOVE nextDueAt, gsi1pk, gsi1sk, leaseUntil',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(fired.#step)',
      ExpressionAttributeNames: { '#step': stepId, ...(due ? {} : { '#state': 'state' }) },
      ExpressionAttributeValues: due
        ? { ':fired': fired, ':due': next.nextDueAt, ':gpk': due.gsi1pk, ':gsk': due.gsi1sk }
        : { ':fired': fired, ':done': 'done', ':reason': next.endedReason ?? 'every step fired' },
    });
    return item !== undefined;
  }

  /** Moves a not-yet-due enrollment (after an edit) or ends one with nothing left to fire. */
  async reschedule(e: Pick<Enrollment, 'customerId' | 'playbookId'>, next: { nextDueAt?: string; endedReason?: string }): Promise<void> {
    const due = next.nextDueAt ? dueKeys(e.customerId, e.playbookId, next.nextDueAt) : undefined;
    await updateWhere(this.doc, {
      TableName: this.table,
      Key: { pk: customerPk(e.customerId), sk: enrollmentSk(e.playbookId) },
      UpdateExpression: due
        ? 'SET nextDueAt = :due, gsi1pk = :gpk, gsi1sk = :gsk REMOVE leaseUntil'
        : 'SET #state = :done, endedReason = :reason REMOVE nextDueAt, gsi1pk, gsi1sk, leaseUntil',
      ConditionExpression: 'attribute_exists(pk)',
      ...(due ? {} : { ExpressionAttributeNames: { '#state': 'state' } }),
      ExpressionAttributeValues: due
        ? { ':due': next.nextDueAt, ':gpk': due.gsi1pk, ':gsk': due.gsi1sk }
        : { ':done': 'done', ':reason': next.endedReason ?? 'every step fired' },
    });
  }
}
