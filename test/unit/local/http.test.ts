import type { FunctionDefinition } from '../../../infra/definitions.js';
import { FUNCTIONS } from '../../../infra/definitions.js';
import {
  buildRouteTable,
  collectHeaders,
  formatRequestTime,
  isTextContentType,
  matchRoute,
  MalformedResultError,
  parseQueryString,
  toApiGatewayEvent,
  toHttpResponse,
  type RawRequest,
  redactQuery,
} from '../../../local/http.js';

const fn = (name: string, routes: FunctionDefinition['routes']): FunctionDefinition => ({
  name,
  entry: `functions/${name}/handler.ts`,
  description: name,
  routes,
});

describe('buildRouteTable', () => {
  it('holds every route of FUNCTIONS with its API Gateway route key', () => {
    const routes = buildRouteTable(FUNCTIONS);
    const expected = FUNCTIONS.flatMap((f) => (f.routes ?? []).map((r) => `${r.method} ${r.path}`));
    expect(routes.map((r) => r.routeKey).sort()).toEqual(expected.sort());
    expect(routes.find((r) => r.routeKey === 'POST /webhooks/{source}')?.fn.name).toBe('webhook');
  });

  it('rejects the same route on two functions, as API Gateway would', () => {
    expect(() => buildRouteTable([fn('a', [{ method: 'GET', path: '/x' }]), fn('b', [{ method: 'GET', path: '/x' }])])).toThrow(
      /GET \/x is defined by both a and b/,
    );
  });
});

describe('matchRoute', () => {
  const routes = buildRouteTable([
    fn('customers', [
      { method: 'GET', path: '/customers' },
      { method: 'GET', path: '/customers/{id}' },
      { method: 'DELETE', path: '/customers/{id}' },
      { method: 'GET', path: '/customers/{id}/touchpoints' },
    ]),
    fn('search', [{ method: 'GET', path: '/customers/search' }]),
    fn('files', [{ method: 'GET', path: '/files/{path+}' }]),
  ]);
  const match = (method: string, path: string) => {
    const m = matchRoute(routes, method, path);
    return m && { routeKey: m.route.routeKey, params: m.pathParameters };
  };

  it('matches templates and extracts (decoded) path parameters', () => {
    expect(match('GET', '/customers')).toEqual({ routeKey: 'GET /customers', params: {} });
    expect(match('GET', '/customers/01ABC')).toEqual({ routeKey: 'GET /customers/{id}', params: { id: '01ABC' } });
    expect(match('GET', '/customers/a%40b/touchpoints')).toEqual({
      routeKey: 'GET /customers/{id}/touchpoints',
      params: { id: 'a@b' },
    });
    expect(match('delete', '/customers/x')?.routeKey).toBe('DELETE /customers/{id}');
  });

  it('prefers literal segments over variables, like API Gateway', () => {
    expect(match('GET', '/customers/search')?.routeKey).toBe('GET /customers/search');
  });

  it('supports greedy {proxy+} variables', () => {
    expect(match('GET', '/files/a/b/c.txt')).toEqual({ routeKey: 'GET /files/{path+}', params: { path: 'a/b/c.txt' } });
    expect(match('GET', '/files')).toBeUndefined();
  });

  it('does not match other methods, extra or missing segments, empty variables or trailing slashes', () => {
    expect(match('POST', '/customers')).toBeUndefined();
    expect(match('GET', '/customers/1/touchpoints/2')).toBeUndefined();
    expect(match('GET', '/customers//touchpoints')).toBeUndefined();
    expect(match('GET', '/customers/')).toBeUndefined();
    expect(match('GET', '/nope')).toBeUndefined();
  });
});

describe('request -> API Gateway payload 2.0 event', () => {
  const routes = buildRouteTable([fn('webhook', [{ method: 'POST', path: '/webhooks/{source}' }])]);
  const now = new Date('2026-03-12T19:03:58.123Z');
  const request = (over: Partial<RawRequest> = {}): RawRequest => ({
    method: 'POST',
    url: '/webhooks/shopify?a=1&b=x%20y&a=2&empty=',
    rawHeaders: [
      'Host',
      'localhost:3000',
      'Content-Type',
      'application/json; charset=utf-8',
      'X-Shopify-Hmac-Sha256',
      'abc=',
      'Accept',
      'text/html',
      'accept',
      'application/json',
      'Cookie',
      'session=s1; theme=dark',
      'User-Agent',
      'curl/8.0',
    ],
    body: Buffer.from('{"id":1}'),
    sourceIp: '10.1.2.3',
    httpVersion: '1.1',
    localPort: 3000,
    ...over,
  });
  const event = (over?: Partial<RawRequest>) => {
    const r = request(over);
    const m = matchRoute(routes, r.method, r.url.split('?')[0]!)!;
    return toApiGatewayEvent(r, m, { requestId: 'REQ123=', now });
  };

  it('fills every top-level field', () => {
    const e = event();
    expect(e).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/{source}',
      rawPath: '/webhooks/shopify',
      rawQueryString: 'a=1&b=x%20y&a=2&empty=',
      cookies: ['session=s1', 'theme=dark'],
      queryStringParameters: { a: '1,2', b: 'x y', empty: '' },
      pathParameters: { source: 'shopify' },
      body: '{"id":1}',
      isBase64Encoded: false,
    });
  });

  it('lowercases header names, comma-joins repeats, moves cookies out and adds the forwarding headers', () => {
    const { headers } = event();
    expect(headers).toMatchObject({
      host: 'localhost:3000',
      'content-type': 'application/json; charset=utf-8',
      'x-shopify-hmac-sha256': 'abc=',
      accept: 'text/html,application/json',
      'user-agent': 'curl/8.0',
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-port': '3000',
      'x-forwarded-proto': 'http',
    });
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('fills requestContext', () => {
    expect(event().requestContext).toEqual({
      accountId: '000000000000',
      apiId: expect.any(String),
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: '/webhooks/shopify', protocol: 'HTTP/1.1', sourceIp: '10.1.2.3', userAgent: 'curl/8.0' },
      requestId: 'REQ123=',
      routeKey: 'POST /webhooks/{source}',
      stage: '$default',
      time: '12/Mar/2026:19:03:58 +0000',
      timeEpoch: now.getTime(),
    });
  });

  it('base64-encodes non-text bodies (binary, form posts, no content type) like HTTP APIs', () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const binary = event({ rawHeaders: ['Content-Type', 'application/octet-stream'], body: bytes });
    expect(binary).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
    const form = event({ rawHeaders: ['Content-Type', 'application/x-www-form-urlencoded'], body: Buffer.from('a=1') });
    expect(form).toMatchObject({ isBase64Encoded: true, body: Buffer.from('a=1').toString('base64') });
    expect(event({ rawHeaders: [], body: Buffer.from('x') }).isBase64Encoded).toBe(true);
    const gzipped = event({ rawHeaders: ['Content-Type', 'application/json', 'Content-Encoding', 'gzip'], body: bytes });
    expect(gzipped.isBase64Encoded).toBe(true);
  });

  it('omits body, cookies, query and path parameters when there are none', () => {
    const r = request({ method: 'POST', url: '/webhooks/x', rawHeaders: [], body: Buffer.alloc(0) });
    const e = toApiGatewayEvent(r, { route: routes[0]!, pathParameters: {} }, { now });
    expect(e).not.toHaveProperty('body');
    expect(e).not.toHaveProperty('cookies');
    expect(e).not.toHaveProperty('queryStringParameters');
    expect(e).not.toHaveProperty('pathParameters');
    expect(e.isBase64Encoded).toBe(false);
    expect(e.rawQueryString).toBe('');
  });

  it('appends the client to an existing x-forwarded-for', () => {
    expect(event({ rawHeaders: ['X-Forwarded-For', '1.1.1.1'] }).headers['x-forwarded-for']).toBe('1.1.1.1, 10.1.2.3');
  });
});

describe('small conversions', () => {
  it('parseQueryString comma-joins repeated keys and decodes', () => {
    expect(parseQueryString('tag=a&tag=b&tag=c&q=caf%C3%A9&plus=a+b&novalue')).toEqual({
      tag: 'a,b,c',
      q: 'café',
      plus: 'a b',
      novalue: '',
    });
    expect(parseQueryString('')).toBeUndefined();
  });

  it('collectHeaders joins repeats with commas in arrival order', () => {
    expect(collectHeaders(['X-A', '1', 'x-a', '2', 'X-B', '3'])).toEqual({ 'x-a': '1,2', 'x-b': '3' });
  });

  it('isTextContentType follows what HTTP APIs pass as text', () => {
    for (const t of [
      'text/plain',
      'text/csv; charset=utf-8',
      'application/json',
      'Application/JSON; charset=UTF-8',
      'application/xml',
      'application/javascript',
    ]) {
      expect(isTextContentType(t)).toBe(true);
    }
    for (const t of [
      undefined,
      '',
      'application/octet-stream',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'image/png',
    ]) {
      expect(isTextContentType(t)).toBe(false);
    }
  });

  it('formatRequestTime uses the access-log format in UTC', () => {
    expect(formatRequestTime(new Date('2026-01-05T03:04:05Z'))).toBe('05/Jan/2026:03:04:05 +0000');
  });
});

describe('handler result -> HTTP response', () => {
  const text = (r: { body: Buffer }) => r.body.toString('utf8');

  it('treats a plain object (no statusCode) as 200 application/json with its JSON', () => {
    const r = toHttpResponse({ customers: [], count: 0 });
    expect(r.statusCode).toBe(200);
    expect(r.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(text(r))).toEqual({ customers: [], count: 0 });
  });

  it('treats a string as a 200 application/json body as-is, and arrays/numbers/null as their JSON', () => {
    expect(text(toHttpResponse('hello'))).toBe('hello');
    expect(toHttpResponse('hello').headers['content-type']).toBe('application/json');
    expect(text(toHttpResponse([1, 2]))).toBe('[1,2]');
    expect(text(toHttpResponse(42))).toBe('42');
    expect(text(toHttpResponse(undefined))).toBe('null');
  });

  it('uses a structured result as given: status, headers, cookies as set-cookie, body', () => {
    const r = toHttpResponse({
      statusCode: 422,
      headers: { 'Content-Type': 'application/problem+json', 'X-Count': 3, 'X-Flag': true },
      cookies: ['a=1', 'b=2; Secure'],
      body: '{"error":"x"}',
    });
    expect(r.statusCode).toBe(422);
    expect(r.headers).toEqual({
      'Content-Type': 'application/problem+json',
      'X-Count': '3',
      'X-Flag': 'true',
      'set-cookie': ['a=1', 'b=2; Secure'],
    });
    expect(text(r)).toBe('{"error":"x"}');
  });

  it('decodes base64 bodies and allows empty ones', () => {
    expect([...toHttpResponse({ statusCode: 200, body: 'AAH/', isBase64Encoded: true }).body]).toEqual([0, 1, 255]);
    expect(toHttpResponse({ statusCode: 204 }).body.length).toBe(0);
  });

  it('rejects malformed structured results (API Gateway answers 500)', () => {
    expect(() => toHttpResponse({ statusCode: '200' })).toThrow(MalformedResultError);
    expect(() => toHttpResponse({ statusCode: 99 })).toThrow(MalformedResultError);
    expect(() => toHttpResponse({ statusCode: 200, body: { not: 'a string' } })).toThrow(MalformedResultError);
    expect(() => toHttpResponse({ statusCode: 200, cookies: 'a=1' })).toThrow(MalformedResultError);
  });
});

describe('access log', () => {
  it('keeps query names but no values, so an email in a query never reaches a log line', () => {
    expect(redactQuery('/customers?email=ann%40example.com&cursor=abc')).toBe('/customers?email=…&cursor=…');
    expect(redactQuery('/customers/01ABC')).toBe('/customers/01ABC');
  });
});
