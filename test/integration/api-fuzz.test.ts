/**
 * Property: arbitrary path, query, header and body values on every route of the route table never
 * produce a 5xx, and every 4xx is a JSON error body with `error` and `message`.
 *
 * For each route in ROUTES (none skipped) fast-check generates requests with: path parameters
 * (unicode, `%` and malformed percent escapes, `.`/`..`, empty-ish, up to 3,000 characters, raw or
 * percent-encoded), query strings (the route's own parameter names plus random ones, repeated
 * names, huge / negative / `1e999` / NaN values), headers of the route's header schema, and bodies
 * (arbitrary JSON, mutations of a valid offer request on a real customer, non-JSON text and bytes,
 * an oversized body). Webhook routes are sent unsigned, with a bad signature, and correctly signed
 * over the garbage body. All with the dev API key. On failure fast-check prints the seed and the
 * shrunk request; rerun one route with FUZZ_SEED=<seed> (and FUZZ_PATH=<path>) to reproduce.
 *
 * Two kinds of request are filtered out (fc.pre) because they are not client mistakes and have
 * side effects on the stack other suites share: a POST /mining-runs that would start a run, and a
 * DELETE of the real customer the offer bodies use.
 */
import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import {
  ADAPTERS,
  ENV,
  FLAG_TYPES,
  OFFER_STATUSES,
  ROUTES,
  type RouteSpec,
  SOURCES,
  type SourceName,
  StartRunBody,
  TOUCHPOINT_TYPES,
} from '@patron/core';
import fc from 'fast-check';
import { stackInfo } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';
import { mortgage } from '../helpers/offers.js';

jest.setTimeout(120_000);

const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH;
/** Keep the request line under the 8-16 KB limits of HTTP servers (and API Gateway's 10 KB). */
const MAX_URL_CHARS = 7_000;

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

// ---------------------------------------------------------------- values

const ODD_STRINGS = [
  '',
  ' ',
  '%',
  '%%',
  '%25',
  '%2',
  '%zz',
  '%00',
  '%C0%AF',
  '%E0%A4%A',
  '%2F',
  '%2e%2e',
  '.',
  '..',
  '\u0000',
  'null',
  'undefined',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'CUST#x',
  'a'.repeat(255),
  'a'.repeat(256),
  '😀',
  '\u202e',
  '\uFEFF',
];

const NUMERIC_STRINGS = [
  '0',
  '-0',
  '-1',
  '1.5',
  '1e999',
  '-1e999',
  '1e-999',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '9007199254740993',
  '99999999999999999999999999999999',
  '1_000',
  '+1',
  ' 1',
];

const shortText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

/** A value for a query parameter or header-ish field. */
const scalarText = fc.oneof(
  { weight: 3, arbitrary: shortText },
  { weight: 2, arbitrary: fc.constantFrom(...NUMERIC_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
);

/** Lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, not in this lib target). */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
/** Values that pass a query schema's type, so the fuzzing reaches the code behind validation. */
let realCursor = '';
let realEmail = 'someone@example.com';
const plausibleText = fc.oneof(
  fc.emailAddress(),
  fc.constant('').map(() => realEmail),
  fc.emailAddress().map((e) => e.replace(/[^a-z0-9.@-]/gi, 'x')),
  fc.integer({ min: 1, max: 200 }).map(String),
  fc.double({ min: 0, max: 1, noNaN: true }).map(String),
  fc.constantFrom<string>(...TOUCHPOINT_TYPES, ...FLAG_TYPES, ...OFFER_STATUSES),
  // Cursors: base64url of arbitrary JSON, and a real cursor cut or with one character changed.
  fc.json({ maxDepth: 2 }).map((j) => Buffer.from(j).toString('base64url')),
  fc.tuple(fc.nat(), fc.constantFrom('cut', 'flip', 'as-is', 'pad')).map(([n, how]) => {
    const c = realCursor;
    if (!c) return 'x';
    const i = n % c.length;
    if (how === 'cut') return c.slice(0, i);
    if (how === 'flip') return `${c.slice(0, i)}${c[i] === 'A' ? 'B' : 'A'}${c.slice(i + 1)}`;
    if (how === 'pad') return `${c}==`;
    return c;
  }),
);

/** encodeURIComponent, but never throws on a lone surrogate. */
const enc = (s: string) => encodeURIComponent(wellFormed(s));

/** A path segment: raw (percent signs left as they are, but no `/ ? #`) or percent-encoded. */
function pathSegment(extra: string[] = []): fc.Arbitrary<string> {
  const raw = fc.oneof(
    { weight: 4, arbitrary: shortText },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS, ...extra) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 200, maxLength: 3000 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 200, maxLength: 3000 }) },
  );
  return fc.tuple(raw, fc.constantFrom('encoded', 'raw', 'double-encoded')).map(([value, form]) => {
    let segment: string;
    if (form === 'encoded') segment = enc(value);
    else if (form === 'double-encoded') segment = enc(enc(value));
    else segment = wellFormed(value).replace(/[/?#\\]/g, '');
    // Bound the URL (the gateway, not the API, would refuse a longer request line).
    while (segment.length > MAX_URL_CHARS / 2) segment = segment.slice(0, Math.floor(segment.length / 2)).replace(/%[0-9A-Fa-f]?$/, '');
    return segment;
  });
}

/** [name, value] pairs: known names of the route's query schema plus random ones, names repeated. */
function queryString(known: string[]): fc.Arbitrary<string> {
  const name = known.length
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: shortText })
    : shortText;
  const value = fc.oneof(scalarText, plausibleText);
  const pair = fc
    .tuple(name, value, fc.boolean())
    .map(([n, v, raw]) =>
      raw ? `${wellFormed(n).replace(/[&#=\s]/g, '')}=${wellFormed(v).replace(/[&#\s]/g, '')}` : `${enc(n)}=${enc(v)}`,
    );
  return fc
    .oneof(
      fc.array(pair, { maxLength: 6 }),
      // The same known name several times (arrays via repeats).
      known.length
        ? fc
            .tuple(fc.constantFrom(...known), fc.array(value, { minLength: 2, maxLength: 4 }))
            .map(([n, vs]) => vs.map((v) => `${n}=${enc(v)}`))
        : fc.constant([] as string[]),
      fc.constantFrom(['='], ['&&&'], ['a'], ['%'], ['a[]=1&a[]=2'], [`limit=${'9'.repeat(400)}`]),
    )
    .map((pairs) => {
      const q = pairs.join('&').slice(0, MAX_URL_CHARS / 2);
      return q ? `?${q}` : '';
    });
}

/** Header values must be visible ASCII for fetch; the route's own header names get fuzzed values. */
function headerValues(names: string[]): fc.Arbitrary<Record<string, string>> {
  if (!names.length) return fc.constant({});
  const value = fc
    .oneof(scalarText, fc.string({ unit: 'grapheme-ascii', maxLength: 300 }))
    .map((v) => v.replace(/[^\x20-\x7e]/g, '').trim());
  return fc.dictionary(fc.constantFrom(...names), value, { maxKeys: names.length });
}

// ---------------------------------------------------------------- bodies

const jsonValue = fc.oneof(
  fc.json({ maxDepth: 3 }).map((s) => JSON.parse(s) as unknown),
  fc.anything({ maxDepth: 2 }).map((v) => {
    try {
      return JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
    } catch {
      return null;
    }
  }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 1, -1, 0, 0.1, '', ' ', null, true, [], {}, '1e999', 'x'.repeat(5000)),
);

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', ''];

const nonJsonBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom('{', '{"a":', '[1,2', 'nul', "{'a':1}", '{"a":1}{"b":2}', '\uFEFF{}', '1e999', '-', 'NaN', '{"__proto__":{"x":1}}'),
  // Over the 256 KB body limit.
  fc.constant('x').map(() => JSON.stringify({ pad: 'x'.repeat(300 * 1024) })),
);

/** A JSON body: arbitrary, or (when given) a valid body with a few fields deleted or replaced. */
function jsonBody(valid?: Record<string, unknown>): fc.Arbitrary<string> {
  const arbitraryJson = jsonValue.map((v) => JSON.stringify(v) ?? 'null');
  if (!valid) return arbitraryJson;
  const paths = [
    ...Object.keys(valid),
    'terms.amount',
    'terms.rate',
    'terms.currency',
    'terms.termMonths',
    'override',
    'validFrom',
    'validUntil',
    'unknownField',
  ];
  const DELETE = Symbol('delete');
  const mutation = fc.tuple(
    fc.constantFrom(...paths),
    fc.oneof({ weight: 1, arbitrary: fc.constant<typeof DELETE>(DELETE) }, { weight: 4, arbitrary: jsonValue }),
  );
  const mutated = fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ops) => {
    const body = structuredClone(valid) as Record<string, any>;
    for (const [path, value] of ops) {
      const [head, tail] = path.split('.') as [string, string | undefined];
      if (tail !== undefined && !(body[head] && typeof body[head] === 'object')) body[head] = {};
      const target = tail === undefined ? body : body[head];
      const key = tail ?? head;
      if (value === DELETE) delete target[key];
      else target[key] = value;
    }
    return JSON.stringify(body);
  });
  return fc.oneof(
    { weight: 3, arbitrary: mutated },
    { weight: 1, arbitrary: arbitraryJson },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(valid)) },
  );
}

// ---------------------------------------------------------------- requests

const secretOf = (source: SourceName) => (stackInfo().env[ENV.webhookSecret[source]] ?? '').split(',')[0]!;

let customerId = '';
let validOffer: Record<string, unknown> = {};

function requestArb(route: RouteSpec): fc.Arbitrary<FuzzRequest> {
  const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const isWebhook = route.auth === 'webhook-signature';
  const segments = pathNames.map((n) =>
    n === 'source'
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SOURCES) }, { weight: 1, arbitrary: pathSegment() })
      : route.method === 'DELETE'
        ? pathSegment()
        : fc.oneof({ weight: 3, arbitrary: pathSegment([customerId]) }, { weight: 1, arbitrary: fc.constant(customerId) }),
  );
  const known = Object.keys(route.params?.query?.shape ?? {});
  const headerNames = Object.keys(route.params?.header?.shape ?? {});
  const hasBody = route.method !== 'GET';
  const offerBody = route.path === '/offers' || route.path === '/offers/check';
  const body: fc.Arbitrary<{ text?: string | Uint8Array; contentType: string }> = hasBody
    ? fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record({ text: jsonBody(offerBody ? validOffer : undefined), contentType: fc.constant('application/json') }),
        },
        { weight: 2, arbitrary: fc.record({ text: nonJsonBody, contentType: fc.constantFrom(...CONTENT_TYPES) }) },
        { weight: 1, arbitrary: fc.record({ text: fc.constant(undefined), contentType: fc.constantFrom(...CONTENT_TYPES) }) },
      )
    : fc.constant({ contentType: '' });
  const signing = isWebhook ? fc.constantFrom('unsigned', 'bad-signature', 'signed') : fc.constant('none');

  return fc
    .record({ segments: fc.tuple(...segments), query: queryString(known), headers: headerValues(headerNames), body, signing })
    .map(({ segments: values, query, headers, body: b, signing: mode }) => {
      let path = route.path;
      for (const [i, name] of pathNames.entries()) path = path.replace(`{${name}}`, values[i] as string);
      const h: Record<string, string> = { 'x-api-key': stackInfo().apiKey, ...headers };
      if (b.contentType) h['content-type'] = b.contentType;
      const source = values[0] as string;
      if (mode !== 'unsigned' && mode !== 'none' && (SOURCES as readonly string[]).includes(source)) {
        const raw = typeof b.text === 'string' ? b.text : b.text ? Buffer.from(b.text).toString('utf8') : '';
        const secret = mode === 'signed' ? secretOf(source as SourceName) : 'whsec_bm90LXRoZS1zZWNyZXQtYXQtYWxsLWF0LWFsbA==';
        Object.assign(h, ADAPTERS[source as SourceName].sign(raw, secret, new Date(), `evt_fuzz_${randomUUID()}`));
        // The signed raw text must be exactly what is sent.
        if (b.text instanceof Uint8Array) b = { ...b, text: raw };
      }
      return { method: route.method, url: `${path}${query}`, headers: h, body: b.text };
    });
}

/** True for requests this suite must not send (see the header comment). */
function sideEffect(route: RouteSpec, req: FuzzRequest): boolean {
  if (route.method === 'POST' && route.path === '/mining-runs') {
    if (
      req.body === undefined ||
      (typeof req.body === 'string' && req.body === '') ||
      (req.body instanceof Uint8Array && req.body.length === 0)
    )
      return true;
    if (typeof req.body === 'string') {
      try {
        return StartRunBody.safeParse(JSON.parse(req.body)).success;
      } catch {
        return false;
      }
    }
  }
  return route.method === 'DELETE' && req.url.includes(customerId);
}

const show = (req: FuzzRequest) => {
  const body =
    req.body === undefined
      ? '(none)'
      : typeof req.body === 'string'
        ? JSON.stringify(req.body.length > 600 ? `${req.body.slice(0, 600)}... (${req.body.length} chars)` : req.body)
        : `bytes ${Buffer.from(req.body).toString('base64').slice(0, 400)}`;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, k === 'x-api-key' ? '<dev key>' : v]));
  return `${req.method} ${req.url.length > 600 ? `${req.url.slice(0, 600)}... (${req.url.length} chars)` : req.url}\n  headers ${JSON.stringify(headers)}\n  body ${body}`;
};

/** Statuses seen per route, printed at the end (what the fuzzing reached). */
const seen = new Map<string, Record<number, number>>();

async function send(req: FuzzRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stackInfo().baseUrl}${req.url}`, {
    method: req.method,
    headers: req.headers,
    body: req.body as string | Uint8Array<ArrayBuffer> | undefined,
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, text: await res.text() };
}

/** The property of one request: no 5xx, and a JSON {error, message} body on every 4xx. */
function check(req: FuzzRequest, res: { status: number; text: string }): void {
  const where = () => `\n  request: ${show(req)}\n  response: ${res.status} ${res.text.slice(0, 800)}`;
  if (res.status >= 500) throw new Error(`5xx from the API${where()}`);
  if (res.status >= 400) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      throw new Error(`${res.status} with a body that is not JSON${where()}`);
    }
    const p = parsed as { error?: unknown; message?: unknown } | null;
    if (!p || typeof p.error !== 'string' || typeof p.message !== 'string') {
      throw new Error(`${res.status} without a string error and message${where()}`);
    }
  }
}

beforeAll(async () => {
  const email = uniqueEmail('fuzz');
  const stored = await deliver('generic', purchase({ email }, 1_500));
  expect(stored.status).toBe(201);
  customerId = stored.body.customerId as string;
  expect((await deliver('generic', purchase({ email }, 2_500))).status).toBe(201);
  realEmail = email;
  const page = (await (
    await fetch(`${stackInfo().baseUrl}/customers/${customerId}/touchpoints?limit=1`, { headers: { 'x-api-key': stackInfo().apiKey } })
  ).json()) as { nextCursor?: string };
  realCursor = String(page.nextCursor ?? '');
  expect(realCursor).not.toBe('');
  validOffer = mortgage(customerId, 3.1, { team: 'branch-fuzz' });
});

afterAll(() => {
  console.log(
    `api-fuzz: statuses per route (${NUM_RUNS} runs each${SEED === undefined ? '' : `, seed ${SEED}`})\n` +
      [...seen].map(([route, counts]) => `  ${route}: ${JSON.stringify(counts)}`).join('\n'),
  );
});

describe('every route: arbitrary path, query, headers and body never answer 5xx', () => {
  it('the valid offer body is valid (so its mutations start from a real request)', async () => {
    const res = await send({
      method: 'POST',
      url: '/offers/check',
      headers: { 'x-api-key': stackInfo().apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(validOffer),
    });
    expect(res.status).toBe(200);
  });

  const routes = (ROUTES as readonly RouteSpec[]).filter((r) => PATH === undefined || r.path === PATH);
  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(requestArb(route), async (req) => {
        fc.pre(!sideEffect(route, req));
        sent++;
        const res = await send(req);
        const counts = seen.get(_name) ?? {};
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        seen.set(_name, counts);
        check(req, res);
      }),
      {
        numRuns: NUM_RUNS,
        ...(SEED === undefined ? {} : { seed: SEED }),
        maxSkipsPerRun: 100,
        interruptAfterTimeLimit: 50_000,
        markInterruptAsFailure: true,
      },
    );
    expect(sent).toBeGreaterThanOrEqual(Math.min(NUM_RUNS, 1));
  });
});
