/**
 * Creates the data resources of infra/definitions.ts in the local emulators: the single table in
 * DynamoDB Local, the mining queue and its DLQ and the artifact bucket in fauxqs. Everything is
 * idempotent, because with `--persist` the resources survive restarts.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { FUNCTIONS, MINING_QUEUE, TABLE, type FunctionDefinition } from '../infra/definitions.js';
import { DEFAULT_TIMEOUT_SECONDS } from './lambda.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, stderrLog, type Log } from './util.js';

/** Names of the local resources (in AWS, CDK generates them). */
export const LOCAL_RESOURCE_NAMES = {
  table: 'patron-local',
  miningQueue: 'patron-local-mining',
  miningDlq: 'patron-local-mining-dlq',
  artifactBucket: 'patron-local-artifacts',
} as const;

export interface LocalResources {
  tableName: string;
  miningQueueUrl: string;
  miningQueueArn: string;
  miningDlqUrl: string;
  miningDlqArn: string;
  artifactBucket: string;
}

export interface Endpoints {
  dynamodb: string;
  sqs: string;
  s3: string;
}

const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

export const dynamoDbClient = (endpoint: string): DynamoDBClient => new DynamoDBClient({ ...clientConfig, endpoint });
export const sqsClient = (endpoint: string): SQSClient => new SQSClient({ ...clientConfig, endpoint });
/** fauxqs serves S3 path-style on its single endpoint (`*.localhost` does not resolve everywhere). */
export const s3Client = (endpoint: string): S3Client => new S3Client({ ...clientConfig, endpoint, forcePathStyle: true });

/** The CreateTable input for TABLE (all key attributes are strings, as in infra). */
export function tableDefinition(tableName: string) {
  const keyNames = new Set<string>([TABLE.partitionKey, TABLE.sortKey]);
  for (const gsi of TABLE.globalSecondaryIndexes) {
    keyNames.add(gsi.partitionKey);
    keyNames.add(gsi.sortKey);
  }
  const attributeDefinitions: AttributeDefinition[] = [...keyNames].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((gsi) => ({
      IndexName: gsi.indexName,
      KeySchema: [
        { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: gsi.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}

/** Creates the table (or accepts the persisted one), then turns TTL on where supported. */
export async function ensureTable(ddb: DynamoDBClient, tableName: string, log: Log = stderrLog): Promise<TableDescription> {
  let description: TableDescription | undefined;
  try {
    description = (await ddb.send(new CreateTableCommand(tableDefinition(tableName)))).TableDescription;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    description = (await ddb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const existing = new Set((description?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
    const missing = TABLE.globalSecondaryIndexes.filter((g) => !existing.has(g.indexName)).map((g) => g.indexName);
    if (missing.length > 0) {
      log(
        `warning: the persisted table ${tableName} lacks GSI ${missing.join(', ')} from infra/definitions.ts; ` +
          'delete the persist directory to recreate it',
      );
    }
  }

  try {
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await ddb.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        }),
      );
    }
  } catch (error) {
    // Older DynamoDB Local builds reject the TTL API; items then simply never expire locally.
    log(`note: TTL on ${TABLE.ttlAttribute} not enabled locally (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!description) throw new Error(`table ${tableName} could not be described`);
  return description;
}

export interface QueueWithDlq {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`no QueueArn for ${queueUrl}`);
  return arn;
}

/**
 * A standard queue whose failed messages move to `<name>-dlq` after `maxReceiveCount` receives
 * (the redrive itself is done by fauxqs, as by SQS).
 */
export async function ensureQueueWithDlq(
  sqs: SQSClient,
  name: string,
  options: { dlqName?: string; maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<QueueWithDlq> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.dlqName ?? `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
    }),
  );
  if (!dlq.QueueUrl) throw new Error(`CreateQueue returned no URL for the DLQ of ${name}`);
  const dlqArn = await queueArn(sqs, dlq.QueueUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: String(options.maxReceiveCount ?? MINING_QUEUE.maxReceiveCount),
        }),
      },
    }),
  );
  if (!queue.QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return { queueUrl: queue.QueueUrl, queueArn: await queueArn(sqs, queue.QueueUrl), dlqUrl: dlq.QueueUrl, dlqArn };
}

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/**
 * The mining queue's visibility timeout, by the rule of infra/constructs/mining-queue.ts (not
 * imported: it pulls in aws-cdk-lib): 6 x the longest consumer timeout, 6 x 60 s while no function
 * consumes the queue.
 */
export function miningVisibilityTimeoutSeconds(functions: readonly FunctionDefinition[] = FUNCTIONS): number {
  const timeouts = functions.filter((f) => f.queue === 'mining').map((f) => f.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  return 6 * (timeouts.length > 0 ? Math.max(...timeouts) : 60);
}

/** Creates (or finds) every resource the functions expect. */
export async function createResources(
  endpoints: Endpoints,
  options: { log?: Log; functions?: readonly FunctionDefinition[] } = {},
): Promise<LocalResources> {
  const log = options.log ?? stderrLog;
  const ddb = dynamoDbClient(endpoints.dynamodb);
  const sqs = sqsClient(endpoints.sqs);
  const s3 = s3Client(endpoints.s3);
  try {
    const names = LOCAL_RESOURCE_NAMES;
    const [, mining] = await Promise.all([
      ensureTable(ddb, names.table, log),
      ensureQueueWithDlq(sqs, names.miningQueue, {
        dlqName: names.miningDlq,
        maxReceiveCount: MINING_QUEUE.maxReceiveCount,
        visibilityTimeoutSeconds: miningVisibilityTimeoutSeconds(options.functions),
      }),
      ensureBucket(s3, names.artifactBucket),
    ]);
    return {
      tableName: names.table,
      miningQueueUrl: mining.queueUrl,
      miningQueueArn: mining.queueArn,
      miningDlqUrl: mining.dlqUrl,
      miningDlqArn: mining.dlqArn,
      artifactBucket: names.artifactBucket,
    };
  } finally {
    ddb.destroy();
    sqs.destroy();
    s3.destroy();
  }
}
