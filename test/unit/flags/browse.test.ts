import { browseCustomers, type BrowseDeps } from '../../../layers/core/src/flags/browse.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../../layers/core/src/errors.js';
import type { CustomerMiningItem } from '../../../layers/core/src/store/mining-store.js';

const RUN = '01JR5N0000000000000000000A';
const item = (customerId: string, clvMinor: number, extra: Partial<CustomerMiningItem> = {}): CustomerMiningItem => ({
  customerId,
  runId: RUN,
  segment: 'Champions',
  clvMinor,
  pAlive: 0.9,
  expectedPurchases: 1,
  churnRisk: 0.1,
  scoredAt: '2026-11-30T00:00:00.000Z',
  ...extra,
});

function deps(opts: { latest?: string; items?: CustomerMiningItem[]; profiles?: Record<string, object> } = {}) {
  const calls: unknown[] = [];
  const d = {
    runs: {
      latestRuns: async () => (opts.latest ? { runId: opts.latest, completedAt: '2026-11-30T01:00:00.000Z' } : {}),
      getRun: async () => ({ summary: { segments: [{ name: 'Champions' }, { name: 'At Risk' }] } }),
      customersByValue: async (args: unknown) => {
        calls.push(args);
        return { items: opts.items ?? [], next: { clvMinor: 5, customerId: 'c9' } };
      },
    },
    store: {
      getProfiles: async (ids: string[]) =>
        new Map(ids.flatMap((id) => (opts.profiles?.[id] ? [[id, { customerId: id, ...opts.profiles[id] }]] : []))),
    },
  } as unknown as BrowseDeps;
  return { d, calls };
}

const base = { order: 'desc' as const, limit: 50 };

describe('browseCustomers', () => {
  it('answers 404 before any completed run, and a malformed cursor is a 400 even then', async () => {
    await expect(browseCustomers(deps().d, base)).rejects.toBeInstanceOf(NotFoundError);
    await expect(browseCustomers(deps().d, { ...base, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(BadRequestError);
    const wrongShape = Buffer.from(JSON.stringify({ r: RUN, c: 1.5, id: 'c1' })).toString('base64url');
    await expect(browseCustomers(deps({ latest: RUN }).d, { ...base, cursor: wrongShape })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('refuses a cursor of another run with 409 (the run changed under it)', async () => {
    const other = Buffer.from(
      JSON.stringify({ r: '01JQ7HER000000000000000000', c: 1, id: 'c1', q: JSON.stringify([null, null, null, null, 'desc']) }),
    ).toString('base64url');
    await expect(browseCustomers(deps({ latest: RUN }).d, { ...base, cursor: other })).rejects.toBeInstanceOf(ConflictError);
  });

  it('names each item from its profile, leaves out erased and merged customers, and pages with the run in the cursor', async () => {
    const { d, calls } = deps({
      latest: RUN,
      items: [
        item('c1', 900, { flagTypes: ['churn-risk'], valueTier: 'most-valuable', lifecycle: 'loyal', churnProbability: 0.2 }),
        item('c2', 800),
        item('c3', 700),
        item('c4', 600),
      ],
      profiles: {
        c1: { firstName: 'Ann', lastName: 'Lee', emails: new Set(['ann@example.com']) },
        c2: { mergedInto: 'c1' },
        c3: { erasedAt: '2026-11-30T00:00:00.000Z' },
        c4: {},
      },
    });
    const query = { ...base, segment: 'champions', flagType: 'churn-risk' as const, order: 'asc' as const };
    const page = await browseCustomers(d, query);
    expect(calls[0]).toMatchObject({ runId: RUN, filter: { segment: 'Champions', flagType: 'churn-risk' }, ascending: true, limit: 50 });
    expect(page.items).toEqual([
      {
        customerId: 'c1',
        firstName: 'Ann',
        lastName: 'Lee',
        segment: 'Champions',
        valueTier: 'most-valuable',
        lifecycle: 'loyal',
        clvMinor: 900,
        pAlive: 0.9,
        churnProbability: 0.2,
        flagTypes: ['churn-risk'],
      },
      {
        customerId: 'c4',
        firstName: null,
        lastName: null,
        segment: 'Champions',
        valueTier: null,
        lifecycle: null,
        clvMinor: 600,
        pAlive: 0.9,
        churnProbability: null,
        flagTypes: [],
      },
    ]);
    expect(JSON.parse(Buffer.from(page.nextCursor!, 'base64url').toString())).toMatchObject({ r: RUN, c: 5, id: 'c9' });
    await browseCustomers(d, { ...query, cursor: page.nextCursor! });
    expect(calls[1]).toMatchObject({ after: { clvMinor: 5, customerId: 'c9' } });
    // A position in this list means nothing in another: other order or filters refuse the cursor.
    await expect(browseCustomers(d, { ...query, order: 'desc', cursor: page.nextCursor! })).rejects.toThrow(/another list/);
    await expect(browseCustomers(d, { ...query, flagType: 'up-sell', cursor: page.nextCursor! })).rejects.toThrow(/another list/);
    // The segment is matched in any case, so its spelling does not change the list.
    await browseCustomers(d, { ...query, segment: ' CHAMPIONS ', cursor: page.nextCursor! });
  });
});
