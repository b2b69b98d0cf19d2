import { createHmac } from 'node:crypto';
import type { PiiHasher } from '../identity/pii-hasher.js';
import type { AssignmentGroup } from './schema.js';

/**
 * Deterministic control-group assignment. A customer's bucket in a campaign is a keyed hash of
 * (campaignId, customerId) read as a number in [0, 100); the customer is in the control group iff
 * the bucket is below the campaign's holdoutPercent. Keyed, so nobody without the key can tell (or
 * steer) who is held out; per campaign, so the same customers are not held out of every campaign.
 *
 * The key is derived from the PII hash key with a domain label, through the keyed hasher (as the
 * cursor key is, see http/cursor.ts): HMAC(PII_HASH_KEY, "ext:\0patron-holdout-v1").
 */

export const HOLDOUT_KEY_LABEL = 'patron-holdout-v1';

/** The holdout key of a PII hash key, derived through the hasher. */
export function holdoutKeyFromHasher(hashPii: PiiHasher): Buffer {
  return Buffer.from(hashPii({ kind: 'ext', value: `\u0000${HOLDOUT_KEY_LABEL}` }), 'base64url');
}

const keys = new WeakMap<PiiHasher, Buffer>();

/** The holdout key of the deps' hasher, derived once per hasher. */
export function holdoutKey(hashPii: PiiHasher): Buffer {
  let key = keys.get(hashPii);
  if (!key) {
    key = holdoutKeyFromHasher(hashPii);
    keys.set(hashPii, key);
  }
  return key;
}

/** 2^48: the first six bytes of the HMAC as an integer, scaled to [0, 100). */
const SCALE = 2 ** 48;

/** The customer's bucket in the campaign, a number in [0, 100). */
export function holdoutBucket(key: Buffer | string, campaignId: string, customerId: string): number {
  // NUL cannot be confused with a character of either id's JSON-safe text: (a, bc) != (ab, c).
  const mac = createHmac('sha256', key).update(`${campaignId}\u0000${customerId}`).digest();
  return (mac.readUIntBE(0, 6) / SCALE) * 100;
}

/** control iff the bucket is below holdoutPercent (so 0 % holds nobody out). */
export function assignmentGroup(key: Buffer | string, campaignId: string, customerId: string, holdoutPercent: number): AssignmentGroup {
  return holdoutBucket(key, campaignId, customerId) < holdoutPercent ? 'control' : 'treatment';
}
