/**
 * `npm start`: the whole backend on this machine (DynamoDB Local, fauxqs, every function behind
 * a local API Gateway), then the demo, then serve until Ctrl-C.
 *
 *   npm start -- [--no-demo] [--persist DIR] [--port N] [--schedule]
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ENV } from '../layers/core/src/config.js';
import { CONSOLE_PATH } from '../layers/core/src/console/site.js';
import { startStack, type Stack } from './stack.js';
import { REPO_ROOT, isMainModule, stderrLog } from './util.js';

export const USAGE = `Usage: npm start -- [options]

Options:
  --no-demo        skip the demo (local/demo/) and just serve
  --persist DIR    keep DynamoDB, queue and bucket data in DIR across restarts (e.g. .patron-data)
  --port N         HTTP port (default: $PORT or 3000; 0 picks a free port)
  --schedule       fire the stack's scheduled rules once after start (and the demo), as
                   EventBridge would; they also fire on their own rate while serving
  -h, --help       show this help`;

export interface StartArgs {
  demo: boolean;
  persistDir?: string;
  port?: number;
  schedule: boolean;
  help: boolean;
}

export class UsageError extends Error {}

/** Parses the command line; throws UsageError with a readable message. */
export function parseStartArgs(argv: string[]): StartArgs {
  let values: ReturnType<typeof parseStartArgsRaw>['values'];
  try {
    ({ values } = parseStartArgsRaw(argv));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return fromValues(values);
}

const parseStartArgsRaw = (argv: string[]) =>
  parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'no-demo': { type: 'boolean' },
      persist: { type: 'string' },
      port: { type: 'string' },
      schedule: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });

function fromValues(values: ReturnType<typeof parseStartArgsRaw>['values']): StartArgs {
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  if (values.persist === '') throw new UsageError('--persist needs a directory');
  return { demo: !values['no-demo'], persistDir: values.persist, port, schedule: values.schedule ?? false, help: values.help ?? false };
}

/**
 * The customer the banner suggests looking up: the demo always creates her (README_PEOPLE in
 * local/demo/population.ts, which start must not import: it works without local/demo/).
 */
export const DEMO_EXAMPLE_EMAIL = 'ann@example.com';

/**
 * The text printed once the stack is up. `demoWillRun`: the demo is about to fill the base
 * (not --no-demo, and local/demo/ is there); only then does a customer lookup find anyone.
 */
export function banner(stack: Stack, args: StartArgs, demoWillRun = args.demo && demoPresent()): string {
  const url = stack.baseUrl;
  const overridden = new Set(stack.overriddenSecrets);
  const webhookVars = Object.values(ENV.webhookSecret);
  const keyFromEnv = overridden.has(ENV.apiKeys);
  const key = keyFromEnv ? '<your key>' : stack.apiKey;
  const source = (names: string[]) => {
    const own = names.filter((n) => overridden.has(n));
    if (own.length === 0) return 'dev-only defaults from local/dev-config.ts (set the variables to override)';
    if (own.length === names.length) return 'from your environment';
    return `from your environment: ${own.join(', ')}; the rest are dev-only defaults from local/dev-config.ts`;
  };
  const data = args.persistDir ? `persisted in ${args.persistDir}` : 'in memory (lost on exit; --persist DIR keeps it)';
  return [
    '',
    `  Patron is running locally (started in ${((stack.timings.total ?? 0) / 1000).toFixed(1)} s)`,
    '',
    `  Console          ${url}${CONSOLE_PATH}   (open it in a browser; the dev key is filled in)`,
    `  API              ${url}`,
    `  API key          ${keyFromEnv ? `from ${ENV.apiKeys} in your environment` : stack.apiKey}   (send as x-api-key; ${keyFromEnv ? 'yours' : `dev-only default, override with ${ENV.apiKeys}`})`,
    `  Webhook secrets  ${webhookVars.join(', ')}`,
    `                   ${source(webhookVars)}`,
    `  PII hash key     ${ENV.piiHashKey}: ${source([ENV.piiHashKey])}`,
    `  DynamoDB         ${stack.dynamodbEndpoint}   table ${stack.resources.tableName}`,
    `  SQS + S3         ${stack.sqsEndpoint}   queue ${stack.resources.miningQueueUrl.split('/').pop()}, bucket ${stack.resources.artifactBucket}`,
    `  Data             ${data}`,
    `  Function logs    ${stack.env.POWERTOOLS_LOG_LEVEL ?? 'INFO'} and above on stdout (POWERTOOLS_LOG_LEVEL=INFO shows all; metrics ${stack.env.POWERTOOLS_METRICS_DISABLED === 'true' ? 'off, POWERTOOLS_METRICS_DISABLED=false turns them on' : 'on'})`,
    '',
    '  Try:',
    `    curl ${url}/health`,
    ...(demoWillRun
      ? [`    curl -H "x-api-key: ${key}" "${url}/customers?email=${DEMO_EXAMPLE_EMAIL}"   (once the demo has sent her)`]
      : [
          args.demo
            ? '    The customer base is empty: there is no demo in this checkout (local/demo/index.ts is missing).'
            : '    The customer base is empty (--no-demo): send a webhook to add customers (README, "The API").',
        ]),
    '',
    '  Ctrl-C stops everything.',
    '',
  ].join('\n');
}

type RunDemo = (args: { baseUrl: string; env: Record<string, string>; tick: (at: Date) => Promise<unknown> }) => Promise<unknown>;

const demoPresent = () => existsSync(join(REPO_ROOT, 'local', 'demo', 'index.ts'));

/** local/demo/ belongs to the demo; start works without it. */
async function loadDemo(): Promise<RunDemo | undefined> {
  if (!demoPresent()) return undefined;
  const specifier = './demo/index.js'; // a variable, so the type check does not require the file
  const module = (await import(specifier)) as { runDemo?: unknown };
  if (typeof module.runDemo !== 'function') throw new Error('local/demo/index.ts does not export runDemo');
  return module.runDemo as RunDemo;
}

async function main(): Promise<void> {
  let args: StartArgs;
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  let stack: Stack | undefined;
  let stopping = false;
  let firstSignalAt = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      // Ctrl-C reaches us twice at once (from the terminal and relayed by the tsx wrapper): only
      // a second press, a moment later, means "stop waiting".
      if (Date.now() - firstSignalAt < 1000) return;
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(1); // the exit hook in dynamodb-local.ts still kills Java
    }
    stopping = true;
    firstSignalAt = Date.now();
    process.stderr.write(`\n${signal}: stopping the local stack...\n`);
    void (stack ? stack.stop() : Promise.resolve()).then(
      () => {
        process.stderr.write('stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stop failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  // Request lines would drown the demo's output: they start once the demo is done.
  let showRequests = !args.demo;
  const accessLog = (line: string) => {
    if (showRequests) stderrLog(line);
  };
  process.stderr.write('starting DynamoDB Local and fauxqs...\n');
  try {
    stack = await startStack({ port: args.port, persistDir: args.persistDir, accessLog });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(
        `port ${args.port ?? process.env.PORT ?? 3000} is in use: stop what holds it, or pick another with --port N (0 picks a free one)\n`,
      );
    } else {
      process.stderr.write(`could not start the local stack: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  }
  if (stopping) {
    await stack.stop();
    return;
  }
  process.stdout.write(banner(stack, args));

  if (args.demo) {
    try {
      const runDemo = await loadDemo();
      if (!runDemo) {
        process.stderr.write(
          `no demo yet (${relative(process.cwd(), join(REPO_ROOT, 'local', 'demo', 'index.ts'))} is missing): just serving\n`,
        );
      } else {
        await runDemo({ baseUrl: stack.baseUrl, env: stack.env, tick: (at) => stack!.tick(at) });
      }
    } catch (error) {
      if (!stopping) {
        process.stderr.write(
          `the demo failed (the API keeps serving): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
    }
    showRequests = true;
    if (!stopping) {
      process.stderr.write(
        `\nserving on ${stack.baseUrl}; the console is at ${stack.baseUrl}${CONSOLE_PATH}. Requests are logged below. Ctrl-C stops everything.\n`,
      );
    }
  }
  if (args.schedule && !stopping) {
    const fired = await stack.fireSchedules();
    process.stderr.write(
      `fired ${fired.length} scheduled rule(s): ${fired.join(', ')} (the mining worker picks the run up from the queue)\n`,
    );
  }
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
