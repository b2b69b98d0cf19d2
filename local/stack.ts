/**
 * The whole embedded runtime in one call: DynamoDB Local + fauxqs (SQS and S3), then the
 * synthesized CDK app run as deployed (local/deployed/): its resources, each function from its own
 * bundle with its own environment and IAM policy, and its triggers (HTTP routes behind a local API
 * Gateway, the SQS event source mapping, the scheduled rule). Used by `npm start` (local/start.ts)
 * and by the jest integration setup (test/helpers/global-setup.ts).
 */
import { join, resolve } from 'node:path';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { FUNCTIONS } from '../infra/definitions.js';
import { ENV } from '../layers/core/src/config.js';
import { scheduledEvent, startRuntime, type DeployedRuntime, type LocalFunction } from './deployed/runtime.js';
import { synthesize } from './deployed/synth.js';
import { DEV_API_KEY, firstApiKey, resolveDevSecrets } from './dev-config.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startHttpServer, type LocalHttpServer } from './http.js';
import { loadHandler, type LambdaHandler } from './lambda.js';
import { dynamoDbClient, s3Client, sqsClient, type LocalResources } from './resources.js';
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
  /** The functions' own output (their JSON logs); this process's stdout/stderr by default. */
  functionLog?: Log;
  /** The offer rule set (JSON), given to the app as the CDK context `offerRules`. Default: $OFFER_RULES. */
  offerRules?: string;
  /**
   * Bench only: run the handlers from their TypeScript source in this process (sharing
   * process.env), so a benchmark can meter the core's SDK clients with useDeps. Not the deployed
   * shape: no per-function environment, permissions or bundles.
   */
  inProcess?: boolean;
}

export interface Stack {
  /** e.g. `http://127.0.0.1:3000` */
  baseUrl: string;
  port: number;
  dynamodbEndpoint: string;
  /** The DynamoDB Local Java process id (fault-injection tests pause it with SIGSTOP/SIGCONT). */
  dynamodbPid: number;
  sqsEndpoint: string;
  s3Endpoint: string;
  /**
   * An environment for code that runs in this process against the emulators (tests, benches, the
   * demo): resource names, direct emulator endpoints, admin credentials, the local secrets. The
   * functions never see it: each runs with its own (`runtime.functions[i].env`).
   */
  env: Record<string, string>;
  /** The API key to send as `x-api-key`. */
  apiKey: string;
  /** Secret env vars whose value came from the environment instead of local/dev-config.ts. */
  overriddenSecrets: string[];
  resources: LocalResources;
  /** The embedded fauxqs, for inspection (inspectQueue, spy is off). */
  fauxqs: FauxqsServer;
  /** The deployed-shape runtime: functions, gateway (with its refusals), schedules. */
  runtime: DeployedRuntime;
  /** Delivers each scheduled rule's target once (what EventBridge does when the rule fires). */
  fireSchedules(): Promise<string[]>;
  /** Invokes the playbook-tick function as its schedule does, at `at` (a simulated time in the demo). */
  tick(at: Date): Promise<unknown>;
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

/** The function the playbook schedule invokes (infra/definitions.ts). */
const PLAYBOOK_TICK = 'playbook-tick';

/** One stack per process keeps ports and logs simple; in-process handlers also share process.env. */
let running = false;
let inProcessRunning = false;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  if (running) throw new Error('a local stack is already running in this process');
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

/** The resources tests and the demo reach directly, found in the template by what uses them. */
function wellKnownResources(runtime: DeployedRuntime): LocalResources {
  const byEnv = (name: string) => {
    const url = runtime.functions.map((f) => f.env[name]).find(Boolean);
    return runtime.queues.find((q) => q.url === url);
  };
  const queue = byEnv(ENV.miningQueueUrl);
  const outbound = byEnv(ENV.outboundQueueUrl);
  const outboundDlq = byEnv(ENV.outboundDlqUrl);
  // The mining DLQ is the queue no function names: only the mining queue's redrive points at it.
  const dlq = runtime.queues.find((q) => ![queue, outbound, outboundDlq].includes(q));
  const bucketName = runtime.functions.map((f) => f.env[ENV.artifactBucket]).find(Boolean);
  const table = runtime.tables[0];
  if (!queue || !dlq || !outbound || !outboundDlq || !table || !bucketName)
    throw new Error('the template lacks the table, the mining or outbound queue, their DLQs or the artifact bucket');
  return {
    tableName: table.name,
    miningQueueUrl: queue.url,
    miningQueueArn: queue.arn,
    miningDlqUrl: dlq.url,
    miningDlqArn: dlq.arn,
    outboundQueueUrl: outbound.url,
    outboundDlqUrl: outboundDlq.url,
    artifactBucket: bucketName,
  };
}

async function start(options: StackOptions): Promise<Stack> {
  const log = options.log ?? stderrLog;
  const port = options.port ?? Number(process.env.PORT ?? 3000);
  const persistDir = options.persistDir ? resolve(options.persistDir) : undefined;
  const offerRules = options.offerRules ?? process.env[ENV.offerRules];
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
    // Independent: the emulators and synthesis (cached) side by side. allSettled, so that when one
    // fails the others have finished starting and get stopped too.
    const [ddbResult, fauxqsResult, assemblyResult] = await Promise.allSettled([
      timed('dynamodb', () => startDynamoDbLocal({ dbPath: persistDir && join(persistDir, 'dynamodb'), log })),
      timed('fauxqs', () =>
        startFauxqs({
          port: 0,
          logger: false,
          defaultRegion: LOCAL_REGION,
          ...(persistDir ? { dataDir: join(persistDir, 'fauxqs') } : {}),
        }),
      ),
      timed('synth', () => synthesize({ context: offerRules ? { offerRules } : {}, log })),
    ]);
    if (ddbResult.status === 'fulfilled') steps.push({ name: 'DynamoDB Local', undo: () => ddbResult.value.stop() });
    if (fauxqsResult.status === 'fulfilled') steps.push({ name: 'fauxqs', undo: () => fauxqsResult.value.stop() });
    if (ddbResult.status === 'rejected') throw ddbResult.reason;
    if (fauxqsResult.status === 'rejected') throw fauxqsResult.reason;
    if (assemblyResult.status === 'rejected') throw assemblyResult.reason;
    const dynamodb: DynamoDbLocal = ddbResult.value;
    const fauxqs: FauxqsServer = fauxqsResult.value;
    const sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
    const endpoints = { dynamodb: dynamodb.endpoint, sqs: sqsEndpoint, s3: sqsEndpoint };
    const clients = { ddb: dynamoDbClient(endpoints.dynamodb), sqsClient: sqsClient(endpoints.sqs), s3Client: s3Client(endpoints.s3) };
    steps.push({
      name: 'admin clients',
      undo: async () => {
        clients.ddb.destroy();
        clients.sqsClient.destroy();
        clients.s3Client.destroy();
      },
    });

    const secrets = resolveDevSecrets(process.env);
    const localEnv = {
      // Local defaults that keep the terminal readable (no EMF metric blobs, no per-request INFO
      // lines on stdout); set them in the environment to see everything.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL || 'WARN',
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED || 'true',
      // No X-Ray daemon here.
      POWERTOOLS_TRACE_ENABLED: 'false',
      // Webhook subscribers on this machine (the demo's receiver, a developer's) listen on http://localhost.
      [ENV.outboundAllowLocalHttp]: 'true',
      // The console's sign-in form comes filled with the dev key, a published value; never with a
      // key of the developer's own (API_KEYS set in the environment), which config.json would expose.
      ...(secrets.overridden.includes(ENV.apiKeys) ? {} : { [ENV.consoleDevApiKey]: DEV_API_KEY }),
    };
    const runtime = await timed('runtime', () =>
      startRuntime({
        assembly: assemblyResult.value,
        emulators: { ...endpoints, ...clients },
        secrets: secrets.values,
        localEnv,
        log,
        functionLog: options.functionLog,
      }),
    );
    steps.push({ name: 'functions', undo: () => runtime.close() });
    const resources = wellKnownResources(runtime);

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
      ...localEnv,
      ...(offerRules ? { [ENV.offerRules]: offerRules } : {}),
      ...secrets.values,
    };

    let invoker = (fn: LocalFunction): Promise<LambdaHandler> =>
      Promise.resolve((event: unknown, context) => runtime.invoke(fn.name, event, context));
    if (options.inProcess) {
      if (inProcessRunning) throw new Error('an in-process stack is already running (process.env can point at only one)');
      inProcessRunning = true;
      const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
      Object.assign(process.env, env);
      // Handler modules stay loaded for the life of the process and @patron/core builds its
      // clients once: force a new "cold start" so they bind to these emulators.
      const { useDeps } = await import('../layers/core/src/deps.js');
      useDeps(undefined);
      steps.push({
        name: 'environment',
        undo: async () => {
          inProcessRunning = false;
          for (const [name, value] of Object.entries(previous)) {
            if (value === undefined) delete process.env[name];
            else process.env[name] = value;
          }
        },
      });
      invoker = (fn) => {
        const definition = FUNCTIONS.find((d) => d.name === fn.name);
        if (!definition) throw new Error(`${fn.name} is in the template but not in infra/definitions.ts`);
        return loadHandler(definition);
      };
    }

    const http: LocalHttpServer = await timed('http', () =>
      startHttpServer({
        port,
        functions: runtime.functions,
        log: options.accessLog ?? log,
        loadHandler: (fn) => invoker(fn as LocalFunction),
      }),
    );
    steps.push({ name: 'HTTP server', undo: () => http.close() });

    const pollers: SqsPoller[] = runtime.functions.flatMap((fn) =>
      fn.template.queueTriggers.map((trigger) => {
        const queue = runtime.queues.find((q) => q.logicalId === trigger.queueLogicalId)!;
        return startSqsPoller({
          sqs: clients.sqsClient,
          queueUrl: queue.url,
          queueArn: queue.arn,
          handler: () => invoker(fn) as Promise<SqsHandler>,
          lazy: true,
          fn,
          batchSize: trigger.batchSize,
          reportBatchItemFailures: trigger.reportBatchItemFailures,
          log,
        });
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
      dynamodbPid: dynamodb.pid,
      sqsEndpoint: endpoints.sqs,
      s3Endpoint: endpoints.s3,
      env,
      apiKey: firstApiKey(env[ENV.apiKeys] ?? '') ?? '',
      overriddenSecrets: secrets.overridden,
      resources,
      fauxqs,
      runtime,
      fireSchedules: () => runtime.fireSchedules(),
      tick: (at) => runtime.invoke(PLAYBOOK_TICK, scheduledEvent(at)),
      timings,
      stop: () => (stopping ??= unwind(steps, log)),
    };
  } catch (error) {
    await unwind(steps, log).catch(() => {});
    throw error;
  }
}
