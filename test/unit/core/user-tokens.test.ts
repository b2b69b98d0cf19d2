/**
 * Bearer access tokens beside API keys (http/user-tokens.ts, http/router.ts): a real RSA key pair,
 * its JWKS loaded into the verifier (no download), tokens signed with node:crypto as Cognito signs
 * them. Every case here is decided without a network call: an unknown key id would be the only
 * reason to fetch the JWKS, and no token here carries one.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  accessTokenVerifier,
  authenticate,
  type Credentials,
  ConfigError,
  parseApiKey,
  parseConfig,
  principalOf,
  SIGN_IN_NOT_CONFIGURED,
  type SignInConfig,
} from '@patron/core';

const POOL = 'eu-west-1_TestPool1';
const CLIENT = 'consoleclient123';
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const KID = 'test-key-1';
const signIn: SignInConfig = { userPoolId: POOL, clientId: CLIENT };

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const { privateKey, publicKey } = pair();
const other = pair();

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An access token as Cognito issues it; `claims` override (undefined removes a claim). */
function token(claims: Record<string, unknown> = {}, key: KeyObject = privateKey, kid = KID): string {
  const payload = Object.fromEntries(
    Object.entries({
      sub: '7f1c2a9e-0000-4000-8000-000000000001',
      'cognito:groups': ['read', 'offers:write'],
      iss: ISSUER,
      client_id: CLIENT,
      origin_jti: 'o-1',
      event_id: 'e-1',
      token_use: 'access',
      scope: 'openid email profile',
      auth_time: nowSeconds() - 60,
      exp: nowSeconds() + 3600,
      iat: nowSeconds() - 60,
      jti: 'j-1',
      username: 'ada',
      ...claims,
    }).filter(([, v]) => v !== undefined),
  );
  const signingInput = `${b64url({ kid, alg: 'RS256' })}.${b64url(payload)}`;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), key).toString('base64url')}`;
}

beforeAll(() => {
  const { kty, n, e } = publicKey.export({ format: 'jwk' }) as { kty: string; n: string; e: string };
  accessTokenVerifier(signIn).cacheJwks({ keys: [{ kty, n, e, kid: KID, alg: 'RS256', use: 'sig' }] });
});

const keys = [parseApiKey('admin-secret', 0), parseApiKey('reader:read:read-secret', 1)];

/** Runs the router's auth on a request for `routeKey`; the principal it found, or the error it threw. */
async function authenticateRequest(
  routeKey: string,
  headers: Record<string, string>,
  credentials: Credentials = { apiKeys: keys, signIn },
) {
  const event = { routeKey, headers } as unknown as APIGatewayProxyEventV2;
  const before = authenticate(async () => credentials).before!;
  await before({ event } as never);
  return principalOf(event);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const ERASE = 'DELETE /customers/{id}';
const READ = 'GET /customers/{id}';
const ME = 'GET /me';

describe('Bearer access tokens', () => {
  it('lets a valid token through and maps its groups to scopes', async () => {
    expect(await authenticateRequest(READ, bearer(token()))).toEqual({ principal: 'ada', kind: 'user', scopes: ['read', 'offers:write'] });
  });

  it('grants nothing for groups that are not scopes, and admin for the admin group', async () => {
    expect((await authenticateRequest(ME, bearer(token({ 'cognito:groups': ['marketing', 'Read', 'read '] })))).scopes).toEqual([]);
    expect((await authenticateRequest(ERASE, bearer(token({ 'cognito:groups': ['admin', 'marketing'] })))).scopes).toEqual(['admin']);
  });

  it('answers 403 naming the user and the missing scope', async () => {
    await expect(authenticateRequest(ERASE, bearer(token()))).rejects.toMatchObject({
      status: 403,
      message: "User 'ada' lacks the scope 'customers:erase' this route needs",
    });
  });

  it('answers 403 to a user without any group on a scoped route, but GET /me lets them see that', async () => {
    const noGroups = token({ 'cognito:groups': undefined });
    await expect(authenticateRequest(READ, bearer(noGroups))).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining("'read'"),
    });
    expect(await authenticateRequest(ME, bearer(noGroups))).toEqual({ principal: 'ada', kind: 'user', scopes: [] });
  });

  it.each([
    ['another app client', () => token({ client_id: 'someotherclient' }), /another app client/],
    ['an expired token', () => token({ exp: nowSeconds() - 10, iat: nowSeconds() - 3700 }), /expired/],
    [
      'another user pool',
      () => token({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool' }),
      /not issued by this API's user pool/,
    ],
    ['an ID token', () => token({ token_use: 'id', aud: CLIENT, client_id: undefined }), /not an ID token/],
    ['a signature by another key', () => token({}, other.privateKey), /signature is invalid/],
    ['a token whose payload was changed after signing', () => tamper(token()), /signature is invalid/],
    ['something that is not a JWT', () => 'not-a-jwt', /not a well-formed JWT/],
  ])('answers 401 to %s', async (_case, make, message) => {
    await expect(authenticateRequest(ME, bearer(make()))).rejects.toMatchObject({ status: 401, message: expect.stringMatching(message) });
  });

  it('answers 401 without a network call where sign-in is not configured', async () => {
    await expect(authenticateRequest(ME, bearer(token()), { apiKeys: keys })).rejects.toMatchObject({
      status: 401,
      message: SIGN_IN_NOT_CONFIGURED,
    });
  });

  it('answers 401 to another Authorization scheme, and to no credential at all', async () => {
    await expect(authenticateRequest(ME, { authorization: 'Basic YWRhOnB3' })).rejects.toMatchObject({ status: 401 });
    await expect(authenticateRequest(ME, {})).rejects.toMatchObject({ status: 401, message: expect.stringContaining('x-api-key') });
  });
});

describe('API keys beside tokens', () => {
  it('work as before, and GET /me names the key and its scopes', async () => {
    expect(await authenticateRequest(ME, { 'x-api-key': 'read-secret' })).toEqual({
      principal: 'reader',
      kind: 'api-key',
      scopes: ['read'],
    });
    expect(await authenticateRequest(ERASE, { 'x-api-key': 'admin-secret' })).toEqual({
      principal: 'key-1',
      kind: 'api-key',
      scopes: ['admin'],
    });
    await expect(authenticateRequest(ERASE, { 'x-api-key': 'read-secret' })).rejects.toMatchObject({
      status: 403,
      message: "API key 'reader' lacks the scope 'customers:erase' this route needs",
    });
    await expect(authenticateRequest(ME, { 'x-api-key': 'wrong' })).rejects.toMatchObject({ status: 401 });
  });

  it('win when both are sent: the Authorization header is then ignored', async () => {
    expect(await authenticateRequest(ME, { 'x-api-key': 'read-secret', ...bearer(token({ 'cognito:groups': ['admin'] })) })).toMatchObject({
      kind: 'api-key',
      principal: 'reader',
    });
    await expect(authenticateRequest(ME, { 'x-api-key': 'wrong', ...bearer(token()) })).rejects.toMatchObject({ status: 401 });
    expect(await authenticateRequest(ME, { 'x-api-key': 'read-secret', authorization: 'Bearer garbage' })).toMatchObject({
      kind: 'api-key',
    });
  });

  it('public routes ask for nothing', async () => {
    const event = { routeKey: 'GET /health', headers: {} } as unknown as APIGatewayProxyEventV2;
    await authenticate(async () => ({ apiKeys: keys })).before!({ event } as never);
    expect(() => principalOf(event)).toThrow(/not authenticated/);
  });
});

describe('sign-in configuration', () => {
  it('is off when unset or empty (the local stack), on with pool and client', () => {
    expect(parseConfig({}).signIn).toBeUndefined();
    expect(parseConfig({ SIGN_IN_USER_POOL_ID: '', SIGN_IN_CLIENT_ID: '', SIGN_IN_DOMAIN: '' }).signIn).toBeUndefined();
    expect(parseConfig({ SIGN_IN_USER_POOL_ID: POOL, SIGN_IN_CLIENT_ID: CLIENT }).signIn).toEqual(signIn);
    expect(
      parseConfig({ SIGN_IN_USER_POOL_ID: POOL, SIGN_IN_CLIENT_ID: CLIENT, SIGN_IN_DOMAIN: 'patron-x.auth.eu-west-1.amazoncognito.com' })
        .signIn,
    ).toEqual({ ...signIn, domain: 'patron-x.auth.eu-west-1.amazoncognito.com' });
  });

  it('fails fast on half a configuration or a malformed id, naming the variable', () => {
    expect(() => parseConfig({ SIGN_IN_USER_POOL_ID: POOL })).toThrow(/SIGN_IN_CLIENT_ID/);
    expect(() => parseConfig({ SIGN_IN_CLIENT_ID: CLIENT })).toThrow(/SIGN_IN_USER_POOL_ID/);
    expect(() => parseConfig({ SIGN_IN_USER_POOL_ID: 'not-a-pool', SIGN_IN_CLIENT_ID: CLIENT })).toThrow(ConfigError);
    expect(() => parseConfig({ SIGN_IN_USER_POOL_ID: 'not-a-pool', SIGN_IN_CLIENT_ID: CLIENT })).toThrow(/SIGN_IN_USER_POOL_ID/);
  });
});

/** Swaps the payload for one granting admin, keeping the original signature. */
function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  return [header, b64url({ ...claims, 'cognito:groups': ['admin'] }), signature].join('.');
}
