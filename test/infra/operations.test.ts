/**
 * What operators get in AWS: X-Ray tracing, alarms that notify someone, the dashboard, and the
 * outputs they need after a deploy.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { Logger } from '@aws-lambda-powertools/logger';
import { FUNCTIONS } from '../../infra/definitions.js';
import { secretOutputId } from '../../infra/constructs/secrets.js';
import { alarmEmailFromContext, type PatronStack } from '../../infra/stacks/patron-stack.js';
import type { DeliveryOutcome, ParkingOutcome } from '../../layers/core/src/ingest/ingest.js';
import { METRICS_NAMESPACE, MINING_RUN_DURATION_METRIC } from '../../layers/core/src/metric-names.js';
import { createIngestObserver, metrics } from '../../layers/core/src/observability.js';
import { SOURCES } from '../../layers/core/src/touchpoint.js';
import { logicalId, type Resources, synthPatron, synthProperties } from './synth.js';

let stack: PatronStack;
let template: Template;
let resources: Resources;
let ofType: ReturnType<typeof synthProperties>['ofType'];

beforeAll(() => {
  ({ stack, template, resources, ofType } = synthProperties());
}, 120_000);
const topicRef = () => ({ Ref: logicalId(stack.monitoring.alarmTopic) });

/** A CloudFormation value rendered as text: tokens become `@Ref:Id` / `@GetAtt:Id.Attr`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(render).join(v['Fn::Join'][0]);
  if (v.Ref) return `@Ref:${v.Ref}`;
  if (v['Fn::GetAtt']) return `@GetAtt:${v['Fn::GetAtt'].join('.')}`;
  throw new Error(`unexpected token ${JSON.stringify(value)}`);
}

interface GraphedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  options: Record<string, any>;
}
interface Widget {
  type: string;
  properties: { title?: string; start?: string; alarms?: string[]; metrics?: unknown[][] };
}

function dashboardWidgets(): Widget[] {
  const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Resources[string]]];
  return JSON.parse(render(dashboard.Properties!.DashboardBody)).widgets;
}

/** `[namespace, name, dim, value, ..., {options}]` rows of a widget; math expressions are left out. */
function graphed(widget: Widget): GraphedMetric[] {
  return (widget.properties.metrics ?? [])
    .filter((row) => typeof row[0] === 'string')
    .map((row) => {
      const last = row[row.length - 1];
      const options = typeof last === 'object' ? (last as Record<string, any>) : {};
      const [namespace, name, ...rest] = row.filter((x) => typeof x === 'string') as string[];
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < rest.length; i += 2) dimensions[rest[i]!] = rest[i + 1]!;
      return { namespace: namespace!, name: name!, dimensions, options };
    });
}

const widgetTitled = (title: string | RegExp) => {
  const found = dashboardWidgets().filter((w) =>
    typeof title === 'string' ? w.properties.title === title : title.test(w.properties.title ?? ''),
  );
  expect(found.length).toBeGreaterThan(0);
  return found;
};

/** What the core's ingest observer actually emits for one delivery (EMF), as a graphed metric key. */
function emittedByIngest(source: string, outcome: DeliveryOutcome | ParkingOutcome): Omit<GraphedMetric, 'options'> {
  const silent = { info: () => undefined, warn: () => undefined } as unknown as Logger;
  createIngestObserver(silent, metrics).delivery(source, outcome, {});
  const emf = metrics.serializeMetrics() as unknown as Record<string, any>;
  metrics.clearMetrics();
  metrics.clearDimensions();
  const [directive] = emf._aws.CloudWatchMetrics;
  const dimensionNames: string[] = directive.Dimensions[0];
  return {
    namespace: directive.Namespace,
    name: directive.Metrics[0].Name,
    dimensions: Object.fromEntries(dimensionNames.map((d) => [d, emf[d]])),
  };
}

describe('X-Ray tracing', () => {
  it.each(FUNCTIONS.map((f) => f.name))('traces %s actively', (name) => {
    const fnId = logicalId(stack.functions.byName.get(name)!);
    expect(resources[fnId]!.Properties!.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('grants "*" to the X-Ray trace writes only (the acknowledged IAM5 finding covers nothing else)', () => {
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of policy.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const onStar = s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'));
        if (onStar) expect([s.Action].flat().sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }]),
      },
    });
  });
});

describe('alarm notifications', () => {
  it('has one alarm topic, encrypted with its own rotated KMS key, that requires TLS', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const [[topicId, topic]] = ofType('AWS::SNS::Topic') as [[string, Resources[string]]];
    const keyId = topic.Properties!.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(resources[keyId]!.Type).toBe('AWS::KMS::Key');
    expect(resources[keyId]!.Properties!.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets CloudWatch alarms of this account, and only those, publish to the encrypted topic', () => {
    const keyId = resources[logicalId(stack.monitoring.alarmTopic)]!.Properties!.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(resources[keyId]!.Properties!.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      ]),
    );
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicRef(),
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
  });

  it('notifies the topic from every alarm', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    // The mining DLQ, the outbound DLQ, and one per function.
    expect(alarms.length).toBe(2 + FUNCTIONS.length);
    for (const [id, alarm] of alarms) {
      expect({ id, actions: alarm.Properties!.AlarmActions }).toEqual({ id, actions: expect.arrayContaining([topicRef()]) });
    }
  });

  it('subscribes nobody without the alarmEmail context, and outputs the topic ARN', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.hasOutput('AlarmTopicArn', { Value: topicRef(), Description: Match.stringLikeRegexp('alarm') });
  });

  it('subscribes the alarmEmail context address to the topic by email', () => {
    const synth = synthPatron({ bundle: false, cfnValidation: false, context: { alarmEmail: 'ops@example.com' } });
    synth.template.resourceCountIs('AWS::SNS::Subscription', 1);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalId(synth.stack.monitoring.alarmTopic) },
    });
  }, 60_000);

  it('fails the synth on an alarmEmail that is not an email address', () => {
    expect(() => synthPatron({ bundle: false, cfnValidation: false, context: { alarmEmail: 'ops-at-example.com' } })).toThrow(
      /CDK context alarmEmail must be an email address.*"ops-at-example\.com"/,
    );
  });

  it.each([[''], ['ops'], ['ops@example'], ['ops @example.com'], ['a@b.c,d@e.f '], [42]])('rejects alarmEmail %p', (value) => {
    expect(() => alarmEmailFromContext(value)).toThrow(/alarmEmail must be an email address/);
  });

  it('accepts an address and leaves an unset alarmEmail unset', () => {
    expect(alarmEmailFromContext('ops+patron@example.co.uk')).toBe('ops+patron@example.co.uk');
    expect(alarmEmailFromContext(undefined)).toBeUndefined();
  });
});

describe('dashboard', () => {
  const OUTCOMES: (DeliveryOutcome | ParkingOutcome)[] = ['accepted', 'duplicate', 'ignored', 'rejected', 'parked', 'unparked'];

  it('is one dashboard, output by name and console URL', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const ref = { Ref: logicalId(stack.monitoring.dashboard) };
    template.hasOutput('DashboardName', { Value: ref });
    const [, output] = Object.entries(template.findOutputs('DashboardUrl'))[0]!;
    expect(render(output.Value)).toBe(
      `https://console.aws.amazon.com/cloudwatch/home?region=@Ref:AWS::Region#dashboards:name=@Ref:${ref.Ref}`,
    );
  });

  it('shows the state of every alarm', () => {
    const [widget] = dashboardWidgets().filter((w) => w.type === 'alarm');
    const alarmIds = ofType('AWS::CloudWatch::Alarm').map(([id]) => `@GetAtt:${id}.Arn`);
    expect([...widget!.properties.alarms!].sort()).toEqual(alarmIds.sort());
  });

  it.each(SOURCES.map((s) => [s]))('graphs %s webhook deliveries per outcome, exactly as the core emits them (EMF)', (source) => {
    const [widget] = widgetTitled(`Webhook deliveries: ${source}`);
    const lines = graphed(widget!);
    for (const outcome of OUTCOMES) {
      const expected = emittedByIngest(source, outcome);
      expect(expected.namespace).toBe(METRICS_NAMESPACE);
      expect(lines).toEqual(expect.arrayContaining([{ ...expected, options: expect.objectContaining({ stat: 'Sum', label: outcome }) }]));
    }
    expect(lines).toHaveLength(OUTCOMES.length);
  });

  it('graphs errors and p99 duration of every function', () => {
    const fnRefs = FUNCTIONS.map((f) => `@Ref:${logicalId(stack.functions.byName.get(f.name)!)}`).sort();
    const byName = (name: string, stat: string) =>
      dashboardWidgets()
        .flatMap(graphed)
        .filter((m) => m.namespace === 'AWS/Lambda' && m.name === name && m.options.stat === stat)
        .map((m) => m.dimensions.FunctionName)
        .sort();
    expect(byName('Errors', 'Sum')).toEqual(fnRefs);
    expect(byName('Duration', 'p99')).toEqual(fnRefs);
  });

  it('graphs the depth of the mining queue and of its dead-letter queue', () => {
    const depths = graphed(widgetTitled('Mining queue depth')[0]!).filter(
      (m) => m.namespace === 'AWS/SQS' && m.name === 'ApproximateNumberOfMessagesVisible',
    );
    expect(depths.map((m) => m.dimensions.QueueName).sort()).toEqual(
      [`@GetAtt:${logicalId(stack.mining.queue)}.QueueName`, `@GetAtt:${logicalId(stack.mining.deadLetterQueue)}.QueueName`].sort(),
    );
  });

  it('graphs mining run durations (MiningRunDuration, recorded when a run completes) over four weeks', () => {
    const [widget] = widgetTitled(/^Mining runs/);
    const runs = graphed(widget!).filter((m) => m.name === MINING_RUN_DURATION_METRIC);
    expect(runs.length).toBeGreaterThan(0);
    for (const m of runs) expect(m).toMatchObject({ namespace: METRICS_NAMESPACE, dimensions: { service: 'patron' } });
    expect(runs.map((m) => m.options.stat).sort()).toEqual(['Maximum', 'SampleCount']);
    expect(widget!.properties.start).toBe('-P28D');
  });
});

describe('secret outputs', () => {
  it('outputs the ARN of every secret an operator fills, saying what goes in it', () => {
    expect(stack.secrets.byEnv.size).toBeGreaterThan(0);
    for (const [envName, secret] of stack.secrets.byEnv) {
      template.hasOutput(secretOutputId(envName), {
        Value: { Ref: logicalId(secret) },
        Description: Match.stringLikeRegexp(`^${envName}: .{40,}`),
      });
    }
  });

  it('names them after the env var (WebhookSecretStripeArn) and tells to replace the provider placeholders', () => {
    const stripe = template.findOutputs('WebhookSecretStripeArn');
    expect(Object.keys(stripe)).toHaveLength(1);
    expect(stripe.WebhookSecretStripeArn!.Value).toEqual({ Ref: logicalId(stack.secrets.forEnv('WEBHOOK_SECRET_STRIPE')) });
    expect(stripe.WebhookSecretStripeArn!.Description).toMatch(/signing secret.*placeholder/);
  });
});
