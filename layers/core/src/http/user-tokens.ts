/**
 * Signed-in users: `Authorization: Bearer <access token>` from the stack's Cognito user pool (the
 * console signs in through its hosted UI, authorization code + PKCE). The token is verified with
 * aws-jwt-verify: RS256 signature against the pool's JWKS (fetched once per container, then cached
 * by the library; refetched only for an unknown key id, at most once per 10 s), issuer = the pool,
 * token_use = access, client_id = the console's app client, not expired. The user's scopes are
 * their Cognito groups named exactly like a scope (http/api-keys.ts, SCOPES); other groups grant
 * nothing.
 *
 * When sign-in is not configured (SIGN_IN_* unset, as on the local stack) a Bearer token is a 401
 * without any network call.
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  KidNotFoundInJwksError,
  ParameterValidationError,
} from 'aws-jwt-verify/error';
import type { SignInConfig } from '../config.js';
import { UnauthorizedError } from '../errors.js';
import { type Principal, scopesFromGroups } from './api-keys.js';

export const SIGN_IN_NOT_CONFIGURED = 'sign-in with tokens is not configured here; use an API key';

type AccessTokenVerifier = ReturnType<typeof createVerifier>;

const createVerifier = (signIn: SignInConfig) =>
  CognitoJwtVerifier.create({ userPoolId: signIn.userPoolId, tokenUse: 'access', clientId: signIn.clientId });

let cached: { key: string; verifier: AccessTokenVerifier } | undefined;

/**
 * The verifier for a pool and client, one per container (its JWKS cache lives as long as it does).
 * Tests hydrate it with `accessTokenVerifier(signIn).cacheJwks(jwks)`.
 */
export function accessTokenVerifier(signIn: SignInConfig): AccessTokenVerifier {
  const key = `${signIn.userPoolId}\n${signIn.clientId}`;
  if (cached?.key !== key) cached = { key, verifier: createVerifier(signIn) };
  return cached.verifier;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for no header, 401 for another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new UnauthorizedError('Authorization must be "Bearer <access token>" (or send an x-api-key header instead)');
  return match[1];
}

/** The user behind a verified access token, or 401 saying what is wrong with the token. */
export async function userPrincipal(token: string, signIn: SignInConfig | undefined): Promise<Principal> {
  if (!signIn) throw new UnauthorizedError(SIGN_IN_NOT_CONFIGURED);
  let payload: Awaited<ReturnType<AccessTokenVerifier['verify']>>;
  try {
    payload = await accessTokenVerifier(signIn).verify(token);
  } catch (error) {
    throw tokenError(error);
  }
  const name = typeof payload.username === 'string' && payload.username ? payload.username : payload.sub;
  return { principal: name, kind: 'user', scopes: scopesFromGroups(payload['cognito:groups']) };
}

/** A verification failure as a 401 a client can act on; a JWKS download failure stays a 500 (Cognito, not the token). */
function tokenError(error: unknown): Error {
  if (error instanceof FetchError) return new Error(`Could not fetch the user pool's signing keys: ${error.message}`);
  if (!(error instanceof JwtBaseError)) return error instanceof Error ? error : new Error(String(error));
  if (error instanceof JwtExpiredError) return new UnauthorizedError('Access token expired: sign in again');
  if (error instanceof JwtNotBeforeError) return new UnauthorizedError('Access token not valid yet');
  if (error instanceof CognitoJwtInvalidClientIdError) return new UnauthorizedError('Access token was issued to another app client');
  if (error instanceof CognitoJwtInvalidTokenUseError)
    return new UnauthorizedError('Expected an access token (token_use access), not an ID token');
  // With one pool configured, a token from elsewhere fails either on the issuer lookup or the iss claim.
  if (error instanceof JwtInvalidIssuerError || error instanceof ParameterValidationError) {
    return new UnauthorizedError("Access token was not issued by this API's user pool");
  }
  if (
    error instanceof JwtInvalidSignatureError ||
    error instanceof JwtInvalidSignatureAlgorithmError ||
    error instanceof KidNotFoundInJwksError
  ) {
    return new UnauthorizedError('Access token signature is invalid');
  }
  if (error instanceof JwtParseError) return new UnauthorizedError('Access token is not a well-formed JWT');
  return new UnauthorizedError('Invalid access token');
}
