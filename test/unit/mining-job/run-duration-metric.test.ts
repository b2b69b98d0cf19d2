import { handleMiningMessage, type MiningJobDeps } from '../../../layers/core/src/mining-job/job.js';
import { MINING_RUN_DURATION_METRIC, METRICS_NAMESPACE } from '../../../layers/core/src/metric-names.js';
import { metrics } from '../../../layers/core/src/observability.js';
import type { RunRecord } from '../../../layers/core/src/store/mining-store.js';

/** A run one hour old whose finalize succeeds; `completes` says whether this delivery wins the transition. */
function finalizingRun(completes: boolean) {
  const run = {
    runId: '01RUN',
    trigger: 'api',
    phase: 'finalizing',
    totalShards: 1,
    createdAt: '2026-11-28T00:00:00Z',
    updatedAt: '2026-11-28T00:00:00Z',
    shardStats: {},
  } as unknown as RunRecord;
  return {
    runs: { getRun: async () => run, advance: async () => completes, publishLatest: async () => undefined },
    artifacts: { getJson: async () => ({}) },
    engine: { describe: () => ({ k: 0, segments: [], models: {} }) },
    now: () => new Date('2026-11-28T01:00:00Z'),
  } as unknown as MiningJobDeps;
}

/** The buffered EMF values of one metric (and the namespace / dimension sets they would be flushed with). */
function buffered(name: string) {
  if (!metrics.hasStoredMetrics()) return undefined;
  const emf = metrics.serializeMetrics() as unknown as {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  } & Record<string, unknown>;
  const [directive] = emf._aws.CloudWatchMetrics;
  const metric = directive?.Metrics.find((m) => m.Name === name);
  return metric && { namespace: directive!.Namespace, dimensions: directive!.Dimensions, unit: metric.Unit, value: emf[name] };
}

afterEach(() => {
  metrics.clearMetrics();
});

describe('the mining run duration metric', () => {
  it('records creation-to-completion milliseconds once, when finalize completes the run', async () => {
    await handleMiningMessage(finalizingRun(true), { kind: 'finalize', runId: '01RUN' });
    expect(buffered(MINING_RUN_DURATION_METRIC)).toEqual({
      namespace: METRICS_NAMESPACE,
      dimensions: [['service']],
      unit: 'Milliseconds',
      value: 3_600_000,
    });
  });

  it('is not recorded again by a redelivered finalize that finds the run already completed', async () => {
    await handleMiningMessage(finalizingRun(false), { kind: 'finalize', runId: '01RUN' });
    expect(buffered(MINING_RUN_DURATION_METRIC)).toBeUndefined();
  });
});
