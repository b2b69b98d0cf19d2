/**
 * A node:http stand-in for API Gateway HTTP API (payload format 2.0) in front of the functions of
 * infra/definitions.ts: route matching on the API Gateway path templates, request -> event,
 * handler result -> response, with API Gateway's error answers.
 *
 * The conversion functions are pure so that test/unit/local/ can pin them down without sockets.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionDefinition, type HttpMethod } from '../infra/definitions.js';
import { DEFAULT_TIMEOUT_SECONDS, createLambdaContext, invokeWithTimeout, loadHandler, type LambdaHandler } from './lambda.js';
import { LOCAL_ACCOUNT_ID, stderrLog, type Log } from './util.js';

/** API Gateway's payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The fake API id in requestContext (real ones are 10 lowercase alphanumerics). */
export const LOCAL_API_ID = 'patronlocl';

// ---- routes -----------------------------------------------------------------------------------

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface Route {
  method: HttpMethod;
  /** The API Gateway path template, e.g. `/customers/{id}`. */
  path: string;
  /** `GET /customers/{id}`, as in the event's routeKey. */
  routeKey: string;
  fn: FunctionDefinition;
  segments: Segment[];
}

export interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string>;
}

function parseTemplate(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route path must start with "/": ${path}`);
  const parts = path === '/' ? [] : path.slice(1).split('/');
  return parts.map((part, index): Segment => {
    const variable = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/.exec(part);
    if (!variable) return { kind: 'literal', value: part };
    const [, name = '', greedy] = variable;
    if (greedy) {
      if (index !== parts.length - 1) throw new Error(`greedy variable must be the last segment: ${path}`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
}

const rank = { literal: 0, param: 1, greedy: 2 } as const;

/** API Gateway picks the most specific route: literals beat variables beat greedy variables. */
function bySpecificity(a: Route, b: Route): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    if (!sa || !sb) return sa ? -1 : 1;
    if (rank[sa.kind] !== rank[sb.kind]) return rank[sa.kind] - rank[sb.kind];
  }
  return 0;
}

/** Every HTTP route of every function, most specific first. Duplicate route keys are an error, as in API Gateway. */
export function buildRouteTable(functions: readonly FunctionDefinition[] = FUNCTIONS): Route[] {
  const routes: Route[] = [];
  const seen = new Map<string, string>();
  for (const fn of functions) {
    for (const { method, path } of fn.routes ?? []) {
      const routeKey = `${method} ${path}`;
      const owner = seen.get(routeKey);
      if (owner) throw new Error(`route ${routeKey} is defined by both ${owner} and ${fn.name}`);
      seen.set(routeKey, fn.name);
      routes.push({ method, path, routeKey, fn, segments: parseTemplate(path) });
    }
  }
  return routes.sort(bySpecificity);
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The route for a method and raw path (no query string), with its decoded path parameters. */
export function matchRoute(routes: readonly Route[], method: string, rawPath: string): RouteMatch | undefined {
  const parts = rawPath === '/' ? [] : rawPath.replace(/^\//, '').split('/');
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const pathParameters: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < route.segments.length && ok; i++) {
      const segment = route.segments[i]!;
      const part = parts[i];
      if (part === undefined) {
        ok = false;
      } else if (segment.kind === 'literal') {
        ok = decodeSegment(part) === segment.value;
      } else if (segment.kind === 'param') {
        ok = part.length > 0;
        pathParameters[segment.name] = decodeSegment(part);
      } else {
        const rest = parts.slice(i).join('/');
        ok = rest.length > 0;
        pathParameters[segment.name] = decodeSegment(rest);
      }
    }
    const last = route.segments.at(-1);
    if (ok && (last?.kind === 'greedy' || parts.length === route.segments.length)) return { route, pathParameters };
  }
  return undefined;
}

// ---- request -> event -------------------------------------------------------------------------

/** What the event conversion needs from an HTTP request (decoupled from IncomingMessage for tests). */
export interface RawRequest {
  method: string;
  /** Path and query string as received, e.g. `/customers?email=a%40b.c`. */
  url: string;
  /** Alternating names and values, as node's `IncomingMessage.rawHeaders`. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  /** e.g. `1.1` */
  httpVersion: string;
  /** Port the local server listens on, for x-forwarded-port. */
  localPort?: number;
}

export interface EventOptions {
  requestId?: string;
  now?: Date;
}

/**
 * API Gateway HTTP APIs deliver these content types as UTF-8 text and everything else (including
 * a missing content type and form posts) base64-encoded with isBase64Encoded true.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  return media.startsWith('text/') || media === 'application/json' || media === 'application/xml' || media === 'application/javascript';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as in requestContext.time. */
export function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** API Gateway request ids look like `JKJaXmPLvHcESHA=`. */
export const newApiRequestId = (): string => randomBytes(11).toString('base64');

function traceId(now: Date): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** Lowercased names; repeated headers joined with commas (format 2.0 has no multiValueHeaders). */
export function collectHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return headers;
}

/** Query parameters, decoded; repeated keys joined with commas like API Gateway. */
export function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The API Gateway HTTP API (payload 2.0) event for a request that matched `match`. */
export function toApiGatewayEvent(request: RawRequest, match: RouteMatch, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const now = options.now ?? new Date();
  const requestId = options.requestId ?? newApiRequestId();
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1).split('#')[0]!;

  const headers = collectHeaders(request.rawHeaders);
  // Format 2.0 moves cookies out of the headers into their own field.
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  const cookies = cookieHeader
    ?.split(/[;,]/)
    .map((c) => c.trim())
    .filter(Boolean);
  // What API Gateway adds on its way to the integration.
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${request.sourceIp}` : request.sourceIp;
  if (request.localPort !== undefined) headers['x-forwarded-port'] = String(request.localPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= traceId(now);

  const domainName = (headers.host ?? 'localhost').replace(/:\d+$/, '');
  const method = request.method.toUpperCase();
  const queryStringParameters = parseQueryString(rawQueryString);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: match.route.routeKey,
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    isBase64Encoded: false,
  };
  if (request.body.length > 0) {
    const encoding = headers['content-encoding'];
    const text = isTextContentType(headers['content-type']) && (!encoding || encoding === 'identity');
    event.body = text ? request.body.toString('utf8') : request.body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

// ---- result -> response -----------------------------------------------------------------------

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** The handler returned something API Gateway cannot turn into a response (it answers 500). */
export class MalformedResultError extends Error {}

const jsonHeaders = { 'content-type': 'application/json' };

/**
 * Interprets a handler's result as API Gateway (format 2.0) does: an object with `statusCode` is a
 * structured response; anything else that is valid JSON becomes a 200 application/json response
 * whose body is the string itself, or the JSON of the value.
 */
export function toHttpResponse(result: unknown): HttpResponse {
  if (typeof result === 'string') {
    return { statusCode: 200, headers: { ...jsonHeaders }, body: Buffer.from(result, 'utf8') };
  }
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    return { statusCode: 200, headers: { ...jsonHeaders }, body: Buffer.from(JSON.stringify(result ?? null), 'utf8') };
  }
  const structured = result as { statusCode: unknown; headers?: unknown; body?: unknown; isBase64Encoded?: unknown; cookies?: unknown };
  const { statusCode } = structured;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedResultError(`statusCode must be an integer HTTP status, got ${JSON.stringify(statusCode)}`);
  }
  const headers: Record<string, string | string[]> = {};
  if (structured.headers !== undefined && structured.headers !== null) {
    if (typeof structured.headers !== 'object') throw new MalformedResultError('headers must be an object');
    for (const [name, value] of Object.entries(structured.headers)) {
      if (value === undefined || value === null) continue;
      headers[name] = String(value);
    }
  }
  if (structured.cookies !== undefined) {
    if (!Array.isArray(structured.cookies) || structured.cookies.some((c) => typeof c !== 'string')) {
      throw new MalformedResultError('cookies must be an array of strings');
    }
    const existing = Object.keys(headers).find((h) => h.toLowerCase() === 'set-cookie');
    const fromHeaders = existing ? [headers[existing] as string] : [];
    if (existing) delete headers[existing];
    // Each cookie becomes its own set-cookie header.
    if (structured.cookies.length + fromHeaders.length > 0) headers['set-cookie'] = [...fromHeaders, ...(structured.cookies as string[])];
  }
  const { body } = structured;
  if (body !== undefined && body !== null && typeof body !== 'string') {
    throw new MalformedResultError('body must be a string');
  }
  const bytes = body ? Buffer.from(body, structured.isBase64Encoded === true ? 'base64' : 'utf8') : Buffer.alloc(0);
  return { statusCode, headers, body: bytes };
}

// ---- server -----------------------------------------------------------------------------------

/**
 * The URL for the access log, with query values replaced (`?email=…`): a query can carry an email
 * or a phone number, and logs must hold no PII. Names stay, so the line still says what was asked.
 */
export function redactQuery(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const names = new URLSearchParams(url.slice(q + 1)).keys();
  return `${url.slice(0, q)}?${[...names].map((name) => `${encodeURIComponent(name)}=…`).join('&')}`;
}

export interface HttpServerOptions {
  port?: number;
  host?: string;
  functions?: readonly FunctionDefinition[];
  /** Where access lines go. Handler errors always go to stderr. */
  log?: Log;
  /** How to get a function's handler; defaults to importing its `entry`. */
  loadHandler?: (fn: FunctionDefinition) => Promise<LambdaHandler>;
}

export interface LocalHttpServer {
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, response: HttpResponse, requestId: string, extra: Record<string, string> = {}): void {
  res.statusCode = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('apigw-requestid', requestId);
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  res.setHeader('content-length', response.body.length);
  res.end(response.body);
}

const jsonResponse = (statusCode: number, payload: unknown): HttpResponse => ({
  statusCode,
  headers: { ...jsonHeaders },
  body: Buffer.from(JSON.stringify(payload), 'utf8'),
});

export const internalServerError = (): HttpResponse => jsonResponse(500, { message: 'Internal Server Error' });

function logHandlerError(fn: FunctionDefinition, context: Context, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : JSON.stringify(error);
  process.stderr.write(`[patron-local] ${fn.name} ERROR Invoke Error (RequestId: ${context.awsRequestId})\n${detail}\n`);
}

/** Beyond this much discarded payload the connection is cut instead of drained. */
const DRAIN_CEILING_BYTES = 64 * 1024 * 1024;

type BodyResult = { ok: true; body: Buffer } | { ok: false; drained: boolean } | { ok: false; aborted: true };

/**
 * Reads the body up to `limit` bytes. An oversized body is read to its end and discarded (so the
 * client, still uploading, gets to see the 413 rather than a reset), unless it is absurdly large.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > DRAIN_CEILING_BYTES) {
      resolve({ ok: false, drained: false });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_CEILING_BYTES) resolve({ ok: false, drained: false });
    });
    req.on('end', () => resolve(size <= limit ? { ok: true, body: Buffer.concat(chunks) } : { ok: false, drained: true }));
    req.on('error', reject);
    // A client that goes away mid-body: settle (no-op after 'end', which always comes first).
    req.on('close', () => resolve({ ok: false, aborted: true }));
  });
}

/** Starts the HTTP front door. `port: 0` picks a free port; the actual one is in the result. */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<LocalHttpServer> {
  const routes = buildRouteTable(options.functions ?? FUNCTIONS);
  const log = options.log ?? stderrLog;
  const load = options.loadHandler ?? loadHandler;
  let port = options.port ?? 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = newApiRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const rawPath = url.split('?')[0]!;
    const finish = (response: HttpResponse, fnName = '-', extra: Record<string, string> = {}) => {
      send(res, response, requestId, extra);
      log(`${method} ${redactQuery(url)} -> ${response.statusCode} (${fnName}, ${Date.now() - started} ms)`);
    };

    const match = matchRoute(routes, method, rawPath);
    if (!match) {
      req.resume();
      finish(jsonResponse(404, { error: 'not_found', message: `No route for ${method} ${rawPath}` }));
      return;
    }
    const read = await readBody(req, MAX_BODY_BYTES);
    if ('aborted' in read) {
      log(`${method} ${redactQuery(url)} -> client went away before sending the whole body`);
      return;
    }
    if (!read.ok) {
      finish(jsonResponse(413, { message: 'Request Entity Too Large' }), match.route.fn.name, { connection: 'close' });
      if (!read.drained) res.once('finish', () => req.destroy());
      return;
    }
    const body = read.body;
    const fn = match.route.fn;
    const event = toApiGatewayEvent(
      {
        method,
        url,
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        httpVersion: req.httpVersion,
        localPort: port,
      },
      match,
      { requestId, now: new Date(started) },
    );
    const context = createLambdaContext(fn, { awsRequestId: randomUUID(), startedAt: started });
    let response: HttpResponse;
    try {
      const handler = await load(fn);
      const result = await invokeWithTimeout(handler, event, context, fn.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
      response = toHttpResponse(result);
    } catch (error) {
      logHandlerError(fn, context, error);
      response = internalServerError();
    }
    finish(response, fn.name);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`[patron-local] request failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!res.headersSent) send(res, internalServerError(), newApiRequestId());
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // Give in-flight requests a moment, then cut keep-alive sockets that would hold close().
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      })),
  };
}
