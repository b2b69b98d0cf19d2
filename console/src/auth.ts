/**
 * Who the console acts as. Two ways in:
 * - an API key (the local stack, or a service account): kept in sessionStorage only, so it goes
 *   when the tab closes and is never in the bundle, a URL or localStorage;
 * - in AWS, a person signs in through the Cognito hosted UI with the authorization code flow and
 *   PKCE (RFC 7636): the browser keeps a random verifier, sends its SHA-256 as the challenge, and
 *   proves it when exchanging the code, so an intercepted code is useless. The access token (a
 *   JWT the API verifies, its Cognito groups being the scopes) is kept in sessionStorage.
 */
import { CONSOLE_PATH } from '../../layers/core/src/vocabulary.js';
import { base64Url, codeChallenge } from './pkce.js';

export interface SignInConfig {
  /** The hosted UI's base URL, e.g. https://patron-123.auth.eu-west-1.amazoncognito.com */
  domain: string;
  clientId: string;
}

export interface ConsoleConfig {
  signIn?: SignInConfig;
  /** Only the local stack sets it (a published development key, not a secret). */
  devApiKey?: string;
}

type Credential = { kind: 'api-key'; key: string } | { kind: 'token'; accessToken: string; expiresAt: number };

const CREDENTIAL = 'patron.credential';
const PKCE = 'patron.pkce';

export function currentCredential(): Credential | undefined {
  const raw = sessionStorage.getItem(CREDENTIAL);
  if (!raw) return undefined;
  try {
    const credential = JSON.parse(raw) as Credential;
    if (credential.kind === 'token' && credential.expiresAt <= Date.now()) {
      signOut();
      return undefined;
    }
    return credential;
  } catch {
    signOut();
    return undefined;
  }
}

export function credentialHeaders(): Record<string, string> {
  const credential = currentCredential();
  if (!credential) return {};
  return credential.kind === 'api-key' ? { 'x-api-key': credential.key } : { authorization: `Bearer ${credential.accessToken}` };
}

export function signInWithApiKey(key: string): void {
  sessionStorage.setItem(CREDENTIAL, JSON.stringify({ kind: 'api-key', key: key.trim() } satisfies Credential));
}

export function signOut(): void {
  sessionStorage.removeItem(CREDENTIAL);
}

const randomToken = () => base64Url(crypto.getRandomValues(new Uint8Array(32)));

/** Where Cognito sends the browser back: the console's own address (registered as the app client's callback). */
export const redirectUri = () => `${location.origin}${CONSOLE_PATH}`;

export async function startHostedSignIn(config: SignInConfig): Promise<void> {
  const verifier = randomToken();
  const state = randomToken();
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const url = new URL('/oauth2/authorize', config.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    state,
    code_challenge_method: 'S256',
    code_challenge: await codeChallenge(verifier),
  }).toString();
  location.assign(url.toString());
}

/** Finishes a hosted UI sign-in when the page was opened with ?code=&state=; true when it signed in. */
export async function finishHostedSignIn(config: SignInConfig | undefined): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code || !config) return false;
  const stored = JSON.parse(sessionStorage.getItem(PKCE) ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem(PKCE);
  // The code leaves the address bar whatever happens next.
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  if (!stored.verifier || stored.state !== params.get('state'))
    throw new Error('The sign-in answer does not match the request this tab made; sign in again.');
  const response = await fetch(new URL('/oauth2/token', config.domain), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: stored.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Cognito refused the sign-in code (${response.status})`);
  const tokens = (await response.json()) as { access_token: string; expires_in: number };
  sessionStorage.setItem(
    CREDENTIAL,
    JSON.stringify({
      kind: 'token',
      accessToken: tokens.access_token,
      expiresAt: Date.now() + tokens.expires_in * 1000,
    } satisfies Credential),
  );
  return true;
}

export function hostedSignOutUrl(config: SignInConfig): string {
  const url = new URL('/logout', config.domain);
  url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() }).toString();
  return url.toString();
}
