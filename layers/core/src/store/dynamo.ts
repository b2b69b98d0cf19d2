import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { tracer } from '../observability.js';

export type Item = Record<string, unknown>;

export function createDocumentClient(endpoint?: string): DynamoDBDocumentClient {
  // The base client is captured: the DocumentClient sends through its middleware stack.
  const client = tracer.captureAWSv3Client(new DynamoDBClient(endpoint ? { endpoint } : {}));
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

/** Every item a query matches, page by page. Only for bounded partitions (erasure, merge). */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...((page.Items ?? []) as Item[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Every item of one partition, or of the part whose sort key starts with `skPrefix`. */
export function queryPartition(
  doc: DynamoDBDocumentClient,
  table: string,
  pk: string,
  skPrefix?: string,
  opts: { consistent?: boolean } = {},
): Promise<Item[]> {
  return queryAll(doc, {
    TableName: table,
    KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk, ...(skPrefix ? { ':p': skPrefix } : {}) },
    ...(opts.consistent ? { ConsistentRead: true } : {}),
  });
}

/** An item as the domain sees it: without the table's key and index attributes. */
export function withoutKeys<T = Item>(item: Item): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as T;
}

/** The items of these keys that exist (duplicates asked once), 100 keys per request, unprocessed keys retried. */
export async function batchGetItems(doc: DynamoDBDocumentClient, table: string, keys: Item[]): Promise<Item[]> {
  const unique = [...new Map(keys.map((k) => [`${k.pk}|${k.sk}`, k])).values()];
  const items: Item[] = [];
  for (let i = 0; i < unique.length; i += 100) {
    let pending: Item[] = unique.slice(i, i + 100);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      const out = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending } } }));
      items.push(...((out.Responses?.[table] ?? []) as Item[]));
      pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
    }
  }
  return items;
}

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/** BatchWriteItem is not atomic and may return UnprocessedItems: retry them with backoff. */
export async function batchWrite(doc: DynamoDBDocumentClient, table: string, requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error(`BatchWrite left ${pending.length} unprocessed items`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  }
}

/** True when a TransactWriteItems cancellation was caused by the condition of item `index`. */
export function cancelledByCondition(error: unknown, index: number): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return reasons?.[index]?.Code === 'ConditionalCheckFailed';
}

export function isConditionalFailure(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

/**
 * An update that is only allowed when its condition holds: the item as it is after the update, or
 * undefined when the condition did not hold (the caller's "not found / not in that state").
 */
export async function updateWhere(doc: DynamoDBDocumentClient, input: Omit<UpdateCommandInput, 'ReturnValues'>): Promise<Item | undefined> {
  try {
    const out = await doc.send(new UpdateCommand({ ...input, ReturnValues: 'ALL_NEW' }));
    return out.Attributes as Item;
  } catch (error) {
    if (isConditionalFailure(error)) return undefined;
    throw error;
  }
}

/** Two transactions touching the same item at once: DynamoDB cancels one with TransactionConflict. */
export function isTransactionConflict(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return !!reasons?.some((r) => r.Code === 'TransactionConflict');
}

export function isTransactionCancelled(error: unknown): boolean {
  return (error as { name?: string }).name === 'TransactionCanceledException';
}

/**
 * Writes an item of a bounded collection and counts it in one transaction: the counter's condition
 * (`count < max`) holds for concurrent writers too, so the bound is exact. False when full.
 */
export async function putCounted(
  doc: DynamoDBDocumentClient,
  table: string,
  item: Item,
  counter: { pk: string; sk: string },
  max: number,
): Promise<boolean> {
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: table,
              Key: counter,
              UpdateExpression: 'ADD #count :one',
              ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':one': 1, ':max': max },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancelledByCondition(error, 1)) return false;
    throw error;
  }
}

/** Deletes an item of a bounded collection and uncounts it, together. False when it did not exist. */
export async function deleteCounted(
  doc: DynamoDBDocumentClient,
  table: string,
  key: Item,
  counter: { pk: string; sk: string },
): Promise<boolean> {
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { TableName: table, Key: key, ConditionExpression: 'attribute_exists(pk)' } },
          {
            Update: {
              TableName: table,
              Key: counter,
              UpdateExpression: 'ADD #count :minus',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: { ':minus': -1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (cancelledByCondition(error, 0)) return false;
    throw error;
  }
}
