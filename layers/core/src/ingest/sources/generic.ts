import type { z } from 'zod';
import { ConfigError, SignatureError, ValidationError, type FieldIssue } from '../../errors.js';
import { BOUNDS, Touchpoint } from '../../touchpoint.js';
import { anyMatch, assertFresh, getHeader, hmacSha256Base64, parseUnixSeconds, requireHeader, usableSecrets } from './hmac.js';
import type { Adapted, Headers, SourceAdapter } from './types.js';

/*
 * The `generic` source: any system that can send Standard Webhooks (https://www.standardwebhooks.com)
 * with the canonical touchpoint as its body. This module also holds the validation helpers every
 * adapter shares, since "is this a valid canonical touchpoint" is exactly what generic does.
 */

/** Dotted path of a zod issue (`items.0.price`), prefixed when the payload sits under one. */
function dotted(path: readonly PropertyKey[], prefix?: string): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map((p) => String(p))];
  return parts.length > 0 ? parts.join('.') : 'body';
}

export function zodIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => ({ path: dotted(issue.path, prefix), message: issue.message }));
}

/** Parses a provider payload with its zod schema; schema problems become a ValidationError. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new ValidationError(`invalid ${what} payload`, zodIssues(result.error));
  }
  return result.data;
}

/**
 * The last step of every adapter: validates the candidate against the canonical schema so no
 * adapter can ever emit an invalid touchpoint, drops undefined optional fields, and normalises
 * `occurredAt` to UTC (`2024-03-14T14:21:33.000Z`) so that time-ordered keys sort correctly
 * whatever offset or precision the provider used. `prefix` marks issues that concern the mapped
 * touchpoint rather than a field of the provider's body.
 */
export function toTouchpoint(candidate: unknown, prefix?: string): Touchpoint {
  const result = Touchpoint.safeParse(candidate);
  if (!result.success) {
    throw new ValidationError('payload does not map to a valid touchpoint', zodIssues(result.error, prefix));
  }
  const touchpoint = withoutUndefined(result.data);
  return { ...touchpoint, occurredAt: new Date(touchpoint.occurredAt).toISOString() };
}

/**
 * Drops keys whose value is undefined (optional fields an adapter had no value for), so the
 * touchpoint has the same shape as its JSON and stores cleanly (DynamoDB rejects undefined).
 */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}

/** Throws a ValidationError for one field (identity gaps and other checks zod cannot express). */
export function fieldError(path: string, message: string): never {
  throw new ValidationError(`invalid payload: ${path} ${message}`, [{ path, message }]);
}

/** Event ids become the dedupe key, part of a DynamoDB sort key: at most 255 characters. */
export function assertEventId(id: string, path: string): string {
  if (id.length > BOUNDS.maxIdLength) fieldError(path, `must be at most ${BOUNDS.maxIdLength} characters`);
  return id;
}

const SECRET_PREFIX = 'whsec_';

/** Standard Webhooks secrets are `whsec_` + base64 of the key bytes. */
function decodeSecret(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(b64, 'base64');
  if (key.length === 0) throw new ConfigError('generic webhook secret decodes to an empty key');
  return key;
}

const signedContent = (id: string, timestamp: string, body: string) => `${id}.${timestamp}.${body}`;

/** The `v1,<base64>` entries of a space-separated `webhook-signature` header (other versions skipped). */
function v1Signatures(header: string): string[] {
  return header
    .split(' ')
    .filter(Boolean)
    .flatMap((entry) => {
      const comma = entry.indexOf(',');
      if (comma < 0) return [];
      return entry.slice(0, comma) === 'v1' ? [entry.slice(comma + 1)] : [];
    })
    .filter(Boolean);
}

export const genericAdapter: SourceAdapter = {
  name: 'generic',

  verify(rawBody: string, headers: Headers, secrets: readonly string[], now: Date): void {
    const keys = usableSecrets(secrets, 'generic').map(decodeSecret);
    const id = requireHeader(headers, 'webhook-id');
    const timestamp = requireHeader(headers, 'webhook-timestamp');
    const signatures = v1Signatures(requireHeader(headers, 'webhook-signature'));
    assertFresh(parseUnixSeconds(timestamp), now);
    if (signatures.length === 0) throw new SignatureError('webhook-signature holds no v1 signature');
    const content = signedContent(id, timestamp, rawBody);
    if (
      !anyMatch(
        keys.map((k) => hmacSha256Base64(k, content)),
        signatures,
      )
    ) {
      throw new SignatureError('webhook signature does not match');
    }
  },

  adapt(payload: unknown, headers: Headers): Adapted {
    const touchpoint = toTouchpoint(payload);
    const id = getHeader(headers, 'webhook-id')?.trim();
    if (!id) fieldError('headers.webhook-id', 'is required (it is the event id)');
    assertEventId(id, 'headers.webhook-id');
    return { kind: 'touchpoint', eventType: touchpoint.type, dedupeKey: id, touchpoint };
  },

  sign(rawBody: string, secret: string, now: Date, eventId: string): Headers {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const signature = hmacSha256Base64(decodeSecret(secret), signedContent(eventId, timestamp, rawBody));
    return {
      'webhook-id': eventId,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    };
  },
};
