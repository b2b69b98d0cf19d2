/**
 * Generated from the route table: every route whose spec says `api-key` answers 401 without a key
 * and with a wrong one, before any handler code runs; public routes never ask for one.
 */
import { ROUTES } from '../../layers/core/src/http/routes.js';
import { stackInfo } from '../helpers/stack.js';

/** A concrete URL for a route template: any value works, auth comes first. */
const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, 'any-id');

const call = (route: (typeof ROUTES)[number], headers: Record<string, string>) =>
  fetch(`${stackInfo().baseUrl}${urlOf(route.path)}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{}' }),
  });

const protectedRoutes = ROUTES.filter((r) => r.auth === 'api-key').map((r) => [`${r.method} ${r.path}`, r] as const);

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
