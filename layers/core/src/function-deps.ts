/**
 * Each function's own slice of the container's deps: a handler gets the services it calls and
 * nothing else (the webhook function cannot reach the offer registry, health cannot reach the
 * queue). All slices come from one memoized appDeps() per container (deps.ts), so secret refresh
 * and test injection stay in one place; the pieces that need a queue, a bucket or the PII key are
 * built on first use, so a function never needs configuration it does not use.
 */
import type { LookupDeps } from './customers/lookup.js';
import { appDeps } from './deps.js';
import type { FlagDeps } from './flags/flag-service.js';
import type { FunctionName } from './http/routes.js';
import type { IngestDeps } from './ingest/ingest.js';
import { miningEngine } from './mining-job/engine.js';
import type { MiningJobDeps, RunStarterDeps } from './mining-job/job.js';
import type { OfferDeps } from './offers/offer-service.js';
import type { CustomerStore } from './store/customer-store.js';
import type { MiningStore } from './store/mining-store.js';

export const functionDeps = {
  // The webhook attributes purchases and refunds to offers and campaigns: both stores are required.
  webhook: async (): Promise<IngestDeps & Required<Pick<IngestDeps, 'attribution'>>> => appDeps(),
  customers: async (): Promise<LookupDeps> => appDeps(),
  offers: async (): Promise<OfferDeps> => appDeps(),
  flags: async (): Promise<FlagDeps> => appDeps(),
  'mining-runs': async (): Promise<{ runs: MiningStore; starter: RunStarterDeps }> => {
    const deps = await appDeps();
    return { runs: deps.runs, starter: deps.runStarter() };
  },
  'mining-worker': async (): Promise<MiningJobDeps> => (await appDeps()).miningJob(miningEngine),
  health: async (): Promise<{ store: CustomerStore }> => ({ store: (await appDeps()).store }),
} satisfies Partial<Record<FunctionName, () => Promise<unknown>>>;
