/**
 * Serves the web console (console/, built into the `console` function's bundle) from the same
 * origin as the API: no CORS, one Content-Security-Policy, and the local stack serving exactly
 * what deploys. Lambda is a fine file server for three files: the script and stylesheet are named
 * by content hash and cached for a year, so a browser fetches them once per release.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { NotFoundError } from '../errors.js';
import type { HttpResult } from '../http/response.js';
import { CONSOLE_PATH } from '../vocabulary.js';

export { CONSOLE_PATH };

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface ConsoleFile {
  body: string;
  mediaType: string;
}

/** What the page learns from the server: where people sign in (public values only, never a secret). */
export interface ConsoleConfig {
  signIn?: { domain: string; clientId: string };
  /** The local stack's development key, a published value; set only where CONSOLE_DEV_API_KEY is. */
  devApiKey?: string;
}

/** The built files of a console folder, by name. */
export function loadConsoleFiles(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  for (const name of readdirSync(dir)) {
    const mediaType = MEDIA_TYPES[extname(name)];
    if (mediaType) files.set(name, { body: readFileSync(join(dir, name), 'utf8'), mediaType });
  }
  if (!files.has('index.html')) throw new Error(`no console build in ${dir} (index.html is missing)`);
  return files;
}

/**
 * Scripts and styles from this origin only, no inline code, no plugins, no framing; API calls to
 * this origin and the token exchange to the Cognito hosted UI (the only other origin it talks to).
 */
export function contentSecurityPolicy(config: ConsoleConfig): string {
  const signIn = config.signIn ? ` ${config.signIn.domain}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${signIn}`,
    "base-uri 'none'",
    `form-action 'self'${signIn}`,
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** The response for `GET /console` (file undefined) or `GET /console/{file}`. */
export function consoleResponse(files: ReadonlyMap<string, ConsoleFile>, file: string | undefined, config: ConsoleConfig): HttpResult {
  const headers = { ...SECURITY_HEADERS, 'content-security-policy': contentSecurityPolicy(config) };
  if (file === 'config.json') {
    return {
      statusCode: 200,
      headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: JSON.stringify(config),
    };
  }
  const name = file ?? 'index.html';
  const found = files.get(name);
  // A file name is echoed only within the route's own bound (128 characters).
  if (!found) throw new NotFoundError(name.length <= 128 ? `No console file '${name}'` : 'No console file of that name');
  // The page names the current assets, so it is revalidated on every load; the assets never change.
  const cacheControl = name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable';
  return { statusCode: 200, headers: { ...headers, 'content-type': found.mediaType, 'cache-control': cacheControl }, body: found.body };
}

/** The public part of the function's configuration the page needs. */
export function consoleConfigOf(config: { signIn?: { clientId: string; domain?: string }; consoleDevApiKey?: string }): ConsoleConfig {
  const { signIn, consoleDevApiKey } = config;
  return {
    ...(signIn?.domain ? { signIn: { domain: `https://${signIn.domain}`, clientId: signIn.clientId } } : {}),
    ...(consoleDevApiKey ? { devApiKey: consoleDevApiKey } : {}),
  };
}
