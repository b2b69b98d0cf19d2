import { randomUUID } from 'node:crypto';
import { api } from '../helpers/stack.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';

async function customerByEmail(email: string) {
  const res = await api(`/customers?email=${encodeURIComponent(email)}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { customers: any[] };
  return body.customers;
}

describe('POST /webhooks/{source}: storing and deduplicating', () => {
  it('stores a signed purchase and shows it in the customer 360', async () => {
    const email = uniqueEmail('store');
    const res = await deliver('generic', purchase({ email, firstName: 'Ann' }, 4200));

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'stored', type: 'purchase' });
    const [customer] = await customerByEmail(email);
    expect(customer).toMatchObject({
      id: res.body.customerId,
      purchaseCount: 1,
      revenue: [{ currency: 'EUR', amountMinor: 4200 }],
      sourceSystems: ['generic'],
      identifiers: { emails: [email] },
    });
  });

  it('answers a redelivery with 200 duplicate and stores it once', async () => {
    const email = uniqueEmail('dup');
    const body = purchase({ email }, 1000);
    const eventId = `msg_${randomUUID()}`;

    const first = await deliver('generic', body, { eventId });
    const second = await deliver('generic', body, { eventId });

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, touchpointId: first.body.touchpointId });
    const [customer] = await customerByEmail(email);
    expect(customer.touchpointCount).toBe(1);
    expect(customer.revenue).toEqual([{ currency: 'EUR', amountMinor: 1000 }]);
  });

  it('stores exactly one of 20 concurrent identical deliveries for a new customer', async () => {
    const email = uniqueEmail('race');
    const body = purchase({ email, phone: `+4930${Math.floor(1e6 + Math.random() * 8e6)}` }, 999);
    const eventId = `msg_${randomUUID()}`;

    const results = await Promise.all(Array.from({ length: 20 }, () => deliver('generic', body, { eventId })));

    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    expect(new Set(results.map((r) => r.body.customerId)).size).toBe(1);
    const customers = await customerByEmail(email);
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ touchpointCount: 1, purchaseCount: 1, revenue: [{ currency: 'EUR', amountMinor: 999 }] });
  });

  it('resolves 10 concurrent different events of one new person to a single customer', async () => {
    const email = uniqueEmail('burst');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => deliver('generic', purchase({ email }, 100 + i))));

    expect(results.every((r) => r.status === 201)).toBe(true);
    const customers = await customerByEmail(email);
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({ purchaseCount: 10, revenue: [{ currency: 'EUR', amountMinor: 1045 }] });
  });

  it('keeps the newest consent choice when an older one arrives later', async () => {
    const email = uniqueEmail('consent');
    const newer = genericTouchpoint('consent_changed', { email }, { channel: 'email', granted: true }, '2026-03-02T00:00:00Z');
    const older = genericTouchpoint('consent_changed', { email }, { channel: 'email', granted: false }, '2026-03-01T00:00:00Z');

    expect((await deliver('generic', newer)).status).toBe(201);
    expect((await deliver('generic', older)).status).toBe(201);

    const [customer] = await customerByEmail(email);
    expect(customer.consent.email).toMatchObject({ granted: true, at: '2026-03-02T00:00:00.000Z' });
    expect(customer.consent.sms).toBeNull();
  });

  it('orders history by occurredAt, not by arrival', async () => {
    const email = uniqueEmail('order');
    await deliver('generic', purchase({ email }, 300, '2026-01-03T00:00:00Z'));
    await deliver('generic', purchase({ email }, 100, '2026-01-01T00:00:00Z'));
    await deliver('generic', purchase({ email }, 200, '2026-01-02T00:00:00Z'));

    const [customer] = await customerByEmail(email);
    const page = await (await api(`/customers/${customer.id}/touchpoints`)).json();
    expect(page.items.map((t: any) => t.data.totalMinor)).toEqual([300, 200, 100]);
    expect(customer.firstSeen).toBe('2026-01-01T00:00:00.000Z');
    expect(customer.lastSeen).toBe('2026-01-03T00:00:00.000Z');
  });
});

describe('identity resolution', () => {
  it('merges two customers when a touchpoint links their email and phone', async () => {
    const email = uniqueEmail('merge');
    const phone = `+4917${Math.floor(1e7 + Math.random() * 8e7)}`;
    const byEmail = await deliver('generic', purchase({ email }, 1000, '2026-01-01T00:00:00Z'));
    await deliver('generic', purchase({ email }, 1000, '2026-01-02T00:00:00Z'));
    const byPhone = await deliver('generic', purchase({ phone }, 500, '2026-01-03T00:00:00Z'));
    expect(byEmail.body.customerId).not.toBe(byPhone.body.customerId);

    const linking = await deliver('generic', genericTouchpoint('inquiry', { email, phone }, { topic: 'delivery' }));

    expect(linking.status).toBe(201);
    expect(linking.body.merged).toHaveLength(1);
    const a = await (await api(`/customers/${byEmail.body.customerId}`)).json();
    const b = await (await api(`/customers/${byPhone.body.customerId}`)).json();
    expect(a.id).toBe(b.id);
    expect(a).toMatchObject({ purchaseCount: 3, touchpointCount: 4, revenue: [{ currency: 'EUR', amountMinor: 2500 }] });
    expect(a.identifiers.phones).toEqual([phone]);
    expect(a.mergedFrom).toHaveLength(1);
    const page = await (await api(`/customers/${byPhone.body.customerId}/touchpoints`)).json();
    expect(page.items).toHaveLength(4);
  });

  it('uses the provider customer id as an identity scoped to its source', async () => {
    const externalId = `cus_${randomUUID().slice(0, 10)}`;
    const first = await deliver('generic', purchase({ externalId }, 100));
    const second = await deliver('generic', purchase({ externalId }, 200));
    expect(second.body.customerId).toBe(first.body.customerId);
  });
});

describe('rejected deliveries store nothing', () => {
  async function expectNothingStored(email: string) {
    expect(await customerByEmail(email)).toEqual([]);
  }

  it('401 for a wrong secret', async () => {
    const email = uniqueEmail('badsig');
    const res = await deliver('generic', purchase({ email }, 100), {
      secret: `whsec_${Buffer.from('wrong-secret-wrong').toString('base64')}`,
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_signature');
    await expectNothingStored(email);
  });

  it('401 for a missing signature', async () => {
    const email = uniqueEmail('nosig');
    const res = await deliver('generic', purchase({ email }, 100), { unsigned: true });
    expect(res.status).toBe(401);
    await expectNothingStored(email);
  });

  it('401 for a timestamp outside the tolerance', async () => {
    const email = uniqueEmail('stale');
    const res = await deliver('generic', purchase({ email }, 100), { now: new Date(Date.now() - 10 * 60_000) });
    expect(res.status).toBe(401);
    await expectNothingStored(email);
  });

  it('404 for an unknown source', async () => {
    const res = await deliver('mailchimp', { hello: 1 });
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/mailchimp/);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await deliver('generic', '{"type": "purchase",');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('bad_request');
  });

  it('422 with field errors for a schema violation', async () => {
    const email = uniqueEmail('schema');
    const bad = purchase({ email }, -5);
    const res = await deliver('generic', bad);
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('totalMinor') })]));
    await expectNothingStored(email);
  });

  it('413 for a body over 256 KB', async () => {
    const email = uniqueEmail('big');
    const big = genericTouchpoint('inquiry', { email }, { topic: 'x'.repeat(300 * 1024) });
    const res = await deliver('generic', big);
    expect(res.status).toBe(413);
    await expectNothingStored(email);
  });
});
