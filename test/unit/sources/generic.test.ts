import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { ConfigError, SignatureError, ValidationError } from '../../../layers/core/src/errors.js';
import { ADAPTERS, genericAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import { TOUCHPOINT_TYPES } from '../../../layers/core/src/touchpoint.js';

const DIR = join(process.cwd(), 'events', 'generic');
const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
const readSample = (name: string) => readFileSync(join(DIR, name), 'utf8');
const loadSample = (name: string): Record<string, unknown> => JSON.parse(readSample(name)) as Record<string, unknown>;

// A Standard Webhooks secret: whsec_ + base64 of the key bytes.
const SECRET = `whsec_${Buffer.from('patron-generic-test-key-0001-abcd').toString('base64')}`;
const OTHER = `whsec_${Buffer.from('some-other-key-nobody-configured!').toString('base64')}`;
const NOW = new Date('2025-04-01T12:00:00Z');
const BODY = readSample('purchase.json');

/** Headers as the independent standardwebhooks library signs them. */
function libraryHeaders(body: string, secret = SECRET, at = NOW, id = 'msg_2vJ5Kz8Lq1') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

function adaptedTouchpoint(name: string) {
  const result = genericAdapter.adapt(loadSample(name), { 'webhook-id': `msg_${name}` });
  if (result.kind !== 'touchpoint') throw new Error(`${name} was ${result.kind}`);
  return result;
}

describe('generic source: Standard Webhooks signature', () => {
  it('accepts a delivery signed by the standardwebhooks library', () => {
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY), [SECRET], NOW)).not.toThrow();
  });

  it('accepts a delivery signed with the second of two configured secrets', () => {
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY), [OTHER, SECRET], NOW)).not.toThrow();
  });

  it('accepts a header carrying two signatures when only one of them matches', () => {
    const good = libraryHeaders(BODY, SECRET)['webhook-signature'];
    const stale = libraryHeaders(BODY, OTHER)['webhook-signature'];
    for (const signature of [`${stale} ${good}`, `${good} ${stale}`]) {
      const headers = { ...libraryHeaders(BODY), 'webhook-signature': signature };
      expect(() => genericAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
    }
  });

  it('finds the headers whatever their case', () => {
    const h = libraryHeaders(BODY);
    const headers = {
      'Webhook-Id': h['webhook-id'],
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp'],
      'Webhook-Signature': h['webhook-signature'],
    };
    expect(() => genericAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
  });

  it('rejects a delivery signed with a secret that is not configured', () => {
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY, OTHER), [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a body changed after signing', () => {
    const tampered = BODY.replace('"totalMinor": 2350', '"totalMinor": 1');
    expect(tampered).not.toBe(BODY);
    expect(() => genericAdapter.verify(tampered, libraryHeaders(BODY), [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a signature replayed under another message id', () => {
    const headers = { ...libraryHeaders(BODY), 'webhook-id': 'msg_someone_else' };
    expect(() => genericAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('rejects a delivery without the %s header', (name) => {
    const headers: Record<string, string | undefined> = { ...libraryHeaders(BODY) };
    delete headers[name];
    expect(() => genericAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a signature header that holds no v1 entry', () => {
    const sig = libraryHeaders(BODY)['webhook-signature'].replace('v1,', 'v1a,');
    const headers = { ...libraryHeaders(BODY), 'webhook-signature': sig };
    expect(() => genericAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(/no v1 signature/);
  });

  it('accepts a timestamp four minutes old but rejects one more than five minutes old', () => {
    const fourMinutesAgo = new Date(NOW.getTime() - 240_000);
    const sixMinutesAgo = new Date(NOW.getTime() - 301_000);
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY, SECRET, fourMinutesAgo), [SECRET], NOW)).not.toThrow();
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY, SECRET, sixMinutesAgo), [SECRET], NOW)).toThrow(/too old/);
  });

  it('rejects a timestamp more than five minutes in the future', () => {
    const future = new Date(NOW.getTime() + 301_000);
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY, SECRET, future), [SECRET], NOW)).toThrow(/in the future/);
  });

  it('rejects a timestamp that is not unix seconds', () => {
    const headers = { ...libraryHeaders(BODY), 'webhook-timestamp': NOW.toISOString() };
    expect(() => genericAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('refuses to verify at all when no secret is configured', () => {
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY), [], NOW)).toThrow(ConfigError);
    expect(() => genericAdapter.verify(BODY, libraryHeaders(BODY), [' '], NOW)).toThrow(ConfigError);
  });

  it('signs deliveries that its own verifier and the standardwebhooks library both accept', () => {
    const now = new Date();
    const headers = genericAdapter.sign(BODY, SECRET, now, 'msg_signed_by_patron');
    expect(headers['webhook-id']).toBe('msg_signed_by_patron');
    expect(() => genericAdapter.verify(BODY, headers, [SECRET], now)).not.toThrow();
    expect(new Webhook(SECRET).verify(BODY, headers as Record<string, string>)).toEqual(JSON.parse(BODY));
    expect(() => genericAdapter.verify(BODY, headers, [OTHER], now)).toThrow(SignatureError);
  });
});

describe('generic source: canonical payloads', () => {
  const samples = jsonFiles(DIR);

  it('has a sample for every canonical touchpoint type', () => {
    const types = samples.map((f) => loadSample(f).type);
    expect(new Set(types)).toEqual(new Set(TOUCHPOINT_TYPES));
  });

  it.each(samples)('adapts %s to the same touchpoint, with occurredAt in UTC', (name) => {
    const sample = loadSample(name);
    const result = adaptedTouchpoint(name);
    expect(result.eventType).toBe(sample.type);
    expect(result.dedupeKey).toBe(`msg_${name}`);
    expect(result.touchpoint).toEqual({
      ...sample,
      occurredAt: new Date(sample.occurredAt as string).toISOString(),
    });
  });

  it('keeps the purchase amounts, items and identity exactly', () => {
    const { touchpoint } = adaptedTouchpoint('purchase.json');
    expect(touchpoint.type).toBe('purchase');
    if (touchpoint.type !== 'purchase') return;
    expect(touchpoint.occurredAt).toBe('2025-03-28T16:45:00.000Z');
    expect(touchpoint.customer).toEqual({
      email: 'dan@example.org',
      externalId: 'crm-000481',
      firstName: 'Dan',
      lastName: 'Rivera',
    });
    expect(touchpoint.data.currency).toBe('EUR');
    expect(touchpoint.data.totalMinor).toBe(2350);
    expect(touchpoint.data.items.map((i) => [i.sku, i.quantity, i.unitPriceMinor, i.category])).toEqual([
      ['CAFE-FLAT-WHITE', 2, 450, 'cafe'],
      ['BEAN-ETH-250', 1, 1450, 'Patron Roasters'],
    ]);
  });

  it('keeps a purchase discount (discountMinor) as given', () => {
    const sample = loadSample('purchase.json') as { data: Record<string, unknown> };
    sample.data.discountMinor = 250;
    const result = genericAdapter.adapt(sample, { 'webhook-id': 'msg_discount' });
    if (result.kind !== 'touchpoint' || result.touchpoint.type !== 'purchase') throw new Error('not a purchase');
    expect(result.touchpoint.data.discountMinor).toBe(250);
    expect('discountMinor' in adaptedTouchpoint('purchase.json').touchpoint.data).toBe(false);
  });

  it.each([
    [-1, '>=0'],
    [2.5, 'must be an integer amount in minor units'],
    [1e13, 'must be at most 1000000000000 minor units'],
    ['250', 'expected number'],
  ])('rejects discountMinor %p with a 422 naming data.discountMinor', (discountMinor, message) => {
    const sample = loadSample('purchase.json') as { data: Record<string, unknown> };
    sample.data.discountMinor = discountMinor;
    let error: unknown;
    try {
      genericAdapter.adapt(sample, { 'webhook-id': 'msg_bad_discount' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(422);
    const issues = (error as ValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(['data.discountMinor']);
    expect(issues[0]!.message).toContain(message);
  });

  it('uses the webhook-id header as the dedupe key and requires it', () => {
    expect(genericAdapter.adapt(loadSample('refund.json'), { 'Webhook-Id': 'msg_42' })).toMatchObject({
      dedupeKey: 'msg_42',
    });
    expect(() => genericAdapter.adapt(loadSample('refund.json'), {})).toThrow(ValidationError);
  });

  it('does not let a caller mutate the sample it adapted', () => {
    const sample = loadSample('ticket-opened.json');
    const copy = structuredClone(sample);
    genericAdapter.adapt(copy, { 'webhook-id': 'msg_1' });
    expect(copy).toEqual(sample);
  });

  it('is the adapter registered for the generic source', () => {
    expect(ADAPTERS.generic).toBe(genericAdapter);
  });
});

describe('generic source: invalid payloads', () => {
  const INVALID = join(DIR, 'invalid');
  const expectedPath: Record<string, string> = {
    'missing-identity.json': 'customer',
    'negative-amount.json': 'data.totalMinor',
    'bad-currency.json': 'data.currency',
    'bad-timestamp.json': 'occurredAt',
    'unknown-type.json': 'type',
    'fractional-amount.json': 'data.items.0.unitPriceMinor',
    'unsafe-total.json': 'data.totalMinor',
    'blank-order-id.json': 'data.orderId',
    'unknown-currency.json': 'data.currency',
    'profile-too-deep.json': 'data.a.b.c.d.e.f.g.h',
  };

  it('has an expected field path for every invalid sample', () => {
    expect(jsonFiles(INVALID)).toEqual(Object.keys(expectedPath).sort());
  });

  it.each(Object.entries(expectedPath))('rejects %s with a ValidationError at %s', (name, path) => {
    const payload: unknown = JSON.parse(readFileSync(join(INVALID, name), 'utf8'));
    let error: unknown;
    try {
      genericAdapter.adapt(payload, { 'webhook-id': 'msg_invalid' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toContain(path);
  });

  it('ships a malformed.txt that is not JSON at all (the caller answers it as a parse error)', () => {
    expect(() => JSON.parse(readFileSync(join(INVALID, 'malformed.txt'), 'utf8'))).toThrow(SyntaxError);
  });
});
