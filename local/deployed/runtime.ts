/**
 * Runs a synthesized cloud assembly on the local emulators, as deployed:
 * - resources from the template (tables, queues with their redrive, buckets);
 * - each function from its code asset and layers, laid out as Lambda lays them out, in its own
 *   execution environments with exactly its template environment (references resolved to the
 *   local resources, secret ARNs to their local values) plus what Lambda itself sets;
 * - every AWS call a function makes checked against its own synthesized IAM statements;
 * - triggers from the template: HTTP routes, SQS event source mappings, scheduled rules;
 * - the stack's own EventBridge buses (PutEvents, pattern rules to SQS targets), when it has any.
 */
import { FUNCTIONS } from '../../infra/definitions.js';
import { cp, mkdir, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { ENV } from '../../layers/core/src/config.js';
import type { FunctionDefinition } from '../../infra/definitions.js';
import { createLambdaContext } from '../lambda.js';
import { ensureBucket, ensureTable } from '../resources.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, REPO_ROOT, type Log } from '../util.js';
import { startAwsGateway, type AwsGateway, type GatewayIdentity } from './aws-gateway.js';
import { FunctionContainers } from './containers.js';
import { startEventBus, type EventBus, type EventBusRule, type RecordedEvent } from './event-bus.js';
import type { ResolvedStatement } from './iam.js';
import type { Assembly } from './synth.js';
import {
  cdkPath,
  isLocallyUnconfigured,
  rateMs,
  readBusRules,
  readFunctions,
  readSchedules,
  referencedId,
  resolveValue,
  resources as resourcesOfType,
  TemplateError,
  type CfnTemplate,
  type LocalReference,
  type TemplateFunction,
  type TemplateSchedule,
} from './template.js';

export interface Emulators {
  dynamodb: string;
  sqs: string;
  s3: string;
  ddb: DynamoDBClient;
  sqsClient: SQSClient;
  s3Client: S3Client;
}

export interface DeployedRuntimeOptions {
  assembly: Assembly;
  emulators: Emulators;
  /** Secret-bearing env var name -> its local value (what the secret would hold in AWS). */
  secrets: Record<string, string>;
  /** Local-only variables (log level, metrics off); never override the template's. */
  localEnv?: Record<string, string>;
  log: Log;
  /** Execution environments per function at most. */
  maxConcurrency?: number;
  /** Where function output goes, line by line; this process's stdout/stderr by default. */
  functionLog?: Log;
}

/** A function as the HTTP front door and the SQS poller see it. */
export interface LocalFunction extends FunctionDefinition {
  template: TemplateFunction;
  /** The resolved environment it runs with (secrets included). */
  env: Record<string, string>;
}

export type { RecordedEvent };

export interface QueueInfo {
  logicalId: string;
  path: string;
  url: string;
  arn: string;
}

export interface DeployedRuntime {
  functions: LocalFunction[];
  queues: QueueInfo[];
  tables: { logicalId: string; path: string; name: string }[];
  buckets: { logicalId: string; path: string; name: string }[];
  schedules: TemplateSchedule[];
  gateway: AwsGateway;
  /** The local EventBridge, when the template has a bus: every accepted event, oldest first. */
  eventBus?: { url: string; events: RecordedEvent[] };
  invoke(functionName: string, event: unknown, context?: Context): Promise<unknown>;
  /** Delivers every scheduled rule's target once, as EventBridge does when the rule fires. */
  fireSchedules(): Promise<string[]>;
  /** Cold starts per function so far. */
  coldStarts(): Record<string, number>;
  close(): Promise<void>;
}

/** What an EventBridge schedule hands a Lambda target: the time it fired for (the tick acts at that time). */
export function scheduledEvent(at: Date) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: at.toISOString(),
    region: LOCAL_REGION,
    resources: [],
    detail: {},
  };
}

/** `Patron/Data/Table/Resource` -> `patron-data-table`: stable, readable local names. */
export function localName(path: string): string {
  const parts = path.split('/').filter((p) => p !== 'Resource');
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, 63);
}

const pseudo: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT_ID,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Patron',
  'AWS::NoValue': '',
};

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${url}`);
  return Attributes.QueueArn;
}

/** Creates every table, queue and bucket of the template locally and returns what references resolve to. */
async function createResources(template: CfnTemplate, emulators: Emulators, log: Log) {
  const refs = new Map<string, LocalReference>();
  const tables: DeployedRuntime['tables'] = [];
  const buckets: DeployedRuntime['buckets'] = [];
  const queues: QueueInfo[] = [];
  const arnPrefix = (service: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;

  for (const [id, r] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const name = localName(cdkPath(r) || id);
    const p = r.Properties ?? {};
    const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    await ensureTable(
      emulators.ddb,
      {
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: p.AttributeDefinitions as never,
        KeySchema: p.KeySchema as never,
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never } : {}),
      },
      ttl?.Enabled ? ttl.AttributeName : undefined,
      log,
    );
    refs.set(id, { ref: name, attributes: { Arn: `${arnPrefix('dynamodb')}:table/${name}` } });
    tables.push({ logicalId: id, path: cdkPath(r), name });
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::S3::Bucket')) {
    const name = localName(cdkPath(r) || id);
    await ensureBucket(emulators.s3Client, name);
    refs.set(id, { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` } });
    buckets.push({ logicalId: id, path: cdkPath(r), name });
  }

  // Queues that others redrive to first, so RedrivePolicy can reference their ARN.
  const sqsQueues = resourcesOfType(template, 'AWS::SQS::Queue').sort(
    ([, a], [, b]) => Number(a.Properties?.RedrivePolicy !== undefined) - Number(b.Properties?.RedrivePolicy !== undefined),
  );
  for (const [id, r] of sqsQueues) {
    const name = localName(cdkPath(r) || id);
    const p = r.Properties ?? {};
    const attributes: Record<string, string> = {};
    if (p.VisibilityTimeout !== undefined) attributes.VisibilityTimeout = String(p.VisibilityTimeout);
    if (p.MessageRetentionPeriod !== undefined) attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
    if (p.RedrivePolicy !== undefined) {
      const redrive = resolveValue(p.RedrivePolicy, refs, pseudo) as { deadLetterTargetArn: string; maxReceiveCount: number };
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: redrive.deadLetterTargetArn,
        maxReceiveCount: String(redrive.maxReceiveCount),
      });
    }
    const { QueueUrl } = await emulators.sqsClient.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
    const arn = await queueArn(emulators.sqsClient, QueueUrl);
    refs.set(id, { ref: QueueUrl, attributes: { Arn: arn, QueueName: name, QueueUrl } });
    queues.push({ logicalId: id, path: cdkPath(r), url: QueueUrl, arn });
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::Events::EventBus')) {
    const name = localName(cdkPath(r) || id);
    refs.set(id, { ref: name, attributes: { Arn: `${arnPrefix('events')}:event-bus/${name}`, Name: name } });
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
    refs.set(id, { ref: `${arnPrefix('secretsmanager')}:secret:${localName(cdkPath(r) || id)}`, attributes: {} });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
    const name = `/patron/${localName(cdkPath(r) || id)}`;
    refs.set(id, { ref: name, attributes: { Arn: `${arnPrefix('logs')}:log-group:${name}:*` } });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const name = localName(cdkPath(r) || id);
    refs.set(id, { ref: name, attributes: { Arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}` } });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const name = localName(cdkPath(r) || id);
    refs.set(id, { ref: name, attributes: { Arn: `${arnPrefix('lambda')}:function:${name}` } });
  }
  for (const [id, r] of resourcesOfType(template, 'AWS::Lambda::LayerVersion')) {
    refs.set(id, { ref: `${arnPrefix('lambda')}:layer:${localName(cdkPath(r) || id)}:1`, attributes: {} });
  }
  return { refs, tables, buckets, queues };
}

/**
 * Lays the code out as Lambda does, outside the repository (so Node's upward node_modules search
 * cannot reach the repo's packages): `<root>/functions/<name>/task` is /var/task,
 * `<root>/functions/<name>/node_modules` links the function's layers' `nodejs/node_modules`
 * (/opt/nodejs/node_modules), and `<root>/node_modules/@aws-sdk` stands for the SDK the Lambda
 * Node.js runtime provides. Nothing else is reachable: a dependency that the bundle or the layer
 * forgot fails here as it would in AWS.
 */
async function layOut(assembly: Assembly, functions: TemplateFunction[]): Promise<string> {
  // Keyed by checkout too: the runtime-SDK link points into this checkout's node_modules.
  const checkout = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8);
  const parent = join(tmpdir(), 'patron-lambda');
  const root = join(parent, `${checkout}-${basename(assembly.dir)}`);
  const done = join(root, '.complete');
  if (existsSync(done)) return root;
  await pruneLayouts(parent);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'node_modules'), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules', '@aws-sdk'), join(root, 'node_modules', '@aws-sdk'), 'dir');
  const layers = new Set(functions.flatMap((f) => f.layerAssetPaths));
  for (const layer of layers) await cp(join(assembly.dir, layer), join(root, 'layers', layer), { recursive: true });
  for (const fn of functions) {
    const base = join(root, 'functions', fn.name);
    await cp(join(assembly.dir, fn.assetPath), join(base, 'task'), { recursive: true });
    const modules = join(base, 'node_modules');
    await mkdir(modules, { recursive: true });
    for (const layer of fn.layerAssetPaths) {
      const layerModules = join(root, 'layers', layer, 'nodejs', 'node_modules');
      if (!existsSync(layerModules)) continue;
      for (const entry of await readdir(layerModules)) {
        const entries = entry.startsWith('@') ? (await readdir(join(layerModules, entry))).map((e) => join(entry, e)) : [entry];
        for (const name of entries) {
          const link = join(modules, name);
          await mkdir(join(link, '..'), { recursive: true });
          // Later layers overwrite earlier ones, as Lambda extracts them in order into /opt.
          await rm(link, { recursive: true, force: true });
          await symlink(join(layerModules, name), link, 'dir');
        }
      }
    }
  }
  await writeFile(done, new Date().toISOString());
  return root;
}

const IN_USE = '.in-use-';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Whether a running process still uses the layout (it leaves `.in-use-<pid>` while it runs). */
async function inUse(dir: string): Promise<boolean> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  return entries.some((e) => e.startsWith(IN_USE) && alive(Number(e.slice(IN_USE.length))));
}

/** Keeps the newest few layouts (each holds a copy of the layer), and every one a live stack uses. */
async function pruneLayouts(parent: string, keep = 4): Promise<void> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  const dated = await Promise.all(entries.map(async (e) => ({ e, t: (await stat(join(parent, e))).mtimeMs })));
  for (const { e } of dated.sort((a, b) => b.t - a.t).slice(keep)) {
    if (!(await inUse(join(parent, e)))) await rm(join(parent, e), { recursive: true, force: true });
  }
}

/** Marks a layout as used by this process until `release` is called (or the process dies). */
async function claim(root: string): Promise<() => Promise<void>> {
  const marker = join(root, `${IN_USE}${process.pid}`);
  await writeFile(marker, '');
  return () => rm(marker, { force: true });
}

/** The function's environment: the template's variables, resolved, then what Lambda sets itself. */
function functionEnvironment(
  fn: TemplateFunction,
  template: CfnTemplate,
  refs: Map<string, LocalReference>,
  secrets: Record<string, string>,
  extra: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    const target = referencedId(value);
    if (target && template.Resources[target]?.Type === 'AWS::SecretsManager::Secret') {
      // In AWS the variable holds the ARN and the code fetches the value at cold start; locally
      // there is no Secrets Manager, so it holds the value (config.ts accepts either).
      const local = secrets[name];
      if (local === undefined) throw new TemplateError(`${fn.name}: ${name} names a secret with no local value (local/dev-config.ts)`);
      env[name] = local;
    } else if (isLocallyUnconfigured(value, template)) {
      // No local Cognito: sign-in variables are empty, so sign-in is "not configured" (see isLocallyUnconfigured).
      env[name] = '';
    } else {
      env[name] = String(resolveValue(value, refs, pseudo));
    }
  }
  return { ...extra, ...env };
}

/** The local EventBridge for the template's buses and their pattern rules; none without a bus. */
async function startBus(
  template: CfnTemplate,
  refs: Map<string, LocalReference>,
  emulators: Emulators,
  log: Log,
): Promise<EventBus | undefined> {
  const buses = resourcesOfType(template, 'AWS::Events::EventBus').map(([id]) => refs.get(id)!.ref);
  if (buses.length === 0) return undefined;
  const rules: EventBusRule[] = readBusRules(template).map((rule) => ({
    name: rule.logicalId,
    busName: refs.get(rule.busLogicalId)!.ref,
    pattern: rule.eventPattern,
    targets: rule.targets.map((t) => {
      const type = template.Resources[t.targetLogicalId]?.Type;
      if (type !== 'AWS::SQS::Queue') throw new TemplateError(`rule ${rule.logicalId}: targets of type ${type} are not emulated`);
      const { targetLogicalId, ...target } = t;
      return { ...target, queueUrl: refs.get(targetLogicalId)!.ref };
    }),
  }));
  return startEventBus({
    buses,
    rules,
    deliver: async (target, body) => {
      await emulators.sqsClient.send(new SendMessageCommand({ QueueUrl: target.queueUrl, MessageBody: body }));
    },
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT_ID,
    log,
  });
}

export async function startRuntime(options: DeployedRuntimeOptions): Promise<DeployedRuntime> {
  const { assembly, emulators, log } = options;
  const template = assembly.template;
  const templateFunctions = readFunctions(template);
  const { refs, tables, buckets, queues } = await createResources(template, emulators, log);
  const root = await layOut(assembly, templateFunctions);
  const release = await claim(root);

  const identities = new Map<string, GatewayIdentity>();
  const functions: LocalFunction[] = [];
  for (const fn of templateFunctions) {
    const accessKeyId = `LOCAL${fn.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
    const statements: ResolvedStatement[] = fn.statements.map((s) => ({
      effect: s.Effect,
      actions: s.Action,
      resources: (resolveValue(s.Resource, refs, pseudo) as unknown[]).map(String),
      conditional: s.Condition !== undefined,
    }));
    const roleId = referencedId(template.Resources[fn.logicalId]?.Properties?.Role) ?? fn.logicalId;
    identities.set(accessKeyId, { functionName: fn.name, roleName: refs.get(roleId)?.ref ?? roleId, statements });
    const taskDir = join(root, 'functions', fn.name, 'task');
    const functionName = refs.get(fn.logicalId)?.ref ?? fn.name;
    const lambdaEnv = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'local-secret',
      AWS_SESSION_TOKEN: `local-session-${fn.name}`,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      LAMBDA_TASK_ROOT: taskDir,
    };
    functions.push({
      name: fn.name,
      entry: taskDir,
      description: '',
      routes: fn.routes,
      memoryMb: fn.memoryMb,
      timeoutSeconds: fn.timeoutSeconds,
      ...(fn.queueTriggers.length > 0 ? { queue: FUNCTIONS.find((d) => d.name === fn.name)?.queue ?? ('mining' as const) } : {}),
      template: fn,
      // Endpoints are filled in once the gateway listens (below).
      env: { ...lambdaEnv, ...functionEnvironment(fn, template, refs, options.secrets, options.localEnv ?? {}) },
    });
  }

  const eventBus = await startBus(template, refs, emulators, log);
  const gateway = await startAwsGateway({
    upstream: {
      dynamodb: emulators.dynamodb,
      sqs: emulators.sqs,
      s3: emulators.s3,
      ...(eventBus ? { events: eventBus.url } : {}),
    },
    identities,
    arn: { region: LOCAL_REGION, account: LOCAL_ACCOUNT_ID },
    log,
  });
  const containers = new Map<string, FunctionContainers>();
  for (const fn of functions) {
    // The local network: every SDK call goes to the gateway, which checks it against the role.
    Object.assign(fn.env, {
      [ENV.dynamodbEndpoint]: gateway.url,
      [ENV.sqsEndpoint]: gateway.url,
      [ENV.s3Endpoint]: gateway.url,
      [ENV.eventBridgeEndpoint]: gateway.url,
    });
    containers.set(
      fn.name,
      new FunctionContainers(
        {
          name: fn.name,
          taskDir: fn.entry,
          handler: fn.template.handler,
          env: fn.env,
          memoryMb: fn.memoryMb ?? 128,
          timeoutSeconds: fn.timeoutSeconds ?? 3,
          ...(options.functionLog ? { output: options.functionLog } : {}),
        },
        options.maxConcurrency,
      ),
    );
  }

  const invoke = (name: string, event: unknown, context?: Context) => {
    const pool = containers.get(name);
    const fn = functions.find((f) => f.name === name);
    if (!pool || !fn) throw new Error(`no function named ${name} in the template`);
    return pool.invoke(event, context ?? createLambdaContext(fn));
  };

  const schedules = readSchedules(template);
  const fire = async (schedule: TemplateSchedule): Promise<void> => {
    for (const target of schedule.targets) {
      const type = template.Resources[target.targetLogicalId]?.Type;
      if (type === 'AWS::SQS::Queue') {
        const url = refs.get(target.targetLogicalId)!.ref;
        await emulators.sqsClient.send(new SendMessageCommand({ QueueUrl: url, MessageBody: target.input ?? '{}' }));
      } else if (type === 'AWS::Lambda::Function') {
        const fn = templateFunctions.find((f) => f.logicalId === target.targetLogicalId)!;
        const event = target.input ? JSON.parse(target.input) : scheduledEvent(new Date());
        await invoke(fn.name, event);
      } else {
        throw new TemplateError(`schedule ${schedule.logicalId}: targets of type ${type} are not emulated`);
      }
    }
  };
  const timers = schedules.flatMap((s) => {
    const every = rateMs(s.expression);
    if (every === undefined) return [];
    const timer = setInterval(() => fire(s).catch((e: unknown) => log(`schedule ${s.logicalId} failed: ${String(e)}`)), every);
    timer.unref();
    return [timer];
  });

  return {
    functions,
    queues,
    tables,
    buckets,
    schedules,
    gateway,
    ...(eventBus ? { eventBus: { url: eventBus.url, events: eventBus.events } } : {}),
    invoke,
    fireSchedules: async () => {
      for (const s of schedules) await fire(s);
      return schedules.map((s) => s.logicalId);
    },
    coldStarts: () => Object.fromEntries([...containers].map(([name, pool]) => [name, pool.coldStarts])),
    close: async () => {
      for (const t of timers) clearInterval(t);
      await Promise.all([...containers.values()].map((c) => c.close()));
      await gateway.close();
      await eventBus?.close();
      await release();
    },
  };
}
