/**
 * Starts the embedded stack (local/stack.ts) once per jest run, in the jest parent process, and
 * tells the test workers where it is: connection info in a JSON file in os.tmpdir() whose path goes
 * in $PATRON_STACK_INFO, plus the stack's own env (TABLE_NAME, endpoints, dev secrets), which
 * workers inherit. global-teardown.ts stops it via the handle kept on globalThis.
 *
 * jest loads this file through its CommonJS transform, where moduleNameMapper does not apply, so
 * local/ is imported at run time through tsx's ESM loader (the same way `npm start` runs it).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import type { Stack } from '../../local/stack.js';
import type { StackInfo } from './stack.js';

// A real import(): TypeScript's CommonJS output would turn a plain `import()` into require().
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export const STACK_HANDLE = '__PATRON_LOCAL_STACK__';

export default async function globalSetup(_globalConfig: unknown, projectConfig: { rootDir: string }): Promise<void> {
  const root = projectConfig?.rootDir ?? process.cwd();
  register();
  const { startStack } = (await importEsm(pathToFileURL(resolve(root, 'local/stack.ts')).href)) as typeof import('../../local/stack.js');

  const logFile = join(tmpdir(), `patron-stack-${process.pid}.log`);
  writeFileSync(logFile, '');
  const log = (message: string) => appendFileSync(logFile, `${new Date().toISOString()} ${message}\n`);

  // A rule set beyond the defaults, so the tests also cover OFFER_RULES parsing: revenue of
  // 10,000 EUR makes a customer top tier (high-value-penalty) without a mining run.
  process.env.OFFER_RULES ??= JSON.stringify({ highValue: { revenueMinorAtLeast: 1_000_000 } });
  // Function output (their JSON logs) goes to the log file too, so test output stays readable.
  const stack: Stack = await startStack({ port: 0, log, functionLog: log });
  (globalThis as Record<string, unknown>)[STACK_HANDLE] = stack;

  const info: StackInfo = {
    baseUrl: stack.baseUrl,
    apiKey: stack.apiKey,
    dynamodbEndpoint: stack.dynamodbEndpoint,
    dynamodbPid: stack.dynamodbPid,
    sqsEndpoint: stack.sqsEndpoint,
    s3Endpoint: stack.s3Endpoint,
    region: stack.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: stack.env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY ?? '' },
    tableName: stack.resources.tableName,
    miningQueueUrl: stack.resources.miningQueueUrl,
    miningQueueArn: stack.resources.miningQueueArn,
    miningDlqUrl: stack.resources.miningDlqUrl,
    miningDlqArn: stack.resources.miningDlqArn,
    outboundQueueUrl: stack.resources.outboundQueueUrl,
    outboundDlqUrl: stack.resources.outboundDlqUrl,
    artifactBucket: stack.resources.artifactBucket,
    env: stack.env,
    functionEnv: Object.fromEntries(stack.runtime.functions.map((f) => [f.name, Object.keys(f.env).sort()])),
  };
  const infoFile = join(tmpdir(), `patron-stack-${process.pid}.json`);
  writeFileSync(infoFile, JSON.stringify(info, null, 2), { mode: 0o600 });
  process.env.PATRON_STACK_INFO = infoFile;
  process.env.PATRON_STACK_LOG = logFile;
  log(`stack info in ${infoFile}`);
}
