import { jest } from '@jest/globals';
import { runView } from '../../../layers/core/src/flags/flag-service.js';
import { miningEngine } from '../../../layers/core/src/mining-job/engine.js';
import { handleMiningMessage, type MiningEngine } from '../../../layers/core/src/mining-job/job.js';
import { MAX_SKIPPED_STORED, plainItem, RUN_STALL_AFTER_MS, type RunRecord } from '../../../layers/core/src/store/mining-store.js';
import { customerItems, fakeJob, healthyCustomers, NOW } from './fake-job-deps.js';

jest.setTimeout(60_000);

const HEALTHY = healthyCustomers(60);
const modelOf = (job: ReturnType<typeof fakeJob>, run: RunRecord) => job.artifacts.get(`runs/${run.runId}/model.json`);

let baseline: { model: string | undefined; scored: string[] };
beforeAll(async () => {
  const job = fakeJob(HEALTHY);
  const run = await job.runToEnd();
  expect(run.phase).toBe('completed');
  baseline = { model: modelOf(job, run), scored: job.mining.map((m) => m.customerId).sort() };
});

async function runWithPoison(poison: ReturnType<typeof customerItems>, engine?: MiningEngine<unknown>) {
  const job = fakeJob([...HEALTHY, ...poison], { engine });
  const run = await job.runToEnd();
  return { job, run };
}

describe('a mining run with one poisoned customer', () => {
  it('completes when the customer’s purchase amount is a BigInt, skipping that customer with a reason and scoring all others', async () => {
    const { job, run } = await runWithPoison(customerItems('poison', [{ amountMinor: 9007199254740991n + 100n }, { amountMinor: 500 }]));
    expect(run.phase).toBe('completed');
    expect(run.skipped).toEqual([{ customerId: 'poison', reason: expect.stringContaining('purchase amount') }]);
    expect(run.skippedCount).toBe(1);
    expect(run.summary?.skippedCount).toBe(1);
    expect(job.mining.map((m) => m.customerId).sort()).toEqual(baseline.scored);
    expect(job.dead).toEqual([]);
  });

  it('leaves a customer with an amount past 2^53 (as the scan reads it) out of the fit: the model is the one fitted without them', async () => {
    const { job, run } = await runWithPoison(customerItems('huge', [{ amountMinor: Number('9007199254741091') }, { amountMinor: 700 }]));
    expect(run.phase).toBe('completed');
    expect(run.skipped?.map((s) => s.customerId)).toEqual(['huge']);
    expect(modelOf(job, run)).toEqual(baseline.model);
    expect(run.summary?.customers).toBe(baseline.scored.length);
  });

  it('skips a customer with NaN and Infinity amounts before the fit sample and keeps the model unchanged', async () => {
    const { job, run } = await runWithPoison([
      ...customerItems('nan', [{ amountMinor: Number.NaN }, { amountMinor: 100 }]),
      ...customerItems('inf', [{ amountMinor: 100 }, { amountMinor: Number.POSITIVE_INFINITY }]),
      ...customerItems('text', [{ amountMinor: 'twelve euros' }]),
    ]);
    expect(run.phase).toBe('completed');
    expect(run.skipped?.map((s) => s.customerId).sort()).toEqual(['inf', 'nan', 'text']);
    expect(run.skipped?.every((s) => s.reason.startsWith('extract: '))).toBe(true);
    expect(modelOf(job, run)).toEqual(baseline.model);
    expect(job.mining.map((m) => m.customerId).sort()).toEqual(baseline.scored);
  });

  it('skips a customer whose history cannot be built (a BigInt quantity, a date that is not one) instead of failing the shard', async () => {
    const badDate = customerItems('baddate', [{ amountMinor: 100 }]).map((item) =>
      item.type ? { ...item, occurredAt: 'yesterday' } : item,
    );
    const { job, run } = await runWithPoison([...customerItems('bigqty', [{ amountMinor: 100, quantity: 3n }]), ...badDate]);
    expect(run.phase).toBe('completed');
    expect([...run.skipped!].sort((a, b) => a.customerId.localeCompare(b.customerId))).toEqual([
      { customerId: 'baddate', reason: expect.stringMatching(/^extract: /) },
      { customerId: 'bigqty', reason: expect.stringMatching(/^extract: .*BigInt/) },
    ]);
    expect(job.dead).toEqual([]);
    expect(run.errors ?? []).toEqual([]);
  });

  it('skips a customer the engine throws on while scoring and scores the rest of the shard', async () => {
    const engine: MiningEngine<unknown> = {
      ...miningEngine,
      score: (histories, model, options) => {
        if (histories.some((h) => h.customerId === 'c007')) throw new Error('cannot score c007');
        return miningEngine.score(histories, model as never, options);
      },
    } as MiningEngine<unknown>;
    const { job, run } = await runWithPoison([], engine);
    expect(run.phase).toBe('completed');
    expect(run.skipped).toEqual([{ customerId: 'c007', reason: 'score: cannot score c007' }]);
    expect(job.mining.map((m) => m.customerId).sort()).toEqual(baseline.scored.filter((id) => id !== 'c007'));
  });

  it('skips a customer whose scores come out NaN instead of failing the write of the whole shard', async () => {
    const engine = {
      ...miningEngine,
      score: (histories, model, options) => {
        const out = miningEngine.score(histories, model as never, options);
        return { ...out, customers: out.customers.map((c) => (c.customerId === 'c011' ? { ...c, clvMinor: Number.NaN } : c)) };
      },
    } as MiningEngine<unknown>;
    const { job, run } = await runWithPoison([], engine);
    expect(run.phase).toBe('completed');
    expect(run.skipped).toEqual([{ customerId: 'c011', reason: 'score: a result is not a finite number' }]);
    expect(job.mining.some((m) => m.customerId === 'c011')).toBe(false);
    expect(job.flags.some((f) => f.customerId === 'c011')).toBe(false);
  });

  it('stores at most 100 skipped customers but counts every one of them', async () => {
    const poison = Array.from({ length: 130 }, (_, i) =>
      customerItems(`p${String(i).padStart(3, '0')}`, [{ amountMinor: Number.NaN }]),
    ).flat();
    const { run } = await runWithPoison(poison);
    expect(run.phase).toBe('completed');
    expect(run.skippedCount).toBe(130);
    expect(run.summary?.skippedCount).toBe(130);
    expect(run.skipped!.length).toBeLessThanOrEqual(MAX_SKIPPED_STORED);
    expect(run.skipped!.length).toBeGreaterThan(0);
  });
});

describe('a mining run that cannot complete', () => {
  it('ends failed at once with the fit phase and its reason when the fit itself throws', async () => {
    const engine = {
      ...miningEngine,
      fit: () => {
        throw new Error('BG/NBD did not converge');
      },
    } as MiningEngine<unknown>;
    const job = fakeJob(HEALTHY, { engine });
    const run = await job.runToEnd();
    expect(run.phase).toBe('failed');
    expect(run.errors).toEqual([{ phase: 'fit', message: expect.stringContaining('BG/NBD did not converge'), at: NOW.toISOString() }]);
    expect(job.failedRuns).toEqual([run.runId]);
  });

  it('fails a run that has made no progress for longer than the stall bound when a message for it still arrives', async () => {
    const job = fakeJob(HEALTHY);
    const stale = new Date(NOW.getTime() - RUN_STALL_AFTER_MS - 60_000).toISOString();
    job.runs.set('01STALE', {
      runId: '01STALE',
      trigger: 'api',
      phase: 'scoring',
      totalShards: 2,
      createdAt: stale,
      updatedAt: stale,
    });
    await handleMiningMessage(job.deps, { kind: 'score', runId: '01STALE', shard: 1 });
    const run = job.runs.get('01STALE')!;
    expect(run.phase).toBe('failed');
    expect(run.errors).toEqual([
      { phase: 'scoring', message: expect.stringMatching(/^stalled: no progress since/), at: NOW.toISOString() },
    ]);
    expect(job.mining).toEqual([]);
  });
});

describe('runView of a run', () => {
  const base: RunRecord = {
    runId: '01RUN',
    trigger: 'api',
    phase: 'scoring',
    totalShards: 2,
    createdAt: '2026-11-28T00:00:00.000Z',
    updatedAt: '2026-11-28T00:00:00.000Z',
  };

  it('reads a run without progress for longer than the stall bound as failed, naming the phase it stalled in', () => {
    const later = new Date(Date.parse(base.updatedAt) + RUN_STALL_AFTER_MS + 1);
    const view = runView(base, later);
    expect(view.phase).toBe('failed');
    expect(view.errors).toEqual([{ phase: 'scoring', message: expect.stringMatching(/^stalled/), at: later.toISOString() }]);
    expect(runView(base, new Date(Date.parse(base.updatedAt) + 60_000)).phase).toBe('scoring');
    expect(runView({ ...base, phase: 'completed' }, later).phase).toBe('completed');
  });

  it('shows the skipped customers and their count of a completed run', () => {
    const view = runView(
      { ...base, phase: 'completed', skipped: [{ customerId: 'x', reason: 'r' }], skippedCount: 3 },
      new Date(base.updatedAt),
    );
    expect(view).toMatchObject({ skipped: [{ customerId: 'x', reason: 'r' }], skippedCount: 3 });
  });
});

describe('the mining scan’s reading of stored items', () => {
  it('reads a number past 2^53 or past the double range as a plain number, where the DocumentClient returns a BigInt or throws', () => {
    const item = plainItem({
      pk: { S: 'CUST#x' },
      revenueMinor: { N: '9007199254741091' },
      data: { M: { totalMinor: { N: '1e400' }, items: { L: [{ M: { quantity: { N: '2' } } }] } } },
      tags: { NS: ['1', '2'] },
      flag: { BOOL: true },
      none: { NULL: true },
    });
    expect(item).toEqual({
      pk: 'CUST#x',
      revenueMinor: Number('9007199254741091'),
      data: { totalMinor: Number.POSITIVE_INFINITY, items: [{ quantity: 2 }] },
      tags: new Set([1, 2]),
      flag: true,
      none: null,
    });
  });
});
