import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ACTIVITY_OUTCOMES, type ActivityCounts, type SourceActivityWriter, type SourceBucketFlush } from '../ingest/source-activity.js';
import { parseSourceHourSk, SOURCE_HOURS_END_SK, SOURCE_LAST_SK, sourceHourSk, sourcePk } from './keys.js';

/** Hour buckets live this long (TTL): the 7-day window and a day of margin. */
export const SOURCE_BUCKET_TTL_S = 8 * 86_400;

export interface SourceBucket {
  hour: string;
  counts: Required<ActivityCounts>;
  lastDeliveryAt?: string;
  lastRejectedAt?: string;
}

export interface SourceStats {
  buckets: SourceBucket[];
  /** The long-lived marker (refreshed at most hourly per container; the buckets are fresher). */
  lastDeliveryAt?: string;
  lastRejectedAt?: string;
}

/** The coalesced per-source delivery counts (ingest/source-activity.ts writes, GET /sources reads). */
export class SourceStatsStore implements SourceActivityWriter {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** One UpdateItem: ADD the counts to the hour bucket, SET its newest times and its TTL. */
  async addBucket(f: SourceBucketFlush): Promise<void> {
    const adds = ACTIVITY_OUTCOMES.filter((o) => (f.counts[o] ?? 0) > 0);
    const sets = [
      'expiresAt = :exp',
      ...(f.lastDeliveryAt ? ['lastDeliveryAt = :ld'] : []),
      ...(f.lastRejectedAt ? ['lastRejectedAt = :lr'] : []),
    ];
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: sourcePk(f.source), sk: sourceHourSk(f.hour) },
        UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.map((o) => `#${o} :${o}`).join(', ')}` : ''}`,
        ...(adds.length ? { ExpressionAttributeNames: Object.fromEntries(adds.map((o) => [`#${o}`, o])) } : {}),
        ExpressionAttributeValues: {
          ':exp': Math.floor(new Date(f.hour).getTime() / 1000) + SOURCE_BUCKET_TTL_S,
          ...(f.lastDeliveryAt ? { ':ld': f.lastDeliveryAt } : {}),
          ...(f.lastRejectedAt ? { ':lr': f.lastRejectedAt } : {}),
          ...Object.fromEntries(adds.map((o) => [`:${o}`, f.counts[o]])),
        },
      }),
    );
  }

  async touchLast(source: string, last: { lastDeliveryAt?: string; lastRejectedAt?: string }): Promise<void> {
    const sets = [...(last.lastDeliveryAt ? ['lastDeliveryAt = :ld'] : []), ...(last.lastRejectedAt ? ['lastRejectedAt = :lr'] : [])];
    if (sets.length === 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: sourcePk(source), sk: SOURCE_LAST_SK },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeValues: {
          ...(last.lastDeliveryAt ? { ':ld': last.lastDeliveryAt } : {}),
          ...(last.lastRejectedAt ? { ':lr': last.lastRejectedAt } : {}),
        },
      }),
    );
  }

  /** A source's hour buckets from `since` on (at most 8 days of hours: one page) and its marker. */
  async read(source: string, since: Date): Promise<SourceStats> {
    const [buckets, marker] = await Promise.all([
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': sourcePk(source), ':from': sourceHourSk(since), ':to': SOURCE_HOURS_END_SK },
        }),
      ),
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: sourcePk(source), sk: SOURCE_LAST_SK } })),
    ]);
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      buckets: (buckets.Items ?? []).flatMap((item) => {
        const hour = parseSourceHourSk(String(item.sk));
        if (!hour) return [];
        const counts = Object.fromEntries(ACTIVITY_OUTCOMES.map((o) => [o, num(item[o])])) as Required<ActivityCounts>;
        const lastDeliveryAt = str(item.lastDeliveryAt);
        const lastRejectedAt = str(item.lastRejectedAt);
        return [{ hour, counts, ...(lastDeliveryAt ? { lastDeliveryAt } : {}), ...(lastRejectedAt ? { lastRejectedAt } : {}) }];
      }),
      ...(str(marker.Item?.lastDeliveryAt) ? { lastDeliveryAt: str(marker.Item?.lastDeliveryAt) } : {}),
      ...(str(marker.Item?.lastRejectedAt) ? { lastRejectedAt: str(marker.Item?.lastRejectedAt) } : {}),
    };
  }
}
