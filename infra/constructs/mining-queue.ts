import { Duration } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDefinition, MINING_QUEUE } from '../definitions.js';
import { DEFAULT_TIMEOUT_SECONDS } from './patron-function.js';

/** AWS guidance: visibility timeout >= 6x the consumer's timeout (retries inside one receive). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Assumed consumer timeout while no function consumes the queue yet. */
export const FALLBACK_CONSUMER_TIMEOUT_SECONDS = 60;

/** 6 x the longest timeout among the functions triggered by the mining queue (6 x 60 s if none). */
export function miningVisibilityTimeoutSeconds(functions: readonly FunctionDefinition[] = FUNCTIONS): number {
  const consumerTimeouts = functions.filter((f) => f.queue === 'mining').map((f) => f.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  const longest = consumerTimeouts.length > 0 ? Math.max(...consumerTimeouts) : FALLBACK_CONSUMER_TIMEOUT_SECONDS;
  return VISIBILITY_TIMEOUT_FACTOR * longest;
}

/**
 * A work queue and its dead-letter queue (kept 14 days): both SQS-managed SSE (EventBridge can
 * deliver without a KMS key policy) and TLS only. A message received `maxReceiveCount` times moves
 * to the DLQ.
 */
export function workQueue(
  scope: Construct,
  props: { visibilityTimeoutSeconds: number; maxReceiveCount: number; retention?: Duration },
): { queue: Queue; deadLetterQueue: Queue } {
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    retentionPeriod: Duration.days(14),
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const queue = new Queue(scope, 'Queue', {
    visibilityTimeout: Duration.seconds(props.visibilityTimeoutSeconds),
    ...(props.retention ? { retentionPeriod: props.retention } : {}),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  return { queue, deadLetterQueue };
}

export interface MiningQueueProps {
  /** @default FUNCTIONS */
  readonly functions?: readonly FunctionDefinition[];
  /** When the scheduled mining run fires. @default once a day */
  readonly runSchedule?: Schedule;
}

/** The mining work queue, its dead-letter queue and the daily scheduled run. */
export class MiningQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly scheduledRun: Rule;

  constructor(scope: Construct, id: string, props: MiningQueueProps = {}) {
    super(scope, id);

    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, {
      visibilityTimeoutSeconds: miningVisibilityTimeoutSeconds(props.functions),
      maxReceiveCount: MINING_QUEUE.maxReceiveCount,
    }));

    // The schedule only drops a `start` message; the mining worker creates the run and fans it out
    // into per-shard messages, exactly as for POST /mining-runs.
    this.scheduledRun = new Rule(this, 'ScheduledRun', {
      description: 'Starts a Patron mining run',
      schedule: props.runSchedule ?? Schedule.rate(Duration.days(1)),
      targets: [new SqsQueue(this.queue, { message: RuleTargetInput.fromObject(MINING_QUEUE.scheduledMessage) })],
    });
  }
}
