import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../layers/core/src/config.js';
import { FUNCTIONS, type FunctionDefinition, MINING_QUEUE, SECRET_ENV, SIGN_IN_ENV, signInOf, TABLE } from '../../infra/definitions.js';
import { BASE_ENVIRONMENT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS } from '../../infra/constructs/patron-function.js';
import type { PatronStack } from '../../infra/stacks/patron-stack.js';
import { logicalId, type Resources, type SynthesizedPatron, synthPatron } from './synth.js';

let synth: SynthesizedPatron;
let stack: PatronStack;
let template: Template;
let resources: Resources;

beforeAll(() => {
  synth = synthPatron();
  ({ stack, template } = synth);
  resources = template.toJSON().Resources as Resources;
}, 120_000);

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const fnId = (name: string) => logicalId(stack.functions.byName.get(name)!);
const fnProps = (name: string) => resources[fnId(name)]!.Properties!;

/** Statements of the (single) inline policy attached to a function's execution role. */
function roleStatements(name: string): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  const roleId = logicalId(stack.functions.byName.get(name)!.executionRole);
  const policies = ofType('AWS::IAM::Policy').filter(([, p]) =>
    (p.Properties!.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
  );
  return policies.flatMap(([, p]) => p.Properties!.PolicyDocument.Statement);
}
const actionsOf = (statements: ReturnType<typeof roleStatements>) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const toList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const resourcesOf = (statements: ReturnType<typeof roleStatements>, actionPrefix: string) =>
  statements
    .filter((s) => actionsOf([s]).some((a) => a.startsWith(actionPrefix)))
    .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));

/** Env var names a definition implies, beyond BASE_ENVIRONMENT. */
function expectedEnvNames(def: FunctionDefinition): string[] {
  return [
    ...Object.keys(BASE_ENVIRONMENT),
    ...(def.table ? [ENV.tableName] : []),
    ...(def.miningQueue ? [ENV.miningQueueUrl] : []),
    ...(def.outboundQueue ? [ENV.outboundQueueUrl] : []),
    ...(def.outboundDeadLetters ? [ENV.outboundDlqUrl] : []),
    ...(def.eventBus ? [ENV.eventBusName] : []),
    ...(def.artifactBucket ? [ENV.artifactBucket] : []),
    ...(def.secrets ?? []).flatMap((s) => SECRET_ENV[s]),
    // Values checked in sign-in.test.ts.
    ...(signInOf(def) ? SIGN_IN_ENV[signInOf(def)!] : []),
  ].sort();
}

describe('data', () => {
  it('has the single table: string keys, on demand, PITR, TTL, KMS encryption, every GSI', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE.sortKey, AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((g) => ({
        IndexName: g.indexName,
        KeySchema: [
          { AttributeName: g.partitionKey, KeyType: 'HASH' },
          { AttributeName: g.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });

  it('retains the table when the stack is deleted or the table replaced', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('blocks public access, encrypts and requires TLS on every bucket', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(2);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties!.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
        SSEAlgorithm: 'AES256',
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('expires mining artifacts, aborts stale multipart uploads and logs access to the log bucket', () => {
    const artifacts = logicalId(stack.data.artifactBucket);
    const props = resources[artifacts]!.Properties!;
    expect(props.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Status: 'Enabled',
          ExpirationInDays: 90,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      ]),
    );
    expect(props.LoggingConfiguration).toEqual(
      expect.objectContaining({ DestinationBucketName: { Ref: logicalId(stack.data.accessLogsBucket) } }),
    );
  });

  it('keeps every secret value out of the template', () => {
    const secrets = ofType('AWS::SecretsManager::Secret');
    const envNames = Object.values(SECRET_ENV).flat();
    expect(secrets.length).toBeGreaterThanOrEqual(envNames.length);
    for (const [id, secret] of secrets) {
      const p = secret.Properties!;
      if (p.SecretString !== undefined) {
        // Only a dynamic reference (resolved by CloudFormation at deploy time) is acceptable.
        expect({ id, value: JSON.stringify(p.SecretString) }).toEqual({
          id,
          value: expect.stringContaining('{{resolve:secretsmanager:'),
        });
      } else {
        expect(p.GenerateSecretString).toBeDefined();
      }
    }
  });
});

describe('mining queue', () => {
  const consumers = FUNCTIONS.filter((f) => f.queue === 'mining');
  const longestConsumerTimeout = consumers.length ? Math.max(...consumers.map((f) => f.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS)) : 60;

  it('redrives to the DLQ after MINING_QUEUE.maxReceiveCount receives', () => {
    const q = resources[logicalId(stack.mining.queue)]!.Properties!;
    expect(q.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.mining.deadLetterQueue), 'Arn'] },
      maxReceiveCount: MINING_QUEUE.maxReceiveCount,
    });
  });

  it('uses a visibility timeout of at least 6x the longest consumer timeout', () => {
    const q = resources[logicalId(stack.mining.queue)]!.Properties!;
    expect(q.VisibilityTimeout).toBeGreaterThanOrEqual(6 * longestConsumerTimeout);
  });

  it('encrypts both queues, requires TLS on both, keeps dead letters 14 days', () => {
    for (const queue of [stack.mining.queue, stack.mining.deadLetterQueue]) {
      const id = logicalId(queue);
      expect(resources[id]!.Properties!.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
    expect(resources[logicalId(stack.mining.deadLetterQueue)]!.Properties!.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('is fed daily by a start message that the mining worker turns into a run', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack.mining.queue), 'Arn'] },
          Input: JSON.stringify(MINING_QUEUE.scheduledMessage),
        }),
      ],
    });
  });

  it('triggers every queue consumer with partial batch failures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(FUNCTIONS.filter((f) => f.queue).length);
    for (const def of consumers) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: fnId(def.name) },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.mining.queue), 'Arn'] },
        BatchSize: MINING_QUEUE.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });
});

describe('core layer', () => {
  it('targets Node.js 22 on arm64', () => {
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
    });
  });

  it('ships @patron/core as an ESM package under nodejs/node_modules, with the AWS SDK clients it uses bundled (pinned)', () => {
    const [, layer] = ofType('AWS::Lambda::LayerVersion')[0]!;
    const dir = join(synth.outdir, layer.Metadata!['aws:asset:path'], 'nodejs', 'node_modules', '@patron', 'core');
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: '@patron/core', type: 'module', main: './index.mjs' });
    expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
    const sources: string[] = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')).sources;
    expect(sources.some((s) => s.includes('layers/core/src/'))).toBe(true);
    // The lockfile's SDK, not the runtime's: the clients the core imports are in the bundle.
    for (const client of ['client-dynamodb', 'lib-dynamodb', 'client-sqs', 'client-s3']) {
      expect(sources.some((s) => s.includes(`node_modules/@aws-sdk/${client}/`))).toBe(true);
    }
  });
});

describe('functions', () => {
  it('has exactly one function per definition', () => {
    template.resourceCountIs('AWS::Lambda::Function', FUNCTIONS.length);
    expect([...stack.functions.byName.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  describe.each(FUNCTIONS.map((def) => [def.name, def] as const))('%s', (name, def) => {
    it('runs Node.js 24 on arm64 with the core layer and the definition sizing', () => {
      const p = fnProps(name);
      expect(p.Runtime).toBe('nodejs24.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Handler).toBe('index.handler');
      expect(p.Layers).toEqual([{ Ref: logicalId(stack.coreLayer.layer) }]);
      expect(p.MemorySize).toBe(def.memoryMb ?? DEFAULT_MEMORY_MB);
      expect(p.Timeout).toBe(def.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
    });

    it('logs to its own log group with a retention', () => {
      const logGroupRef = fnProps(name).LoggingConfig.LogGroup;
      expect(logGroupRef).toEqual({ Ref: expect.any(String) });
      const logGroup = resources[logGroupRef.Ref]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties!.RetentionInDays).toBe(30);
    });

    it('bundles its own code but not @patron/core (it comes from the layer)', () => {
      const meta = resources[fnId(name)]!.Metadata!;
      const dir = join(synth.outdir, meta['aws:asset:path']);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      const sources: string[] = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')).sources;
      expect(sources.some((s) => s.endsWith(def.entry))).toBe(true);
      expect(sources.filter((s) => s.includes('layers/core/src/'))).toEqual([]);
      // Whatever it uses of the core package stays a bare ESM import for the runtime to resolve.
      expect(code).not.toMatch(/require\(["']@patron\/core["']\)/);
      if (code.includes('@patron/core')) expect(code).toMatch(/from\s*["']@patron\/core["']/);
    });

    it('gets exactly the env vars its definition implies', () => {
      const env = fnProps(name).Environment.Variables as Record<string, unknown>;
      expect(Object.keys(env).sort()).toEqual(expectedEnvNames(def));
      for (const [key, value] of Object.entries(BASE_ENVIRONMENT)) expect(env[key]).toBe(value);
      if (def.table) expect(env[ENV.tableName]).toEqual({ Ref: logicalId(stack.data.table) });
      if (def.miningQueue) expect(env[ENV.miningQueueUrl]).toEqual({ Ref: logicalId(stack.mining.queue) });
      if (def.outboundQueue) expect(env[ENV.outboundQueueUrl]).toEqual({ Ref: logicalId(stack.outbound.queue) });
      if (def.outboundDeadLetters) expect(env[ENV.outboundDlqUrl]).toEqual({ Ref: logicalId(stack.outbound.deadLetterQueue) });
      if (def.eventBus) expect(env[ENV.eventBusName]).toEqual({ Ref: logicalId(stack.outbound.bus) });
      if (def.artifactBucket) expect(env[ENV.artifactBucket]).toEqual({ Ref: logicalId(stack.data.artifactBucket) });
      for (const envName of (def.secrets ?? []).flatMap((s) => SECRET_ENV[s])) {
        // Ref of a secret is its ARN; the code resolves arn:aws:secretsmanager: values at cold start.
        const ref = env[envName] as { Ref: string };
        expect(ref).toEqual({ Ref: logicalId(stack.secrets.forEnv(envName)) });
        expect(resources[ref.Ref]!.Type).toBe('AWS::SecretsManager::Secret');
      }
    });

    it('holds only the IAM statements its definition implies', () => {
      const statements = roleStatements(name);
      const actions = actionsOf(statements);
      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);

      // Logs: its own log group only.
      expect(resourcesOf(statements, 'logs:')).toEqual([{ 'Fn::GetAtt': [fnProps(name).LoggingConfig.LogGroup.Ref, 'Arn'] }]);

      const tableArn = { 'Fn::GetAtt': [logicalId(stack.data.table), 'Arn'] };
      if (def.table) {
        expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
        expect(resourcesOf(statements, 'dynamodb:')).toEqual(expect.arrayContaining([tableArn]));
        if (def.table === 'read') expect(actions).not.toContain('dynamodb:PutItem');
        else expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:DeleteItem']));
      } else {
        expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
      }

      const expectedSecretRefs = (def.secrets ?? [])
        .flatMap((s) => SECRET_ENV[s])
        .map((envName) => ({ Ref: logicalId(stack.secrets.forEnv(envName)) }));
      const secretResources = resourcesOf(statements, 'secretsmanager:');
      expect(secretResources).toHaveLength(expectedSecretRefs.length);
      expect(secretResources).toEqual(expect.arrayContaining(expectedSecretRefs));
      if (expectedSecretRefs.length) expect(actions).toContain('secretsmanager:GetSecretValue');

      // Send only to the queues its definition names, receive only from its trigger.
      const queueArn = (q: { node: unknown }) => ({ 'Fn::GetAtt': [logicalId(q as never), 'Arn'] });
      const expectedSends = [
        ...(def.miningQueue ? [queueArn(stack.mining.queue)] : []),
        ...(def.outboundQueue ? [queueArn(stack.outbound.queue)] : []),
        ...(def.outboundDeadLetters ? [queueArn(stack.outbound.deadLetterQueue)] : []),
      ];
      const sendResources = statements.filter((s) => toList(s.Action).includes('sqs:SendMessage')).flatMap((s) => toList(s.Resource));
      expect(sendResources).toHaveLength(expectedSends.length);
      expect(sendResources).toEqual(expect.arrayContaining(expectedSends));
      expect(actions.includes('sqs:ReceiveMessage')).toBe(def.queue !== undefined);
      if (def.queue) {
        const trigger = def.queue === 'mining' ? stack.mining.queue : stack.outbound.queue;
        const receives = statements.filter((s) => toList(s.Action).includes('sqs:ReceiveMessage')).flatMap((s) => toList(s.Resource));
        expect(receives).toEqual([queueArn(trigger)]);
      }
      const puts = statements.filter((s) => toList(s.Action).includes('events:PutEvents')).flatMap((s) => toList(s.Resource));
      expect(puts).toEqual(def.eventBus ? [queueArn(stack.outbound.bus)] : []);
      expect(actions.some((a) => a.startsWith('s3:'))).toBe(def.artifactBucket !== undefined);
      if (def.artifactBucket === 'read') expect(actions.filter((a) => a.startsWith('s3:Put'))).toEqual([]);
    });

    it('has no AWS-managed policy on its role', () => {
      const role = resources[logicalId(stack.functions.byName.get(name)!.executionRole)]!;
      expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
    });
  });

  it('turns a definition schedule into an EventBridge rule that invokes the function', () => {
    const tickDef = FUNCTIONS.find((f) => f.name === 'playbook-tick')!;
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${tickDef.schedule!.rate})`,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId('playbook-tick'), 'Arn'] } })],
    });
    // A variant with one more scheduled function proves the wiring is the definition's, not a special case.
    const tick = {
      name: 'tick',
      entry: 'functions/health/handler.ts',
      description: 'a scheduled function',
      schedule: { rate: '15 minutes' },
    };
    const variant = synthPatron({ bundle: false, cfnValidation: false, definitions: [...FUNCTIONS, tick] });
    variant.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(variant.stack.functions.byName.get('tick')!), 'Arn'] } })],
    });
    // The mining run's rule, the playbook tick's, plus the variant's.
    variant.template.resourceCountIs('AWS::Events::Rule', 3);
    template.resourceCountIs('AWS::Events::Rule', 2);
  });
});

describe('HTTP API', () => {
  const routed = FUNCTIONS.flatMap((def) => (def.routes ?? []).map((route) => ({ def, route })));

  it('has one route per definition route, integrated with its function', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', routed.length);
    const integrations = ofType('AWS::ApiGatewayV2::Integration');
    for (const { def, route } of routed) {
      const routeKey = `${route.method} ${route.path}`;
      const [, r] = ofType('AWS::ApiGatewayV2::Route').find(([, x]) => x.Properties!.RouteKey === routeKey) ?? [];
      expect({ routeKey, found: r !== undefined }).toEqual({ routeKey, found: true });
      const integrationId = JSON.stringify(r!.Properties!.Target).match(/"Ref":"([^"]+)"/)![1]!;
      const [, integration] = integrations.find(([id]) => id === integrationId)!;
      expect(integration.Properties!.IntegrationUri).toEqual({ 'Fn::GetAtt': [fnId(def.name), 'Arn'] });
      expect(integration.Properties!.PayloadFormatVersion).toBe('2.0');
    }
  });

  it('throttles and access-logs the $default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack.api.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
    const stage = ofType('AWS::ApiGatewayV2::Stage')[0]![1].Properties!;
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThanOrEqual(stage.DefaultRouteSettings.ThrottlingRateLimit);
  });

  it('has CORS off and outputs the API URL', () => {
    const [, api] = ofType('AWS::ApiGatewayV2::Api')[0]!;
    expect(api.Properties!.ProtocolType).toBe('HTTP');
    expect(api.Properties!.CorsConfiguration).toBeUndefined();
    template.hasOutput('ApiUrl', {});
  });
});

describe('monitoring', () => {
  it('alarms on any message in the DLQ', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.mining.deadLetterQueue), 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it.each(FUNCTIONS.map((f) => f.name))('alarms on any error of %s', (name) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId(name) } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('hygiene', () => {
  const PHYSICAL_NAME_PROPERTIES: Record<string, string> = {
    'AWS::DynamoDB::Table': 'TableName',
    'AWS::SQS::Queue': 'QueueName',
    'AWS::S3::Bucket': 'BucketName',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::Lambda::LayerVersion': 'LayerName',
    'AWS::IAM::Role': 'RoleName',
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::SecretsManager::Secret': 'Name',
    'AWS::Events::Rule': 'Name',
    'AWS::CloudWatch::Alarm': 'AlarmName',
  };

  it('hard-codes no physical resource names', () => {
    const named = Object.entries(resources)
      .filter(([, r]) => PHYSICAL_NAME_PROPERTIES[r.Type] && r.Properties?.[PHYSICAL_NAME_PROPERTIES[r.Type]!] !== undefined)
      .map(([id]) => id);
    expect(named).toEqual([]);
  });

  it('is environment-agnostic (no account or region baked in)', () => {
    // Resources and outputs only: CDK's metadata condition lists regions by design.
    const { Resources, Outputs } = template.toJSON();
    const json = JSON.stringify({ Resources, Outputs });
    expect(json).not.toMatch(/\b\d{12}\b/);
    expect(json).not.toMatch(/\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|northeast|southeast)-\d\b/);
  });
});
