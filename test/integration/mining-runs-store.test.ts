import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../local/resources.js';
import { MiningStore, type RunRecord } from '../../layers/core/src/store/mining-store.js';
import { documentClient, dynamoDbClient, stackInfo } from '../helpers/stack.js';

/** Its own table, so moving the latest-run pointer cannot disturb the other suites' stack. */
let runs: MiningStore;
beforeAll(async () => {
  const table = `patron-runs-${randomUUID().slice(0, 8)}`;
  // The stack's own key layout, read back rather than restated.
  const { Table } = await dynamoDbClient().send(new DescribeTableCommand({ TableName: stackInfo().tableName }));
  await ensureTable(
    dynamoDbClient(),
    {
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: Table?.AttributeDefinitions,
      KeySchema: Table?.KeySchema,
      GlobalSecondaryIndexes: Table?.GlobalSecondaryIndexes?.map((g) => ({
        IndexName: g.IndexName,
        KeySchema: g.KeySchema,
        Projection: g.Projection,
      })),
    },
    undefined,
    () => {},
  );
  runs = new MiningStore(documentClient(), table);
});

const run = (runId: string): RunRecord =>
  ({
    runId,
    trigger: 'api',
    phase: 'scoring',
    totalShards: 1,
    createdAt: '2026-11-28T00:00:00Z',
    updatedAt: '2026-11-28T00:00:00Z',
    shardStats: {},
    timingsMs: {},
  }) as RunRecord;

describe('latest-run pointer: completed and failed runs (DynamoDB Local)', () => {
  it('keeps the newest completed run and the newest failed run, whatever order they end in', async () => {
    for (const id of ['01A', '01B', '01C', '01D']) await runs.createRun(run(id));

    await runs.publishLatest('01B', '2026-11-28T02:00:00Z');
    await runs.publishLatest('01A', '2026-11-28T03:00:00Z'); // an older run finishing late
    expect(await runs.latestRuns()).toEqual({
      runId: '01B',
      completedAt: '2026-11-28T02:00:00Z',
      failedRunId: undefined,
      failedAt: undefined,
    });

    await runs.failRun('01C', '2026-11-28T04:00:00Z');
    expect(await runs.latestRuns()).toMatchObject({ runId: '01B', failedRunId: '01C', failedAt: '2026-11-28T04:00:00Z' });
    expect((await runs.getRun('01C'))?.phase).toBe('failed');

    await runs.failRun('01A', '2026-11-28T05:00:00Z'); // an older failure does not hide the newer one
    expect((await runs.latestRuns()).failedRunId).toBe('01C');

    await runs.publishLatest('01D', '2026-11-28T06:00:00Z');
    expect(await runs.latestRuns()).toMatchObject({ runId: '01D', failedRunId: '01C' });
  });

  it('does not fail a run that already completed', async () => {
    await runs.createRun(run('01E'));
    await runs.advance('01E', 'completed', ['scoring']);
    await runs.failRun('01E', '2026-11-28T07:00:00Z');
    expect((await runs.getRun('01E'))?.phase).toBe('completed');
    expect((await runs.latestRuns()).failedRunId).toBe('01C');
  });
});
