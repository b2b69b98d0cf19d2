import { handleMiningMessage, type MiningJobDeps } from '../../../layers/core/src/mining-job/job.js';
import { lastMiningRunFact } from '../../../layers/core/src/offers/offer-service.js';
import type { RunRecord } from '../../../layers/core/src/store/mining-store.js';

function depsWithFailingFinalize() {
  const calls: string[] = [];
  const run: RunRecord = {
    runId: '01RUN',
    trigger: 'api',
    phase: 'scoring',
    totalShards: 1,
    createdAt: '2026-11-28T00:00:00Z',
    updatedAt: '2026-11-28T00:00:00Z',
  } as RunRecord;
  const deps = {
    runs: {
      getRun: async () => run,
      recordError: async (_id: string, e: { phase: string; message: string }) => void calls.push(`error:${e.phase}:${e.message}`),
      failRun: async (id: string) => void calls.push(`failed:${id}`),
    },
    artifacts: {
      getJson: async () => {
        throw new Error('model.json is missing');
      },
    },
    now: () => new Date('2026-11-28T01:00:00Z'),
  } as unknown as MiningJobDeps;
  return { deps, calls };
}

describe('a mining message that fails', () => {
  it('records the error and leaves the run to SQS retries while attempts remain', async () => {
    const { deps, calls } = depsWithFailingFinalize();
    await expect(handleMiningMessage(deps, { kind: 'finalize', runId: '01RUN' }, { finalAttempt: false })).rejects.toThrow(
      'model.json is missing',
    );
    expect(calls).toEqual(['error:finalize:model.json is missing']);
  });

  it('on its last attempt also marks the run failed', async () => {
    const { deps, calls } = depsWithFailingFinalize();
    await expect(handleMiningMessage(deps, { kind: 'finalize', runId: '01RUN' }, { finalAttempt: true })).rejects.toThrow();
    expect(calls).toEqual(['error:finalize:model.json is missing', 'failed:01RUN']);
  });
});

describe('lastMiningRunFact (what stale-profile sees)', () => {
  it('reports a failure newer than the latest completed run, else the completed run', () => {
    expect(lastMiningRunFact({ runId: '01B', completedAt: 'c', failedRunId: '01C', failedAt: 'f' })).toEqual({
      status: 'failed',
      runId: '01C',
      completedAt: 'f',
    });
    expect(lastMiningRunFact({ runId: '01D', completedAt: 'c', failedRunId: '01C', failedAt: 'f' })).toEqual({
      status: 'completed',
      runId: '01D',
      completedAt: 'c',
    });
    expect(lastMiningRunFact({ failedRunId: '01C' })).toEqual({ status: 'failed', runId: '01C' });
    expect(lastMiningRunFact({})).toBeUndefined();
  });
});
