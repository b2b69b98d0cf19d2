import { createPiiHasher } from '../../../layers/core/src/identity/pii-hasher.js';
import { listFlags, type FlagDeps } from '../../../layers/core/src/flags/flag-service.js';
import { flagsIndexSk } from '../../../layers/core/src/store/keys.js';
import type { FlagItem } from '../../../layers/core/src/store/mining-store.js';

/** An in-memory index with DynamoDB's semantics: descending sort key, exclusive start key. */
function fakeRuns(flags: FlagItem[]): FlagDeps['runs'] {
  return {
    latestRunId: async () => 'run-1',
    flagsByScore: async ({ type, limit, startKey }: { type: string; limit: number; startKey?: Record<string, unknown> }) => {
      const ordered = flags
        .filter((f) => f.type === type)
        .map((f) => ({ f, sk: flagsIndexSk(f.score, f.expectedValueMinor, f.customerId) }))
        .sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
      const from = startKey ? ordered.findIndex((o) => o.sk === startKey.gsi1sk) + 1 : 0;
      const page = ordered.slice(from, from + limit);
      const more = from + limit < ordered.length;
      return { items: page.map((o) => o.f), lastKey: more ? { gsi1sk: page.at(-1)!.sk } : undefined };
    },
  } as unknown as FlagDeps['runs'];
}

const flag = (type: FlagItem['type'], customerId: string, score: number) =>
  ({
    type,
    customerId,
    score,
    runId: 'run-1',
    reasons: ['r'],
    expectedValueMinor: 0,
    segment: 's',
    createdAt: '',
    expiresAt: 2e9,
  }) as FlagItem;

describe('listFlags paging', () => {
  it('visits every flag exactly once when many share a score', async () => {
    const flags = [
      ...Array.from({ length: 9 }, (_, i) => flag('churn-risk', `c${i}`, 1)),
      ...Array.from({ length: 6 }, (_, i) => flag('cross-sell', `x${i}`, 1)),
      ...Array.from({ length: 5 }, (_, i) => flag('up-sell', `u${i}`, 0.5 + i / 100)),
    ];
    const deps = {
      runs: fakeRuns(flags),
      store: {} as FlagDeps['store'],
      now: () => new Date(0),
      hashPii: createPiiHasher('test-pii-hash-key-0123456789'),
    };
    const seen: string[] = [];
    let cursor: string | undefined;
    let lastScore = Infinity;
    for (let pages = 0; pages < 20; pages++) {
      const page = await listFlags(deps, { limit: 4, cursor });
      for (const f of page.items) {
        expect(f.score).toBeLessThanOrEqual(lastScore);
        lastScore = f.score;
        seen.push(`${f.type}:${f.customerId}`);
      }
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(flags.length);
    expect(new Set(seen).size).toBe(flags.length);
  });
});
