/**
 * The whole embedded runtime in one call: DynamoDB Local + fauxqs (SQS and S3), the resources of
 * infra/definitions.ts, the environment every function expects, the HTTP front door and the SQS
 * pollers for queue-triggered functions. Used by `npm start` (local/start.ts) and by the jest
 * integration setup (test/helpers/global-setup.ts).
 */
import { join, resolve } from 'node:path';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { FUNCTIONS, MINING_QUEUE, type FunctionDefinition } from '../infra/definitions.js';
import { ENV } from '../layers/core/src/config.js';
import { firstApiKey, resolveDevSecrets } from './dev-config.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startHttpServer, type LocalHttpServer } from './http.js';
import { loadHandler } from './lambda.js';
import { createResources, sqsClient, type LocalResources } from './resources.js';
import { startSqsPoller, type SqsHandler, type SqsPoller } from './sqs-poller.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, stderrLog, type Log } from './util.js';

export interface StackOptions {
  /** HTTP port; 0 picks a free one. Default: $PORT or 3000. */
  port?: number;
  /** Keep DynamoDB and fauxqs data in this directory across restarts; in memory when omitted. */
  persistDir?: string;
  /** Diagnostics (stderr by default). */
  log?: Log;
  /** One line per HTTP request; `log` by default. */
  accessLog?: Log;
  /** Functions to serve; FUNCTIONS by default. */
  functions?: readonly FunctionDefinition[];
}

export interface Stack {
  /** e.g. `http://127.0.0.1:3000` */
  baseUrl: string;
  port: number;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  s3Endpoint: string;
  /** Every variable the stack put in process.env (secrets included). */
  env: Record<string, string>;
  /** The API key to send as `x-api-key`. */
  apiKey: string;
  /** Secret env vars whose value came from the environment instead of local/dev-config.ts. */
  overriddenSecrets: string[];
  resources: LocalResources;
  /** The embedded fauxqs, for inspection (inspectQueue, spy is off). */
  fauxqs: FauxqsServer;
  /** Milliseconds spent in each start phase. */
  timings: Record<string, number>;
  /** Tears everything down in reverse order, each step awaited. Idempotent. */
  stop(): Promise<void>;
}

type Step = { name: string; undo: () => Promise<void> };

async function unwind(steps: Step[], log: Log): Promise<void> {
  const errors: unknown[] = [];
  for (const step of [...steps].reverse()) {
    try {
      await step.undo();
    } catch (error) {
      errors.push(error);
      log(`stopping ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  steps.length = 0;
  if (errors.length > 0) throw new AggregateError(errors, 'some parts of the local stack did not stop cleanly');
}

/** process.env holds one set of endpoints, so one stack at a time per process. */
let running = false;
let startedBefore = false;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (running) throw new Error('a local stack is already running in this process (process.env can point at only one)');
  running = true;
  try {
    const stack = await start(options);
    const stop = stack.stop;
    let stopping: Promise<void> | undefined;
    return {
      ...stack,
      stop: () =>
        (stopping ??= stop().finally(() => {
          running = false;
        })),
    };
  } catch (error) {
    running = false;
    throw error;
  }
}

async function start(options: StackOptions): Promise<Stack> {
  const log = options.log ?? stderrLog;
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  const functions = options.functions ?? FUNCTIONS;
  const persistDir = options.persistDir ? resolve(options.persistDir) : undefined;
  const timings: Record<string, number> = {};
  const steps: Step[] = [];
  const started = Date.now();
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };

  try {
    // The two emulators are independent: start them side by side (Java dominates). allSettled, so
    // that when one fails the other has finished starting and gets stopped too.
    const [ddbResult, fauxqsResult] = await Promise.allSettled([
      timed('dynamodb', () => startDynamoDbLocal({ dbPath: persistDir && join(persistDir, 'dynamodb'), log })),
      timed('fauxqs', () =>
        startFauxqs({ port: 0, logger: false, defaultRegion: LOCAL_REGION, ...(persistDir ? { dataDir: join(persistDir, 'fauxqs') } : {}) }),
      ),
    ]);
    if (ddbResult.status === 'fulfilled') steps.push({ name: 'DynamoDB Local', undo: () => ddbResult.value.stop() });
    if (fauxqsResult.status === 'fulfilled') steps.push({ name: 'fauxqs', undo: () => fauxqsResult.value.stop() });
    if (ddbResult.status === 'rejected') throw ddbResult.reason;
    if (fauxqsResult.status === 'rejected') throw fauxqsResult.reason;
    const dynamodb: DynamoDbLocal = ddbResult.value;
    const fauxqs: FauxqsServer = fauxqsResult.value;
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    const endpoints = { dynamodb: dynamodb.endpoint, sqs: sqsEndpoint, s3: sqsEndpoint };

    const resources = await timed('resources', () => createResources(endpoints, { log, functions }));

    const secrets = resolveDevSecrets(process.env);
    const env: Record<string, string> = {
      [ENV.tableName]: resources.tableName,
      [ENV.miningQueueUrl]: resources.miningQueueUrl,
      [ENV.artifactBucket]: resources.artifactBucket,
      [ENV.dynamodbEndpoint]: endpoints.dynamodb,
      [ENV.sqsEndpoint]: endpoints.sqs,
      [ENV.s3Endpoint]: endpoints.s3,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      POWERTOOLS_SERVICE_NAME: 'patron',
      // Local defaults that keep the terminal readable (no EMF metric blobs, no per-request INFO
      // lines on stdout); set them in the environment to see everything.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL || 'WARN',
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED || 'true',
      ...secrets.values,
    };
    const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    if (startedBefore) {
      // Handler modules stay loaded (warm) for the life of the process, and @patron/core builds its
      // clients once per cold start: force a new "cold start" so they bind to the new emulators.
      const { useDeps } = await import('../layers/core/src/deps.js');
      useDeps(undefined);
    }
    startedBefore = true;
    steps.push({
      name: 'environment',
      undo: async () => {
        for (const [name, value] of Object.entries(previous)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      },
    });

    const http: LocalHttpServer = await timed('http', () => startHttpServer({ port, functions, log: options.accessLog ?? log }));
    steps.push({ name: 'HTTP server', undo: () => http.close() });

    const sqs = sqsClient(endpoints.sqs);
    steps.push({ name: 'SQS client', undo: async () => sqs.destroy() });
    const pollers: SqsPoller[] = functions
      .filter((fn) => fn.queue === 'mining')
      .map((fn) =>
        startSqsPoller({
          sqs,
          queueUrl: resources.miningQueueUrl,
          queueArn: resources.miningQueueArn,
          handler: () => loadHandler(fn) as Promise<SqsHandler>,
          lazy: true,
          fn,
          batchSize: MINING_QUEUE.batchSize,
          log,
        }),
      );
    for (const [i, poller] of pollers.entries()) steps.push({ name: `SQS poller ${i + 1}`, undo: () => poller.stop() });

    timings.total = Date.now() - started;
    log(
      `local stack up in ${timings.total} ms (` +
        Object.entries(timings)
          .filter(([k]) => k !== 'total')
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ') +
        ')',
    );

    let stopping: Promise<void> | undefined;
    return {
      baseUrl: http.url,
      port: http.port,
      dynamodbEndpoint: endpoints.dynamodb,
      sqsEndpoint: endpoints.sqs,
      s3Endpoint: endpoints.s3,
      env,
      apiKey: firstApiKey(env[ENV.apiKeys] ?? '') ?? '',
      overriddenSecrets: secrets.overridden,
      resources,
      fauxqs,
      timings,
      stop: () => (stopping ??= unwind(steps, log)),
    };
  } catch (error) {
    await unwind(steps, log).catch(() => {});
    throw error;
  }
}
