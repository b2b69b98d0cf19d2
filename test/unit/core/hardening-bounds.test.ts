import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCustomer360 } from '../../../layers/core/src/customers/customer-360.js';
import { EMPTY_PROFILE_MAPS, type ProfileItem, safeNumber } from '../../../layers/core/src/customers/profile.js';
import { ValidationError } from '../../../layers/core/src/errors.js';
import { applyTouchpoint } from '../../../layers/core/src/ingest/aggregates.js';
import { assertStorable, ingestWebhook, type IngestDeps } from '../../../layers/core/src/ingest/ingest.js';
import { genericAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import type { CustomerStore } from '../../../layers/core/src/store/customer-store.js';
import { UpdateBuilder } from '../../../layers/core/src/store/update-builder.js';
import { BOUNDS, jsonBytes, Touchpoint } from '../../../layers/core/src/touchpoint.js';

const sample = (name: string): Record<string, any> => JSON.parse(readFileSync(join(process.cwd(), 'events', 'generic', name), 'utf8'));

/** The field paths a generic delivery of `body` is refused at (empty when it is accepted). */
function refusedAt(body: unknown, webhookId = 'msg_1'): string[] {
  try {
    genericAdapter.adapt(body, { 'webhook-id': webhookId });
    return [];
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return e.issues.map((i) => i.path);
  }
}

const purchaseWith = (patch: (p: Record<string, any>) => void) => {
  const p = sample('purchase.json');
  patch(p);
  return p;
};

describe('canonical touchpoint bounds: amounts and quantities', () => {
  it('refuses a totalMinor of 2^53 - 1 at data.totalMinor', () => {
    expect(refusedAt(purchaseWith((p) => (p.data.totalMinor = Number.MAX_SAFE_INTEGER)))).toContain('data.totalMinor');
  });

  it('accepts a totalMinor of exactly 10^12 and refuses 10^12 + 1', () => {
    expect(refusedAt(purchaseWith((p) => (p.data.totalMinor = 1e12)))).toEqual([]);
    expect(refusedAt(purchaseWith((p) => (p.data.totalMinor = 1e12 + 1)))).toContain('data.totalMinor');
  });

  it('refuses a unit price over 10^12 at its item path', () => {
    expect(refusedAt(purchaseWith((p) => (p.data.items[1].unitPriceMinor = 1e12 + 1)))).toContain('data.items.1.unitPriceMinor');
  });

  it('refuses a quantity over 10^6 at its item path', () => {
    expect(refusedAt(purchaseWith((p) => (p.data.items[0].quantity = 1e6 + 1)))).toContain('data.items.0.quantity');
    expect(refusedAt(purchaseWith((p) => (p.data.items[0].quantity = 1e6)))).toEqual([]);
  });

  it('refuses a refund amount over 10^12 at data.amountMinor', () => {
    const refund = sample('refund.json');
    refund.data.amountMinor = 1e12 + 1;
    expect(refusedAt(refund)).toContain('data.amountMinor');
  });

  it('refuses a subscription amount or payment failure amount over 10^12', () => {
    const sub = sample('subscription-started.json');
    sub.data.amountMinor = 1e13;
    expect(refusedAt(sub)).toContain('data.amountMinor');
    const failed = sample('payment-failed.json');
    failed.data.amountMinor = 1e13;
    expect(refusedAt(failed)).toContain('data.amountMinor');
  });
});

describe('canonical touchpoint bounds: lengths and counts', () => {
  it('refuses a webhook-id longer than 255 characters at headers.webhook-id', () => {
    expect(refusedAt(sample('purchase.json'), 'm'.repeat(256))).toContain('headers.webhook-id');
    expect(refusedAt(sample('purchase.json'), 'm'.repeat(255))).toEqual([]);
  });

  it('refuses an orderId longer than 255 characters', () => {
    expect(refusedAt(purchaseWith((p) => (p.data.orderId = 'o'.repeat(256))))).toContain('data.orderId');
  });

  it.each(['sku', 'category', 'productId', 'name'])('refuses an item %s longer than 200 characters', (field) => {
    expect(refusedAt(purchaseWith((p) => (p.data.items[0][field] = 'x'.repeat(201))))).toContain(`data.items.0.${field}`);
  });

  it('refuses first and last names longer than 200 characters', () => {
    const paths = refusedAt(purchaseWith((p) => Object.assign(p.customer, { firstName: 'a'.repeat(201), lastName: 'b'.repeat(201) })));
    expect(paths).toEqual(expect.arrayContaining(['customer.firstName', 'customer.lastName']));
  });

  it('refuses a purchase of more than 500 items at data.items', () => {
    const items = Array.from({ length: 501 }, (_, i) => ({ sku: `S${i}`, category: 'c', quantity: 1, unitPriceMinor: 1 }));
    expect(refusedAt(purchaseWith((p) => (p.data.items = items)))).toContain('data.items');
  });

  it('accepts 500 items of one category, and refuses 101 distinct categories at data.items', () => {
    const items = (n: number, categories: number) =>
      Array.from({ length: n }, (_, i) => ({ sku: `S${i}`, category: `c${i % categories}`, quantity: 1, unitPriceMinor: 1 }));
    expect(refusedAt(purchaseWith((p) => (p.data.items = items(500, 1))))).toEqual([]);
    expect(refusedAt(purchaseWith((p) => (p.data.items = items(101, 101))))).toContain('data.items');
    expect(refusedAt(purchaseWith((p) => (p.data.items = items(100, 100))))).toEqual([]);
  });
});

describe('canonical touchpoint bounds: whitespace-only ids and ISO 4217 currencies', () => {
  it.each([
    ['purchase.json', (p: any) => (p.data.orderId = ' '), 'data.orderId'],
    ['purchase.json', (p: any) => (p.data.items[0].sku = ' '), 'data.items.0.sku'],
    ['purchase.json', (p: any) => (p.data.items[0].category = '  '), 'data.items.0.category'],
    ['purchase.json', (p: any) => (p.data.items[1].productId = '\t'), 'data.items.1.productId'],
    ['ticket-opened.json', (p: any) => (p.data.ticketId = ' '), 'data.ticketId'],
    ['subscription-started.json', (p: any) => (p.data.subscriptionId = ' '), 'data.subscriptionId'],
    ['subscription-cancelled.json', (p: any) => (p.data.subscriptionId = ' '), 'data.subscriptionId'],
  ])('refuses a whitespace-only id in %s at %s', (file, patch, path) => {
    const body = sample(file);
    patch(body);
    expect(refusedAt(body)).toContain(path);
  });

  it('refuses ZZZ, which looks like a currency code but is not in ISO 4217', () => {
    expect(refusedAt(purchaseWith((p) => (p.data.currency = 'ZZZ')))).toContain('data.currency');
  });

  it('still accepts real codes such as EUR, JPY and KWD', () => {
    for (const currency of ['EUR', 'JPY', 'KWD', 'CHF']) expect(refusedAt(purchaseWith((p) => (p.data.currency = currency)))).toEqual([]);
  });
});

describe('canonical touchpoint bounds: occurredAt', () => {
  it('refuses an occurredAt before 2000-01-01', () => {
    expect(refusedAt(purchaseWith((p) => (p.occurredAt = '1999-12-31T23:59:59Z')))).toContain('occurredAt');
  });

  it('refuses an occurredAt more than one day in the future, and accepts one an hour ahead', () => {
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    expect(refusedAt(purchaseWith((p) => (p.occurredAt = at(2 * 86_400_000))))).toContain('occurredAt');
    expect(refusedAt(purchaseWith((p) => (p.occurredAt = '9999-12-31T23:59:59Z')))).toContain('occurredAt');
    expect(refusedAt(purchaseWith((p) => (p.occurredAt = at(3_600_000))))).toEqual([]);
  });
});

describe('canonical touchpoint bounds: profile_updated data', () => {
  const nested = (depth: number): Record<string, unknown> => {
    let v: Record<string, unknown> = { leaf: 1 };
    for (let i = 1; i < depth; i++) v = { n: v };
    return v;
  };
  const profile = (data: unknown) => ({ ...sample('profile-updated.json'), data });

  it('accepts data nested 8 levels deep and refuses 9', () => {
    expect(refusedAt(profile(nested(8)))).toEqual([]);
    expect(refusedAt(profile(nested(9))).some((p) => p.startsWith('data'))).toBe(true);
  });

  it('refuses 10,000 levels of nesting with a ValidationError, not a stack overflow', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`);
    expect(refusedAt(profile(deep)).some((p) => p.startsWith('data'))).toBe(true);
    const deepArray = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(refusedAt(profile({ a: deepArray })).some((p) => p.startsWith('data'))).toBe(true);
  });

  it('refuses more than 100 keys in all', () => {
    const wide = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
    expect(refusedAt(profile(wide))).toContain('data');
    const spread = {
      a: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`a${i}`, i])),
      b: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`b${i}`, i])),
    };
    expect(refusedAt(profile(spread)).some((p) => p.startsWith('data'))).toBe(true);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses a %s key at any depth', (key) => {
    expect(refusedAt(profile(JSON.parse(`{"${key}": {"x": 1}}`)))).toContain(`data.${key}`);
    expect(refusedAt(profile(JSON.parse(`{"ok": {"${key}": 1}}`)))).toContain(`data.ok.${key}`);
  });
});

describe('stored item size by construction', () => {
  /** The largest purchase the per-field bounds allow (500 items, 4 x 200 characters each). */
  const largest = (char: string) => ({
    type: 'purchase',
    occurredAt: new Date().toISOString(),
    customer: {
      email: `${'e'.repeat(240)}@example.com`,
      externalId: 'x'.repeat(255),
      firstName: char.repeat(200),
      lastName: char.repeat(200),
    },
    data: {
      orderId: 'o'.repeat(255),
      currency: 'EUR',
      totalMinor: BOUNDS.maxMinorUnits,
      items: Array.from({ length: 500 }, (_, i) => ({
        sku: `${i}`.padEnd(200, char),
        productId: `${i}`.padEnd(200, char),
        name: char.repeat(200),
        category: `${i % 100}`.padEnd(200, char),
        quantity: BOUNDS.maxQuantity,
        unitPriceMinor: BOUNDS.maxMinorUnits,
      })),
    },
  });

  it('refuses the largest per-field purchase because it would serialise past 256 KB', () => {
    expect(jsonBytes(largest('x'))).toBeGreaterThan(BOUNDS.maxTouchpointBytes);
    expect(Touchpoint.safeParse(largest('x')).success).toBe(false);
    expect(Touchpoint.safeParse(largest('€')).success).toBe(false);
  });

  it('keeps the largest valid touchpoint, stored with its envelope, well under 400 KB', () => {
    // As many full items as fit under the 256 KB bound, in multi-byte UTF-8 and in ASCII.
    for (const char of ['x', '€']) {
      const tp = largest(char);
      while (jsonBytes(tp) > BOUNDS.maxTouchpointBytes) tp.data.items.pop();
      const parsed = Touchpoint.safeParse(tp);
      expect(parsed.success).toBe(true);
      const stored = {
        pk: `CUST${'0'.repeat(26)}`,
        sk: `TP-${tp.occurredAt}-shopify-order:${'9'.repeat(255)}`,
        id: `shopify:order:${'9'.repeat(255)}`,
        customerId: '0'.repeat(26),
        source: 'shopify',
        dedupeKey: `order:${'9'.repeat(255)}`,
        type: tp.type,
        occurredAt: tp.occurredAt,
        receivedAt: tp.occurredAt,
        data: tp.data,
        gsi1pk: `ORDER-shopify-${'9'.repeat(255)}`,
        gsi1sk: '0'.repeat(26),
      };
      expect(jsonBytes(stored)).toBeLessThan(300 * 1024);
    }
  });
});

describe('ingest: nothing is written before the delivery is known to be storable', () => {
  const SECRET = `whsec_${Buffer.from('patron-hardening-unit-secret-key!').toString('base64')}`;
  const touched: string[] = [];
  const store = new Proxy({} as CustomerStore, {
    get: (_t, prop) => () => {
      touched.push(String(prop));
      throw new Error(`store.${String(prop)} must not be called`);
    },
  });
  const deps: IngestDeps = {
    store,
    hashPii: (k) => `h:${k.kind}:${k.value}`,
    webhookSecrets: { generic: [SECRET], shopify: [], stripe: [], zendesk: [] },
    now: () => new Date(),
    observer: { delivery: () => {} },
  };
  const deliverGeneric = (body: unknown) => {
    const raw = JSON.stringify(body);
    return ingestWebhook(deps, 'generic', raw, genericAdapter.sign(raw, SECRET, deps.now(), 'msg_unit'));
  };

  beforeEach(() => touched.splice(0));

  it('refuses a purchase whose profile update exceeds 4 KB of update expression without touching the store', async () => {
    const body = purchaseWith((p) => {
      p.data.items = Array.from({ length: 100 }, (_, i) => ({
        sku: `S${i}`,
        category: `${i}`.padEnd(190, 'c'),
        quantity: 1,
        unitPriceMinor: 1,
      }));
    });
    await expect(deliverGeneric(body)).rejects.toBeInstanceOf(ValidationError);
    expect(touched).toEqual([]);
  });

  it('refuses a 2^53 total without touching the store', async () => {
    await expect(deliverGeneric(purchaseWith((p) => (p.data.totalMinor = Number.MAX_SAFE_INTEGER)))).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(touched).toEqual([]);
  });

  it('lets a valid purchase through assertStorable (the store is reached only after it)', async () => {
    await expect(deliverGeneric(sample('purchase.json'))).rejects.toThrow(/must not be called/);
    expect(touched.length).toBeGreaterThan(0);
  });

  it('passes a purchase with 40 categories of 12 characters (a Shopify order from 40 vendors) through assertStorable', () => {
    const tp = genericAdapter.adapt(
      purchaseWith((p) => {
        p.data.items = Array.from({ length: 40 }, (_, i) => ({
          sku: `S${i}`,
          category: `vendor-${String(i).padStart(2, '0')}-abc`,
          quantity: 1,
          unitPriceMinor: 1,
        }));
      }),
      { 'webhook-id': 'm' },
    );
    if (tp.kind !== 'touchpoint') throw new Error('expected a touchpoint');
    expect(() => assertStorable('generic', tp.touchpoint, 'm', applyTouchpoint(new UpdateBuilder(), tp.touchpoint))).not.toThrow();
  });
});

describe('customer 360: stored aggregates past 2^53 read without throwing', () => {
  const profile = (over: Partial<ProfileItem>): ProfileItem =>
    ({ pk: 'p', sk: 's', customerId: 'c1', createdAt: '2025-01-01T00:00:00.000Z', ...EMPTY_PROFILE_MAPS, ...over }) as ProfileItem;

  it('reads a BigInt revenue (as the document client unmarshalls integers past 2^53) clamped to 2^53 - 1', () => {
    const p = profile({ purchaseCount: 2, revenue: { EUR: 9007199254741091n as unknown as number } });
    const c = toCustomer360(p, {});
    expect(c.revenue).toEqual([{ currency: 'EUR', amountMinor: Number.MAX_SAFE_INTEGER }]);
    expect(c.averageOrderValue[0]!.amountMinor).toBe(Math.round(Number.MAX_SAFE_INTEGER / 2));
    expect(() => JSON.stringify(c)).not.toThrow();
  });

  it('reads BigInt counters and category quantities as safe numbers', () => {
    const big = (10n ** 20n) as unknown as number;
    const p = profile({
      purchaseCount: big,
      touchpointCount: big,
      categoryQuantities: { coffee: big },
      typeCounts: { purchase: big },
      refunded: { EUR: big },
      ratingSum: big,
      ratingCount: big,
    });
    const c = toCustomer360(p, {});
    expect(c.purchaseCount).toBe(Number.MAX_SAFE_INTEGER);
    expect(c.categories).toEqual({ coffee: Number.MAX_SAFE_INTEGER });
    expect(c.touchpointsByType).toEqual({ purchase: Number.MAX_SAFE_INTEGER });
    expect(() => JSON.stringify(c)).not.toThrow();
  });

  it('clamps a plain number past 2^53 and reads NaN or a missing value as 0', () => {
    expect(safeNumber(2 ** 60)).toBe(Number.MAX_SAFE_INTEGER);
    expect(safeNumber(-(2 ** 60))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(safeNumber(-(10n ** 30n))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(safeNumber(Number.NaN)).toBe(0);
    expect(safeNumber(undefined)).toBe(0);
    expect(safeNumber(42)).toBe(42);
  });
});

describe('canonical touchpoint bounds: numbers in free-form data', () => {
  it('refuses a profile_updated number DynamoDB cannot store (1e139) or past 10^12', () => {
    const body = { ...sample('profile-updated.json'), data: { score: 1.6e139 } };
    expect(refusedAt(body)).toContain('data.score');
    expect(refusedAt({ ...body, data: { score: 1e12 + 1 } })).toContain('data.score');
    expect(refusedAt({ ...body, data: { score: 1e-200 } })).toContain('data.score');
    expect(refusedAt({ ...body, data: { score: 42.5, zero: 0 } })).toEqual([]);
  });
});
