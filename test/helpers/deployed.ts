/** The synthesized functions of an assembly, run on the emulators of the running test stack. */
import { DEV_SECRETS } from '../../local/dev-config.js';
import { startRuntime, type DeployedRuntime } from '../../local/deployed/runtime.js';
import type { Assembly } from '../../local/deployed/synth.js';
import { dynamoDbClient, s3Client, sqsClient, stackInfo } from './stack.js';

export function runtimeOnTestStack(assembly: Assembly): Promise<DeployedRuntime> {
  const info = stackInfo();
  return startRuntime({
    assembly,
    emulators: {
      dynamodb: info.dynamodbEndpoint,
      sqs: info.sqsEndpoint,
      s3: info.s3Endpoint,
      ddb: dynamoDbClient(),
      sqsClient: sqsClient(),
      s3Client: s3Client(),
    },
    secrets: Object.fromEntries(Object.keys(DEV_SECRETS).map((name) => [name, info.env[name] ?? ''])),
    localEnv: { POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_TRACE_ENABLED: 'false' },
    log: () => {},
  });
}
