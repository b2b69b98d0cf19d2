import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '../errors.js';

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/** Compares the presented key's digest with every accepted digest, in constant time each. */
export function assertApiKey(event: APIGatewayProxyEventV2, acceptedHashes: readonly string[]): void {
  const presented = event.headers?.['x-api-key'];
  if (!presented) throw new UnauthorizedError('Missing x-api-key header');
  const digest = Buffer.from(sha256Hex(presented), 'hex');
  const ok = acceptedHashes.some((h) => {
    const expected = Buffer.from(h, 'hex');
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  });
  if (!ok) throw new UnauthorizedError('Invalid API key');
}
