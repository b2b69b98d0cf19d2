import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CustomerStore, OfferStore } from '@patron/core';

/** Records every request and answers a Query with the loser's offers. */
function fakeDoc(offers: Record<string, unknown>[]) {
  const sent: { command: string; input: unknown }[] = [];
  const doc = {
    send: async (cmd: { constructor: { name: string }; input: unknown }) => {
      sent.push({ command: cmd.constructor.name, input: cmd.input });
      return cmd.constructor.name === 'QueryCommand' ? { Items: offers } : {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { doc, sent };
}

const offer = (id: string) => ({ pk: 'CUST#loser', sk: `OFFER#${id}`, id, customerId: 'loser', status: 'active' });
const bump = (id: string) => ({
  command: 'UpdateCommand',
  input: {
    TableName: 't',
    Key: { pk: `CUST#${id}`, sk: 'OFFERS' },
    UpdateExpression: 'ADD #v :one',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':one': 1 },
  },
});

describe("a merge moves the loser's offers through the offer store", () => {
  it("bumps the loser's ledger, moves offers and pointers, deletes the originals, then bumps the survivor's ledger", async () => {
    const { doc, sent } = fakeDoc([offer('o1'), offer('o2')]);
    expect(await new OfferStore(doc, 't').moveOffers('loser', 'survivor')).toBe(2);
    expect(sent).toEqual([
      bump('loser'),
      {
        command: 'QueryCommand',
        input: expect.objectContaining({
          TableName: 't',
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': 'CUST#loser', ':p': 'OFFER#' },
          ConsistentRead: true,
        }),
      },
      {
        command: 'BatchWriteCommand',
        input: {
          RequestItems: {
            t: [
              { PutRequest: { Item: { ...offer('o1'), pk: 'CUST#survivor', customerId: 'survivor' } } },
              { PutRequest: { Item: { ...offer('o2'), pk: 'CUST#survivor', customerId: 'survivor' } } },
              { PutRequest: { Item: { pk: 'OFFER#o1', sk: 'OFFER', customerId: 'survivor' } } },
              { PutRequest: { Item: { pk: 'OFFER#o2', sk: 'OFFER', customerId: 'survivor' } } },
            ],
          },
        },
      },
      {
        command: 'BatchWriteCommand',
        input: {
          RequestItems: {
            t: [
              { DeleteRequest: { Key: { pk: 'CUST#loser', sk: 'OFFER#o1' } } },
              { DeleteRequest: { Key: { pk: 'CUST#loser', sk: 'OFFER#o2' } } },
            ],
          },
        },
      },
      bump('survivor'),
    ]);
  });

  it("with no offers only the loser's ledger moves on", async () => {
    const { doc, sent } = fakeDoc([]);
    expect(await new OfferStore(doc, 't').moveOffers('loser', 'survivor')).toBe(0);
    expect(sent.map((s) => s.command)).toEqual(['UpdateCommand', 'QueryCommand']);
    expect(sent[0]).toEqual(bump('loser'));
  });

  it('CustomerStore, which identity/merge.ts drives, hands the step to the offer store', async () => {
    const { doc, sent } = fakeDoc([offer('o1')]);
    expect(await new CustomerStore(doc, 't', new OfferStore(doc, 't')).moveOffers('loser', 'survivor')).toBe(1);
    expect(sent.map((s) => s.command)).toEqual([
      'UpdateCommand',
      'QueryCommand',
      'BatchWriteCommand',
      'BatchWriteCommand',
      'UpdateCommand',
    ]);

    const calls: string[][] = [];
    const injected = new CustomerStore(doc, 't', {
      moveOffers: async (from, to) => {
        calls.push([from, to]);
        return 7;
      },
      eraseOfferRecords: async () => 0,
    });
    expect(await injected.moveOffers('a', 'b')).toBe(7);
    expect(calls).toEqual([['a', 'b']]);
  });
});
