import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { api, documentClient, stackInfo } from '../helpers/stack.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';

async function newCustomer(email: string, n: number) {
  let id = '';
  for (let i = 0; i < n; i++) {
    const res = await deliver('generic', purchase({ email }, 100 * (i + 1), `2026-02-0${i + 1}T00:00:00Z`));
    id = res.body.customerId;
  }
  await deliver('generic', genericTouchpoint('email_opened', { email }, { campaignId: 'spring' }, '2026-02-09T12:00:00Z'));
  return id;
}

describe('customers API', () => {
  it('401 without an API key and with a wrong one', async () => {
    const none = await fetch(`${stackInfo().baseUrl}/customers?email=a@example.com`);
    const wrong = await api('/customers?email=a@example.com', { headers: { 'x-api-key': 'nope' } });
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('404 for an unknown customer and 422 for a missing email query', async () => {
    expect((await api('/customers/01UNKNOWN')).status).toBe(404);
    const res = await api('/customers');
    expect(res.status).toBe(422);
    expect((await res.json()).issues[0].path).toBe('query.email');
  });

  it('pages touchpoints newest first with an opaque cursor and filters by type', async () => {
    const id = await newCustomer(uniqueEmail('pages'), 5);

    const first = await (await api(`/customers/${id}/touchpoints?limit=2`)).json();
    const second = await (await api(`/customers/${id}/touchpoints?limit=2&cursor=${first.nextCursor}`)).json();
    const purchases = await (await api(`/customers/${id}/touchpoints?type=purchase&limit=50`)).json();

    expect(first.items.map((t: any) => t.type)).toEqual(['email_opened', 'purchase']);
    expect(first.items[1].data.totalMinor).toBe(500);
    expect(second.items.map((t: any) => t.data.totalMinor)).toEqual([400, 300]);
    expect(purchases.items).toHaveLength(5);
    expect(purchases.nextCursor).toBeNull();
  });

  it('rejects a cursor from another customer and a bad limit', async () => {
    const a = await newCustomer(uniqueEmail('cur-a'), 3);
    const b = await newCustomer(uniqueEmail('cur-b'), 1);
    const page = await (await api(`/customers/${a}/touchpoints?limit=1`)).json();

    expect((await api(`/customers/${b}/touchpoints?cursor=${page.nextCursor}`)).status).toBe(400);
    expect((await api(`/customers/${a}/touchpoints?limit=0`)).status).toBe(422);
    expect((await api(`/customers/${a}/touchpoints?type=teleport`)).status).toBe(422);
  });

  it('erases a customer: profile, history and aliases gone, an audit record without PII kept', async () => {
    const email = uniqueEmail('erase');
    const id = await newCustomer(email, 2);

    const res = await api(`/customers/${id}`, { method: 'DELETE' });

    expect(res.status).toBe(200);
    // Profile, touchpoints and their event markers (the markers hold the id next to the provider ids).
    expect(await res.json()).toMatchObject({ customerId: id, itemsDeleted: 7, aliasesDeleted: 1 });
    expect((await api(`/customers/${id}`)).status).toBe(404);
    expect((await (await api(`/customers?email=${email}`)).json()).customers).toEqual([]);
    const audit = await documentClient().send(
      new QueryCommand({
        TableName: stackInfo().tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDIT#ERASURE' },
      }),
    );
    const record = audit.Items?.find((i) => i.customerId === id);
    expect(record).toBeDefined();
    expect(JSON.stringify(record)).not.toContain(email);
  });

  it('after an erasure, a redelivered old event is ignored (202, nothing stored) and a new one starts a new customer', async () => {
    const email = uniqueEmail('erase-again');
    const old = purchase({ email }, 700, '2026-02-01T00:00:00Z');
    const first = await deliver('generic', old, { eventId: `evt-${email}` });
    expect((await api(`/customers/${first.body.customerId}`, { method: 'DELETE' })).status).toBe(200);

    const redelivered = await deliver('generic', old, { eventId: `evt-${email}` });
    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ ignored: true });
    expect(redelivered.body.reason).toContain('erased');
    expect((await (await api(`/customers?email=${email}`)).json()).customers).toEqual([]);

    const comeback = await deliver('generic', purchase({ email }, 900, new Date(Date.now() + 1000).toISOString()));
    expect(comeback.status).toBe(201);
    expect(comeback.body.customerId).not.toBe(first.body.customerId);
    const [again] = (await (await api(`/customers?email=${email}`)).json()).customers;
    expect(again).toMatchObject({ id: comeback.body.customerId, purchaseCount: 1, revenue: [{ currency: 'EUR', amountMinor: 900 }] });
  });

  it('serves health and an OpenAPI document generated from the schemas', async () => {
    const health = await fetch(`${stackInfo().baseUrl}/health`);
    const doc = (await (await fetch(`${stackInfo().baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties: object }> };
    };
    expect(health.status).toBe(200);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/webhooks/{source}', '/customers/{id}', '/customers/{id}/touchpoints', '/offers', '/offers/{id}']),
    );
    expect(doc.components.schemas.Customer360?.properties).toHaveProperty('averageSatisfaction');
    expect(doc.components.schemas.OfferRequest?.properties).toHaveProperty('kind');
  });
});
