// One Lambda execution environment: a worker thread with its own process.env (given by the
// parent from the function's synthesized environment), importing the function's bundle from its
// Lambda-like task directory, then answering one invocation at a time. Plain JavaScript on
// purpose: it runs the deployed bundle, with no TypeScript loader in the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { modulePath, exportName, sourceMaps } = workerData;
if (sourceMaps) process.setSourceMapsEnabled(true);

const serializeError = (error) =>
  error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, stack: error.stack }
    : { errorType: 'Error', errorMessage: String(error) };

let handler;
try {
  const module = await import(pathToFileURL(modulePath).href);
  handler = module[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${modulePath} does not export a function named "${exportName}"`), { name: 'Runtime.HandlerNotFound' });
  }
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: serializeError(error) });
}

parentPort.on('message', async ({ id, event, context }) => {
  const unsupported = (name) => () => {
    throw new Error(`context.${name}() is not emulated locally: return (or throw) from an async handler`);
  };
  const ctx = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
  try {
    const result = await handler(event, ctx);
    // Lambda serializes the result as JSON: what cannot survive that must not pass locally either.
    parentPort.postMessage({ type: 'result', id, payload: JSON.stringify(result ?? null) });
  } catch (error) {
    parentPort.postMessage({ type: 'error', id, error: serializeError(error) });
  }
});
