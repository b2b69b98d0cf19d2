import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PatronError } from '../errors.js';
import { logger, metrics, tracer } from '../observability.js';
import { json, type HttpResult } from './response.js';

type Event = APIGatewayProxyEventV2;

/**
 * The one place errors become HTTP responses: typed domain errors keep their status and JSON
 * body; anything else is logged with its stack and answers a bare 500 (no internals leak).
 */
export function errorsToHttp(): MiddlewareObj<Event, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      if (error instanceof PatronError) {
        request.response = json(error.status, error.toBody());
        return;
      }
      if (error instanceof Error && error.name === 'TimeoutError') {
        // middy stops the handler TIMEOUT_RESERVE_MS before Lambda would, so the client gets a
        // documented 504 instead of API Gateway's bare 500.
        logger.error('timed out', error);
        request.response = json(504, { error: 'timeout', message: 'The request did not finish in time; retry it (writes are idempotent)' });
        return;
      }
      logger.error('unhandled error', error as Error);
      request.response = json(500, { error: 'internal_error', message: 'Internal server error' });
    },
  };
}

/**
 * The X-Ray handler subsegment. Responses are not recorded (they carry customer data), and a
 * domain error that errorsToHttp answers with a 4xx closes the subsegment as a success: only
 * unexpected errors and 5xx mark it as a fault.
 */
export function traceHttpHandler(): MiddlewareObj<Event, HttpResult> {
  const capture = captureLambdaHandler(tracer, { captureResponse: false });
  return {
    before: capture.before,
    after: capture.after,
    onError: (request) => {
      const handled = request.error instanceof PatronError && request.error.status < 500;
      if (handled) capture.after?.(request);
      else capture.onError?.(request);
    },
  };
}

/** Time kept back from the Lambda timeout to answer 504 cleanly. */
export const TIMEOUT_RESERVE_MS = 500;

/**
 * The house middleware, in the order that lets types flow; routeHandler (router.ts) adds auth and
 * the handler. `emitsMetrics` adds the EMF flush; functions that record none leave it off (an
 * empty flush only prints a warning).
 */
export function houseMiddleware(opts: { emitsMetrics?: boolean } = {}) {
  const chain = middy<Event, HttpResult>({ timeoutEarlyInMillis: TIMEOUT_RESERVE_MS })
    .use(traceHttpHandler())
    .use(injectLambdaContext(logger, { resetKeys: true }));
  if (opts.emitsMetrics) chain.use(logMetrics(metrics));
  return chain.use(errorsToHttp());
}
