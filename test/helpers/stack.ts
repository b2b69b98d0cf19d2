/**
 * What integration tests use to reach the embedded stack that test/helpers/global-setup.ts starts
 * once per jest run (in the jest parent process). Workers find it through a JSON file whose path
 * global-setup puts in $PATRON_STACK_INFO.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';

export const STACK_INFO_ENV = 'PATRON_STACK_INFO';

/** Connection info of the running stack (written by global-setup). */
export interface StackInfo {
  baseUrl: string;
  /** Send as `x-api-key`. */
  apiKey: string;
  dynamodbEndpoint: string;
  /** The DynamoDB Local Java process id, for fault injection (SIGSTOP/SIGCONT) in the `fault` project only. */
  dynamodbPid: number;
  sqsEndpoint: string;
  s3Endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  tableName: string;
  miningQueueUrl: string;
  miningQueueArn: string;
  miningDlqUrl: string;
  miningDlqArn: string;
  outboundQueueUrl: string;
  outboundDlqUrl: string;
  artifactBucket: string;
  /** The stack's in-process environment (resources, direct endpoints, dev secrets); no function sees it. */
  env: Record<string, string>;
  /** Per function, the names of the variables it runs with (from its synthesized definition). */
  functionEnv: Record<string, string[]>;
}

let info: StackInfo | undefined;

export function stackInfo(): StackInfo {
  if (info) return info;
  const file = process.env[STACK_INFO_ENV];
  if (!file) {
    throw new Error(
      `$${STACK_INFO_ENV} is not set: the local stack is started by test/helpers/global-setup.ts, ` +
        'so run integration tests through jest (NODE_OPTIONS=--experimental-vm-modules npx jest test/integration)',
    );
  }
  info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
  return info;
}

const clientConfig = () => {
  const { region, credentials } = stackInfo();
  return { region, credentials };
};

let ddb: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let s3: S3Client | undefined;

export function dynamoDbClient(): DynamoDBClient {
  ddb ??= new DynamoDBClient({ ...clientConfig(), endpoint: stackInfo().dynamodbEndpoint });
  return ddb;
}

/** A DocumentClient on DynamoDB Local (the stack's table is `stackInfo().tableName`). */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } });
  return doc;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({ ...clientConfig(), endpoint: stackInfo().sqsEndpoint });
  return sqs;
}

/** fauxqs serves S3 path-style. */
export function s3Client(): S3Client {
  s3 ??= new S3Client({ ...clientConfig(), endpoint: stackInfo().s3Endpoint, forcePathStyle: true });
  return s3;
}

/** A fetch Response whose json() is loosely typed, for terse assertions. */
export interface ApiResponse extends Response {
  json(): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * fetch against the local API with the dev API key in `x-api-key` (unless `init.headers` sets
 * its own). `path` starts with `/`.
 */
export async function api(path: string, init: RequestInit = {}): Promise<ApiResponse> {
  const headers = new Headers(init.headers);
  if (!headers.has('x-api-key')) headers.set('x-api-key', stackInfo().apiKey);
  return (await fetch(`${stackInfo().baseUrl}${path}`, { ...init, headers })) as ApiResponse;
}
