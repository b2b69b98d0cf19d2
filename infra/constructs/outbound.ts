import { Duration } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionDefinition, OUTBOUND_QUEUE } from '../definitions.js';
import { DEFAULT_TIMEOUT_SECONDS } from './patron-function.js';
import { VISIBILITY_TIMEOUT_FACTOR, workQueue } from './mining-queue.js';

/** 6 x the longest timeout among the functions the outbound queue triggers (6 x 30 s when none). */
export function outboundVisibilityTimeoutSeconds(functions: readonly FunctionDefinition[] = FUNCTIONS): number {
  const timeouts = functions.filter((f) => f.queue === 'outbound').map((f) => f.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  return VISIBILITY_TIMEOUT_FACTOR * (timeouts.length ? Math.max(...timeouts) : 30);
}

export interface OutboundProps {
  /** @default FUNCTIONS */
  readonly functions?: readonly FunctionDefinition[];
}

/**
 * Outbound events: the queue that carries them and their deliveries (with its DLQ), and the stack's
 * own EventBridge bus. AWS consumers add rules on the bus (source `patron`, detail-type = the event
 * type); webhook subscribers are served by the outbound function from the queue.
 */
export class PatronOutbound extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: OutboundProps = {}) {
    super(scope, id);
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workQueue(this, {
      visibilityTimeoutSeconds: outboundVisibilityTimeoutSeconds(props.functions),
      maxReceiveCount: OUTBOUND_QUEUE.maxReceiveCount,
      // A delivery's next attempt waits in the queue (up to 15 minutes per hop): days of retention are plenty.
      retention: Duration.days(4),
    }));
    this.bus = new EventBus(this, 'Bus', { description: 'Patron events: flags, offers, actions, customers' });
  }
}
