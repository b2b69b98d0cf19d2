import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Color,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeliveryOutcome, ParkingOutcome } from '../../layers/core/src/ingest/ingest.js';
import {
  METRICS_NAMESPACE,
  MINING_RUN_DURATION_METRIC,
  SERVICE_DIMENSION,
  SERVICE_NAME,
  SOURCE_DIMENSION,
} from '../../layers/core/src/metric-names.js';
import { SOURCES } from '../../layers/core/src/touchpoint.js';
import type { PatronFunction } from './patron-function.js';

/** Every delivery outcome the ingest observer counts (a Record, so a new outcome fails to compile here). */
const OUTCOME_COLORS: Record<DeliveryOutcome | ParkingOutcome, string> = {
  accepted: Color.GREEN,
  duplicate: Color.BLUE,
  ignored: Color.ORANGE,
  rejected: Color.RED,
  parked: Color.PURPLE,
  unparked: Color.GREY,
};

export interface PatronMonitoringProps {
  readonly functions: readonly PatronFunction[];
  /** The mining work queue (graphed). */
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Exhausted webhook deliveries and failed event fan-outs. */
  readonly outboundDeadLetterQueue?: IQueue;
  /** Subscribed to the alarm topic by email. @default no subscription: add one to the topic by hand */
  readonly alarmEmail?: string;
  /** Notified in addition to the alarm topic. @default none */
  readonly alarmActions?: readonly IAlarmAction[];
}

/**
 * Alarms (anything in the mining DLQ, any error of any function), the SNS topic they all notify,
 * and one dashboard: webhook deliveries, function errors and durations, queue depths, mining runs.
 */
export class PatronMonitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly deadLetterAlarm: Alarm;
  readonly outboundDeadLetterAlarm?: Alarm;
  readonly functionErrorAlarms: ReadonlyMap<string, Alarm>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PatronMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);

    this.alarmTopic = this.createAlarmTopic(props.alarmEmail);

    this.deadLetterAlarm = props.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' })
      .createAlarm(this, 'MiningDeadLetters', {
        alarmDescription: 'Mining messages were parked in the dead-letter queue after exhausting their retries',
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    this.outboundDeadLetterAlarm = props.outboundDeadLetterQueue
      ?.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' })
      .createAlarm(this, 'OutboundDeadLetters', {
        alarmDescription: 'Webhook deliveries failed for good (subscription disabled) or event fan-outs exhausted their retries',
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    const errorAlarms = new Map<string, Alarm>();
    for (const fn of props.functions) {
      const name = fn.definition.name;
      errorAlarms.set(
        name,
        fn.metricErrors({ period, statistic: 'Sum' }).createAlarm(this, `${name}Errors`, {
          alarmDescription: `The Patron ${name} function reported errors`,
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    this.functionErrorAlarms = errorAlarms;

    const alarms = [this.deadLetterAlarm, ...(this.outboundDeadLetterAlarm ? [this.outboundDeadLetterAlarm] : []), ...errorAlarms.values()];
    for (const alarm of alarms) {
      alarm.addAlarmAction(new SnsAction(this.alarmTopic), ...(props.alarmActions ?? []));
    }

    this.dashboard = this.createDashboard(props, alarms, period);
  }

  /**
   * Encrypted with its own key: CloudWatch cannot publish to a topic under the AWS-managed SNS key,
   * whose policy cannot grant it kms:GenerateDataKey*.
   */
  private createAlarmTopic(email: string | undefined): Topic {
    const stack = Stack.of(this);
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Patron alarm topic',
      enableKeyRotation: true,
      // Only encrypts notifications in flight; nothing is left to decrypt once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // As the SNS guide documents it (no conditions): the key serves this topic only, and the topic
    // policy below limits publishing to this account's alarms.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Patron alarms',
      masterKey: key,
      enforceSSL: true,
    });
    // enforceSSL creates a topic policy, which replaces the default one: CloudWatch needs its own
    // Allow, limited to alarms of this account (confused deputy).
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }

  private createDashboard(props: PatronMonitoringProps, alarms: Alarm[], period: Duration): Dashboard {
    const dashboard = new Dashboard(this, 'Dashboard');
    const patronMetric = (metricName: string, dimensions: Record<string, string> = {}) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME, ...dimensions },
      });

    dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 }));

    // Webhook deliveries: one graph per source, one line per outcome (EMF from createIngestObserver).
    dashboard.addWidgets(
      ...SOURCES.map(
        (source) =>
          new GraphWidget({
            title: `Webhook deliveries: ${source}`,
            left: Object.entries(OUTCOME_COLORS).map(([outcome, color]) =>
              patronMetric(outcome, { [SOURCE_DIMENSION]: source }).with({ statistic: 'Sum', period, label: outcome, color }),
            ),
            width: 24 / SOURCES.length,
          }),
      ),
    );

    // Queue consumers run for minutes, HTTP functions for milliseconds: separate axes.
    const httpFunctions = props.functions.filter((fn) => !fn.definition.queue);
    const queueFunctions = props.functions.filter((fn) => fn.definition.queue);
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Function errors',
        left: props.functions.map((fn) => fn.metricErrors({ period, statistic: 'Sum', label: fn.definition.name })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: httpFunctions.map((fn) => fn.metricDuration({ period, statistic: 'p99', label: fn.definition.name })),
        right: queueFunctions.map((fn) => fn.metricDuration({ period, statistic: 'p99', label: fn.definition.name })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Mining queue depth',
        left: [props.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: 'queue' })],
        right: [
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Maximum',
            label: 'dead letters',
            color: Color.RED,
          }),
        ],
        width: 8,
      }),
    );

    // Runs complete about once a day: daily points over four weeks rather than the dashboard range.
    const runDuration = patronMetric(MINING_RUN_DURATION_METRIC);
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Mining runs (daily)',
        start: '-P28D',
        left: [
          new MathExpression({
            expression: 'longest / 60000',
            usingMetrics: { longest: runDuration.with({ statistic: 'Maximum', period: Duration.days(1) }) },
            label: 'longest run (minutes)',
            period: Duration.days(1),
          }),
        ],
        right: [runDuration.with({ statistic: 'SampleCount', period: Duration.days(1), label: 'runs completed' })],
        width: 24,
      }),
    );
    return dashboard;
  }
}
