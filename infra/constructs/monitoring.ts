import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  ComparisonOperator,
  type IAlarmAction,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PatronFunction } from './patron-function.js';

export interface PatronMonitoringProps {
  readonly functions: readonly PatronFunction[];
  readonly deadLetterQueue: IQueue;
  /** Where alarms notify (e.g. an SNS topic action). @default none: alarms are visible in the console only */
  readonly alarmActions?: readonly IAlarmAction[];
}

/** Alarms: anything in the mining DLQ, and any error of any function. */
export class PatronMonitoring extends Construct {
  readonly deadLetterAlarm: Alarm;
  readonly functionErrorAlarms: ReadonlyMap<string, Alarm>;

  constructor(scope: Construct, id: string, props: PatronMonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(5);

    this.deadLetterAlarm = props.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' })
      .createAlarm(this, 'MiningDeadLetters', {
        alarmDescription: 'Mining messages were parked in the dead-letter queue after exhausting their retries',
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

    for (const alarm of [this.deadLetterAlarm, ...errorAlarms.values()]) {
      alarm.addAlarmAction(...(props.alarmActions ?? []));
    }
  }
}
