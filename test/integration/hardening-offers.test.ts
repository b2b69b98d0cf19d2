import { jest } from '@jest/globals';
import { api } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';
import { daysAgo, mortgage, postJson } from '../helpers/offers.js';

jest.setTimeout(120_000);

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function newCustomer(tag: string, purchases = 1): Promise<string> {
  const email = uniqueEmail(tag);
  let id = '';
  for (let i = 0; i < purchases; i++) {
    const res = await deliver('generic', purchase({ email }, 1_000 + i, daysAgo(40 + i), 'books'));
    expect(res.status).toBe(201);
    id = res.body.customerId;
  }
  return id;
}

const post = postJson;

async function expectBadCursor(path: string) {
  const res = await api(path);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining('cursor is not valid') });
}

describe('hardening: offers inputs are bounded', () => {
  it('answers a 500 KB team with 422 naming body.team, and stores nothing', async () => {
    const id = await newCustomer('bounds');
    for (const path of ['/offers', '/offers/check']) {
      const res = await post(path, mortgage(id, 3.1, { team: 'x'.repeat(500_000) }));
      expect(res.status).toBe(422);
      const body = await res.json();
      expect(body.issues.map((i: { path: string }) => i.path)).toEqual(['body.team']);
      expect(JSON.stringify(body).length).toBeLessThan(2_000);
    }
    expect((await (await api(`/customers/${id}/offers`)).json()).items).toHaveLength(0);
  });

  it('answers oversized terms and a status change with an oversized reason with 422 naming the field', async () => {
    const id = await newCustomer('terms');
    const terms = await post('/offers/check', mortgage(id, 3.1, { terms: { amount: 1e13, note: 'n'.repeat(201) } }));
    expect(terms.status).toBe(422);
    expect((await terms.json()).issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.terms.amount', 'body.terms.note']);

    const created = await post('/offers', mortgage(id, 3.1));
    expect(created.status).toBe(201);
    const { offer } = await created.json();
    const patch = await api(`/offers/${offer.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'accepted', actor: 'shop', reason: 'r'.repeat(2_001) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(patch.status).toBe(422);
    expect((await patch.json()).issues.map((i: { path: string }) => i.path)).toEqual(['body.reason']);
  });
});

describe('hardening: an override naming a rule that cannot be overridden', () => {
  it('answers 422 naming the rule instead of silently leaving the block', async () => {
    const id = await newCustomer('override');
    expect((await post('/offers', mortgage(id, 3.1))).status).toBe(201);
    const override = { actor: 'carol@bank', reason: 'agreed with the branch', rules: ['conflicting-terms'] };

    for (const path of ['/offers', '/offers/check']) {
      const res = await post(path, mortgage(id, 2.9, { team: 'call-center', override }));
      expect(res.status).toBe(422);
      const body = await res.json();
      expect(body.message).toContain('conflicting-terms');
      expect(body.issues).toEqual([{ path: 'body.override.rules.0', message: expect.stringContaining('conflicting-terms') }]);
    }
    // Without naming rules, the block is still a 409 with its findings (as documented).
    const plain = await post('/offers', mortgage(id, 2.9, { team: 'call-center', override: { actor: 'carol@bank', reason: 'r' } }));
    expect(plain.status).toBe(409);
    expect((await (await api(`/customers/${id}/offers`)).json()).items).toHaveLength(1);
  });
});

describe('hardening: cursors are signed and cannot be forged', () => {
  it('refuses crafted touchpoint cursors (sort key PROFILE, ZZZ or empty) with 400, never 500', async () => {
    const id = await newCustomer('tp-forged', 3);
    for (const sk of ['PROFILE', 'ZZZ', '']) {
      await expectBadCursor(`/customers/${id}/touchpoints?limit=1&cursor=${b64({ pk: `CUST#${id}`, sk })}`);
    }
    await expectBadCursor(`/customers/${id}/touchpoints?limit=1&cursor=bnVsbA`);
    await expectBadCursor(`/customers/${id}/touchpoints?limit=1&cursor=${b64({ pk: `CUST#${id}`, sk: 'TP#ZZZ' })}.AAAAAAAAAAAAAAAAAAAAAA`);
  });

  it('refuses a real cursor of another customer and one with an altered payload', async () => {
    const a = await newCustomer('tp-a', 3);
    const b = await newCustomer('tp-b', 1);
    const page = await (await api(`/customers/${a}/touchpoints?limit=1`)).json();
    expect(page.nextCursor).toEqual(expect.any(String));
    await expectBadCursor(`/customers/${b}/touchpoints?limit=1&cursor=${page.nextCursor}`);
    const [, sig] = String(page.nextCursor).split('.');
    await expectBadCursor(`/customers/${a}/touchpoints?limit=1&cursor=${b64({ pk: `CUST#${a}`, sk: 'PROFILE' })}.${sig}`);
  });

  it('still pages a customer history with the cursors it issues', async () => {
    const id = await newCustomer('tp-real', 3);
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await api(`/customers/${id}/touchpoints?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = await res.json();
      seen.push(...page.items.map((t: { data: { totalMinor: number } }) => t.data.totalMinor));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([1_000, 1_001, 1_002]);
  });

  it('refuses crafted flags cursors (bnVsbA, a forged key) with 400, never 500', async () => {
    await expectBadCursor('/flags?cursor=bnVsbA');
    const forged = { 'churn-risk': { pk: 'CUST#x', sk: 'PROFILE', gsi1pk: 'FLAGS#run#churn-risk', gsi1sk: 'ZZZ' } };
    await expectBadCursor(`/flags?cursor=${b64(forged)}`);
    await expectBadCursor(`/flags?cursor=${b64(forged)}.AAAAAAAAAAAAAAAAAAAAAA`);
    await expectBadCursor(`/flags?type=churn-risk&cursor=${b64({ 'churn-risk': 'nope' })}`);
  });
});
