import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PatronFunction } from './patron-function.js';

export interface PatronApiProps {
  /** Functions whose definition lists `routes`; the others are ignored. */
  readonly functions: readonly PatronFunction[];
  /** Steady-state requests per second of the default stage. @default 50 */
  readonly rateLimit?: number;
  /** Burst of the default stage. @default 100 */
  readonly burstLimit?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: RetentionDays;
}

/** HTTP API variables for one JSON access-log line per request. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    method: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/**
 * The public HTTP API: one route per definition route, `$default` stage with throttling and
 * JSON access logs. CORS is off (no browser clients); add `corsPreflight` if one appears.
 */
export class PatronApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: PatronApiProps) {
    super(scope, id);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Patron CRM integration API',
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
    });

    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    for (const fn of props.functions) {
      const routes = fn.definition.routes ?? [];
      if (routes.length === 0) continue;
      const integration = new HttpLambdaIntegration(`${fn.definition.name}Integration`, fn);
      for (const route of routes) {
        this.httpApi.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
      }
    }

    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Authentication is done in the functions, not by an API Gateway authorizer: /customers* checks ' +
        'the client API key against API_KEYS (kept as SHA-256 digests), /webhooks/{source} verifies the ' +
        "provider's signature with WEBHOOK_SECRET_*, and /health and /openapi.json are public by design.",
    });
  }

  /** The API's base URL (the `$default` stage is served at the root). */
  get url(): string {
    return this.stage.url;
  }
}
