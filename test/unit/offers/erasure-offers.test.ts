import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { anonymousFacts } from '../../../layers/core/src/offers/facts.js';
import { DEFAULT_RULES, evaluateOffer } from '../../../layers/core/src/offers/index.js';
import { OfferStore, type StoredOffer } from '../../../layers/core/src/store/offer-store.js';
import { daysAgo, facts, NOW, offer } from './fixtures.js';

type Sent = { command: string; input: any };

/** Records every request; answers through `reply` (default: an empty answer). */
function fakeDoc(reply: (s: Sent) => unknown = () => ({})) {
  const sent: Sent[] = [];
  const doc = {
    send: async (cmd: { constructor: { name: string }; input: unknown }) => {
      const s = { command: cmd.constructor.name, input: cmd.input };
      sent.push(s);
      const out = reply(s);
      if (out instanceof Error) throw out;
      return out;
    },
  } as unknown as DynamoDBDocumentClient;
  return { doc, sent };
}

const stored = (over: Partial<StoredOffer> = {}): StoredOffer =>
  ({
    id: 'o1',
    customerId: 'c1',
    kind: 'offer',
    channel: 'email',
    status: 'active',
    createdAt: '2026-11-23T12:00:00.000Z',
    updatedAt: '2026-11-23T12:00:00.000Z',
    ...over,
  }) as StoredOffer;

function cancelled(reasons: string[]) {
  return Object.assign(new Error('cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: reasons.map((Code) => ({ Code })),
  });
}

describe('findings that are stored name no one', () => {
  it('words every finding without the first name once the facts are anonymous, and finds the same otherwise', () => {
    const named = facts({
      name: 'Ottilie',
      openTickets: ['t1'],
      lastComplaintAt: daysAgo(2),
      consent: { email: { granted: false, at: daysAgo(3), source: 'unsubscribe link' }, sms: null, phone: null },
      lastSeen: daysAgo(400),
      profileUpdatedAt: daysAgo(400),
    });
    const request = offer({ kind: 'upsell', channel: 'email' });
    const withName = evaluateOffer(request, named, [], DEFAULT_RULES, NOW);
    const without = evaluateOffer(request, anonymousFacts(named), [], DEFAULT_RULES, NOW);

    expect(withName.findings.length).toBeGreaterThan(2);
    expect(JSON.stringify(withName.findings)).toContain('Ottilie');
    expect(JSON.stringify(without)).not.toContain('Ottilie');
    expect(without.findings.map((f) => f.message).join(' ')).toMatch(/[Tt]he customer/);
    const strip = (e: typeof withName) => ({ ...e, findings: e.findings.map(({ message: _m, ...f }) => f) });
    expect(strip(without)).toEqual(strip(withName));
  });

  it('leaves the facts it is given untouched', () => {
    const named = facts({ name: 'Ottilie' });
    expect(anonymousFacts(named)).not.toHaveProperty('name');
    expect(named.name).toBe('Ottilie');
  });
});

describe('the offer store and erasure', () => {
  it("registers only while the customer's profile is live, and keeps the Idempotency-Key hash on the offer item", async () => {
    const { doc, sent } = fakeDoc();
    const record = { requestHash: 'r', offerId: 'o1', status: 201, body: {} };
    const outcome = await new OfferStore(doc, 't').register({
      offer: stored(),
      expectedVersion: 0,
      audit: [],
      idempotency: { keyHash: 'k1', record },
    });
    expect(outcome).toBe('stored');
    const items = sent[0]!.input.TransactItems;
    expect(items[1]).toEqual({
      ConditionCheck: {
        TableName: 't',
        Key: { pk: 'CUST#c1', sk: 'PROFILE' },
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(mergedInto) AND attribute_not_exists(erasedAt)',
      },
    });
    expect(items[2].Put.Item).toMatchObject({ pk: 'CUST#c1', sk: 'OFFER#o1', idempotencyKeyHash: 'k1' });
    expect(items.at(-1).Put.Item).toMatchObject({ pk: 'IDEMPOTENCY#k1', sk: 'OFFER' });
  });

  it('answers stale when the profile is gone, merged or being erased, so the check runs again', async () => {
    const { doc } = fakeDoc(() => cancelled(['None', 'ConditionalCheckFailed', 'None', 'None']));
    expect(await new OfferStore(doc, 't').register({ offer: stored(), expectedVersion: 3, audit: [] })).toBe('stale');
  });

  it('never shows the Idempotency-Key hash as part of an offer', async () => {
    const item = { pk: 'CUST#c1', sk: 'OFFER#o1', ...stored(), idempotencyKeyHash: 'k1' };
    const { doc } = fakeDoc((s) => (s.command === 'GetCommand' ? { Item: item } : { Items: [item] }));
    const store = new OfferStore(doc, 't');
    expect(await store.getOffer('c1', 'o1')).toEqual(stored());
    expect(await store.customerOffers('c1')).toEqual([stored()]);
    expect((await store.snapshot('c1')).offers).toEqual([stored()]);
  });

  it('reads a profile being erased as no profile, so a check answers as for an unknown customer', async () => {
    const { doc } = fakeDoc(() => ({ Items: [{ pk: 'CUST#c1', sk: 'PROFILE', customerId: 'c1', erasedAt: '2026-11-23T12:00:00Z' }] }));
    expect((await new OfferStore(doc, 't').snapshot('c1')).profile).toBeUndefined();
  });

  it("deletes the erased offers' pointers, audit trails and Idempotency-Key records", async () => {
    const { doc, sent } = fakeDoc((s) =>
      s.command === 'QueryCommand'
        ? {
            Items: [
              { pk: s.input.ExpressionAttributeValues[':pk'], sk: 'OFFER' },
              { pk: s.input.ExpressionAttributeValues[':pk'], sk: 'AUDIT#2026-11-23T12:00:00.000Z#01A' },
            ],
          }
        : {},
    );
    const offers = [
      { pk: 'CUST#c1', sk: 'OFFER#o1', ...stored(), idempotencyKeyHash: 'k1' },
      { pk: 'CUST#c1', sk: 'OFFER#o2', ...stored({ id: 'o2' }) },
    ];
    expect(await new OfferStore(doc, 't').eraseOfferRecords(offers)).toBe(5);
    const queries = sent.filter((s) => s.command === 'QueryCommand');
    expect(queries.map((q) => [q.input.ExpressionAttributeValues[':pk'], q.input.ConsistentRead])).toEqual([
      ['OFFER#o1', true],
      ['OFFER#o2', true],
    ]);
    const deletes = sent.filter((s) => s.command === 'BatchWriteCommand').flatMap((s) => s.input.RequestItems.t);
    expect(deletes.map((d: any) => `${d.DeleteRequest.Key.pk} ${d.DeleteRequest.Key.sk}`)).toEqual([
      'OFFER#o1 OFFER',
      'OFFER#o1 AUDIT#2026-11-23T12:00:00.000Z#01A',
      'IDEMPOTENCY#k1 OFFER',
      'OFFER#o2 OFFER',
      'OFFER#o2 AUDIT#2026-11-23T12:00:00.000Z#01A',
    ]);
  });
});
