/**
 * The embedded runtime (local/) against the real stack started by global-setup: routing and the
 * API Gateway emulation over real sockets, the resources built from infra/definitions.ts, and the
 * SQS event source emulation with ReportBatchItemFailures and DLQ redrive in fauxqs.
 */
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { jest } from '@jest/globals';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { MINING_QUEUE, TABLE, type FunctionDefinition } from '../../infra/definitions.js';
import { ensureQueueWithDlq } from '../../local/resources.js';
import { startHttpServer, type LocalHttpServer } from '../../local/http.js';
import type { LambdaHandler } from '../../local/lambda.js';
import { startSqsPoller, type SqsPoller } from '../../local/sqs-poller.js';
import { dynamoDbClient, s3Client, sqsClient, stackInfo } from '../helpers/stack.js';

jest.setTimeout(30_000);

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local stack', () => {
  it('answers an unknown route (or method) with a 404 JSON naming it', async () => {
    const res = await fetch(`${stackInfo().baseUrl}/nope?x=1`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ error: 'not_found', message: 'No route for GET /nope' });

    const wrongMethod = await fetch(`${stackInfo().baseUrl}/health`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toEqual({ error: 'not_found', message: 'No route for DELETE /health' });
  });

  it('serves GET /health through the health function', async () => {
    const res = await fetch(`${stackInfo().baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('apigw-requestid')).toBeTruthy();
  });

  it('creates the table from TABLE: keys, GSIs, on-demand billing, TTL', async () => {
    const { Table } = await dynamoDbClient().send(new DescribeTableCommand({ TableName: stackInfo().tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((g) => ({ name: g.IndexName, keys: g.KeySchema }));
    expect(indexes).toEqual(
      TABLE.globalSecondaryIndexes.map((g) => ({
        name: g.indexName,
        keys: [
          { AttributeName: g.partitionKey, KeyType: 'HASH' },
          { AttributeName: g.sortKey, KeyType: 'RANGE' },
        ],
      })),
    );
    const ttl = await dynamoDbClient().send(new DescribeTimeToLiveCommand({ TableName: stackInfo().tableName }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: TABLE.ttlAttribute });
  });

  it('creates the mining queue with a redrive to its DLQ, and the artifact bucket', async () => {
    const info = stackInfo();
    const { Attributes } = await sqsClient().send(
      new GetQueueAttributesCommand({ QueueUrl: info.miningQueueUrl, AttributeNames: ['All'] }),
    );
    const redrive = JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
    expect(redrive.deadLetterTargetArn).toBe(info.miningDlqArn);
    expect(Number(redrive.maxReceiveCount)).toBe(MINING_QUEUE.maxReceiveCount);
    await expect(
      sqsClient().send(new GetQueueAttributesCommand({ QueueUrl: info.miningDlqUrl, AttributeNames: ['QueueArn'] })),
    ).resolves.toBeDefined();
    await expect(s3Client().send(new HeadBucketCommand({ Bucket: info.artifactBucket }))).resolves.toBeDefined();
  });

  it('gives each function only the variables its synthesized definition has', () => {
    const { functionEnv, tableName, miningQueueUrl, artifactBucket } = stackInfo();
    const names = (fn: string) => functionEnv[fn] ?? [];
    // mining-runs starts runs (queue) but reads no artifacts: no bucket, as in the template.
    expect(names('mining-runs')).toEqual(expect.arrayContaining(['TABLE_NAME', 'MINING_QUEUE_URL', 'API_KEYS']));
    expect(names('mining-runs')).not.toContain('ARTIFACT_BUCKET');
    expect(names('mining-worker')).toEqual(expect.arrayContaining(['TABLE_NAME', 'MINING_QUEUE_URL', 'ARTIFACT_BUCKET']));
    expect(names('mining-worker')).not.toContain('API_KEYS');
    expect(names('webhook')).toEqual(expect.arrayContaining(['WEBHOOK_SECRET_GENERIC', 'WEBHOOK_SECRET_STRIPE', 'PII_HASH_KEY']));
    expect(names('openapi')).not.toContain('TABLE_NAME');
    // What Lambda sets itself.
    expect(names('health')).toEqual(expect.arrayContaining(['AWS_REGION', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_ACCESS_KEY_ID']));
    // In-process code (tests, the demo) gets the resources through the stack's own env.
    expect(stackInfo().env).toMatchObject({ TABLE_NAME: tableName, MINING_QUEUE_URL: miningQueueUrl, ARTIFACT_BUCKET: artifactBucket });
  });
});

describe('HTTP front door (API Gateway HTTP API emulation) over a real socket', () => {
  const fn = (name: string, routes: FunctionDefinition['routes'], timeoutSeconds = 5): FunctionDefinition => ({
    name,
    entry: `test/${name}.ts`,
    description: name,
    routes,
    timeoutSeconds,
  });
  const functions = [
    fn('echo', [
      { method: 'POST', path: '/echo/{id}' },
      { method: 'GET', path: '/echo/{id}' },
    ]),
    fn('results', [{ method: 'GET', path: '/result/{kind}' }]),
    fn('throws', [{ method: 'GET', path: '/throws' }]),
    fn('slow', [{ method: 'GET', path: '/slow' }], 1),
  ];
  const results: Record<string, unknown> = {
    object: { hello: 'world' },
    string: 'plain words',
    structured: {
      statusCode: 201,
      headers: { 'x-custom': 'yes', 'content-type': 'text/plain' },
      cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
      body: 'created',
    },
    binary: {
      statusCode: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 1, 254, 255]).toString('base64'),
      isBase64Encoded: true,
    },
    malformed: { statusCode: 'two hundred' },
  };
  const handlers: Record<string, LambdaHandler> = {
    echo: (event) => ({ statusCode: 200, body: JSON.stringify(event) }),
    results: (event) => results[(event as APIGatewayProxyEventV2).pathParameters?.kind ?? ''],
    throws: () => {
      throw new Error('boom (expected by the test)');
    },
    slow: () => new Promise((r) => setTimeout(() => r('late'), 2500)),
  };
  let server: LocalHttpServer;
  let stderr: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    server = await startHttpServer({ port: 0, functions, log: () => {}, loadHandler: async (f) => handlers[f.name]! });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  /** node:http, so that repeated header lines really are sent as separate lines. */
  function rawRequest(
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body?: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request(`${server.url}${path}`, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('builds a payload 2.0 event: routeKey, raw path and query, comma-joined repeats, cookies, path parameters', async () => {
    const res = await rawRequest(
      'POST',
      '/echo/a%20b?x=1&x=2&flag&email=ann%40example.com',
      {
        'content-type': 'application/json',
        'x-multi': ['one', 'two'],
        cookie: 'c1=v1; c2=v2',
        'user-agent': 'jest-test',
      },
      Buffer.from('{"héllo":"wörld"}'),
    );
    expect(res.status).toBe(200);
    const event = JSON.parse(res.body.toString('utf8')) as APIGatewayProxyEventV2;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /echo/{id}',
      rawPath: '/echo/a%20b',
      rawQueryString: 'x=1&x=2&flag&email=ann%40example.com',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { x: '1,2', flag: '', email: 'ann@example.com' },
      pathParameters: { id: 'a b' },
      body: '{"héllo":"wörld"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        domainName: '127.0.0.1',
        http: { method: 'POST', path: '/echo/a%20b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest-test' },
        routeKey: 'POST /echo/{id}',
        stage: '$default',
      },
    });
    expect(event.headers['x-multi']).toBe('one,two');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.requestContext.requestId).toBe(res.headers['apigw-requestid']);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000);
  });

  it('base64-encodes binary request bodies and leaves bodiless events without a body', async () => {
    const binary = await rawRequest('POST', '/echo/x', { 'content-type': 'application/octet-stream' }, Buffer.from([0, 1, 2, 255]));
    const event = JSON.parse(binary.body.toString('utf8')) as APIGatewayProxyEventV2;
    expect(event).toMatchObject({ isBase64Encoded: true, body: 'AAEC/w==' });

    const get = JSON.parse((await rawRequest('GET', '/echo/x', {})).body.toString('utf8')) as APIGatewayProxyEventV2;
    expect(get.body).toBeUndefined();
    expect(get.isBase64Encoded).toBe(false);
    expect(get.queryStringParameters).toBeUndefined();
    expect(get.cookies).toBeUndefined();
  });

  it('turns results into responses like API Gateway: plain values become 200 JSON', async () => {
    const object = await fetch(`${server.url}/result/object`);
    expect(object.status).toBe(200);
    expect(object.headers.get('content-type')).toBe('application/json');
    expect(await object.json()).toEqual({ hello: 'world' });

    const string = await fetch(`${server.url}/result/string`);
    expect(string.status).toBe(200);
    expect(await string.text()).toBe('plain words');

    const structured = await rawRequest('GET', '/result/structured', {});
    expect(structured.status).toBe(201);
    expect(structured.headers['x-custom']).toBe('yes');
    expect(structured.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(structured.body.toString()).toBe('created');

    const binary = await rawRequest('GET', '/result/binary', {});
    expect([...binary.body]).toEqual([0, 1, 254, 255]);
  });

  it('answers 500 {"message":"Internal Server Error"} when the handler throws, times out or returns garbage', async () => {
    for (const path of ['/throws', '/slow', '/result/malformed']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    }
    const logged = stderr.mock.calls.map((c: unknown[]) => String(c[0])).join('');
    expect(logged).toContain('boom (expected by the test)');
    expect(logged).toContain('Task timed out after 1.00 seconds');
  });

  it('rejects bodies over 10 MB with 413', async () => {
    const res = await fetch(`${server.url}/echo/big`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    const ok = await fetch(`${server.url}/echo/big`, { method: 'POST', body: Buffer.alloc(1024 * 1024) });
    expect(ok.status).toBe(200);
  });
});

describe('SQS event source emulation (startSqsPoller)', () => {
  const pollers: SqsPoller[] = [];
  const queues: string[] = [];
  let stderr: ReturnType<typeof jest.spyOn>;

  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
    stderr.mockRestore();
  });
  afterAll(async () => {
    await Promise.all(queues.map((QueueUrl) => sqsClient().send(new DeleteQueueCommand({ QueueUrl }))));
  });

  async function testQueue(maxReceiveCount: number) {
    const q = await ensureQueueWithDlq(sqsClient(), `it-poller-${randomUUID().slice(0, 8)}`, {
      maxReceiveCount,
      visibilityTimeoutSeconds: 1,
    });
    queues.push(q.queueUrl, q.dlqUrl);
    return q;
  }

  async function counts(queueUrl: string): Promise<number> {
    const { Attributes } = await sqsClient().send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
  }

  it('delivers faithful SQSEvents, deletes only successes, and failures come back until the DLQ takes them', async () => {
    const q = await testQueue(2);
    const seen: SQSRecord[] = [];
    const handler: LambdaHandler<SQSEvent, SQSBatchResponse> = (event, context) => {
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      seen.push(...event.Records);
      return { batchItemFailures: event.Records.filter((r) => r.body === 'fail').map((r) => ({ itemIdentifier: r.messageId })) };
    };
    pollers.push(
      startSqsPoller({ sqs: sqsClient(), queueUrl: q.queueUrl, queueArn: q.queueArn, handler, waitTimeSeconds: 1, log: () => {} }),
    );

    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: q.queueUrl,
        MessageBody: 'ok-1',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
      }),
    );
    await sqsClient().send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: 'ok-2' }));
    await sqsClient().send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: 'fail' }));

    // Redrive: after 2 receives the next receive moves the failing message to the DLQ.
    const dlq: string[] = [];
    await waitFor('the failing message in the DLQ', async () => {
      const { Messages } = await sqsClient().send(new ReceiveMessageCommand({ QueueUrl: q.dlqUrl, WaitTimeSeconds: 1 }));
      dlq.push(...(Messages ?? []).map((m) => m.Body ?? ''));
      return dlq.length > 0;
    });
    expect(dlq).toEqual(['fail']);

    const bodies = seen.map((r) => r.body);
    expect(bodies.filter((b) => b === 'ok-1')).toHaveLength(1);
    expect(bodies.filter((b) => b === 'ok-2')).toHaveLength(1);
    expect(seen.filter((r) => r.body === 'fail').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(await counts(q.queueUrl)).toBe(0);

    const first = seen.find((r) => r.body === 'ok-1')!;
    expect(first).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: q.queueArn,
      awsRegion: 'us-east-1',
      md5OfBody: createHash('md5').update('ok-1').digest('hex'),
      messageAttributes: { kind: { stringValue: 'greeting', stringListValues: [], binaryListValues: [], dataType: 'String' } },
    });
    expect(first.messageId).toBeTruthy();
    expect(first.receiptHandle).toBeTruthy();
    expect(Number(first.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(first.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it('deletes nothing when the handler throws: the whole batch comes back', async () => {
    const q = await testQueue(5);
    const deliveries: Array<{ body: string; count: string }> = [];
    let calls = 0;
    const handler: LambdaHandler<SQSEvent, void> = (event) => {
      deliveries.push(...event.Records.map((r) => ({ body: r.body, count: r.attributes.ApproximateReceiveCount })));
      calls += 1;
      if (calls === 1) throw new Error('first attempt fails (expected by the test)');
    };
    await sqsClient().send(new SendMessageCommand({ QueueUrl: q.queueUrl, MessageBody: 'only' }));
    pollers.push(
      startSqsPoller({ sqs: sqsClient(), queueUrl: q.queueUrl, queueArn: q.queueArn, handler, waitTimeSeconds: 1, log: () => {} }),
    );

    await waitFor('the message to be handled successfully', async () => calls >= 2 && (await counts(q.queueUrl)) === 0);
    expect(deliveries).toEqual([
      { body: 'only', count: '1' },
      { body: 'only', count: '2' },
    ]);
    expect(await counts(q.dlqUrl)).toBe(0);
    expect(stderr.mock.calls.map((c: unknown[]) => String(c[0])).join('')).toContain('first attempt fails');
  });
});
