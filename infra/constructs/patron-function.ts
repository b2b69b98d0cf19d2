import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type ILayerVersion, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, type ICommandHooks, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { join } from 'node:path';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../layers/core/src/config.js';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, type FunctionDefinition } from '../definitions.js';
import { CORE_PACKAGE } from './core-layer.js';
import { ESM_REQUIRE_BANNER, fromRoot } from './paths.js';
import { ESBUILD_TARGET, LAMBDA_RUNTIME } from './runtime.js';

export { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS };

/** Env vars every Patron function gets, whatever its definition says. */
export const BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: 'patron',
};

/**
 * What `tracing: Tracing.ACTIVE` adds to the execution role (as aws-lambda's Function writes it),
 * to acknowledge its wildcard: X-Ray trace writes support no resource-level permissions.
 */
const XRAY_WRITE_STATEMENT = new PolicyStatement({
  actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  resources: ['*'],
});

/**
 * Builds the web console into the function's bundle (a `console/` folder beside the handler), so the
 * asset hash, the deployed code and what the local stack serves all come from one build.
 */
const CONSOLE_BUILD_HOOKS: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir: string, outputDir: string) => [
    `"${join(inputDir, 'node_modules', '.bin', 'tsx')}" "${join(inputDir, 'console', 'build.ts')}" --out "${join(outputDir, 'console')}"`,
  ],
};

export interface PatronFunctionProps {
  /** The entry of infra/definitions.ts FUNCTIONS this function implements. */
  readonly definition: FunctionDefinition;
  /** The `@patron/core` layer (see CoreLayer). */
  readonly coreLayer: ILayerVersion;
  /** Merged over BASE_ENVIRONMENT (caller wins). */
  readonly environment?: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Merged over the Patron bundling defaults (caller wins). */
  readonly bundling?: BundlingOptions;
}

/**
 * A Patron Lambda function: Node.js (LAMBDA_RUNTIME) on arm64, ESM bundle built locally by esbuild with
 * `@patron/core` left to the core layer, its own log group and an execution role that only
 * holds what the `use*` helpers and event sources grant.
 *
 * The role and log group live next to the function (under a construct named by `id`), since
 * both must exist before `super()`; the function itself is the child `Handler`.
 */
export class PatronFunction extends NodejsFunction {
  readonly definition: FunctionDefinition;
  readonly executionRole: IRole;
  readonly functionLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PatronFunctionProps) {
    const { definition } = props;
    const group = new Construct(scope, id);
    const role = new Role(group, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the Patron ${definition.name} function`,
    });
    const logGroup = new LogGroup(group, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    super(group, 'Handler', {
      entry: fromRoot(definition.entry),
      handler: 'handler',
      description: definition.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: definition.memoryMb ?? DEFAULT_MEMORY_MB,
      timeout: Duration.seconds(definition.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
      // Traces of the handler and every AWS SDK call (Powertools Tracer in @patron/core).
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      layers: [props.coreLayer],
      environment: { ...BASE_ENVIRONMENT, ...props.environment },
      projectRoot: fromRoot(),
      depsLockFilePath: fromRoot('package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // The SDK is bundled on purpose (tree-shaken, faster cold start than the runtime's copy);
        // only the core package is external: it comes from the layer at /opt/nodejs/node_modules.
        externalModules: [CORE_PACKAGE],
        // The tsconfig maps @patron/core to its source; `external` wins over the path mapping, so
        // the import stays a bare specifier the runtime resolves from the layer.
        tsconfig: fromRoot('tsconfig.json'),
        logLevel: LogLevel.WARNING,
        ...(definition.bundlesConsole ? { commandHooks: CONSOLE_BUILD_HOOKS } : {}),
        ...props.bundling,
      },
    });

    this.definition = definition;
    this.executionRole = role;
    this.functionLogGroup = logGroup;

    // Write access to its own log group only (instead of AWSLambdaBasicExecutionRole, which allows
    // every log group of the account).
    logGroup.grantWrite(role);

    this.acknowledgeWildcards(
      [XRAY_WRITE_STATEMENT],
      'X-Ray: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, ' +
        'so active tracing can only be granted on "*".',
    );
  }

  /** Sets TABLE_NAME and grants item read (or read/write) access to the table and its indexes. */
  useTable(table: ITable, mode: 'read' | 'readwrite'): this {
    this.addEnvironment(ENV.tableName, table.tableName);
    const grant = mode === 'read' ? table.grantReadData(this) : table.grantReadWriteData(this);
    this.acknowledgeWildcards(
      grant.principalStatements,
      'Scoped to the one Patron table: the only wildcard is <table>/index/*, which the CDK grant adds ' +
        'so the function can Query the GSIs of that table.',
    );
    return this;
  }

  /** Sets `envName` (MINING_QUEUE_URL by default) to the queue's URL and grants send on it. */
  useQueue(queue: IQueue, envName: string = ENV.miningQueueUrl): this {
    this.addEnvironment(envName, queue.queueUrl);
    queue.grantSendMessages(this);
    return this;
  }

  /** Sets ARTIFACT_BUCKET and grants object read (or read/write) access to the bucket. */
  useBucket(bucket: IBucket, mode: 'read' | 'readwrite'): this {
    this.addEnvironment(ENV.artifactBucket, bucket.bucketName);
    const grant = mode === 'read' ? bucket.grantRead(this) : bucket.grantReadWrite(this);
    this.acknowledgeWildcards(
      grant.principalStatements,
      'Scoped to the one artifact bucket: object keys are generated per mining run, so access is to ' +
        '<bucket>/*, and the CDK grant uses the s3:GetObject*/List*/DeleteObject* action families.',
    );
    return this;
  }

  /**
   * Sets `envName` to the secret's ARN and grants read on that secret. The code resolves
   * `arn:aws:secretsmanager:` values at cold start and again every 5 minutes (deps.ts), so a rotated
   * secret reaches warm functions within that time.
   */
  useSecret(envName: string, secret: ISecret): this {
    this.addEnvironment(envName, secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  /**
   * cdk-nag v3 acknowledges IAM5 per finding (`AwsSolutions-IAM5[Action::x]`,
   * `AwsSolutions-IAM5[Resource::y]`); this acknowledges exactly the wildcards of the given statements
   * (one grant's), so a wildcard added anywhere else still fails the check.
   */
  private acknowledgeWildcards(statements: readonly PolicyStatement[], reason: string): void {
    const stack = Stack.of(this);
    const findings = new Set<string>();
    for (const statement of statements) {
      const json = stack.resolve(statement.toStatementJson()) as { Action?: unknown; Resource?: unknown };
      for (const action of toArray(json.Action)) {
        if (typeof action === 'string' && action.includes('*')) findings.add(`Action::${action}`);
      }
      for (const resource of toArray(json.Resource)) {
        const flat = flattenReference(resource);
        if (flat.includes('*')) findings.add(`Resource::${flat}`);
      }
    }
    for (const finding of findings) {
      Validations.of(this.executionRole).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    }
  }
}

const toArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The flat form cdk-nag uses to name an IAM resource in a finding (`<Logical.Arn>/index/*`). */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (Array.isArray(o['Fn::Join'])) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (o['Fn::Sub'] !== undefined) return flattenReference(o['Fn::Sub']);
  if (Array.isArray(o['Fn::GetAtt'])) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (o['Fn::ImportValue'] !== undefined) return flattenReference(o['Fn::ImportValue']);
  if (o.Ref !== undefined) return `<${flattenReference(o.Ref)}>`;
  return JSON.stringify(node);
}
