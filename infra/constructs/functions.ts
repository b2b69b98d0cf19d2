import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { ENV } from '../../layers/core/src/config.js';
import { FUNCTIONS, type FunctionDefinition, MINING_QUEUE, OUTBOUND_QUEUE, SECRET_ENV, signInOf } from '../definitions.js';
import type { PatronOutbound } from './outbound.js';
import type { PatronData } from './data.js';
import type { MiningQueue } from './mining-queue.js';
import { PatronFunction } from './patron-function.js';
import type { PatronSecrets } from './secrets.js';
import type { PatronSignIn } from './sign-in.js';

export interface PatronFunctionsProps {
  readonly coreLayer: ILayerVersion;
  readonly data: PatronData;
  readonly mining: MiningQueue;
  readonly outbound: PatronOutbound;
  readonly secrets: PatronSecrets;
  /** The offer rule set as JSON, for functions whose definition has `offerRules`; unset = defaults. */
  readonly offerRules?: string;
  /** @default FUNCTIONS */
  readonly definitions?: readonly FunctionDefinition[];
}

/** `rate(1 hour)`, `cron(...)` or a bare `1 hour` (read as a rate). */
export function scheduleFrom(expression: string): Schedule {
  const e = expression.trim();
  return Schedule.expression(/^(rate|cron)\(/.test(e) ? e : `rate(${e})`);
}

/**
 * One PatronFunction per definition, wired exactly as the definition says: table / queue /
 * bucket / secret access (env var + grant), SQS trigger, schedule.
 */
export class PatronFunctions extends Construct {
  readonly byName: ReadonlyMap<string, PatronFunction>;

  constructor(scope: Construct, id: string, props: PatronFunctionsProps) {
    super(scope, id);
    const byName = new Map<string, PatronFunction>();
    for (const definition of props.definitions ?? FUNCTIONS) {
      if (byName.has(definition.name)) throw new Error(`Duplicate function name in definitions: ${definition.name}`);
      byName.set(definition.name, this.build(definition, props));
    }
    this.byName = byName;
  }

  get all(): PatronFunction[] {
    return [...this.byName.values()];
  }

  /**
   * Sign-in variables per definition (signInOf). Called after the API exists: the app client's
   * callback URL is the API's, and the functions only need the client's id (no cycle: the API
   * does not depend on the functions' environment).
   */
  useSignIn(signIn: PatronSignIn): void {
    for (const fn of this.all) {
      const access = signInOf(fn.definition);
      if (!access) continue;
      fn.addEnvironment(ENV.signIn.userPoolId, signIn.userPool.userPoolId);
      fn.addEnvironment(ENV.signIn.clientId, signIn.client.userPoolClientId);
      if (access === 'configure') fn.addEnvironment(ENV.signIn.domain, signIn.domainHost);
    }
  }

  private build(def: FunctionDefinition, props: PatronFunctionsProps): PatronFunction {
    const fn = new PatronFunction(this, def.name, { definition: def, coreLayer: props.coreLayer });

    if (def.table) fn.useTable(props.data.table, def.table);
    if (def.miningQueue === 'send') fn.useQueue(props.mining.queue);
    if (def.outboundQueue === 'send') fn.useQueue(props.outbound.queue, ENV.outboundQueueUrl);
    if (def.outboundDeadLetters === 'send') fn.useQueue(props.outbound.deadLetterQueue, ENV.outboundDlqUrl);
    if (def.eventBus === 'put') {
      fn.addEnvironment(ENV.eventBusName, props.outbound.bus.eventBusName);
      props.outbound.bus.grantPutEventsTo(fn);
    }
    if (def.artifactBucket) fn.useBucket(props.data.artifactBucket, def.artifactBucket);
    if (def.offerRules && props.offerRules) fn.addEnvironment(ENV.offerRules, props.offerRules);
    for (const secretName of def.secrets ?? []) {
      for (const envName of SECRET_ENV[secretName]) fn.useSecret(envName, props.secrets.forEnv(envName));
    }

    if (def.queue === 'mining') {
      fn.addEventSource(new SqsEventSource(props.mining.queue, { batchSize: MINING_QUEUE.batchSize, reportBatchItemFailures: true }));
    }
    if (def.queue === 'outbound') {
      fn.addEventSource(new SqsEventSource(props.outbound.queue, { batchSize: OUTBOUND_QUEUE.batchSize, reportBatchItemFailures: true }));
    }
    if (def.schedule) {
      new Rule(this, `${def.name}Schedule`, {
        description: `Invokes the Patron ${def.name} function`,
        schedule: scheduleFrom(def.schedule.rate),
        targets: [new LambdaFunction(fn)],
      });
    }
    return fn;
  }
}
