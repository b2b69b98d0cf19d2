/**
 * Each function's own slice of the container's deps: a handler gets the services it calls and
 * nothing else (the webhook function cannot reach the offer registry, health cannot reach the
 * queue). All slices come from one memoized appDeps() per container (deps.ts), so secret refresh
 * and test injection stay in one place; the pieces that need a queue, a bucket or the PII key are
 * built on first use, so a function never needs configuration it does not use.
 */
import type { EventPublisher } from './outbound/events.js';
import type { SubscriptionDeps } from './outbound/subscription-service.js';
import type { OutboundWorkerDeps } from './outbound/worker.js';
import type { PlaybookDeps } from './playbooks/playbook-service.js';
import type { TickDeps } from './playbooks/tick.js';
import type { LookupDeps } from './customers/lookup.js';
import { type Config, parseConfig } from './config.js';
import { appDeps } from './deps.js';
import type { FlagDeps } from './flags/flag-service.js';
import type { FunctionName } from './http/routes.js';
import type { IngestDeps } from './ingest/ingest.js';
import { miningEngine } from './mining-job/engine.js';
import type { MiningJobDeps, RunStarterDeps } from './mining-job/job.js';
import type { OfferDeps } from './offers/offer-service.js';
import type { CustomerStore } from './store/customer-store.js';
import type { MiningStore } from './store/mining-store.js';
import type { SourceStatsStore } from './store/source-stats-store.js';

type Announcing<T> = T & { events: EventPublisher };

let consoleConfig: Config | undefined;

export const functionDeps = {
  // The webhook attributes purchases and refunds to offers and campaigns (announcing conversions
  // and merges) and enrolls purchasers in playbooks: all are required.
  webhook: async (): Promise<IngestDeps & Required<Pick<IngestDeps, 'attribution' | 'enroller'>>> => {
    const deps = await appDeps();
    return { ...deps, attribution: { ...deps.attribution, events: deps.events } };
  },
  customers: async (): Promise<Announcing<LookupDeps>> => appDeps(),
  offers: async (): Promise<Announcing<OfferDeps>> => appDeps(),
  flags: async (): Promise<FlagDeps & { sourceStats: SourceStatsStore }> => appDeps(),
  subscriptions: async (): Promise<SubscriptionDeps> => (await appDeps()).subscriptions(),
  outbound: async (): Promise<OutboundWorkerDeps> => (await appDeps()).outboundWorker(),
  playbooks: async (): Promise<PlaybookDeps> => appDeps(),
  'playbook-tick': async (): Promise<TickDeps> => appDeps(),
  'mining-runs': async (): Promise<{ runs: MiningStore; starter: RunStarterDeps }> => {
    const deps = await appDeps();
    return { runs: deps.runs, starter: deps.runStarter() };
  },
  'mining-worker': async (): Promise<Announcing<MiningJobDeps>> => {
    const deps = await appDeps();
    return { ...deps.miningJob(miningEngine), events: deps.events };
  },
  // No table, no secrets: only the public sign-in settings, parsed once per container.
  console: async (): Promise<{ config: Config }> => {
    consoleConfig ??= parseConfig(process.env);
    return { config: consoleConfig };
  },
  health: async (): Promise<{ store: CustomerStore }> => ({ store: (await appDeps()).store }),
} satisfies Partial<Record<FunctionName, () => Promise<unknown>>>;
