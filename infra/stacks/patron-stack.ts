import { PatronOutbound } from '../constructs/outbound.js';
import { CONSOLE_PATH } from '../../layers/core/src/vocabulary.js';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../definitions.js';
import { PatronApi } from '../constructs/api.js';
import { CoreLayer } from '../constructs/core-layer.js';
import { PatronData } from '../constructs/data.js';
import { PatronFunctions } from '../constructs/functions.js';
import { MiningQueue } from '../constructs/mining-queue.js';
import { PatronMonitoring } from '../constructs/monitoring.js';
import { PatronSecrets, secretInstructions, secretOutputId } from '../constructs/secrets.js';
import { PatronSignIn, signInDomainPrefixFromContext } from '../constructs/sign-in.js';
import { parseRuleSet } from '../../layers/core/src/offers/config.js';

/**
 * The CDK context `offerRules` (an object in cdk.json, or a JSON string with `-c offerRules=...`),
 * validated at synth so a bad rule set never deploys. Undefined = the functions use the defaults.
 */
export function offerRulesFromContext(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    parseRuleSet(json);
  } catch (error) {
    const issues = (error as { issues?: { path: string; message: string }[] }).issues ?? [];
    throw new Error(
      `CDK context offerRules is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ') || (error as Error).message}`,
    );
  }
  return json;
}

/** Deliberately loose (one @, a dotted domain, no spaces): SNS sends a confirmation mail anyway. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The CDK context `alarmEmail` (`-c alarmEmail=ops@example.com`): subscribed to the alarm topic.
 * Validated at synth, so a typo fails before a deploy instead of silently notifying nobody.
 */
export function alarmEmailFromContext(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !EMAIL.test(value)) {
    throw new Error(`CDK context alarmEmail must be an email address (e.g. -c alarmEmail=ops@example.com), got ${JSON.stringify(value)}`);
  }
  return value;
}

export interface PatronStackProps extends StackProps {
  /** The functions to deploy. @default FUNCTIONS (tests pass variants to prove wiring mistakes fail) */
  readonly definitions?: readonly FunctionDefinition[];
}

/**
 * Everything Patron runs on. Functions, routes, triggers and access come from
 * infra/definitions.ts; this stack only turns them into resources.
 */
export class PatronStack extends Stack {
  readonly data: PatronData;
  readonly mining: MiningQueue;
  readonly outbound: PatronOutbound;
  readonly secrets: PatronSecrets;
  readonly coreLayer: CoreLayer;
  readonly functions: PatronFunctions;
  readonly api: PatronApi;
  readonly signIn: PatronSignIn;
  readonly monitoring: PatronMonitoring;

  constructor(scope: Construct, id: string, props?: PatronStackProps) {
    super(scope, id, {
      description: 'Patron: serverless CRM integration and customer-mining backend',
      ...props,
    });

    this.data = new PatronData(this, 'Data');
    this.mining = new MiningQueue(this, 'Mining', { functions: props?.definitions });
    this.outbound = new PatronOutbound(this, 'Outbound', { functions: props?.definitions });
    this.secrets = new PatronSecrets(this, 'Secrets');
    this.coreLayer = new CoreLayer(this, 'CoreLayer');
    this.functions = new PatronFunctions(this, 'Functions', {
      definitions: props?.definitions,
      coreLayer: this.coreLayer.layer,
      data: this.data,
      mining: this.mining,
      outbound: this.outbound,
      secrets: this.secrets,
      offerRules: offerRulesFromContext(this.node.tryGetContext('offerRules')),
    });
    this.api = new PatronApi(this, 'Api', { functions: this.functions.all });
    this.signIn = new PatronSignIn(this, 'SignIn', {
      consoleUrl: `${this.api.httpApi.apiEndpoint}${CONSOLE_PATH}`,
      domainPrefix: signInDomainPrefixFromContext(this.node.tryGetContext('signInDomainPrefix')),
    });
    this.functions.useSignIn(this.signIn);
    this.monitoring = new PatronMonitoring(this, 'Monitoring', {
      functions: this.functions.all,
      queue: this.mining.queue,
      deadLetterQueue: this.mining.deadLetterQueue,
      outboundDeadLetterQueue: this.outbound.deadLetterQueue,
      alarmEmail: alarmEmailFromContext(this.node.tryGetContext('alarmEmail')),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Patron HTTP API' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'MiningQueueUrl', { value: this.mining.queue.queueUrl });
    new CfnOutput(this, 'EventBusName', {
      value: this.outbound.bus.eventBusName,
      description: 'EventBridge bus of Patron events (source patron, detail-type = event type): add rules here',
    });
    new CfnOutput(this, 'ArtifactBucketName', { value: this.data.artifactBucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.alarmTopic.topicArn,
      description: 'SNS topic every Patron alarm notifies (subscribe more endpoints here; -c alarmEmail=... adds an email)',
    });
    const dashboardName = this.monitoring.dashboard.dashboardName;
    new CfnOutput(this, 'DashboardName', { value: dashboardName, description: 'CloudWatch dashboard of Patron' });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${dashboardName}`,
      description: 'CloudWatch dashboard of Patron in the console',
    });
    new CfnOutput(this, 'SignInUserPoolId', {
      value: this.signIn.userPool.userPoolId,
      description: 'Cognito user pool of the console: create users here (admin-create-user) and add them to groups named like API scopes',
    });
    new CfnOutput(this, 'SignInClientId', {
      value: this.signIn.client.userPoolClientId,
      description: "The console's app client (public, code + PKCE)",
    });
    new CfnOutput(this, 'SignInDomain', {
      value: this.signIn.domainHost,
      description: 'Host of the Cognito hosted UI where console users sign in (https://<this>/login)',
    });
    // The secrets an operator fills or reads after the first deploy (put-secret-value --secret-id <ARN>).
    for (const [envName, secret] of this.secrets.byEnv) {
      new CfnOutput(this, secretOutputId(envName), { value: secret.secretArn, description: secretInstructions(envName) });
    }
  }
}
