import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { customerPk, MINING_SK, PROFILE_SK, TOUCHPOINT_PREFIX, touchpointSk } from '../../layers/core/src/store/keys.js';
import { api, dynamoDbClient, stackInfo } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';

jest.setTimeout(240_000);

/** Past Number.MAX_SAFE_INTEGER: 9007199254740991 + 100. */
const POISON = '9007199254741091';
type Raw = Record<string, AttributeValue>;

async function waitForRun(runId: string) {
  for (let i = 0; i < 600; i++) {
    const run = await (await api(`/mining-runs/${runId}`)).json();
    if (run.phase === 'completed' || run.phase === 'failed') return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${runId} did not finish`);
}

describe('a mining run over a table with a poisoned customer (aggregates past Number.MAX_SAFE_INTEGER)', () => {
  const poisonedId = `poison-${randomUUID().slice(0, 8)}`;
  const written: Raw[] = [];
  let run: any;

  beforeAll(async () => {
    // Real customers through the webhook, so the run has something to fit and score.
    const ids: string[] = [];
    for (let c = 0; c < 12; c++) {
      const email = uniqueEmail(`mh${c}`);
      for (let p = 0; p <= c % 3; p++) {
        const at = new Date(Date.UTC(2026, 0, 1 + c * 3 + p * 20)).toISOString();
        const res = await deliver('generic', purchase({ email }, 1500 + c * 100 + p * 10, at, p % 2 ? 'tea' : 'coffee'));
        expect(res.status).toBe(201);
        if (p === 0) ids.push(res.body.customerId);
      }
    }
    // The poisoned customer: a real profile's and touchpoint's shape, copied under a new id with
    // its numbers past 2^53, written with the low-level client (no webhook would store them).
    const ddb = dynamoDbClient();
    const TableName = stackInfo().tableName;
    const profile = (await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: customerPk(ids[0]!) }, sk: { S: PROFILE_SK } } })))
      .Item!;
    const [touchpoint] =
      (
        await ddb.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tp)',
            ExpressionAttributeValues: { ':pk': { S: customerPk(ids[0]!) }, ':tp': { S: TOUCHPOINT_PREFIX } },
          }),
        )
      ).Items ?? [];
    expect(profile.revenue?.M).toBeDefined();
    expect(touchpoint?.data?.M?.totalMinor?.N).toBeDefined();
    const pk = { S: customerPk(poisonedId) };
    const poisonedProfile: Raw = { ...profile, pk, revenue: { M: { EUR: { N: POISON } } } };
    if (profile.customerId) poisonedProfile.customerId = { S: poisonedId };
    const { gsi1pk: _g1, gsi1sk: _g2, ...tpRest } = touchpoint!;
    const occurredAt = touchpoint!.occurredAt!.S!;
    const poisonedTouchpoint: Raw = {
      ...tpRest,
      pk,
      sk: { S: touchpointSk(occurredAt, 'generic', `poison-${randomUUID().slice(0, 8)}`) },
      ...(tpRest.customerId ? { customerId: { S: poisonedId } } : {}),
      data: { M: { ...touchpoint!.data!.M, totalMinor: { N: POISON } } },
    };
    for (const Item of [poisonedProfile, poisonedTouchpoint]) {
      await ddb.send(new PutItemCommand({ TableName, Item }));
      written.push({ pk: Item.pk!, sk: Item.sk! });
    }

    const res = await api('/mining-runs', {
      method: 'POST',
      body: JSON.stringify({ shards: 2 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
    run = await waitForRun((await res.json()).runId);
  });

  afterAll(async () => {
    // Other suites share the table: the poisoned items go again.
    for (const Key of written) await dynamoDbClient().send(new DeleteItemCommand({ TableName: stackInfo().tableName, Key }));
  });

  it('completes with the poisoned customer in skipped, with a reason, and counts it in the summary', () => {
    expect(run.errors).toEqual([]);
    expect(run.phase).toBe('completed');
    expect(run.skipped).toContainEqual({ customerId: poisonedId, reason: expect.stringContaining('purchase amount') });
    expect(run.skippedCount).toBeGreaterThanOrEqual(1);
    expect(run.summary.skippedCount).toBe(run.skippedCount);
    expect(run.summary.customers).toBeGreaterThanOrEqual(12);
  });

  it('scores the other customers and writes no result for the poisoned one', async () => {
    const own = await (await api('/flags?limit=200')).json();
    expect(own.items.some((f: any) => f.customerId === poisonedId)).toBe(false);
    expect(run.summary.flags).toBeDefined();
    const item = await dynamoDbClient().send(
      new GetItemCommand({ TableName: stackInfo().tableName, Key: { pk: { S: customerPk(poisonedId) }, sk: { S: MINING_SK } } }),
    );
    expect(item.Item).toBeUndefined();
  });
});
