import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { BadRequestError } from '../errors.js';
import type { PiiHasher } from '../identity/pii-hasher.js';

/**
 * Signed paging cursors. A cursor is `base64url(JSON payload) + '.' + base64url(tag)`, where the
 * tag is HMAC-SHA256 over `<purpose>.<payload>` truncated to 16 bytes: a client can pass a cursor
 * back but cannot forge or alter one, nor use a touchpoint cursor as a flags cursor. Decoding
 * checks the tag (constant time, lengths first), parses the JSON and validates its shape with the
 * caller's schema; any failure is a 400 `bad_request` "cursor is not valid", never a 500.
 *
 * The key is derived from the PII hash key with a domain label, through the keyed hasher every
 * function that pages already has (`hashPii`): HMAC(PII_HASH_KEY, "ext:\0patron-cursor-v1").
 * No identity key normalizes to a value starting with NUL, so the derived key is never an alias
 * hash stored in the table.
 */

export const CURSOR_KEY_LABEL = 'patron-cursor-v1';
/** Bytes of the HMAC-SHA256 tag kept in the cursor. */
export const CURSOR_TAG_BYTES = 16;
/** Longer than any cursor Patron issues; a longer one is refused before any work. */
export const MAX_CURSOR_LENGTH = 4096;

const B64URL = /^[A-Za-z0-9_-]+$/;
const INVALID = 'cursor is not valid';

export type CursorPurpose = 'touchpoints' | 'flags' | 'campaigns';

export interface CursorCodec {
  encode(purpose: CursorPurpose, payload: unknown): string;
  /** The payload, validated by `schema`; BadRequestError on any mismatch. */
  decode<T>(purpose: CursorPurpose, cursor: string, schema: z.ZodType<T>): T;
}

/** The cursor key of a PII hash key (what `cursorCodecFromHasher` derives through the hasher). */
export function cursorKeyFromHasher(hashPii: PiiHasher): Buffer {
  return Buffer.from(hashPii({ kind: 'ext', value: `\u0000${CURSOR_KEY_LABEL}` }), 'base64url');
}

const codecs = new WeakMap<PiiHasher, CursorCodec>();

/** The codec keyed from the deps' PII hasher; the key is derived on first use, once per hasher. */
export function cursorCodecFromHasher(hashPii: PiiHasher): CursorCodec {
  let codec = codecs.get(hashPii);
  if (!codec) {
    let key: Buffer | undefined;
    codec = createCursorCodec(() => (key ??= cursorKeyFromHasher(hashPii)));
    codecs.set(hashPii, codec);
  }
  return codec;
}

export function createCursorCodec(key: Buffer | string | (() => Buffer | string)): CursorCodec {
  const keyOf = typeof key === 'function' ? key : () => key;
  const tag = (purpose: CursorPurpose, payload: string) =>
    createHmac('sha256', keyOf()).update(`${purpose}.${payload}`).digest().subarray(0, CURSOR_TAG_BYTES);
  return {
    encode(purpose, payload) {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${tag(purpose, body).toString('base64url')}`;
    },
    decode(purpose, cursor, schema) {
      const payload = verified(cursor, (body) => tag(purpose, body));
      const parsed = schema.safeParse(payload);
      if (!parsed.success) throw new BadRequestError(INVALID);
      return parsed.data;
    },
  };
}

function verified(cursor: string, tagOf: (body: string) => Buffer): unknown {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw new BadRequestError(INVALID);
  const parts = cursor.split('.');
  if (parts.length !== 2) throw new BadRequestError(INVALID);
  const [body = '', sig = ''] = parts;
  if (!B64URL.test(body) || !B64URL.test(sig)) throw new BadRequestError(INVALID);
  const given = Buffer.from(sig, 'base64url');
  const expected = tagOf(body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BadRequestError(INVALID);
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new BadRequestError(INVALID);
  }
}

/**
 * An unsigned cursor: `base64url(JSON)`, checked for shape by `schema` (anything else is the same
 * 400 as a signed cursor's). For positions that need no signature because the query pins them to
 * what the caller may read anyway (one subscription's deliveries, the run list, one run's index).
 */
export function shapeCheckedCursor<T>(schema: z.ZodType<T>): { encode(position: T): string; decode(cursor: string): T } {
  return {
    encode: (position) => Buffer.from(JSON.stringify(position)).toString('base64url'),
    decode: (cursor) => {
      try {
        return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
      } catch {
        throw new BadRequestError(INVALID);
      }
    },
  };
}
