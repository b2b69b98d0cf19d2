/**
 * A function's HTTP handler built from the route table: the house middleware (http/handler.ts),
 * authentication as the route's spec says (before any handler code runs), then dispatch on the
 * event's routeKey to the function's handler for that route. The handlers object must name
 * exactly the routes ROUTES gives the function: a missing or extra key is a compile error.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { appDeps } from '../deps.js';
import { type ApiKey, authorizeApiKey } from './api-keys.js';
import { houseMiddleware } from './handler.js';
import type { HttpResult } from './response.js';
import { routeSpec, type FunctionName, type RouteKeyOf } from './routes.js';

type Event = APIGatewayProxyEventV2;
export type RouteHandler = (event: Event, context: Context) => Promise<HttpResult>;

/** Authenticates a request as its route's spec says; an unlisted route key is a wiring bug (500). */
export function authenticate(apiKeys: () => Promise<readonly ApiKey[]>): MiddlewareObj<Event, HttpResult> {
  return {
    before: async (request) => {
      const spec = routeSpec(request.event.routeKey);
      if (!spec) throw new Error(`route ${request.event.routeKey} is not in the route table`);
      if (spec.auth === 'api-key') authorizeApiKey(request.event, await apiKeys(), spec.scope ?? 'admin');
    },
  };
}

export function routeHandler<F extends FunctionName>(
  fn: F,
  handlers: { [K in RouteKeyOf<F>]: RouteHandler },
  opts: { emitsMetrics?: boolean } = {},
) {
  const byKey = handlers as Record<string, RouteHandler>;
  return houseMiddleware(opts)
    .use(authenticate(async () => (await appDeps()).config.apiKeys))
    .handler(async (event, context) => {
      const handle = byKey[event.routeKey];
      if (!handle) throw new Error(`${fn} function wired to a route it does not serve: ${event.routeKey}`);
      return handle(event, context);
    });
}
