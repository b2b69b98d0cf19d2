import { z } from 'zod';
import { BadRequestError } from '../../../layers/core/src/errors.js';
import { CURSOR_TAG_BYTES, createCursorCodec, cursorCodecFromHasher, cursorKeyFromHasher } from '../../../layers/core/src/http/cursor.js';
import { createPiiHasher } from '../../../layers/core/src/identity/pii-hasher.js';

const codec = createCursorCodec('a-test-cursor-key-of-some-length');
const Key = z.strictObject({ pk: z.string(), sk: z.string() });
const key = { pk: 'CUST#01ABC', sk: 'TP#2026-01-01T00:00:00.000Z#generic#e1' };
const decode = (cursor: string) => codec.decode('touchpoints', cursor, Key);

function expectBadRequest(run: () => unknown) {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(BadRequestError);
  expect(thrown).toMatchObject({ status: 400, code: 'bad_request', message: 'cursor is not valid' });
}

describe('signed cursors (http/cursor.ts)', () => {
  const cursor = codec.encode('touchpoints', key);
  const [body = '', sig = ''] = cursor.split('.');

  it('round-trips a payload through encode and decode', () => {
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sig, 'base64url')).toHaveLength(CURSOR_TAG_BYTES);
    expect(decode(cursor)).toEqual(key);
  });

  it('refuses a cursor whose payload was altered', () => {
    const forged = Buffer.from(JSON.stringify({ ...key, sk: 'PROFILE' })).toString('base64url');
    expectBadRequest(() => decode(`${forged}.${sig}`));
  });

  it('refuses a cursor whose signature was altered', () => {
    const flipped = Buffer.from(sig, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expectBadRequest(() => decode(`${body}.${flipped.toString('base64url')}`));
  });

  it('refuses a signature of the wrong length before comparing it', () => {
    expectBadRequest(() => decode(`${body}.${sig.slice(0, 10)}`));
    expectBadRequest(() => decode(`${body}.${sig}${sig}`));
  });

  it('refuses a cursor that is not base64url', () => {
    expectBadRequest(() => decode('not base64!.also/not+base64='));
    expectBadRequest(() => decode(`${body}.${sig}.${sig}`));
  });

  it('refuses bnVsbA (base64 of "null"), the unsigned cursor of the old format', () => {
    expectBadRequest(() => decode('bnVsbA'));
    expectBadRequest(() => decode(Buffer.from(JSON.stringify(key)).toString('base64url')));
  });

  it('refuses an empty cursor and an overlong one', () => {
    expectBadRequest(() => decode(''));
    expectBadRequest(() => decode(`${'A'.repeat(5000)}.${sig}`));
  });

  it('refuses a correctly signed payload of another shape', () => {
    expectBadRequest(() => decode(codec.encode('touchpoints', null)));
    expectBadRequest(() => decode(codec.encode('touchpoints', { pk: 'CUST#01ABC' })));
  });

  it('refuses a cursor signed for another purpose or with another key', () => {
    expectBadRequest(() => decode(codec.encode('flags', key)));
    expectBadRequest(() => decode(createCursorCodec('another-key-of-some-length-xx').encode('touchpoints', key)));
  });

  it('refuses a signed payload that is not JSON', () => {
    const notJson = Buffer.from('{"pk":').toString('base64url');
    const signed = createCursorCodec('k').encode('touchpoints', 1).split('.')[1];
    expectBadRequest(() => createCursorCodec('k').decode('touchpoints', `${notJson}.${signed}`, z.unknown()));
  });

  it('derives the key from the PII hash key with a domain label, so another PII key cannot verify it', () => {
    const hasher = createPiiHasher('pii-hash-key-one-0123456789');
    const same = createPiiHasher('pii-hash-key-one-0123456789');
    expect(cursorKeyFromHasher(hasher)).toEqual(cursorKeyFromHasher(same));
    expect(cursorKeyFromHasher(hasher)).toHaveLength(32);
    const signed = cursorCodecFromHasher(hasher).encode('touchpoints', key);
    expect(cursorCodecFromHasher(same).decode('touchpoints', signed, Key)).toEqual(key);
    const other = cursorCodecFromHasher(createPiiHasher('pii-hash-key-two-0123456789'));
    expectBadRequest(() => other.decode('touchpoints', signed, Key));
  });
});
