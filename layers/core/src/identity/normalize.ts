import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { CustomerRef, SourceName } from '../touchpoint.js';

/** A lookup key before hashing: `email:ann@example.com`, `phone:+4930123456`, `ext:stripe:cus_1`. */
export interface IdentityKey {
  kind: 'email' | 'phone' | 'ext';
  value: string;
}

export const identityKeyString = (k: IdentityKey) => `${k.kind}:${k.value}`;

/** Lower-cased and trimmed; provider-specific tricks (dots, plus tags) are kept: they can be distinct inboxes. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** E.164, or undefined when the number cannot be read as one. */
export function normalizePhone(phone: string, defaultCountry?: CountryCode): string | undefined {
  const parsed = parsePhoneNumberFromString(phone.trim(), defaultCountry);
  return parsed?.isPossible() ? parsed.number : undefined;
}

export interface ResolvedIdentity {
  keys: IdentityKey[];
  email?: string;
  phone?: string;
  externalId?: string;
  /** Identifiers present in the payload that could not be normalized (e.g. an unreadable phone). */
  dropped: string[];
}

export function identityOf(ref: CustomerRef, source: SourceName, defaultCountry?: CountryCode): ResolvedIdentity {
  const keys: IdentityKey[] = [];
  const dropped: string[] = [];
  const email = ref.email ? normalizeEmail(ref.email) : undefined;
  if (email) keys.push({ kind: 'email', value: email });
  const phone = ref.phone ? normalizePhone(ref.phone, defaultCountry) : undefined;
  if (phone) keys.push({ kind: 'phone', value: phone });
  else if (ref.phone) dropped.push('phone');
  const externalId = ref.externalId ? `${source}:${ref.externalId}` : undefined;
  if (externalId) keys.push({ kind: 'ext', value: externalId });
  return { keys, email, phone, externalId, dropped };
}
