import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import { api, documentClient, stackInfo } from '../helpers/stack.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';
import { daysAgo, mortgage, postJson } from '../helpers/offers.js';

jest.setTimeout(120_000);

async function newCustomer(tag: string, extra: unknown[] = []): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(tag);
  const first = await deliver('generic', purchase({ email }, 4_200, daysAgo(40), 'books'));
  expect(first.status).toBe(201);
  for (const tp of extra) {
    const res = await deliver('generic', typeof tp === 'function' ? tp(email) : tp);
    expect(res.status).toBe(201);
  }
  return { id: first.body.customerId, email };
}

const post = postJson;
const patch = (path: string, body: unknown) =>
  api(path, { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function offerItems(customerId: string) {
  const out = await documentClient().send(
    new QueryCommand({
      TableName: stackInfo().tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :o)',
      ExpressionAttributeValues: { ':pk': `CUST#${customerId}`, ':o': 'OFFER#' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

describe('offers API: check, register, status, audit', () => {
  it('allows a clean offer in a dry run and stores nothing', async () => {
    const { id } = await newCustomer('dry');
    const res = await post('/offers/check', mortgage(id, 3.1));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ decision: 'allow', findings: [] });
    expect(await offerItems(id)).toHaveLength(0);
  });

  it('finds the customer by email and says who already holds the product', async () => {
    const { email } = await newCustomer('owner', [
      (e: string) =>
        genericTouchpoint('subscription_started', { email: e }, { subscriptionId: 'sub-1', productId: 'membership' }, daysAgo(30)),
    ]);
    const res = await post('/offers/check', { email, kind: 'offer', productId: 'membership', channel: 'mail' });
    const body = await res.json();
    expect(body.decision).toBe('block');
    expect(body.findings.map((f: any) => f.rule)).toContain('already-owned');
  });

  it('registers, then blocks a second price for the same mortgage with the first offer as evidence (409, nothing stored)', async () => {
    const { id } = await newCustomer('terms');
    const first = await post('/offers', mortgage(id, 3.1));
    expect(first.status).toBe(201);
    const created = await first.json();
    expect(created).toMatchObject({ decision: 'allow', offer: { id: expect.any(String), customerId: id, status: 'active' } });

    const second = await post('/offers', mortgage(id, 3.4, { team: 'online' }));
    expect(second.status).toBe(409);
    const body = await second.json();
    expect(body.decision).toBe('block');
    const conflict = body.findings.find((f: any) => f.rule === 'conflicting-terms');
    expect(JSON.stringify(conflict.evidence)).toContain(created.offer.id);
    expect(await offerItems(id)).toHaveLength(1);
  });

  it('warns about a sales pitch right after a complaint, and registers it with the warning', async () => {
    const { id } = await newCustomer('complaint', [
      (e: string) => genericTouchpoint('ticket_opened', { email: e }, { ticketId: `t-${e}`, complaint: true }, daysAgo(2)),
    ]);
    const res = await post('/offers', { customerId: id, kind: 'upsell', productId: 'kindle', channel: 'phone' });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.decision).toBe('warn');
    expect(body.findings.map((f: any) => f.rule)).toEqual(expect.arrayContaining(['sell-after-complaint', 'quiet-period']));
  });

  it('blocks email without a known opt-in and after an opt-out', async () => {
    const { id } = await newCustomer('consent', [
      (e: string) => genericTouchpoint('consent_changed', { email: e }, { channel: 'sms', granted: false }, daysAgo(3)),
    ]);
    for (const channel of ['email', 'sms']) {
      const body = await (await post('/offers/check', { customerId: id, kind: 'message', channel })).json();
      expect(body.decision).toBe('block');
      expect(body.findings[0].rule).toBe('no-consent');
    }
  });

  it('404 for an unknown customer or email, 422 naming each bad field, 400 for bad JSON; nothing stored', async () => {
    expect((await post('/offers', mortgage('01UNKNOWNCUSTOMER', 3))).status).toBe(404);
    expect((await post('/offers/check', { email: uniqueEmail('nobody'), kind: 'message', channel: 'mail' })).status).toBe(404);
    const { id } = await newCustomer('invalid');
    const bad = await post('/offers', { customerId: id, kind: 'bribe', channel: 'pigeon', productid: 'x' });
    expect(bad.status).toBe(422);
    const paths = (await bad.json()).issues.map((i: any) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.kind', 'body.channel']));
    expect(paths.some((p: string) => p.includes('productid') || p === 'body')).toBe(true);
    const notJson = await api('/offers', { method: 'POST', body: '{"kind":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(await offerItems(id)).toHaveLength(0);
  });

  it('blocks a fine for a top customer unless a person overrides it with a reason, which is audited', async () => {
    // global-setup runs the stack with OFFER_RULES {"highValue":{"revenueMinorAtLeast":1000000}}:
    // revenue of 10,000 EUR or more is top tier even before a mining run.
    const { id, email } = await newCustomer('vip');
    expect((await deliver('generic', purchase({ email }, 1_500_000, daysAgo(20), 'jewellery'))).status).toBe(201);
    const fine = { customerId: id, kind: 'fee', channel: 'mail', productId: 'late-fee', terms: { amount: 25, currency: 'EUR' } };

    const blocked = await post('/offers', fine);
    expect(blocked.status).toBe(409);
    expect((await blocked.json()).findings[0]).toMatchObject({ rule: 'high-value-penalty', severity: 'block' });
    expect(await offerItems(id)).toHaveLength(0);

    const overridden = await post('/offers', { ...fine, override: { actor: 'carol@bank', reason: 'fraud case, legal asked for it' } });
    expect(overridden.status).toBe(201);
    const body = await overridden.json();
    expect(body.decision).toBe('warn');
    expect(body.findings[0].message).toContain('carol@bank');
    const { audit, offer } = await (await api(`/offers/${body.offer.id}`)).json();
    expect(offer.override).toEqual({ actor: 'carol@bank', reason: 'fraud case, legal asked for it' });
    expect(audit.map((a: any) => a.action)).toEqual(['created', 'overridden']);
    expect(audit.find((a: any) => a.action === 'overridden')).toMatchObject({
      actor: 'carol@bank',
      reason: 'fraud case, legal asked for it',
      findings: [expect.objectContaining({ rule: 'high-value-penalty' })],
    });

    const again = await post('/offers', { ...fine, override: { actor: 'carol@bank', reason: 'twice' } });
    expect(again.status).toBe(409);
    expect((await again.json()).findings.map((f: any) => f.rule)).toContain('duplicate-offer');
  });

  it('is idempotent with an Idempotency-Key: the same body replays, another body is rejected', async () => {
    const { id } = await newCustomer('idem');
    const key = `key-${id}`;
    const a = await post('/offers', mortgage(id, 3.1), { 'idempotency-key': key });
    const b = await post('/offers', mortgage(id, 3.1), { 'idempotency-key': key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect((await b.json()).offer.id).toBe((await a.json()).offer.id);
    const other = await post('/offers', mortgage(id, 2.9), { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(await offerItems(id)).toHaveLength(1);
  });

  it('replays concurrent retries with one Idempotency-Key as one offer', async () => {
    const { id } = await newCustomer('idem-race');
    const results = await Promise.all(
      Array.from({ length: 10 }, () => post('/offers', mortgage(id, 3.1), { 'idempotency-key': `race-${id}` })),
    );
    const bodies = await Promise.all(results.map((r) => r.json()));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(bodies.map((b) => b.offer.id)).size).toBe(1);
    expect(await offerItems(id)).toHaveLength(1);
  });

  it('validates status transitions and keeps an audit trail of who, when and why', async () => {
    const { id } = await newCustomer('status');
    const { offer } = await (await post('/offers', mortgage(id, 3.1))).json();
    const accepted = await patch(`/offers/${offer.id}`, { status: 'accepted', actor: 'ann@bank', reason: 'signed at the branch' });
    expect(accepted.status).toBe(200);
    expect((await accepted.json()).offer.status).toBe('accepted');

    const back = await patch(`/offers/${offer.id}`, { status: 'withdrawn', actor: 'bob@bank' });
    expect(back.status).toBe(409);
    expect((await back.json()).message).toContain('accepted');
    expect((await patch(`/offers/${offer.id}`, { status: 'active', actor: 'x' })).status).toBe(422);
    expect((await patch(`/offers/${offer.id}`, { status: 'declined' })).status).toBe(422);
    expect((await patch('/offers/01NOSUCHOFFER', { status: 'declined', actor: 'x' })).status).toBe(404);

    const full = await (await api(`/offers/${offer.id}`)).json();
    expect(full.offer.status).toBe('accepted');
    expect(full.audit.map((a: any) => a.action)).toEqual(['created', 'status-changed']);
    expect(full.audit[1]).toMatchObject({
      actor: 'ann@bank',
      reason: 'signed at the branch',
      from: 'active',
      to: 'accepted',
      at: expect.any(String),
    });

    const listed = await (await api(`/customers/${id}/offers?status=accepted`)).json();
    expect(listed.items.map((o: any) => o.id)).toEqual([offer.id]);
    expect((await (await api(`/customers/${id}/offers?status=active`)).json()).items).toEqual([]);
    expect((await api(`/customers/${id}/offers?status=bogus`)).status).toBe(422);
  });

  it('a withdrawn offer no longer conflicts', async () => {
    const { id } = await newCustomer('withdraw');
    const { offer } = await (await post('/offers', mortgage(id, 3.1))).json();
    expect((await post('/offers/check', mortgage(id, 3.5))).status).toBe(200);
    expect((await (await post('/offers/check', mortgage(id, 3.5))).json()).decision).toBe('block');
    await patch(`/offers/${offer.id}`, { status: 'withdrawn', actor: 'ann@bank', reason: 'rate changed' });
    expect((await (await post('/offers/check', mortgage(id, 3.5))).json()).decision).toBe('allow');
  });
});

describe('offers and identity merges', () => {
  it("moves a merged-away customer's offers to the survivor, so the conflict is still caught", async () => {
    const email = uniqueEmail('merge-offers');
    const phone = `+4917${Math.floor(1e7 + Math.random() * 8e7)}`;
    const older = (await deliver('generic', purchase({ email }, 1000, daysAgo(60)))).body.customerId;
    const newer = (await deliver('generic', purchase({ phone }, 500, daysAgo(50)))).body.customerId;
    const { offer } = await (await post('/offers', mortgage(newer, 3.1))).json();

    const linking = await deliver('generic', genericTouchpoint('inquiry', { email, phone }, { topic: 'mortgage' }));
    expect(linking.body.merged).toHaveLength(1);

    const blocked = await (await post('/offers/check', mortgage(older, 3.6))).json();
    expect(blocked.decision).toBe('block');
    expect(JSON.stringify(blocked.findings)).toContain(offer.id);
    expect((await (await api(`/offers/${offer.id}`)).json()).offer.customerId).toBe(older);
    expect((await (await api(`/customers/${newer}/offers`)).json()).items.map((o: any) => o.id)).toEqual([offer.id]);
  });
});

describe('offers under concurrency (conditional transactions, not read-then-write)', () => {
  for (let round = 1; round <= 3; round++) {
    it(`round ${round}: of 20 parallel conflicting mortgage offers from different teams exactly one is registered`, async () => {
      const { id } = await newCustomer(`race-${round}`);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => post('/offers', mortgage(id, 3 + i / 100, { team: `team-${i}` }))),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      const losers = await Promise.all(results.filter((r) => r.status === 409).map((r) => r.json()));
      expect(losers.every((b) => b.findings.some((f: any) => f.rule === 'conflicting-terms'))).toBe(true);
      const stored = await offerItems(id);
      expect(stored).toHaveLength(1);
    });
  }

  it('contact-fatigue holds under 20 parallel non-conflicting offers: exactly the per-channel limit (2) get through', async () => {
    const { id } = await newCustomer('fatigue');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post('/offers', { customerId: id, kind: 'offer', productId: `product-${i}`, channel: 'branch' }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(2);
    expect(statuses.filter((s) => s === 409)).toHaveLength(18);
    expect(await offerItems(id)).toHaveLength(2);
  });
});
