/**
 * The one way the console talks to Patron: same-origin fetch with the signed-in credential
 * (an API key header, or a Cognito access token as a Bearer token), JSON in and out, and every
 * error turned into an ApiError carrying the API's own message and field issues, so pages can
 * show exactly what the API said.
 */
import { credentialHeaders, signOut } from './auth.js';

export interface ApiIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: ApiIssue[] = [],
    /** The whole error body (a blocked offer carries its findings here). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Called when the API answers 401: the credential is wrong or expired, so the user signs in again. */
let onUnauthorized: (message: string) => void = () => {};
export const whenUnauthorized = (handler: (message: string) => void) => {
  onUnauthorized = handler;
};

export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { ...credentialHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, `The API could not be reached (${error instanceof Error ? error.message : String(error)})`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const err = (json ?? {}) as { message?: string; issues?: ApiIssue[] };
    const error = new ApiError(
      response.status,
      err.message ?? `${response.status} ${response.statusText}`,
      err.issues ?? [],
      (json ?? {}) as Record<string, unknown>,
    );
    if (response.status === 401) {
      signOut();
      onUnauthorized(error.message);
    }
    throw error;
  }
  return json as T;
}

/**
 * An id as one path segment. `.` and `..` are refused before any request: a URL parser resolves
 * them (encoded or not) to another route, which a crafted link could otherwise point the console at.
 */
export function idSegment(id: string): string {
  if (id === '.' || id === '..' || /^%2e(%2e)?$/i.test(id)) throw new ApiError(404, `Not found: '${id}' is not an id`);
  return encodeURIComponent(id);
}

/** A query string from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const s = search.toString();
  return s ? `?${s}` : '';
}
