import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTIONS, type FunctionDefinition } from '../../infra/definitions.js';
import { scheduleFrom } from '../../infra/constructs/functions.js';
import { miningVisibilityTimeoutSeconds } from '../../infra/constructs/mining-queue.js';
import { BASE_ENVIRONMENT, DEFAULT_TIMEOUT_SECONDS, PatronFunction } from '../../infra/constructs/patron-function.js';
import { cdkJsonContext, logicalId } from './synth.js';

const def = (over: Partial<FunctionDefinition>): FunctionDefinition => ({
  name: 'x',
  entry: 'functions/x/handler.ts',
  description: 'x',
  ...over,
});

describe('miningVisibilityTimeoutSeconds', () => {
  it('is 6x the longest consumer timeout', () => {
    expect(
      miningVisibilityTimeoutSeconds([
        def({ name: 'a', queue: 'mining', timeoutSeconds: 30 }),
        def({ name: 'b', queue: 'mining', timeoutSeconds: 120 }),
        def({ name: 'c', timeoutSeconds: 900 }), // not a consumer
      ]),
    ).toBe(720);
  });

  it('uses the default function timeout for a consumer without one', () => {
    expect(miningVisibilityTimeoutSeconds([def({ queue: 'mining' })])).toBe(6 * DEFAULT_TIMEOUT_SECONDS);
  });

  it('falls back to 6 x 60 s when nothing consumes the queue', () => {
    expect(miningVisibilityTimeoutSeconds([def({})])).toBe(360);
  });
});

describe('scheduleFrom', () => {
  const render = (e: string) => new Stack().resolve(scheduleFrom(e).expressionString);
  it('accepts rate(...) and cron(...) as is and reads a bare duration as a rate', () => {
    expect(render('rate(1 hour)')).toBe('rate(1 hour)');
    expect(render('cron(0 3 * * ? *)')).toBe('cron(0 3 * * ? *)');
    expect(render('5 minutes')).toBe('rate(5 minutes)');
  });
});

describe('PatronFunction', () => {
  // A throwaway stack: no bundling, no built-in template validation, just the construct's wiring.
  const build = () => {
    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Probe');
    const layer = LayerVersion.fromLayerVersionArn(stack, 'Layer', 'arn:aws:lambda:us-east-1:123456789012:layer:core:1');
    const fn = new PatronFunction(stack, 'Fn', {
      definition: def({ name: 'probe', entry: FUNCTIONS[0]!.entry, memoryMb: 1024, timeoutSeconds: 42 }),
      coreLayer: layer,
      environment: { POWERTOOLS_SERVICE_NAME: 'override', EXTRA: '1' },
    });
    const bucket = new Bucket(stack, 'Bucket');
    const queue = new Queue(stack, 'Queue');
    const secret = new Secret(stack, 'Secret');
    fn.useBucket(bucket, 'readwrite').useQueue(queue).useSecret('API_KEYS', secret);
    app.synth();
    return { stack, fn, bucket, queue, secret };
  };
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build();
  }, 60_000);

  it('merges caller environment over the defaults and adds what the helpers set', () => {
    const { stack, fn, bucket, queue, secret } = built;
    const env = Template.fromStack(stack).toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;
    expect(env).toEqual({
      NODE_OPTIONS: BASE_ENVIRONMENT.NODE_OPTIONS,
      POWERTOOLS_SERVICE_NAME: 'override',
      EXTRA: '1',
      ARTIFACT_BUCKET: { Ref: logicalId(bucket) },
      MINING_QUEUE_URL: { Ref: logicalId(queue) },
      API_KEYS: { Ref: logicalId(secret) },
    });
  });

  it('acknowledges exactly the wildcards of its own grants (bucket object access)', () => {
    const { stack } = built;
    const report = new AwsSolutionsChecks().validateScope(stack);
    const onFunction = report.violations.filter((v) => v.violatingResources.some((r) => r.constructPath?.startsWith('Probe/Fn/')));
    expect(onFunction.map((v) => v.ruleName)).toEqual([]);
    // ...and the check is not vacuous: the S3 grant does carry wildcards, acknowledged one by one.
    const acknowledged = built.fn.executionRole.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as object));
    expect(acknowledged).toEqual(
      expect.arrayContaining([
        expect.stringContaining('AwsSolutions-IAM5[Action::s3:GetObject*]'),
        expect.stringMatching(/AwsSolutions-IAM5\[Resource::<Bucket\w+\.Arn>\/\*\]/),
      ]),
    );
  });
});
