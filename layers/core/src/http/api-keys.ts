/**
 * API keys with scopes. `API_KEYS` is a comma-separated list; each entry is one of
 *   <secret>                       a key with every scope (what existing deployments have)
 *   sha256:<hex>                   the same, stored as the digest of the key
 *   <name>:<scope>+<scope>:<secret> a named key with only those scopes
 *   <name>:<scope>+<scope>:sha256:<hex>
 * Keys are kept only as SHA-256 digests in memory; a request's key is hashed and compared in
 * constant time with each. A route names the scope it needs (http/routes.ts); `admin` holds all.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

export const SCOPES = ['read', 'offers:write', 'mining:run', 'customers:erase', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  /** Names the key in 403 messages and logs; never the key itself. */
  name: string;
  /** SHA-256 of the key, hex. */
  digest: string;
  scopes: readonly Scope[];
}

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

const DIGEST = /^sha256:([0-9a-fA-F]{64})$/;
const SCOPE_PATTERN = [...SCOPES]
  .sort((a, b) => b.length - a.length)
  .map((scope) => scope.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  .join('|');
/** `<scope>+<scope>:<key>` after the name (the key may be empty: reported as missing). */
const SCOPED_ENTRY = new RegExp(`^((?:${SCOPE_PATTERN})(?:\\+(?:${SCOPE_PATTERN}))*):(.*)$`);

/** Parses one API_KEYS entry; throws an Error naming what is wrong (config.ts turns it into a ConfigError). */
export function parseApiKey(entry: string, index: number): ApiKey {
  const digestOf = (keyPart: string) =>
    DIGEST.exec(keyPart)?.[1]?.toLowerCase() ?? (keyPart.startsWith('sha256:') ? undefined : sha256Hex(keyPart));
  if (entry.startsWith('sha256:') || !entry.includes(':')) {
    const digest = digestOf(entry);
    if (!digest) throw new Error(`entry ${index + 1}: sha256: must be followed by 64 hex digits`);
    return { name: `key-${index + 1}`, digest, scopes: ['admin'] };
  }
  // Scope names contain ':' themselves (offers:write), so the scopes are matched against the
  // known list rather than split on ':'.
  const name = entry.slice(0, entry.indexOf(':'));
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`entry ${index + 1}: the name must be 1-64 letters, digits, _ . -`);
  const match = SCOPED_ENTRY.exec(entry.slice(name.length + 1));
  if (!match) throw new Error(`key ${name}: expected ${name}:<scope>+<scope>:<key>, with scopes from ${SCOPES.join(', ')}`);
  const scopes = match[1]!.split('+') as Scope[];
  const keyPart = match[2]!;
  if (!keyPart) throw new Error(`key ${name}: the key itself is missing (name:scopes:key)`);
  const digest = digestOf(keyPart);
  if (!digest) throw new Error(`key ${name}: sha256: must be followed by 64 hex digits`);
  return { name, digest, scopes: scopes as Scope[] };
}

/**
 * Who made a request, as the router authenticated it: an API key (its name) or a signed-in user
 * (the Cognito username), with the scopes it holds. `GET /me` answers it as is.
 */
export interface Principal {
  principal: string;
  kind: 'api-key' | 'user';
  scopes: Scope[];
}

const isScope = (value: unknown): value is Scope => (SCOPES as readonly unknown[]).includes(value);

/** `admin` holds every scope. */
export const holdsScope = (scopes: readonly Scope[], scope: Scope): boolean => scopes.includes('admin') || scopes.includes(scope);

/** A user's scopes from their Cognito groups: a group named exactly like a scope grants it; any other group grants nothing. */
export const scopesFromGroups = (groups: unknown): Scope[] =>
  Array.isArray(groups) ? SCOPES.filter((scope) => groups.includes(scope)) : [];

/** 403 naming the principal and the scope, unless it holds the scope (undefined = any credential will do). */
export function requireScope(principal: Principal, scope: Scope | undefined): Principal {
  if (scope && !holdsScope(principal.scopes, scope)) {
    const who = principal.kind === 'user' ? `User '${principal.principal}'` : `API key '${principal.principal}'`;
    throw new ForbiddenError(`${who} lacks the scope '${scope}' this route needs`);
  }
  return principal;
}

/** The API key a request presents, as a principal, or 401 (no scope check). */
export function apiKeyPrincipal(presented: string, keys: readonly ApiKey[]): Principal {
  const key = matchApiKey(presented, keys);
  return { principal: key.name, kind: 'api-key', scopes: key.scopes.filter(isScope) };
}

function matchApiKey(presented: string, keys: readonly ApiKey[]): ApiKey {
  const digest = Buffer.from(sha256Hex(presented), 'hex');
  // Compare with every key (no early exit), so timing does not tell which key nearly matched.
  let match: ApiKey | undefined;
  for (const key of keys) {
    const expected = Buffer.from(key.digest, 'hex');
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) match ??= key;
  }
  if (!match) throw new UnauthorizedError('Invalid API key');
  return match;
}
