/**
 * The demo's closing step: mistake prevention, live. A few classic blunders a CRM lets through
 * (two prices for one product from two teams, selling a membership to a member, fining a top
 * customer, an up-sell call right after a complaint, a promotion mailed to someone who
 * unsubscribed) proposed for real demo customers through the offers API of the running stack
 * (POST /offers/check, POST /offers), with the decision and every finding printed.
 *
 * Customers are chosen from the generated population (whose histories the demo knows exactly),
 * relative to its `asOf`, so the same seed and day pick the same people; each choice is then
 * confirmed against the customer's 360 from the API. Only the first story stores anything: one
 * registered offer (valid for 30 days). Everything else is a dry run.
 */
import { ENV } from '../../layers/core/src/config.js';
import type { Decision, Finding } from '../../layers/core/src/offers/schema.js';
import { DAY_MS as DAY } from '../../layers/core/src/time.js';
import { CATALOG, COFFEE_SUBSCRIPTION, CURRENCY, MEMBERSHIP, productBySku, type Product } from './catalog.js';
import type { DemoContext, DemoStep } from './index.js';
import type { DemoCustomer, Population } from './population.js';

/** Segments of the default rule set that make a customer top tier (layers/core/src/offers/config.ts). */
export const TOP_SEGMENTS = ['Champions', 'Loyal', "Can't lose them"];

export type StoryId = 'two-prices' | 'already-member' | 'top-customer-fee' | 'upsell-after-complaint' | 'unsubscribed-email';

/** What the demo knows about one generated customer, as of the population's `asOf`. */
export interface DemoProfile {
  customer: DemoCustomer;
  /** Latest email consent choice (ms), if any. */
  emailConsent?: { granted: boolean; at: number };
  /** Product ids ever bought (subscription charges included). */
  bought: Set<string>;
  /** Units bought in the coffee category. */
  coffeeUnits: number;
  /** Subscriptions started and not cancelled. */
  activeSubscriptions: { subscriptionId: string; productId: string; since: number }[];
  lastComplaintAt?: number;
  /** Tickets opened and never solved. */
  openTickets: number;
  ratings: number[];
  lastPaymentFailureAt?: number;
  lastCancellationAt?: number;
  /** Last email opened or clicked. */
  lastEmailContactAt?: number;
  lastEventAt?: number;
  /** Purchases minus refunds, EUR minor units. */
  revenueMinor: number;
}

export function profileOf(c: DemoCustomer): DemoProfile {
  const p: DemoProfile = {
    customer: c,
    bought: new Set(),
    coffeeUnits: 0,
    activeSubscriptions: [],
    openTickets: 0,
    ratings: [],
    revenueMinor: 0,
  };
  const opened = new Set<string>();
  const solved = new Set<string>();
  const cancelled = new Set<string>();
  const started: DemoProfile['activeSubscriptions'] = [];
  const latest = (a: number | undefined, b: number) => (a === undefined || b > a ? b : a);
  for (const { touchpoint: tp } of c.events) {
    const at = Date.parse(tp.occurredAt);
    p.lastEventAt = latest(p.lastEventAt, at);
    switch (tp.type) {
      case 'purchase':
        p.revenueMinor += tp.data.totalMinor;
        for (const item of tp.data.items) {
          if (item.productId) p.bought.add(item.productId);
          if (item.category === 'coffee') p.coffeeUnits += item.quantity;
        }
        break;
      case 'refund':
        p.revenueMinor -= tp.data.amountMinor;
        break;
      case 'ticket_opened':
        opened.add(tp.data.ticketId);
        if (tp.data.complaint) p.lastComplaintAt = latest(p.lastComplaintAt, at);
        break;
      case 'ticket_solved':
        solved.add(tp.data.ticketId);
        break;
      case 'satisfaction_rated':
        p.ratings.push(tp.data.score);
        break;
      case 'subscription_started':
        started.push({ subscriptionId: tp.data.subscriptionId, productId: tp.data.productId, since: at });
        break;
      case 'subscription_cancelled':
        cancelled.add(tp.data.subscriptionId);
        p.lastCancellationAt = latest(p.lastCancellationAt, at);
        break;
      case 'payment_failed':
        p.lastPaymentFailureAt = latest(p.lastPaymentFailureAt, at);
        break;
      case 'email_opened':
      case 'email_clicked':
        p.lastEmailContactAt = latest(p.lastEmailContactAt, at);
        break;
      case 'consent_changed':
        if (tp.data.channel === 'email' && (!p.emailConsent || at >= p.emailConsent.at)) p.emailConsent = { granted: tp.data.granted, at };
        break;
    }
  }
  p.openTickets = [...opened].filter((t) => !solved.has(t)).length;
  p.activeSubscriptions = started.filter((s) => !cancelled.has(s.subscriptionId));
  return p;
}

export interface Candidate {
  profile: DemoProfile;
  /** Why this customer fits the story, in words. */
  why: string;
  /** The product the story offers this customer, when it offers one. */
  product?: Product;
}

const MEMBERSHIP_IDS = new Set(Object.values(MEMBERSHIP).map((p) => p.productId));
/** Products a telesales call would push, best first; the first one the customer does not own is used. */
const UPSELL_SKUS = ['KIT-GRD-01', 'KIT-KTL-01', 'ELE-EAR-01', 'HOM-THR-01', 'OUT-BLK-01'];
/** Products of the promotion mailing, best first. */
const PROMO_SKUS = ['COF-SMP-4', 'TEA-MAT-30', 'BOK-ATL-01', 'HOM-MUG-4', 'OUT-BTL-750'];

const firstUnowned = (p: DemoProfile, skus: readonly string[]) => skus.map(productBySku).find((x) => !p.bought.has(x.productId));
const byKey = (a: DemoProfile, b: DemoProfile) => (a.customer.key < b.customer.key ? -1 : a.customer.key > b.customer.key ? 1 : 0);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** A product name inside a sentence: "Coffee subscription, 1 kg every two months" -> "coffee subscription (1 kg every two months)". */
export const productLabel = (p: Product) =>
  (p.name.startsWith('Patron') ? p.name : p.name.charAt(0).toLowerCase() + p.name.slice(1)).replace(/, (.*)$/, ' ($1)');
const average = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/**
 * Ranked candidates for each story, best first, from the generated histories alone (pure: the
 * same population gives the same lists). Thresholds are a day tighter than the rules' so that
 * they still hold when the stack evaluates them up to a day after `asOf`.
 */
export function rankCandidates(population: Population): Record<StoryId, Candidate[]> {
  const asOf = population.asOf.getTime();
  const profiles = population.customers.map(profileOf);
  const within = (at: number | undefined, days: number) => at !== undefined && asOf - at <= days * DAY;
  const calm = (p: DemoProfile) =>
    !within(p.lastComplaintAt, 15) && !within(p.lastPaymentFailureAt, 15) && !within(p.lastCancellationAt, 15);

  // A regular coffee buyer without the subscription: both teams want to sell it to them.
  const twoPrices = profiles
    .filter(
      (p) =>
        p.coffeeUnits > 0 &&
        p.emailConsent?.granted === true &&
        !within(p.lastEmailContactAt, 8) &&
        !p.bought.has(COFFEE_SUBSCRIPTION.productId) &&
        calm(p) &&
        within(p.lastEventAt, 180),
    )
    .sort((a, b) => b.coffeeUnits - a.coffeeUnits || byKey(a, b))
    .map((p) => ({
      profile: p,
      why: `has bought ${plural(p.coffeeUnits, 'pack')} of coffee but has no coffee subscription`,
      product: COFFEE_SUBSCRIPTION,
    }));

  // The longest-standing member, invited to become a member.
  const members = profiles
    .flatMap((p) => {
      const m = p.activeSubscriptions
        .filter((s) => MEMBERSHIP_IDS.has(s.productId) && asOf - s.since >= 366 * DAY)
        .sort((a, b) => a.since - b.since)[0];
      return m ? [{ p, m }] : [];
    })
    .sort((a, b) => a.m.since - b.m.since || byKey(a.p, b.p))
    .map(({ p, m }) => {
      const product = CATALOG.find((x) => x.productId === m.productId)!;
      return { profile: p, why: `${product.subscription!.plan} member since ${day(m.since)}`, product };
    });

  // The biggest spenders: the API's mining segment decides which of them is top tier.
  const topSpenders = [...profiles]
    .filter((p) => p.revenueMinor > 0)
    .sort((a, b) => b.revenueMinor - a.revenueMinor || byKey(a, b))
    .map((p) => ({ profile: p, why: `has spent ${euros(p.revenueMinor)} with us` }));

  // Unhappy customers, the most recent complaint first, then open tickets, then low ratings.
  const unhappyRank = (p: DemoProfile): number =>
    within(p.lastComplaintAt, 13) ? 0 : within(p.lastComplaintAt, 29) ? 1 : p.openTickets > 0 ? 2 : (average(p.ratings) ?? 5) <= 2 ? 3 : 4;
  const unhappy = profiles
    .filter((p) => unhappyRank(p) < 4 && firstUnowned(p, UPSELL_SKUS))
    .sort((a, b) => unhappyRank(a) - unhappyRank(b) || (b.lastComplaintAt ?? 0) - (a.lastComplaintAt ?? 0) || byKey(a, b))
    .map((p) => {
      const rank = unhappyRank(p);
      const why =
        rank <= 1
          ? `opened a complaint ticket on ${day(p.lastComplaintAt!)}`
          : rank === 2
            ? `has ${plural(p.openTickets, 'open ticket')}`
            : `rates us ${average(p.ratings)!.toFixed(1)} out of 5 on average`;
      return { profile: p, why, product: firstUnowned(p, UPSELL_SKUS) };
    });

  // Unsubscribed from email, the most recent opt-out first.
  const optedOut = profiles
    .filter((p) => p.emailConsent?.granted === false && firstUnowned(p, PROMO_SKUS))
    .sort((a, b) => b.emailConsent!.at - a.emailConsent!.at || byKey(a, b))
    .map((p) => ({ profile: p, why: `unsubscribed from email on ${day(p.emailConsent!.at)}`, product: firstUnowned(p, PROMO_SKUS) }));

  return {
    'two-prices': twoPrices,
    'already-member': members,
    'top-customer-fee': topSpenders,
    'upsell-after-complaint': unhappy,
    'unsubscribed-email': optedOut,
  };
}

// ---------------------------------------------------------------- requests

/** One proposed action: what a person would say, and the API call that checks it. */
export interface PlannedAttempt {
  action: string;
  endpoint: 'POST /offers' | 'POST /offers/check';
  body: Record<string, unknown>;
}

export interface StoryPlan {
  id: StoryId;
  title: string;
  attempts: PlannedAttempt[];
}

const major = (minor: number) => Math.round(minor) / 100;
export const euros = (minor: number) => `${(minor / 100).toFixed(2)} ${CURRENCY}`;

/** The proposed actions of a story for one customer (pure). `customerId` is the Patron id. */
export function planStory(id: StoryId, candidate: Candidate, customerId: string, asOf: Date): StoryPlan {
  const c = candidate.profile.customer;
  const name = c.firstName;
  const product = candidate.product;
  const validUntil = new Date(asOf.getTime() + 30 * DAY).toISOString().slice(0, 10);
  switch (id) {
    case 'two-prices': {
      const p = product ?? COFFEE_SUBSCRIPTION;
      const price = p.priceMinor;
      const cheaper = price - 500;
      const base = { customerId, kind: 'offer', productId: p.productId, validUntil };
      return {
        id,
        title: 'Two teams, two prices',
        attempts: [
          {
            action: `The ${c.city} shop offers ${name} the ${productLabel(p)} for ${euros(price)} in the shop and registers the offer`,
            endpoint: 'POST /offers',
            body: { ...base, terms: { amount: major(price), currency: CURRENCY }, channel: 'branch', team: `shop-${c.city.toLowerCase()}` },
          },
          {
            action: `The online team emails ${name} the same subscription at ${euros(cheaper)}`,
            endpoint: 'POST /offers',
            body: {
              ...base,
              terms: { amount: major(cheaper), currency: CURRENCY },
              channel: 'email',
              team: 'online',
              campaignLabel: 'coffee-subscription-push',
            },
          },
        ],
      };
    }
    case 'already-member': {
      const p = product ?? MEMBERSHIP.plus;
      return {
        id,
        title: 'Selling a membership to a member',
        attempts: [
          {
            action: `Marketing mails ${name} an invitation to join the ${productLabel(p)} for ${euros(p.priceMinor)}`,
            endpoint: 'POST /offers/check',
            body: {
              customerId,
              kind: 'offer',
              productId: p.productId,
              terms: { amount: major(p.priceMinor), currency: CURRENCY },
              channel: 'mail',
              team: 'marketing',
              campaignLabel: 'membership-drive',
            },
          },
        ],
      };
    }
    case 'top-customer-fee': {
      const body = { customerId, kind: 'fee', terms: { amount: 7.5, currency: CURRENCY }, channel: 'mail', team: 'billing' };
      return {
        id,
        title: 'A fee for a top customer',
        attempts: [
          { action: `Billing sends ${name} a ${euros(750)} late-return fee by mail`, endpoint: 'POST /offers/check', body },
          {
            action: `The same fee for ${name}, signed off by the head of customer care with a reason`,
            endpoint: 'POST /offers/check',
            body: {
              ...body,
              override: { actor: 'head of customer care', reason: 'third late return this year, agreed with the customer by phone' },
            },
          },
        ],
      };
    }
    case 'upsell-after-complaint': {
      const p = product ?? productBySku(UPSELL_SKUS[0]!);
      return {
        id,
        title: 'An up-sell right after a complaint',
        attempts: [
          {
            action: `Telesales calls ${name} to up-sell the ${productLabel(p)} at ${euros(p.priceMinor)}`,
            endpoint: 'POST /offers/check',
            body: {
              customerId,
              kind: 'upsell',
              productId: p.productId,
              terms: { amount: major(p.priceMinor), currency: CURRENCY },
              channel: 'phone',
              team: 'telesales',
            },
          },
        ],
      };
    }
    case 'unsubscribed-email': {
      const p = product ?? productBySku(PROMO_SKUS[0]!);
      return {
        id,
        title: 'A promotion emailed to someone who unsubscribed',
        attempts: [
          {
            action: `The promotions team emails ${name} 15% off the ${productLabel(p)}`,
            endpoint: 'POST /offers/check',
            body: {
              customerId,
              kind: 'offer',
              productId: p.productId,
              terms: { discountPercent: 15 },
              channel: 'email',
              team: 'promotions',
              campaignLabel: 'winter-sale',
            },
          },
        ],
      };
    }
  }
}

// ---------------------------------------------------------------- results and report

export interface AttemptResult extends PlannedAttempt {
  status: number;
  decision?: Decision;
  findings: Finding[];
  /** The registered offer's id (POST /offers answered 201). */
  offerId?: string;
  /** An answer that was neither a decision nor a block. */
  error?: string;
}

export interface OfferStory {
  id: StoryId;
  title: string;
  customer: { key: string; email: string; name: string; customerId: string; why: string; segment?: string };
  attempts: AttemptResult[];
}

export interface OfferChecksReport {
  stories: OfferStory[];
  /** Stories left out, with the reason (no fitting customer in this population). */
  skipped: { id: StoryId; reason: string }[];
  /** How many answers had each decision. */
  decisions: Record<Decision, number>;
  warning?: string;
}

const STATUS_TEXT: Record<number, string> = { 200: 'checked', 201: 'registered', 409: 'refused, nothing stored' };

/** `text` wrapped at `width` columns: the first line starts with `first`, the others with `rest`. */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  if (!empty) lines.push(line);
  return lines;
}

export function formatOfferChecks(report: OfferChecksReport, width = 110): string[] {
  const lines = ['', 'Mistake prevention: live checks of proposed offers and actions (POST /offers/check, POST /offers)'];
  report.stories.forEach((story, i) => {
    const who = `${story.customer.name} <${story.customer.email}>`;
    const segment = story.customer.segment ? ` (segment ${story.customer.segment})` : '';
    lines.push('', ...wrap(`${story.title}: ${who}, ${story.customer.why}${segment}`, width, `  ${i + 1}. `, '     '));
    for (const a of story.attempts) {
      lines.push(...wrap(a.action, width, '     ', '       '));
      const verdict = a.decision ? a.decision.toUpperCase() : 'no decision';
      const outcome = [STATUS_TEXT[a.status] ?? `HTTP ${a.status}`, a.offerId && `offer ${a.offerId}`].filter(Boolean).join(', ');
      lines.push(`       ${a.endpoint} -> ${a.status} ${verdict} (${outcome})${a.error ? `: ${a.error}` : ''}`);
      for (const f of a.findings) {
        lines.push(...wrap(`${f.rule}: ${f.message}`, width, `         ${f.severity.padEnd(6)}`, ' '.repeat(15)));
      }
    }
  });
  for (const s of report.skipped) lines.push('', `  (${s.id}: ${s.reason})`);
  const d = report.decisions;
  lines.push(
    '',
    ...wrap(
      `Decisions: ${d.allow} allow, ${d.warn} warn, ${d.block} block. A block is refused with its reasons; a warning goes through with them.`,
      width,
      '  ',
      '  ',
    ),
  );
  return lines;
}

// ---------------------------------------------------------------- the step

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(ctx: DemoContext, key: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await ctx.fetch(`${ctx.baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text.slice(0, 300) };
  }
  return { status: res.status, body: parsed };
}

async function get<T>(ctx: DemoContext, key: string, path: string): Promise<T> {
  const answer = await call(ctx, key, 'GET', path);
  if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body as T;
}

interface Customer360View {
  id: string;
  ownedProducts?: string[];
  activeSubscriptions?: { productId: string }[];
  consent?: { email?: { granted: boolean } | null };
  mining?: { segment: string } | null;
}

/** Candidates whose 360 the step reads at most, per story. */
const MAX_LOOKUPS = 30;

/**
 * Whether the API's view of the customer still fits the story (the population is what was sent;
 * the 360 is what the rules will see, e.g. after identity merges or a rerun with --persist).
 */
function fits(id: StoryId, c: Candidate, c360: Customer360View, offersHeld: number): boolean {
  const owned = new Set(c360.ownedProducts ?? []);
  switch (id) {
    case 'two-prices':
      return offersHeld === 0 && c360.consent?.email?.granted === true && !owned.has(c.product!.productId);
    case 'already-member':
      return (c360.activeSubscriptions ?? []).some((s) => s.productId === c.product!.productId);
    case 'top-customer-fee':
      return TOP_SEGMENTS.includes(c360.mining?.segment ?? '');
    case 'upsell-after-complaint':
      return !owned.has(c.product!.productId);
    case 'unsubscribed-email':
      return c360.consent?.email?.granted === false && !owned.has(c.product!.productId);
  }
}

const STORY_ORDER: StoryId[] = ['two-prices', 'already-member', 'top-customer-fee', 'upsell-after-complaint', 'unsubscribed-email'];

async function runStories(ctx: DemoContext, key: string, population: Population, report: OfferChecksReport): Promise<void> {
  const ranked = rankCandidates(population);
  const used = new Set<string>();
  for (const id of STORY_ORDER) {
    let chosen: { candidate: Candidate; c360: Customer360View } | undefined;
    for (const candidate of ranked[id].filter((c) => !used.has(c.profile.customer.key)).slice(0, MAX_LOOKUPS)) {
      const email = candidate.profile.customer.email;
      const found = await get<{ customers: Customer360View[] }>(ctx, key, `/customers?email=${encodeURIComponent(email)}`);
      const c360 = found.customers[0];
      if (!c360) continue;
      const offersHeld =
        id === 'two-prices'
          ? (await get<{ items: unknown[] }>(ctx, key, `/customers/${encodeURIComponent(c360.id)}/offers`)).items.length
          : 0;
      if (fits(id, candidate, c360, offersHeld)) {
        chosen = { candidate, c360 };
        break;
      }
    }
    if (!chosen) {
      report.skipped.push({
        id,
        reason: ranked[id].length
          ? `none of the ${Math.min(ranked[id].length, MAX_LOOKUPS)} likeliest customers fits this story`
          : 'no customer in this population fits this story',
      });
      continue;
    }
    const { candidate, c360 } = chosen;
    const c = candidate.profile.customer;
    used.add(c.key);
    const plan = planStory(id, candidate, c360.id, population.asOf);
    const story: OfferStory = {
      id,
      title: plan.title,
      customer: {
        key: c.key,
        email: c.email,
        name: `${c.firstName} ${c.lastName}`,
        customerId: c360.id,
        why: candidate.why,
        ...(c360.mining?.segment ? { segment: c360.mining.segment } : {}),
      },
      attempts: [],
    };
    for (const attempt of plan.attempts) {
      const answer = await call(ctx, key, 'POST', attempt.endpoint.slice('POST '.length), attempt.body);
      const b = answer.body as { decision?: Decision; findings?: Finding[]; offer?: { id: string }; message?: string; error?: string };
      const result: AttemptResult = { ...attempt, status: answer.status, findings: b.findings ?? [] };
      if (b.decision) {
        result.decision = b.decision;
        report.decisions[b.decision]++;
      } else {
        result.error = `${b.error ?? 'error'}: ${b.message ?? JSON.stringify(b).slice(0, 200)}`;
      }
      if (b.offer?.id) result.offerId = b.offer.id;
      story.attempts.push(result);
    }
    report.stories.push(story);
  }
}

export const offerChecksStep: DemoStep = {
  name: 'offer-checks',
  async run(ctx) {
    const report: OfferChecksReport = { stories: [], skipped: [], decisions: { allow: 0, warn: 0, block: 0 } };
    ctx.offerChecks = report;
    const key = ctx.env[ENV.apiKeys]
      ?.split(',')
      .map((k) => k.trim())
      .find(Boolean);
    if (!ctx.population) return;
    if (!key) {
      report.warning = `${ENV.apiKeys} is not set: cannot call the offers API`;
      ctx.log(`warning: ${report.warning}`);
      return;
    }
    try {
      await runStories(ctx, key, ctx.population, report);
    } catch (error) {
      report.warning = error instanceof Error ? error.message : String(error);
    }
    if (report.stories.length) for (const line of formatOfferChecks(report)) ctx.log(line);
    if (report.warning) ctx.log(`warning: the offer checks did not all run: ${report.warning}`);
  },
};
