/**
 * Generated from the route table: every route whose spec says `api-key` answers 401 without a key
 * and with a wrong one, before any handler code runs; public routes never ask for one.
 */
import { ROUTES } from '../../layers/core/src/http/routes.js';
import { SIGN_IN_NOT_CONFIGURED } from '../../layers/core/src/http/user-tokens.js';
import { stackInfo } from '../helpers/stack.js';

/** Shaped like a Cognito access token; never verified here (sign-in is not configured locally). */
const FAKE_ACCESS_TOKEN = [
  { kid: 'k', alg: 'RS256' },
  { token_use: 'access', 'cognito:groups': ['admin'] },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('c2lnbmF0dXJl')
  .join('.');

/** A concrete URL for a route template: any value works, auth comes first. */
// Ids need not exist (auth is checked first); the console's {file} names one it serves, so a public route answers 200.
const urlOf = (path: string) => path.replace('{file}', 'config.json').replace(/\{[^}]+\}/g, 'any-id');

const call = (route: (typeof ROUTES)[number], headers: Record<string, string>) =>
  fetch(`${stackInfo().baseUrl}${urlOf(route.path)}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
  });

/** `api-key` routes need a credential with their scope, `credential` routes any valid one (GET /me). */
const protectedRoutes = ROUTES.filter((r) => r.auth === 'api-key' || r.auth === 'credential').map(
  (r) => [`${r.method} ${r.path}`, r] as const,
);

describe.each(protectedRoutes)('%s', (_key, route) => {
  it('answers 401 without x-api-key', async () => {
    const res = await call(route, {});
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('answers 401 with a wrong x-api-key', async () => {
    const res = await call(route, { 'x-api-key': `${stackInfo().apiKey}-wrong` });
    expect(res.status).toBe(401);
  });

  it('answers 401 to a Bearer token: the local stack has no sign-in', async () => {
    const res = await call(route, { authorization: `Bearer ${FAKE_ACCESS_TOKEN}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'unauthorized', message: SIGN_IN_NOT_CONFIGURED });
  });
});

describe('GET /me', () => {
  const me = async (headers: Record<string, string>) => {
    const res = await call(ROUTES.find((r) => r.path === '/me')!, headers);
    return { status: res.status, body: await res.json() };
  };

  it('names the dev key and its scopes (every scope: admin)', async () => {
    expect(await me({ 'x-api-key': stackInfo().apiKey })).toEqual({
      status: 200,
      body: { principal: 'key-1', kind: 'api-key', scopes: ['admin'] },
    });
  });

  it('answers a scoped key too, with only its scopes', async () => {
    expect(await me({ 'x-api-key': READ_ONLY_KEY })).toEqual({
      status: 200,
      body: { principal: 'dev-reader', kind: 'api-key', scopes: ['read'] },
    });
  });

  it('uses the API key when a Bearer token comes with it', async () => {
    expect(await me({ 'x-api-key': READ_ONLY_KEY, authorization: `Bearer ${FAKE_ACCESS_TOKEN}` })).toMatchObject({
      status: 200,
      body: { principal: 'dev-reader', kind: 'api-key' },
    });
  });
});

/** The dev stack's read-only key (local/dev-config.ts). */
const READ_ONLY_KEY = 'patron-dev-read-key';

describe.each(
  ROUTES.filter((r) => r.auth === 'api-key' && r.scope !== 'read').map((r) => [`${r.method} ${r.path} (${r.scope})`, r] as const),
)('%s', (_key, route) => {
  it('answers 403 naming the scope to a valid key that only may read', async () => {
    const res = await call(route, { 'x-api-key': READ_ONLY_KEY });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining(route.scope) });
  });
});

describe('a read-only key', () => {
  it.each(ROUTES.filter((r) => r.auth === 'api-key' && r.scope === 'read').map((r) => [`${r.method} ${r.path}`, r] as const))(
    'passes the auth check of %s',
    async (_k, route) => {
      const res = await call(route, { 'x-api-key': READ_ONLY_KEY });
      expect([401, 403]).not.toContain(res.status);
    },
  );
});

describe('routes without an API key', () => {
  it.each(ROUTES.filter((r) => r.auth === 'none').map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers without one',
    async (_k, route) => {
      expect((await call(route, {})).status).toBe(200);
    },
  );

  it('POST /webhooks/{source} refuses an unsigned delivery with 401', async () => {
    const route = ROUTES.find((r) => r.auth === 'webhook-signature')!;
    const res = await fetch(`${stackInfo().baseUrl}/webhooks/generic`, {
      method: route.method,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });
});
