/**
 * The demo's loop, closed: a win-back campaign on the churn-risk flags the mining run just raised,
 * with a 10% control group, a phone call registered (and checked) for every treated customer,
 * customers' answers simulated as purchases through the real webhook endpoint, and the campaign's
 * results read back from the API. The simulation plants a known effect: every assigned customer
 * buys within the window with probability BASELINE_RATE, and a treated customer the call reached
 * with BASELINE_RATE + PLANTED_UPLIFT. Intention to treat counts every treated customer, reached
 * or not, so the uplift the results should recover is PLANTED_UPLIFT × the share reached.
 *
 * Re-running on persisted data (`npm start -- --persist`) finds the campaign by name and shows its
 * results again instead of sending more purchases.
 */
import { firstApiKey } from '../dev-config.js';
import { ENV } from '../../layers/core/src/config.js';
import { CURRENCY, SHOP_PRODUCTS } from './catalog.js';
import { webhookSecretsFrom, type PendingDelivery } from './deliveries.js';
import type { DemoContext, DemoStep } from './index.js';
import { api, waitForRun, type RunView } from './mining-report.js';
import { Rng } from './random.js';
import { sendDeliveries } from './send.js';

export const CAMPAIGN_NAME = 'Demo: win back churn-risk customers';
export const BASELINE_RATE = 0.1;
export const PLANTED_UPLIFT = 0.2;
const HOLDOUT_PERCENT = 10;
/** Calls registered at once. */
const CONCURRENCY = 8;

interface Campaign {
  id: string;
  name: string;
}
interface Assignment {
  customerId: string;
  group: 'treatment' | 'control';
}
type Interval = [number, number] | null;
interface Row {
  treatment: { customers: number; contacted: number; converted: number; rate: number | null; revenueMinor: number };
  control: { customers: number; converted: number; rate: number | null; revenueMinor: number };
  uplift: { absolute: number | null; ci95: Interval; pValue: number | null };
  incrementalRevenueMinor: number | null;
  conclusive: boolean;
  note?: string;
}
export interface CampaignResultsView extends Row {
  method: string;
  bySegment: Array<Row & { segment: string | null }>;
}

export interface CampaignReport {
  campaignId: string;
  assigned: number;
  contacted: number;
  blocked: number;
  purchasesSent: number;
  /** PLANTED_UPLIFT × the share of the treatment group reached: what the results should recover. */
  expectedUplift: number;
  results: CampaignResultsView;
  /** Whether expectedUplift lies in the results' 95% interval. */
  recovered: boolean;
  /** Already on record from an earlier run (nothing sent this time). */
  reused: boolean;
}

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '-' : `${(100 * r).toFixed(1)}%`);
const euros = (minor: number | null) => (minor === null ? '-' : `€${(minor / 100).toFixed(0)}`);

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** A purchase of one shop product now, as Patron's canonical (generic source) touchpoint. */
export function purchaseDelivery(email: string, orderId: string, rng: Rng): PendingDelivery {
  const product = rng.pick(SHOP_PRODUCTS);
  const occurredAt = new Date().toISOString();
  const data = {
    orderId,
    currency: CURRENCY,
    totalMinor: product.priceMinor,
    items: [
      { sku: product.sku, productId: product.productId, category: product.category, quantity: 1, unitPriceMinor: product.priceMinor },
    ],
  };
  const body = JSON.stringify({ type: 'purchase', occurredAt, customer: { email }, data });
  return {
    source: 'generic',
    path: '/webhooks/generic',
    eventId: `msg_${orderId}`,
    eventType: 'purchase',
    body,
    headers: {},
    expect: { type: 'purchase', customerKey: email },
    touchpoint: { type: 'purchase', occurredAt, customer: { email }, data },
  };
}

export function resultLines(r: CampaignResultsView, expectedUplift?: number): string[] {
  const ci = r.uplift.ci95 ? `[${pct(r.uplift.ci95[0])}, ${pct(r.uplift.ci95[1])}]` : '-';
  const lines = [
    `  ${'group'.padEnd(10)} ${'customers'.padStart(9)} ${'bought'.padStart(7)} ${'rate'.padStart(7)} ${'revenue'.padStart(9)}`,
    `  ${'treatment'.padEnd(10)} ${String(r.treatment.customers).padStart(9)} ${String(r.treatment.converted).padStart(7)} ${pct(r.treatment.rate).padStart(7)} ${euros(r.treatment.revenueMinor).padStart(9)}`,
    `  ${'control'.padEnd(10)} ${String(r.control.customers).padStart(9)} ${String(r.control.converted).padStart(7)} ${pct(r.control.rate).padStart(7)} ${euros(r.control.revenueMinor).padStart(9)}`,
    `  uplift ${pct(r.uplift.absolute)} (95% interval ${ci}, p ${r.uplift.pValue === null ? '-' : r.uplift.pValue.toPrecision(2)}), incremental revenue ${euros(r.incrementalRevenueMinor)}`,
  ];
  if (expectedUplift !== undefined) {
    const inside = r.uplift.ci95 !== null && r.uplift.ci95[0] <= expectedUplift && expectedUplift <= r.uplift.ci95[1];
    lines.push(`  planted uplift ${pct(expectedUplift)} (intention to treat): ${inside ? 'inside' : 'OUTSIDE'} the 95% interval`);
  }
  if (r.note) lines.push(`  note: ${r.note}`);
  return lines;
}

export const campaignStep: DemoStep = {
  name: 'campaign',
  async run(ctx) {
    const key = firstApiKey(ctx.env[ENV.apiKeys] ?? '');
    if (!key || !ctx.mining) {
      ctx.log('(no mining run or API key: skipping the campaign)');
      return;
    }
    ctx.log('');
    ctx.log(`Closing the loop: a win-back campaign on the churn-risk flags, ${HOLDOUT_PERCENT}% held out as a control group...`);
    try {
      const listed = await api<{ items: Campaign[] }>(ctx, key, '/campaigns?limit=200');
      const earlier = listed.items.find((c) => c.name === CAMPAIGN_NAME);
      if (earlier) {
        const results = await api<CampaignResultsView>(ctx, key, `/campaigns/${earlier.id}/results`);
        ctx.log(`  the campaign is on record from an earlier start (${earlier.id}): its results so far`);
        for (const line of resultLines(results)) ctx.log(line);
        return;
      }
      ctx.campaign = await runCampaign(ctx, key);
      const c = ctx.campaign;
      ctx.log(
        `  ${c.assigned} churn-risk customers assigned (POST /campaigns/${c.campaignId}/assignments/batch fromFlags); ` +
          `${c.contacted} treated customers called (POST /offers, checked), ${c.blocked} calls blocked by the rules, none to the control group`,
      );
      ctx.log(
        `  simulated answers: ${c.purchasesSent} purchases sent through /webhooks/generic (everyone buys with ${pct(BASELINE_RATE)}, a reached treated customer with ${pct(BASELINE_RATE + PLANTED_UPLIFT)})`,
      );
      ctx.log(`  GET /campaigns/${c.campaignId}/results:`);
      for (const line of resultLines(c.results, c.expectedUplift)) ctx.log(line);
      await relearn(ctx, key);
    } catch (error) {
      ctx.log(`warning: the campaign step failed: ${(error as Error).message}`);
    }
  },
};

/** Mines again, so the churn-risk flags rank by what the campaign's calls achieved, and shows the top ones. */
async function relearn(ctx: DemoContext, key: string): Promise<void> {
  ctx.log('');
  ctx.log(
    'Mining again: the run learns from the responses; churn-risk flags now carry their expected incremental value, and the budget keeps the best by it...',
  );
  const started = await api<RunView>(ctx, key, '/mining-runs', { method: 'POST', body: '{}' });
  const run = await waitForRun(ctx, key, started.runId);
  if (run.phase !== 'completed') throw new Error(`the second mining run ${run.phase}`);
  const page = await api<{
    items: Array<{
      customerId: string;
      segment: string;
      expectedValueMinor: number;
      expectedIncrementalValueMinor?: number;
      reasons: string[];
    }>;
  }>(ctx, key, '/flags?type=churn-risk&limit=3');
  ctx.learnt = page.items.filter((f) => f.expectedIncrementalValueMinor !== undefined).length;
  for (const f of page.items) {
    ctx.log(
      `  ${f.customerId} (${f.segment}): value at risk ${euros(f.expectedValueMinor)}, incremental ${euros(f.expectedIncrementalValueMinor ?? null)}`,
    );
    ctx.log(`    ${f.reasons.at(-1)}`);
  }
}

async function runCampaign(ctx: DemoContext, key: string): Promise<CampaignReport> {
  const { campaign } = await api<{ campaign: Campaign }>(ctx, key, '/campaigns', {
    method: 'POST',
    body: JSON.stringify({
      name: CAMPAIGN_NAME,
      flagType: 'churn-risk',
      channel: 'phone',
      holdoutPercent: HOLDOUT_PERCENT,
      attributionDays: 30,
      startsAt: new Date().toISOString().slice(0, 10),
    }),
  });
  const assignments: Assignment[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<{ assignments: Assignment[]; nextCursor: string | null }>(
      ctx,
      key,
      `/campaigns/${campaign.id}/assignments/batch`,
      { method: 'POST', body: JSON.stringify({ fromFlags: { limit: 500, ...(cursor ? { cursor } : {}) } }) },
    );
    assignments.push(...page.assignments);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);

  // A win-back call to every treated customer, through the same check as any offer.
  const treated = assignments.filter((a) => a.group === 'treatment');
  const called = await inBatches(treated, CONCURRENCY, async (a) => {
    const res = await ctx.fetch(`${ctx.baseUrl}/offers`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: a.customerId, kind: 'message', channel: 'phone', campaignId: campaign.id, team: 'win-back desk' }),
    });
    await res.text();
    if (res.status !== 201 && res.status !== 409) throw new Error(`POST /offers answered ${res.status}`);
    return res.status === 201;
  });
  const reached = new Set(treated.filter((_, i) => called[i]).map((a) => a.customerId));

  // Answers: each assigned customer buys (or not) by the planted probabilities, seeded by the demo.
  const rng = new Rng(ctx.seed, `campaign-${campaign.id}`);
  const buyers = assignments.filter((a) => rng.chance(BASELINE_RATE + (reached.has(a.customerId) ? PLANTED_UPLIFT : 0)));
  const emails = await inBatches(buyers, CONCURRENCY, async (a) => {
    const c = await api<{ identifiers: { emails: string[] } }>(ctx, key, `/customers/${a.customerId}`);
    return c.identifiers.emails[0];
  });
  const deliveries = buyers.flatMap((a, i) =>
    emails[i] ? [purchaseDelivery(emails[i]!, `winback-${campaign.id}-${a.customerId}`, rng)] : [],
  );
  ctx.secrets ??= webhookSecretsFrom(ctx.env);
  const sent = await sendDeliveries(deliveries, {
    baseUrl: ctx.baseUrl,
    secrets: ctx.secrets,
    progress: false,
    fetch: ctx.fetch,
    label: 'campaign purchases',
  });
  if (sent.rejected || sent.failed) throw new Error(`${sent.rejected + sent.failed} simulated purchases were not stored`);

  const results = await api<CampaignResultsView>(ctx, key, `/campaigns/${campaign.id}/results`);
  const expectedUplift = treated.length ? (PLANTED_UPLIFT * reached.size) / treated.length : 0;
  const ci = results.uplift.ci95;
  return {
    campaignId: campaign.id,
    assigned: assignments.length,
    contacted: reached.size,
    blocked: treated.length - reached.size,
    purchasesSent: sent.accepted,
    expectedUplift,
    results,
    recovered: ci !== null && ci[0] <= expectedUplift && expectedUplift <= ci[1],
    reused: false,
  };
}
