import { eraseCustomer, getCustomer, type CustomerDeps } from '../../../layers/core/src/customers/customer-service.js';
import { NotFoundError } from '../../../layers/core/src/errors.js';
import type { CustomerStore } from '../../../layers/core/src/store/customer-store.js';

type Item = Record<string, unknown>;

/**
 * A customer store in memory, enough for an erasure: it logs each step, and `onRead` (called
 * right after each read of the erased partition) lets a test add items between two reads, as a
 * racing delivery would.
 */
function fakeStore(items: Item[], onRead: (pass: number, items: Item[]) => void = () => {}) {
  const log: string[] = [];
  let passes = 0;
  const profileOf = (id: string) => items.find((i) => i.pk === `CUST#${id}` && i.sk === 'PROFILE');
  const store = {
    getProfiles: async (ids: string[]) => new Map(ids.flatMap((id) => (profileOf(id) ? [[id, profileOf(id)]] : []))),
    getProfile: async (id: string) => profileOf(id),
    tombstoneAliases: async (hashes: Iterable<string>, at: string) => {
      log.push(`tombstone ${[...hashes].join(',')} ${at}`);
      return [...hashes].length;
    },
    markErased: async (id: string, at: string) => {
      const p = profileOf(id);
      if (!p || p.mergedInto) return undefined;
      p.erasedAt ??= at;
      log.push(`mark ${id}`);
      return { ...p };
    },
    partitionItems: async (id: string, _prefix: undefined, opts: { consistent?: boolean }) => {
      if (!opts?.consistent) throw new Error('an erasure reads the partition strongly consistently');
      const found = items.filter((i) => i.pk === `CUST#${id}`).map((i) => ({ ...i }));
      if (id === items.find((i) => i.sk === 'PROFILE' && !i.mergedInto)?.customerId) onRead(passes++, items);
      return found;
    },
    deleteKeys: async (keys: { pk: string; sk: string }[]) => {
      log.push(`delete ${keys.map((k) => `${k.pk}/${k.sk}`).join(' ')}`);
      for (const k of keys) {
        const at = items.findIndex((i) => i.pk === k.pk && i.sk === k.sk);
        if (at >= 0) items.splice(at, 1);
      }
    },
    eraseOfferRecords: async (offers: Item[]) => {
      log.push(`offer records ${offers.map((o) => o.id).join(',')}`);
      return offers.length * 2 + offers.filter((o) => o.idempotencyKeyHash).length;
    },
    putErasureAudit: async (record: Item) => {
      log.push(`audit ${JSON.stringify(record)}`);
    },
  };
  return { store: store as unknown as CustomerStore, log, items };
}

const deps = (store: CustomerStore): CustomerDeps => ({
  store,
  hashPii: () => 'h',
  now: () => new Date('2026-11-30T10:00:00.000Z'),
});

const profile = (id: string, over: Item = {}): Item => ({
  pk: `CUST#${id}`,
  sk: 'PROFILE',
  customerId: id,
  firstName: 'Ottilie',
  aliasHashes: new Set(['a1']),
  typeCounts: {},
  revenue: {},
  refunded: {},
  categoryQuantities: {},
  consent: {},
  ...over,
});
const tp = (id: string, n: number): Item => ({ pk: `CUST#${id}`, sk: `TP#2026-11-30T09:00:0${n}.000Z#generic#e${n}`, customerId: id });

describe('eraseCustomer', () => {
  it("tombstones the aliases, fences the profile, deletes the offers' records and the partition, and the profile last", async () => {
    const { store, log, items } = fakeStore([
      profile('c1', { mergedFrom: ['c0'] }),
      tp('c1', 1),
      { pk: 'CUST#c1', sk: 'OFFER#o1', id: 'o1', customerId: 'c1', idempotencyKeyHash: 'k1' },
      { pk: 'CUST#c1', sk: 'OFFERS', version: 2 },
      profile('c0', { mergedInto: 'c1' }),
    ]);

    const result = await eraseCustomer(deps(store), 'c1');

    expect(result).toEqual({
      customerId: 'c1',
      erasedAt: '2026-11-30T10:00:00.000Z',
      // The partition and its touchpoint's event marker, the merged-away redirect, the offer's
      // records (pointer, audit, key), the last sweep of its trail, the profile.
      itemsDeleted: 3 + 1 + 1 + 3 + 2 + 1,
      aliasesDeleted: 1,
      mergedIdsErased: ['c0'],
    });
    expect(log).toEqual([
      'tombstone a1 2026-11-30T10:00:00.000Z',
      'mark c1',
      'offer records o1',
      `delete CUST#c1/${tp('c1', 1).sk} CUST#c1/OFFER#o1 CUST#c1/OFFERS EVENT#generic#event:e1/EVENT`,
      'delete CUST#c0/PROFILE',
      'offer records o1',
      expect.stringMatching(/^audit /),
      'delete CUST#c1/PROFILE',
    ]);
    expect(log.find((l) => l.startsWith('audit'))).not.toContain('Ottilie');
    expect(items).toEqual([]);
  });

  it('reads the partition again until only the profile is left, so a delivery that landed meanwhile is erased too', async () => {
    const { store, log, items } = fakeStore([profile('c1'), tp('c1', 1)], (pass, all) => {
      // A delivery that resolved the customer before the fence commits between the reads.
      if (pass === 0) all.push(tp('c1', 2));
    });

    const result = await eraseCustomer(deps(store), 'c1');

    expect(log.filter((l) => l.startsWith('delete')).length).toBe(3);
    // Two touchpoints, their two event markers, the profile.
    expect(result.itemsDeleted).toBe(5);
    expect(items).toEqual([]);
  });

  it('also tombstones an alias a racing delivery added to the profile before the fence', async () => {
    const { store, log } = fakeStore([profile('c1')]);
    const spied = store as unknown as { markErased: (id: string, at: string) => Promise<Item | undefined> };
    const mark = spied.markErased;
    spied.markErased = async (id, at) => ({ ...(await mark(id, at)), aliasHashes: new Set(['a1', 'a2']) });

    const result = await eraseCustomer(deps(store), 'c1');

    expect(log.filter((l) => l.startsWith('tombstone'))).toEqual([
      'tombstone a1 2026-11-30T10:00:00.000Z',
      'tombstone a2 2026-11-30T10:00:00.000Z',
    ]);
    expect(result.aliasesDeleted).toBe(2);
  });

  it('hides a customer being erased from reads, and lets a retried erasure finish with the first date', async () => {
    const { store, items } = fakeStore([profile('c1', { erasedAt: '2026-11-29T08:00:00.000Z' }), tp('c1', 1)]);

    await expect(getCustomer(deps(store), 'c1')).rejects.toBeInstanceOf(NotFoundError);
    const result = await eraseCustomer(deps(store), 'c1');

    expect(result.erasedAt).toBe('2026-11-29T08:00:00.000Z');
    expect(items).toEqual([]);
  });

  it('gives up, keeping the fence for a retry, when items keep appearing under the partition', async () => {
    let n = 0;
    const { store, items } = fakeStore([profile('c1'), { pk: 'CUST#c1', sk: 'MINING' }], (_pass, all) => {
      all.push({ pk: 'CUST#c1', sk: `MINING${n++}` });
    });

    await expect(eraseCustomer(deps(store), 'c1')).rejects.toThrow(/did not settle/);
    expect(items.find((i) => i.sk === 'PROFILE')).toMatchObject({ erasedAt: '2026-11-30T10:00:00.000Z' });
  });
});
