/**
 * The Lambda side of the embedded runtime: loading a function's handler from its `entry`, a
 * realistic fake `Context`, and invoking with the function's timeout.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, type FunctionDefinition } from '../infra/definitions.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, REPO_ROOT } from './util.js';

/** What every Lambda handler looks like to the runtime (the event type depends on the trigger). */
export type LambdaHandler<TEvent = unknown, TResult = unknown> = (event: TEvent, context: Context) => TResult | Promise<TResult>;

export { DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS };

/** Local function names; in AWS, CDK generates them. */
export const localFunctionName = (fn: Pick<FunctionDefinition, 'name'>): string => `patron-local-${fn.name}`;

export class LambdaTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

export interface ContextOptions {
  awsRequestId?: string;
  /** Invocation start (ms since epoch), for getRemainingTimeInMillis. */
  startedAt?: number;
  now?: () => number;
}

/** A `Context` shaped like the one the Node.js Lambda runtime passes. */
export function createLambdaContext(
  fn: Pick<FunctionDefinition, 'name' | 'timeoutSeconds' | 'memoryMb'>,
  options: ContextOptions = {},
): Context {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  const deadline = startedAt + (fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  const functionName = localFunctionName(fn);
  const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is deprecated and not emulated locally: return (or throw) from an async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(fn.memoryMb ?? DEFAULT_MEMORY_MB),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

const handlers = new Map<string, Promise<LambdaHandler>>();

/**
 * Imports a function's handler once (a warm container) from its `entry` (.ts; the process runs
 * under tsx). A failed import is not cached, so fixing the file and retrying works.
 */
export function loadHandler(fn: Pick<FunctionDefinition, 'name' | 'entry'>): Promise<LambdaHandler> {
  const cached = handlers.get(fn.entry);
  if (cached) return cached;
  const loading = import(pathToFileURL(resolve(REPO_ROOT, fn.entry)).href).then((module: Record<string, unknown>) => {
    const handler = module.handler;
    if (typeof handler !== 'function') {
      throw new Error(`${fn.entry} does not export a function named "handler" (Runtime.HandlerNotFound)`);
    }
    return handler as LambdaHandler;
  });
  handlers.set(fn.entry, loading);
  loading.catch(() => handlers.delete(fn.entry));
  return loading;
}

/**
 * Calls the handler and fails with `LambdaTimeoutError` once the function's timeout elapses, as
 * Lambda does. Unlike Lambda the handler cannot be frozen, so its work may continue in the
 * background after a timeout.
 */
export async function invokeWithTimeout<TEvent, TResult>(
  handler: LambdaHandler<TEvent, TResult>,
  event: TEvent,
  context: Context,
  timeoutSeconds = DEFAULT_TIMEOUT_SECONDS,
): Promise<TResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
