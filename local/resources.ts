/**
 * Clients for the local emulators and idempotent "ensure" helpers for their resources (with
 * `--persist` the resources survive restarts). What to create comes from the synthesized template
 * (local/deployed/runtime.ts), not from a second description of the stack.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { MINING_QUEUE } from '../infra/definitions.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, stderrLog, type Log } from './util.js';

/** The resources the tests and the demo reach directly (found in the template by their role). */
export interface LocalResources {
  tableName: string;
  miningQueueUrl: string;
  miningQueueArn: string;
  miningDlqUrl: string;
  miningDlqArn: string;
  outboundQueueUrl: string;
  outboundDlqUrl: string;
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

/**
 * Creates the table (or accepts the persisted one, warning when its indexes differ), then turns
 * TTL on where supported.
 */
export async function ensureTable(
  ddb: DynamoDBClient,
  definition: CreateTableCommandInput & { TableName: string },
  ttlAttribute: string | undefined,
  log: Log = stderrLog,
): Promise<TableDescription> {
  const tableName = definition.TableName;
  let description: TableDescription | undefined;
  try {
    description = (await ddb.send(new CreateTableCommand(definition))).TableDescription;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    description = (await ddb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const existing = new Set((description?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
    const missing = (definition.GlobalSecondaryIndexes ?? []).filter((g) => !existing.has(g.IndexName)).map((g) => g.IndexName);
    if (missing.length > 0) {
      log(`warning: the persisted table ${tableName} lacks GSI ${missing.join(', ')}; delete the persist directory to recreate it`);
    }
  }
  if (ttlAttribute) {
    try {
      const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
      if (status !== 'ENABLED' && status !== 'ENABLING') {
        await ddb.send(
          new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } }),
        );
      }
    } catch (error) {
      // Older DynamoDB Local builds reject the TTL API; items then simply never expire locally.
      log(`note: TTL on ${ttlAttribute} not enabled locally (${error instanceof Error ? error.message : String(error)})`);
    }
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
