import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { jest } from '@jest/globals';
import { assignmentSk, customerPk } from '../../layers/core/src/store/keys.js';
import { DEV_READ_ONLY_API_KEY } from '../../local/dev-config.js';
import { daysAgo, mortgage, postJson } from '../helpers/offers.js';
import { api, documentClient, stackInfo } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';

jest.setTimeout(180_000);

const post = postJson;
const patch = (path: string, body: unknown) =>
  api(path, { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

async function newCustomer(tag: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(tag);
  const res = await deliver('generic', purchase({ email }, 4_200, daysAgo(40), 'books'));
  expect(res.status).toBe(201);
  return { id: res.body.customerId, email };
}

async function newCampaign(over: Record<string, unknown> = {}) {
  const res = await post('/campaigns', { name: 'Winback', channel: 'branch', startsAt: '2026-01-01', ...over });
  expect(res.status).toBe(201);
  return (await res.json()).campaign as { id: string; holdoutPercent: number; status: string; name: string };
}

describe('campaigns API', () => {
  it('creates, gets and lists campaigns (newest first, paged)', async () => {
    const a = await newCampaign({ name: 'First', holdoutPercent: 20, flagType: 'churn-risk', valueTier: 'potential' });
    expect(a).toMatchObject({ id: expect.any(String), name: 'First', holdoutPercent: 20, attributionDays: 30, status: 'active' });
    expect(a).toHaveProperty('createdAt');
    const b = await newCampaign({ name: 'Second' });
    expect(b.holdoutPercent).toBe(10);

    const got = await api(`/campaigns/${a.id}`);
    expect(got.status).toBe(200);
    expect((await got.json()).campaign).toEqual(a);

    const first = await api('/campaigns?limit=1');
    expect(first.status).toBe(200);
    const page = await first.json();
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).toEqual(expect.any(String));
    const all = await (await api('/campaigns?limit=200')).json();
    const ids = all.items.map((c: { id: string }) => c.id);
    expect(ids.indexOf(b.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    const next = await api(`/campaigns?limit=1&cursor=${encodeURIComponent(page.nextCursor)}`);
    expect(next.status).toBe(200);
    expect((await next.json()).items[0].id).not.toBe(page.items[0].id);
    expect((await api('/campaigns?cursor=forged.cursor')).status).toBe(400);
  });

  it('refuses invalid bodies with the field (422)', async () => {
    const res = await post('/campaigns', { name: 'Too much', channel: 'email', startsAt: '2026-01-01', holdoutPercent: 51 });
    expect(res.status).toBe(422);
    expect((await res.json()).issues.map((i: { path: string }) => i.path)).toEqual(['body.holdoutPercent']);
  });

  it('answers 404 for an unknown campaign', async () => {
    const { id } = await newCustomer('camp-404');
    expect((await api('/campaigns/01UNKNOWNCAMPAIGN')).status).toBe(404);
    expect((await post('/campaigns/01UNKNOWNCAMPAIGN/assignments', { customerId: id })).status).toBe(404);
    expect((await post('/campaigns/01UNKNOWNCAMPAIGN/assignments/batch', { customerIds: [id] })).status).toBe(404);
    expect((await patch('/campaigns/01UNKNOWNCAMPAIGN', { status: 'ended' })).status).toBe(404);
  });

  it('assigns once and keeps the assignment (by id or email), 404 for an unknown customer', async () => {
    const campaign = await newCampaign({ holdoutPercent: 50 });
    const { id, email } = await newCustomer('camp-assign');
    const first = await post(`/campaigns/${campaign.id}/assignments`, { customerId: id });
    expect(first.status).toBe(200);
    const assignment = await first.json();
    expect(assignment).toEqual({
      campaignId: campaign.id,
      customerId: id,
      group: expect.stringMatching(/^(treatment|control)$/),
      assignedAt: expect.any(String),
    });
    const again = await post(`/campaigns/${campaign.id}/assignments`, { customerId: id });
    expect(await again.json()).toEqual(assignment);
    const byEmail = await post(`/campaigns/${campaign.id}/assignments`, { email });
    expect(await byEmail.json()).toEqual(assignment);
    expect((await post(`/campaigns/${campaign.id}/assignments`, { customerId: 'no-such-customer' })).status).toBe(404);
    const stored = await documentClient().send(
      new GetCommand({
        TableName: stackInfo().tableName,
        Key: { pk: customerPk(id), sk: assignmentSk(campaign.id) },
        ConsistentRead: true,
      }),
    );
    expect(stored.Item).toMatchObject({ group: assignment.group, assignedAt: assignment.assignedAt });
  });

  it('assigns a batch, listing the unknown ids', async () => {
    const campaign = await newCampaign({ holdoutPercent: 50 });
    const customers = await Promise.all(['b1', 'b2', 'b3'].map((t) => newCustomer(`camp-batch-${t}`)));
    const single = await (await post(`/campaigns/${campaign.id}/assignments`, { customerId: customers[0]!.id })).json();
    const res = await post(`/campaigns/${campaign.id}/assignments/batch`, {
      customerIds: [...customers.map((c) => c.id), 'nobody-1', customers[1]!.id],
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.unknown).toEqual(['nobody-1']);
    expect(body.assignments.map((a: { customerId: string }) => a.customerId).sort()).toEqual(customers.map((c) => c.id).sort());
    expect(body.assignments.find((a: { customerId: string }) => a.customerId === customers[0]!.id)).toEqual(single);
    expect((await post(`/campaigns/${campaign.id}/assignments/batch`, { customerIds: Array(501).fill('x') })).status).toBe(422);
  });

  it('gives 20 concurrent assignments of one customer one group and one assignedAt', async () => {
    const campaign = await newCampaign({ holdoutPercent: 50 });
    const { id } = await newCustomer('camp-race');
    const results = await Promise.all(Array.from({ length: 20 }, () => post(`/campaigns/${campaign.id}/assignments`, { customerId: id })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(results.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
  });

  it('blocks an offer under the campaign to a control customer (holdout), allows treatment, assigns on registration', async () => {
    const campaign = await newCampaign({ name: 'Holdout test', holdoutPercent: 50 });
    const groups: Record<string, string[]> = { control: [], treatment: [] };
    for (let i = 0; i < 40 && (groups.control!.length < 1 || groups.treatment!.length < 1); i++) {
      const { id } = await newCustomer(`camp-holdout-${i}`);
      const a = await (await post(`/campaigns/${campaign.id}/assignments`, { customerId: id })).json();
      groups[a.group]!.push(id);
    }
    const [held] = groups.control!;
    const [treated] = groups.treatment!;
    expect(held && treated).toBeTruthy();

    const blocked = await post('/offers', mortgage(held!, 3.1, { campaignId: campaign.id }));
    expect(blocked.status).toBe(409);
    const body = await blocked.json();
    expect(body).toMatchObject({ error: 'offer_blocked', decision: 'block' });
    const finding = body.findings.find((f: { rule: string }) => f.rule === 'holdout');
    expect(finding.message).toContain('Holdout test');
    expect(finding.evidence).toMatchObject({ campaignId: campaign.id, group: 'control' });

    // Not overridable: naming the rule is a 422; a general override leaves the block.
    const named = await post(
      '/offers',
      mortgage(held!, 3.1, { campaignId: campaign.id, override: { actor: 'c', reason: 'r', rules: ['holdout'] } }),
    );
    expect(named.status).toBe(422);
    expect((await post('/offers', mortgage(held!, 3.1, { campaignId: campaign.id, override: { actor: 'c', reason: 'r' } }))).status).toBe(
      409,
    );

    // Without the campaign, the same offer passes; the treatment customer gets it under the campaign.
    expect((await post('/offers/check', mortgage(held!, 3.1))).status).toBe(200);
    expect((await post('/offers', mortgage(treated!, 3.1, { campaignId: campaign.id }))).status).toBe(201);

    // A customer never assigned is assigned by the registration, and the rule applies to the result.
    const { id: fresh } = await newCustomer('camp-holdout-fresh');
    const registered = await post('/offers', mortgage(fresh, 3.1, { campaignId: campaign.id }));
    const assignment = await (await post(`/campaigns/${campaign.id}/assignments`, { customerId: fresh })).json();
    expect(registered.status).toBe(assignment.group === 'control' ? 409 : 201);
  });

  it('ends a campaign: no assignment after (409), ending twice is a 409', async () => {
    const campaign = await newCampaign();
    const { id } = await newCustomer('camp-end');
    const ended = await patch(`/campaigns/${campaign.id}`, { status: 'ended' });
    expect(ended.status).toBe(200);
    const body = (await ended.json()).campaign;
    expect(body).toMatchObject({ id: campaign.id, status: 'ended', endsAt: expect.any(String) });
    expect((await api(`/campaigns/${campaign.id}`).then((r) => r.json())).campaign.status).toBe('ended');
    expect((await post(`/campaigns/${campaign.id}/assignments`, { customerId: id })).status).toBe(409);
    expect((await post(`/campaigns/${campaign.id}/assignments/batch`, { customerIds: [id] })).status).toBe(409);
    expect((await patch(`/campaigns/${campaign.id}`, { status: 'ended' })).status).toBe(409);
    expect((await patch(`/campaigns/${campaign.id}`, { status: 'active' })).status).toBe(422);
  });

  it('keeps the end of a campaign that ended by its own date (409), and never ends one before its start', async () => {
    const past = await newCampaign({ startsAt: '2020-01-01', endsAt: '2020-01-31' });
    expect(past.status).toBe('ended');
    expect((await patch(`/campaigns/${past.id}`, { status: 'ended' })).status).toBe(409);
    expect((await (await api(`/campaigns/${past.id}`)).json()).campaign.endsAt).toBe('2020-01-31');
    const future = await newCampaign({ startsAt: '2099-06-01' });
    const ended = (await (await patch(`/campaigns/${future.id}`, { status: 'ended' })).json()).campaign;
    expect(ended.endsAt).toBe('2099-06-01T00:00:00.000Z');
  });

  it('reads a campaign id in any letter case (ULIDs are case-insensitive), so a lower-case id cannot slip past the holdout', async () => {
    const campaign = await newCampaign({ name: 'Case test', holdoutPercent: 50 });
    expect((await api(`/campaigns/${campaign.id.toLowerCase()}`)).status).toBe(200);
    let held: string | undefined;
    for (let i = 0; i < 40 && !held; i++) {
      const { id } = await newCustomer(`camp-case-${i}`);
      const a = await (await post(`/campaigns/${campaign.id.toLowerCase()}/assignments`, { customerId: id })).json();
      if (a.group === 'control') held = id;
    }
    expect(held).toBeDefined();
    const blocked = await post('/offers', mortgage(held!, 3.1, { campaignId: campaign.id.toLowerCase() }));
    expect(blocked.status).toBe(409);
    expect((await blocked.json()).findings.map((f: { rule: string }) => f.rule)).toContain('holdout');
  });

  it('erasure removes the assignment, and an erased customer is not assigned (404)', async () => {
    const campaign = await newCampaign();
    const { id } = await newCustomer('camp-erase');
    expect((await post(`/campaigns/${campaign.id}/assignments`, { customerId: id })).status).toBe(200);
    expect((await api(`/customers/${id}`, { method: 'DELETE' })).status).toBe(200);
    const stored = await documentClient().send(
      new GetCommand({
        TableName: stackInfo().tableName,
        Key: { pk: customerPk(id), sk: assignmentSk(campaign.id) },
        ConsistentRead: true,
      }),
    );
    expect(stored.Item).toBeUndefined();
    expect((await post(`/campaigns/${campaign.id}/assignments`, { customerId: id })).status).toBe(404);
  });

  it('refuses writes with a read-only key (403) and lets it read', async () => {
    const campaign = await newCampaign();
    const headers = { 'x-api-key': DEV_READ_ONLY_API_KEY, 'content-type': 'application/json' };
    const create = await api('/campaigns', {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'x', channel: 'email', startsAt: '2026-01-01' }),
    });
    expect(create.status).toBe(403);
    const assign = await api(`/campaigns/${campaign.id}/assignments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ customerId: 'c' }),
    });
    expect(assign.status).toBe(403);
    expect((await api(`/campaigns/${campaign.id}`, { headers })).status).toBe(200);
  });
});
