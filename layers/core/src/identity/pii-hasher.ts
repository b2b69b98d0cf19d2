import { createHmac } from 'node:crypto';
import { identityKeyString, type IdentityKey } from './normalize.js';

/**
 * Keyed hash for lookup keys: without the key, an email list cannot be turned into a table of
 * who is a customer (a plain SHA-256 of an email can be reversed by hashing candidate emails).
 */
export type PiiHasher = (key: IdentityKey) => string;

export function createPiiHasher(secret: string): PiiHasher {
  return (key) => createHmac('sha256', secret).update(identityKeyString(key)).digest('base64url');
}
