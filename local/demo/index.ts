/**
 * The `npm start` demo: a seeded synthetic customer base sent through the real webhook
 * endpoints of the running stack (every delivery signed and verified like the provider's),
 * a few deliberate redeliveries to show idempotency, one customer's 360 read back, a mining run,
 * and live offer checks that show the rules engine allowing, warning about and blocking actions.
 *
 * The demo is a list of steps (DEMO_STEPS) run in order over one context, so later features
 * can add theirs without touching the others.
 */
import { firstApiKey } from '../dev-config.js';
import { ENV } from '../../layers/core/src/config.js';
import type { SourceName } from '../../layers/core/src/touchpoint.js';
import { renderDeliveries, webhookSecretsFrom, type PendingDelivery, type WebhookSecrets } from './deliveries.js';
import {
  DEFAULT_CUSTOMERS,
  LATENT_TYPES,
  allEvents,
  generatePopulation,
  type DemoCustomer,
  type DemoEvent,
  type LatentType,
  type Population,
} from './population.js';
import { sendDeliveries, type SendResult } from './send.js';
import { miningStep, type MiningReport } from './mining-report.js';
import { offerChecksStep, type OfferChecksReport } from './offer-checks.js';
import { campaignStep, type CampaignReport } from './campaign.js';
import { playbooksStep, subscribeStep, type PlaybookDemoReport } from './playbooks.js';
import type { EventReceiver } from './receiver.js';

export interface DemoOptions {
  baseUrl: string;
  /** The stack's environment: webhook secrets and API_KEYS. */
  env: Record<string, string | undefined>;
  seed?: number;
  /** Default: $PATRON_DEMO_CUSTOMERS, else DEFAULT_CUSTOMERS (2,000). */
  customers?: number;
  /**
   * How much low-signal activity (web visits, campaign emails, coupon requests outside a
   * purchase, profile updates) to generate: see PopulationOptions.volume. Default:
   * $PATRON_DEMO_VOLUME, else 1 (about 23,000 touchpoints for 2,000 customers).
   */
  volume?: number;
  /** End of the generated history. Default: today 00:00 UTC, so reruns on one day repeat exactly. */
  asOf?: Date;
  log?: (line: string) => void;
  concurrency?: number;
  /** false: no progress bar or progress lines. */
  progress?: boolean;
  fetch?: typeof fetch;
  /** Plant the README's people (default true): see PopulationOptions.readmePeople. */
  readmePeople?: boolean;
  /**
   * Invokes the playbook-tick function as its schedule would, at a given (simulated) time; without
   * it (a demo driven over HTTP only) the receiver and the playbooks are skipped.
   */
  tick?: (at: Date) => Promise<unknown>;
}

export interface DemoContext {
  /** Plant the README's people (default true): see PopulationOptions.readmePeople. */
  readmePeople?: boolean;
  baseUrl: string;
  env: Record<string, string | undefined>;
  seed: number;
  customers: number;
  volume: number;
  asOf: Date;
  log: (line: string) => void;
  concurrency: number;
  progress: boolean;
  fetch: typeof fetch;
  secrets?: WebhookSecrets;
  population?: Population;
  events?: DemoEvent[];
  generationMs?: number;
  send?: SendResult;
  /** Deliveries kept aside during the send, to be sent again. */
  redeliveryPool: PendingDelivery[];
  redelivery?: SendResult;
  showcase?: Showcase;
  mining?: MiningReport;
  /** The live offer checks of the last step: each story's proposed actions, decisions and findings. */
  offerChecks?: OfferChecksReport;
  /** The win-back campaign on the churn-risk flags, its simulated answers and its results. */
  campaign?: CampaignReport;
  /** Of the top churn-risk flags after the campaign, how many carry an expected incremental value. */
  learnt?: number;
  tick?: (at: Date) => Promise<unknown>;
  /** The demo's webhook receiver and its subscription (from the subscribe step). */
  receiver?: { receiver: EventReceiver; subscriptionId: string };
  playbooks?: PlaybookDemoReport;
}

export interface Showcase {
  email: string;
  latentType: LatentType;
  /** The customer 360 as the API returned it; absent when the call failed. */
  customer?: Record<string, unknown>;
  warning?: string;
}

export interface DemoStep {
  name: string;
  run(ctx: DemoContext): Promise<void>;
}

export interface DemoResult {
  seed: number;
  volume: number;
  asOf: string;
  customers: number;
  customersByType: Record<LatentType, number>;
  touchpointsByType: Record<LatentType, number>;
  touchpoints: number;
  deliveriesBySource: Record<SourceName, number>;
  generationMs: number;
  send?: SendResult;
  redelivery?: SendResult;
  touchpointsPerSecond?: number;
  showcase?: Showcase;
  mining?: MiningReport;
  offerChecks?: OfferChecksReport;
  campaign?: CampaignReport;
  learnt?: number;
  playbooks?: PlaybookDemoReport;
}

const LABELS: Record<LatentType, string> = {
  loyal_big_spender: 'loyal big spenders',
  bargain_hunter: 'bargain hunters',
  lapsing: 'lapsing',
  new: 'new',
  complainer: 'complainers',
  prospect: 'prospects',
};

const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** How many redeliveries the demo sends: one per source, plus an extra order and charge. */
const REDELIVERY_PLAN: SourceName[] = ['generic', 'shopify', 'stripe', 'zendesk', 'shopify', 'stripe'];

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`demo step order: ${what} is missing`);
  return value;
}

export const generateStep: DemoStep = {
  name: 'generate',
  async run(ctx) {
    const started = performance.now();
    ctx.population = generatePopulation({
      seed: ctx.seed,
      customers: ctx.customers,
      volume: ctx.volume,
      asOf: ctx.asOf,
      readmePeople: ctx.readmePeople,
    });
    ctx.events = allEvents(ctx.population);
    ctx.generationMs = performance.now() - started;
    const s = summarize(ctx);
    ctx.log(
      `Demo: ${fmt(s.customers)} synthetic customers (seed ${ctx.seed}${ctx.volume === 1 ? '' : `, volume ${ctx.volume}`}), ${fmt(s.touchpoints)} touchpoints over two years up to ${ctx.asOf.toISOString().slice(0, 10)}, generated in ${secs(s.generationMs)}`,
    );
    for (const t of LATENT_TYPES) {
      ctx.log(
        `  ${LABELS[t].padEnd(20)} ${fmt(s.customersByType[t]).padStart(6)} customers ${fmt(s.touchpointsByType[t]).padStart(8)} touchpoints`,
      );
    }
    ctx.log(
      `  deliveries by source: ${(Object.entries(s.deliveriesBySource) as Array<[SourceName, number]>).map(([k, v]) => `${k} ${fmt(v)}`).join(' · ')}`,
    );
  },
};

/** The API key the demo calls the API with: the first plain (every-scope) key of API_KEYS. */
const demoApiKey = (ctx: DemoContext): string | undefined => firstApiKey(ctx.env[ENV.apiKeys] ?? '');

/**
 * True when the API already knows the population's first and last customers: with `--persist`,
 * the data of an earlier run of the same seeded demo. Sending it again would only produce
 * duplicates (never double counts) and take minutes.
 */
async function alreadyHolds(ctx: DemoContext, population: { customers: { email: string }[] }): Promise<boolean> {
  const apiKey = demoApiKey(ctx);
  const probes = [population.customers[0], population.customers.at(-1)];
  if (!apiKey || probes.some((c) => !c)) return false;
  for (const c of probes) {
    const res = await ctx.fetch(`${ctx.baseUrl}/customers/lookup`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email: c!.email }),
    });
    if (!res.ok || ((await res.json()) as { customers?: unknown[] }).customers?.length !== 1) return false;
  }
  return true;
}

export const sendStep: DemoStep = {
  name: 'send',
  async run(ctx) {
    const population = need(ctx.population, 'population');
    const events = need(ctx.events, 'events');
    if (await alreadyHolds(ctx, population)) {
      ctx.log(`The data already holds this demo (seed ${ctx.seed}, ${fmt(population.customers.length)} customers): not sending it again`);
      return;
    }
    ctx.secrets ??= webhookSecretsFrom(ctx.env);
    // Keep a few deliveries from the second half of the history for the redelivery step.
    const wanted = new Map<number, SourceName>();
    const from = Math.floor(events.length / 2);
    for (const source of REDELIVERY_PLAN) {
      for (let i = from; i < events.length; i++) {
        if (events[i]!.source === source && !wanted.has(i)) {
          wanted.set(i, source);
          break;
        }
      }
    }
    let index = 0;
    const pool = ctx.redeliveryPool;
    const tapped = (function* () {
      for (const d of renderDeliveries(population)) {
        if (wanted.has(index++) && d.expect.type !== 'ignored') pool.push(d);
        yield d;
      }
    })();
    ctx.log(`Sending ${fmt(events.length)} signed webhooks to ${ctx.baseUrl}/webhooks/{source} (${ctx.concurrency} in flight)`);
    ctx.send = await sendDeliveries(tapped, {
      baseUrl: ctx.baseUrl,
      secrets: ctx.secrets,
      concurrency: ctx.concurrency,
      total: events.length,
      label: 'webhooks',
      progress: ctx.progress,
      fetch: ctx.fetch,
    });
    const r = ctx.send;
    const rate = r.accepted / Math.max(0.001, r.elapsedMs / 1000);
    ctx.log(
      `Sent in ${secs(r.elapsedMs)}: ${fmt(r.accepted)} stored · ${fmt(r.duplicates)} duplicates · ${fmt(r.ignored)} ignored · ${fmt(r.rejected)} rejected · ${fmt(r.failed)} failed${r.retries ? ` (${fmt(r.retries)} retries)` : ''} — ${fmt(Math.round(rate))} touchpoints/s`,
    );
    for (const e of r.errors) ctx.log(`  ! ${e.source} ${e.eventType} ${e.eventId}: ${e.status} ${e.body}`);
    for (const s of r.surprises) ctx.log(`  ? ${s.source} ${s.eventType}: expected ${s.expected}, got ${s.got}`);
  },
};

export const redeliverStep: DemoStep = {
  name: 'redeliver',
  async run(ctx) {
    const pool = ctx.redeliveryPool;
    if (pool.length === 0) return;
    ctx.secrets ??= webhookSecretsFrom(ctx.env);
    ctx.redelivery = await sendDeliveries(pool, {
      baseUrl: ctx.baseUrl,
      secrets: ctx.secrets,
      concurrency: 4,
      progress: false,
      fetch: ctx.fetch,
    });
    const r = ctx.redelivery;
    ctx.log(
      `Redelivered ${pool.length} events (same ids and bodies, fresh signatures: ${pool.map((d) => d.eventType).join(', ')}): ${r.duplicates} recognised as duplicates, ${r.accepted} stored again${r.rejected + r.failed ? `, ${r.rejected + r.failed} errors` : ''}`,
    );
    for (const e of r.errors) ctx.log(`  ! ${e.source} ${e.eventType}: ${e.status} ${e.body}`);
  },
};

/** The most active loyal customer seen by all four sources: the richest 360 to show. */
function showcaseCustomer(population: Population): DemoCustomer | undefined {
  let best: DemoCustomer | undefined;
  for (const c of population.customers) {
    if (c.latentType !== 'loyal_big_spender') continue;
    if (new Set(c.events.map((e) => e.source)).size < 4) continue;
    if (!best || c.events.length > best.events.length) best = c;
  }
  return best ?? population.customers[0];
}

export const showcaseStep: DemoStep = {
  name: 'showcase',
  async run(ctx) {
    const population = need(ctx.population, 'population');
    const c = showcaseCustomer(population);
    if (!c) return;
    const showcase: Showcase = { email: c.email, latentType: c.latentType };
    ctx.showcase = showcase;
    const apiKey = demoApiKey(ctx);
    if (!apiKey) {
      showcase.warning = `${ENV.apiKeys} is not set: cannot call the customers API`;
      ctx.log(`warning: ${showcase.warning}`);
      return;
    }
    const url = `${ctx.baseUrl.replace(/\/+$/, '')}/customers?email=${encodeURIComponent(c.email)}`;
    try {
      const res = await ctx.fetch(url, { headers: { 'x-api-key': apiKey } });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /customers answered ${res.status}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text) as { customers?: Array<Record<string, unknown>> };
      const customer = body.customers?.[0];
      if (!customer) throw new Error(`GET /customers found nobody with ${c.email}`);
      showcase.customer = customer;
      for (const line of describe360(customer, c)) ctx.log(line);
    } catch (error) {
      showcase.warning = error instanceof Error ? error.message : String(error);
      ctx.log(`warning: could not show a customer 360 (the demo data is in anyway): ${showcase.warning}`);
    }
  },
};

/**
 * The demo, in order. Mining (a separate feature) belongs after `send`/`redeliver`: it runs the
 * mining job over the stored touchpoints and prints the segments and flags it found, reading
 * `ctx.population` for the latent types to compare with. The offer checks come last, since the
 * rules read the mining scores (a top-tier segment, churn risk).
 */
export const DEMO_STEPS: DemoStep[] = [
  generateStep,
  sendStep,
  redeliverStep,
  showcaseStep,
  subscribeStep,
  miningStep,
  offerChecksStep,
  campaignStep,
  playbooksStep,
];

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const ctx: DemoContext = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    env: options.env,
    seed: options.seed ?? 42,
    customers: options.customers ?? envNumber('PATRON_DEMO_CUSTOMERS', Number.isInteger) ?? DEFAULT_CUSTOMERS,
    volume: options.volume ?? envNumber('PATRON_DEMO_VOLUME', Number.isFinite) ?? 1,
    asOf: options.asOf ?? today,
    log: options.log ?? console.log,
    concurrency: options.concurrency ?? 16,
    progress: options.progress ?? true,
    fetch: options.fetch ?? globalThis.fetch,
    redeliveryPool: [],
    ...(options.readmePeople === false ? { readmePeople: false } : {}),
    ...(options.tick ? { tick: options.tick } : {}),
  };
  for (const step of DEMO_STEPS) await step.run(ctx);
  return summarize(ctx);
}

/** A positive number from the environment, for `npm start` (which passes no options). */
function envNumber(name: string, valid: (n: number) => boolean): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!valid(n) || n <= 0) throw new Error(`${name} must be a positive ${valid === Number.isInteger ? 'integer' : 'number'}, got "${raw}"`);
  return n;
}

export function summarize(ctx: DemoContext): DemoResult {
  const population = need(ctx.population, 'population');
  const customersByType = Object.fromEntries(LATENT_TYPES.map((t) => [t, 0])) as Record<LatentType, number>;
  const touchpointsByType = Object.fromEntries(LATENT_TYPES.map((t) => [t, 0])) as Record<LatentType, number>;
  const deliveriesBySource: Record<SourceName, number> = { generic: 0, shopify: 0, stripe: 0, zendesk: 0 };
  let touchpoints = 0;
  for (const c of population.customers) {
    customersByType[c.latentType]++;
    touchpointsByType[c.latentType] += c.events.length;
    touchpoints += c.events.length;
    for (const e of c.events) deliveriesBySource[e.source]++;
  }
  const send = ctx.send;
  return {
    seed: ctx.seed,
    volume: ctx.volume,
    asOf: population.asOf.toISOString(),
    customers: population.customers.length,
    customersByType,
    touchpointsByType,
    touchpoints,
    deliveriesBySource,
    generationMs: ctx.generationMs ?? 0,
    ...(send ? { send, touchpointsPerSecond: send.accepted / Math.max(0.001, send.elapsedMs / 1000) } : {}),
    ...(ctx.redelivery ? { redelivery: ctx.redelivery } : {}),
    ...(ctx.showcase ? { showcase: ctx.showcase } : {}),
    ...(ctx.mining ? { mining: ctx.mining } : {}),
    ...(ctx.offerChecks ? { offerChecks: ctx.offerChecks } : {}),
    ...(ctx.campaign ? { campaign: ctx.campaign } : {}),
    ...(ctx.learnt !== undefined ? { learnt: ctx.learnt } : {}),
    ...(ctx.playbooks ? { playbooks: ctx.playbooks } : {}),
  };
}

/** A few lines about one customer 360; tolerant of fields the API may not have. */
function describe360(c360: Record<string, unknown>, c: DemoCustomer): string[] {
  const get = <T>(key: string) => c360[key] as T | undefined;
  const money = (list?: Array<{ currency: string; amountMinor: number }>) =>
    list?.length ? list.map((m) => `${(m.amountMinor / 100).toFixed(2)} ${m.currency}`).join(', ') : '0';
  const name = get<{ first?: string; last?: string }>('name');
  const ids = get<{ emails?: string[]; phones?: string[]; externalIds?: string[] }>('identifiers');
  const categories = Object.entries(get<Record<string, number>>('categories') ?? {})
    .sort(([, a], [, b]) => b - a)
    .slice(0, 3)
    .map(([k, v]) => `${k} ${v}`);
  const consent = get<Record<string, { granted: boolean } | null>>('consent') ?? {};
  const consentText = Object.entries(consent)
    .map(([ch, s]) => `${ch} ${s ? (s.granted ? 'yes' : 'no') : '-'}`)
    .join(', ');
  const subs = get<Array<{ productId: string }>>('activeSubscriptions') ?? [];
  const satisfaction = get<number | null>('averageSatisfaction');
  return [
    `Customer 360 for ${c.email} (generated as: ${LABELS[c.latentType]}), via GET /customers?email=`,
    `  ${[name?.first, name?.last].filter(Boolean).join(' ') || '(no name)'} · id ${String(get('id'))} · sources ${(get<string[]>('sourceSystems') ?? []).join(', ')}`,
    `  identifiers: ${plural((ids?.emails ?? []).length, 'email')}, ${plural((ids?.phones ?? []).length, 'phone')}, external ${(ids?.externalIds ?? []).join(', ') || '-'}`,
    `  ${fmt(get<number>('touchpointCount') ?? 0)} touchpoints from ${String(get('firstSeen') ?? '?').slice(0, 10)} to ${String(get('lastSeen') ?? '?').slice(0, 10)}`,
    `  ${plural(get<number>('purchaseCount') ?? 0, 'purchase')}, revenue ${money(get('revenue'))}, average order ${money(get('averageOrderValue'))}, ${plural(get<{ count: number }>('refunds')?.count ?? 0, 'refund')}`,
    `  top categories: ${categories.join(', ') || '-'} · active subscriptions: ${subs.map((s) => s.productId).join(', ') || 'none'}`,
    `  satisfaction ${satisfaction ?? '-'} (${plural(get<number>('ratingsCount') ?? 0, 'rating')}), ${plural(get<number>('complaints') ?? 0, 'complaint')}, ${plural(get<number>('paymentFailures') ?? 0, 'payment failure')} · consent: ${consentText || '-'}`,
  ];
}
