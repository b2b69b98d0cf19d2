/**
 * A function's HTTP handler built from the route table: the house middleware (http/handler.ts),
 * authentication as the route's spec says (before any handler code runs), then dispatch on the
 * event's routeKey to the function's handler for that route. The handlers object must name
 * exactly the routes ROUTES gives the function: a missing or extra key is a compile error.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { appDeps } from '../deps.js';
import type { Config } from '../config.js';
import { apiKeyPrincipal, type Principal, requireScope } from './api-keys.js';
import { UnauthorizedError } from '../errors.js';
import { houseMiddleware } from './handler.js';
import type { HttpResult } from './response.js';
import { routeSpec, type FunctionName, type RouteKeyOf } from './routes.js';
import { bearerToken, userPrincipal } from './user-tokens.js';

type Event = APIGatewayProxyEventV2;
export type RouteHandler = (event: Event, context: Context) => Promise<HttpResult>;

/** What authentication reads from the configuration. */
export type Credentials = Pick<Config, 'apiKeys' | 'signIn'>;

const principals = new WeakMap<Event, Principal>();

/** Who made a request (set by `authenticate`); throws on a route that is not authenticated (a wiring bug). */
export function principalOf(event: Event): Principal {
  const principal = principals.get(event);
  if (!principal) throw new Error(`no principal for ${event.routeKey}: its route is not authenticated`);
  return principal;
}

/**
 * The principal a request presents: its `x-api-key`, else its `Authorization: Bearer` access token
 * (http/user-tokens.ts). When both are sent the API key is used and the Authorization header is
 * ignored: API-key clients behave exactly as before, whatever a proxy adds to Authorization.
 */
export async function principalFor(event: Event, credentials: Credentials): Promise<Principal> {
  const apiKey = event.headers?.['x-api-key'];
  if (apiKey) return apiKeyPrincipal(apiKey, credentials.apiKeys);
  const token = bearerToken(event.headers?.authorization);
  if (token) return userPrincipal(token, credentials.signIn);
  throw new UnauthorizedError('Missing x-api-key header (or Authorization: Bearer <access token> for signed-in users)');
}

/**
 * Authenticates a request as its route's spec says: `api-key` needs a credential holding the
 * route's scope (admin when unset), `credential` any valid credential. An unlisted route key is a
 * wiring bug (500).
 */
export function authenticate(credentials: () => Promise<Credentials>): MiddlewareObj<Event, HttpResult> {
  return {
    before: async (request) => {
      const spec = routeSpec(request.event.routeKey);
      if (!spec) throw new Error(`route ${request.event.routeKey} is not in the route table`);
      if (spec.auth !== 'api-key' && spec.auth !== 'credential') return;
      const principal = await principalFor(request.event, await credentials());
      requireScope(principal, spec.auth === 'api-key' ? (spec.scope ?? 'admin') : undefined);
      principals.set(request.event, principal);
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
    .use(authenticate(async () => (await appDeps()).config))
    .handler(async (event, context) => {
      const handle = byKey[event.routeKey];
      if (!handle) throw new Error(`${fn} function wired to a route it does not serve: ${event.routeKey}`);
      return handle(event, context);
    });
}
