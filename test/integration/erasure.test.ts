import { randomUUID } from 'node:crypto';
import { paginateScan, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import { api, documentClient, stackInfo } from '../helpers/stack.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';
import { daysAgo, mortgage, postJson } from '../helpers/offers.js';

jest.setTimeout(120_000);

const post = postJson;
const patch = (path: string, body: unknown) =>
  api(path, { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const erase = (id: string) => api(`/customers/${id}`, { method: 'DELETE' });

/** A first name no other test uses, so finding it anywhere in the table means it is this person's. */
const uniqueFirstName = () =>
  `Ottilie${[...randomUUID().replace(/-/g, '').slice(0, 8)].map((c) => String.fromCharCode(97 + (parseInt(c, 16) % 26))).join('')}`;

/** Every item of the table: a scan returns at most 1 MB per page, so it is read page by page. */
async function scanTable(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client: documentClient() }, { TableName: stackInfo().tableName, ConsistentRead: true })) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  }
  return items;
}

/** The item as text, sets included (JSON.stringify writes a Set as {}). */
const text = (item: unknown) => JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v));

async function partition(customerId: string) {
  const out = await documentClient().send(
    new QueryCommand({
      TableName: stackInfo().tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `CUST#${customerId}` },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

const upsell = (customerId: string) => ({ customerId, kind: 'upsell', productId: 'kindle', channel: 'phone', team: 'sales' });

describe('erasure leaves no personal data behind', () => {
  it('leaves no item with the id, email, first name or offer ids but a PII-free audit record, and a replay answers 404', async () => {
    const email = uniqueEmail('forget-me');
    const firstName = uniqueFirstName();
    const first = await deliver('generic', purchase({ email, firstName }, 4_200, daysAgo(40), 'books'));
    expect(first.status).toBe(201);
    const id: string = first.body.customerId;
    const complaint = genericTouchpoint('ticket_opened', { email }, { ticketId: `t-${id}`, complaint: true }, daysAgo(2));
    expect((await deliver('generic', complaint)).status).toBe(201);

    // A warning after the complaint: the response names the customer, the stored audit does not.
    const key = `erase-${id}`;
    const a = await post('/offers', upsell(id), { 'idempotency-key': key });
    expect(a.status).toBe(201);
    const registered = await a.json();
    expect(registered.decision).toBe('warn');
    expect(text(registered.findings)).toContain(firstName);
    const b = await post('/offers', mortgage(id));
    expect(b.status).toBe(201);
    const second = await b.json();
    expect((await patch(`/offers/${second.offer.id}`, { status: 'accepted', actor: 'ann@bank', reason: 'signed' })).status).toBe(200);
    const trail = await (await api(`/offers/${registered.offer.id}`)).json();
    expect(trail.audit[0].findings.length).toBeGreaterThan(0);
    expect(text(trail.audit)).not.toContain(firstName);
    const offerIds = [registered.offer.id as string, second.offer.id as string];

    const res = await erase(id);
    expect(res.status).toBe(200);

    const secrets = [id, email, firstName, ...offerIds];
    const left = (await scanTable()).filter((item) => secrets.some((s) => text(item).includes(s)));
    expect(left.map((i) => `${i.pk} ${i.sk}`)).toEqual([expect.stringMatching(/^AUDIT#ERASURE /)]);
    expect(left[0]).toMatchObject({ customerId: id });
    for (const pii of [email, firstName, ...offerIds]) expect(text(left[0])).not.toContain(pii);

    const replay = await post('/offers', upsell(id), { 'idempotency-key': key });
    expect(replay.status).toBe(404);
    expect(replay.headers.get('idempotent-replayed')).toBeNull();
    expect(text(await replay.json())).not.toContain(firstName);
  });

  it('leaves nothing under the erased partition when 20 deliveries race the erasure, in 5 rounds', async () => {
    const erased: string[] = [];
    for (let round = 0; round < 5; round++) {
      const email = uniqueEmail(`erase-race-${round}`);
      const firstName = uniqueFirstName();
      const first = await deliver('generic', purchase({ email, firstName }, 500, daysAgo(10)));
      expect(first.status).toBe(201);
      const id: string = first.body.customerId;
      erased.push(id);

      // Half the events happened before the erasure (stored before it, or ignored after it), half
      // a moment after it (stored before it, or the start of a new customer after it). They are
      // spread over ~60 ms and the erasure starts at a different point of the spread each round.
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const deliveries = Array.from({ length: 20 }, async (_, i) => {
        const tp = genericTouchpoint(
          'inquiry',
          { email, firstName },
          { topic: `free-form question ${i} from ${firstName}` },
          new Date(Date.now() + (i % 2) * 1_000).toISOString(),
        );
        await sleep(i * 3);
        return deliver('generic', tp);
      });
      const erasing = sleep(round * 8).then(() => erase(id));
      const [erasure, ...delivered] = await Promise.all([erasing, ...deliveries]);
      expect(erasure.status).toBe(200);
      for (const d of delivered) expect([200, 201, 202]).toContain(d.status);

      expect(await partition(id)).toEqual([]);
      const owners = new Set(delivered.map((d) => d.body.customerId).filter(Boolean));
      owners.delete(id);
      for (const owner of owners) expect((await api(`/customers/${owner}`)).status).toBe(200);
    }
    const left = (await scanTable()).filter((item) => erased.some((id) => text(item).includes(id)));
    expect(left.every((i) => i.pk === 'AUDIT#ERASURE')).toBe(true);
    expect(left).toHaveLength(erased.length);
  });
});
