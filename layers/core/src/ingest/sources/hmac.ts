import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError, SignatureError } from '../../errors.js';
import type { Headers } from './types.js';

/**
 * Signature plumbing shared by the webhook sources: HMAC-SHA256 digests, a constant-time
 * comparison that is safe on inputs of different lengths, case-insensitive header lookup and
 * the replay-window check. Everything here works on the raw body string, never on parsed JSON.
 */

export type HmacKey = string | Uint8Array;

export function hmacSha256(key: HmacKey, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

export const hmacSha256Base64 = (key: HmacKey, message: string): string => hmacSha256(key, message).toString('base64');

export const hmacSha256Hex = (key: HmacKey, message: string): string => hmacSha256(key, message).toString('hex');

/**
 * Constant-time equality. `crypto.timingSafeEqual` throws when the lengths differ, so the
 * lengths are compared first; a length mismatch only reveals the length, which is public
 * (every signature of one scheme has the same length).
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/**
 * True when any candidate signature equals any expected one. Every pair is compared (no early
 * exit on the secret list), so the time taken does not depend on which secret matched.
 */
export function anyMatch(expected: readonly string[], candidates: readonly string[]): boolean {
  let matched = false;
  for (const e of expected) {
    for (const c of candidates) {
      if (safeEqual(e, c)) matched = true;
    }
  }
  return matched;
}

/** Header lookup that ignores case: callers pass lowercased keys, but nothing relies on it. */
export function getHeader(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const direct = headers[wanted];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** A header's trimmed value, or a SignatureError naming it when it is absent or blank. */
export function requireHeader(headers: Headers, name: string): string {
  const value = getHeader(headers, name)?.trim();
  if (!value) throw new SignatureError(`missing ${name} header`);
  return value;
}

/** Replay window used by every timestamped scheme here: 5 minutes either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Rejects a signature timestamp (milliseconds since the epoch) more than `toleranceSeconds`
 * away from `now`, in the past (replay) or in the future (clock skew or a forged timestamp).
 */
export function assertFresh(timestampMs: number, now: Date, toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS): void {
  if (!Number.isFinite(timestampMs)) throw new SignatureError('invalid signature timestamp');
  const skewMs = now.getTime() - timestampMs;
  if (skewMs > toleranceSeconds * 1000) throw new SignatureError('signature timestamp is too old');
  if (skewMs < -toleranceSeconds * 1000) {
    throw new SignatureError('signature timestamp is in the future');
  }
}

/** Parses a unix-seconds header value strictly (digits only). NaN when it is not one. */
export function parseUnixSeconds(value: string): number {
  return /^\d{1,12}$/.test(value) ? Number(value) * 1000 : Number.NaN;
}

/**
 * Refuses to verify without a configured secret: that is a server misconfiguration (500), not
 * the sender's fault, and it must never degrade into accepting unsigned deliveries.
 */
export function usableSecrets(secrets: readonly string[], source: string): string[] {
  const usable = secrets.map((s) => s.trim()).filter((s) => s.length > 0);
  if (usable.length === 0) throw new ConfigError(`no ${source} webhook secret is configured`);
  return usable;
}
