import { OfferRequest } from '../../../layers/core/src/offers/schema.js';
import type { Touchpoint } from '../../../layers/core/src/touchpoint.js';
import { DAY_MS as DAY } from '../../../layers/core/src/time.js';
import { COFFEE_SUBSCRIPTION, MEMBERSHIP, productBySku } from '../../../local/demo/catalog.js';
import {
  formatOfferChecks,
  planStory,
  productLabel,
  profileOf,
  rankCandidates,
  wrap,
  type OfferChecksReport,
  type StoryId,
} from '../../../local/demo/offer-checks.js';
import { generatePopulation, type DemoCustomer, type Population } from '../../../local/demo/population.js';

const AS_OF = new Date('2026-11-01T00:00:00Z');
const STORIES: StoryId[] = ['two-prices', 'already-member', 'top-customer-fee', 'upsell-after-complaint', 'unsubscribed-email'];

let population: Population;
beforeAll(() => {
  population = generatePopulation({ seed: 42, customers: 300, asOf: AS_OF });
});

function customer(events: Array<Pick<Touchpoint, 'type' | 'data'> & { at: string }>): DemoCustomer {
  return {
    key: 'cust-00001',
    latentType: 'complainer',
    firstName: 'Ann',
    lastName: 'Example',
    email: 'ann@example.com',
    address1: '1 Main St',
    zip: '10115',
    city: 'Berlin',
    country: 'DE',
    ids: { shopify: '1', stripe: 'cus_1', zendesk: '2' },
    events: events.map(({ at, ...tp }, seq) => ({
      customerKey: 'cust-00001',
      seq,
      source: 'generic',
      touchpoint: { ...tp, occurredAt: at, customer: { email: 'ann@example.com' } } as Touchpoint,
      meta: {},
    })),
  };
}

describe('profileOf', () => {
  it('reads the latest email choice, active subscriptions, complaints, open tickets and net revenue from the history', () => {
    const coffee = productBySku('COF-ETH-250');
    const p = profileOf(
      customer([
        { at: '2025-01-01T10:00:00Z', type: 'consent_changed', data: { channel: 'email', granted: true } },
        {
          at: '2025-01-02T10:00:00Z',
          type: 'purchase',
          data: {
            orderId: 'o1',
            currency: 'EUR',
            totalMinor: 2580,
            items: [
              { sku: coffee.sku, productId: coffee.productId, name: coffee.name, category: 'coffee', quantity: 2, unitPriceMinor: 1290 },
            ],
          },
        },
        {
          at: '2025-01-03T10:00:00Z',
          type: 'subscription_started',
          data: { subscriptionId: 'sub_a', productId: MEMBERSHIP.plus.productId },
        },
        {
          at: '2025-01-04T10:00:00Z',
          type: 'subscription_started',
          data: { subscriptionId: 'sub_b', productId: COFFEE_SUBSCRIPTION.productId },
        },
        { at: '2025-06-01T10:00:00Z', type: 'subscription_cancelled', data: { subscriptionId: 'sub_b' } },
        { at: '2025-07-01T10:00:00Z', type: 'refund', data: { orderId: 'o1', currency: 'EUR', amountMinor: 1290 } },
        { at: '2026-10-20T10:00:00Z', type: 'ticket_opened', data: { ticketId: 't1', complaint: true } },
        { at: '2026-10-21T10:00:00Z', type: 'ticket_opened', data: { ticketId: 't2', complaint: false } },
        { at: '2026-10-22T10:00:00Z', type: 'ticket_solved', data: { ticketId: 't2' } },
        { at: '2026-10-23T10:00:00Z', type: 'satisfaction_rated', data: { score: 1, ticketId: 't2' } },
        { at: '2026-10-24T10:00:00Z', type: 'consent_changed', data: { channel: 'email', granted: false } },
      ]),
    );

    expect(p.emailConsent).toEqual({ granted: false, at: Date.parse('2026-10-24T10:00:00Z') });
    expect(p.activeSubscriptions).toEqual([
      { subscriptionId: 'sub_a', productId: MEMBERSHIP.plus.productId, since: Date.parse('2025-01-03T10:00:00Z') },
    ]);
    expect(p.lastComplaintAt).toBe(Date.parse('2026-10-20T10:00:00Z'));
    expect(p.lastCancellationAt).toBe(Date.parse('2025-06-01T10:00:00Z'));
    expect(p.openTickets).toBe(1);
    expect(p.ratings).toEqual([1]);
    expect(p.coffeeUnits).toBe(2);
    expect(p.bought.has(coffee.productId)).toBe(true);
    expect(p.revenueMinor).toBe(1290);
  });
});

describe('rankCandidates', () => {
  it('finds candidates for every story in a 300-customer population, the same ones on every call', () => {
    const ranked = rankCandidates(population);
    const again = rankCandidates(generatePopulation({ seed: 42, customers: 300, asOf: AS_OF }));
    for (const id of STORIES) {
      expect(ranked[id].length).toBeGreaterThan(0);
      expect(ranked[id].map((c) => c.profile.customer.key)).toEqual(again[id].map((c) => c.profile.customer.key));
    }
  });

  it('offers the coffee subscription to opted-in coffee buyers who never had it and were not emailed this week', () => {
    const asOf = AS_OF.getTime();
    for (const { profile: p, product } of rankCandidates(population)['two-prices']) {
      expect(product).toBe(COFFEE_SUBSCRIPTION);
      expect(p.emailConsent?.granted).toBe(true);
      expect(p.bought.has(COFFEE_SUBSCRIPTION.productId)).toBe(false);
      expect(p.coffeeUnits).toBeGreaterThan(0);
      expect(asOf - (p.lastEmailContactAt ?? 0)).toBeGreaterThan(8 * DAY);
    }
  });

  it('ranks members by how long they have been members, each at least a year', () => {
    const members = rankCandidates(population)['already-member'];
    const since = members.map((c) => c.profile.activeSubscriptions.find((s) => s.productId === c.product!.productId)!.since);
    expect(since).toEqual([...since].sort((a, b) => a - b));
    expect(since.every((t) => AS_OF.getTime() - t >= 366 * DAY)).toBe(true);
  });

  it('puts the most recent complaint first for the up-sell and never proposes a product the customer owns', () => {
    const [first] = rankCandidates(population)['upsell-after-complaint'];
    const complaints = population.customers
      .map(profileOf)
      .map((p) => p.lastComplaintAt ?? 0)
      .filter((t) => AS_OF.getTime() - t <= 13 * DAY);
    if (complaints.length) expect(first!.profile.lastComplaintAt).toBe(Math.max(...complaints));
    for (const c of rankCandidates(population)['upsell-after-complaint']) expect(c.profile.bought.has(c.product!.productId)).toBe(false);
  });

  it('picks opted-out customers for the promotion email, the latest opt-out first', () => {
    const optedOut = rankCandidates(population)['unsubscribed-email'];
    expect(optedOut.every((c) => c.profile.emailConsent?.granted === false)).toBe(true);
    const at = optedOut.map((c) => c.profile.emailConsent!.at);
    expect(at).toEqual([...at].sort((a, b) => b - a));
  });

  it('ranks the biggest spenders first for the fee', () => {
    const revenue = rankCandidates(population)['top-customer-fee'].map((c) => c.profile.revenueMinor);
    expect(revenue).toEqual([...revenue].sort((a, b) => b - a));
  });
});

describe('planStory', () => {
  it('builds requests the offers API accepts for every story', () => {
    const ranked = rankCandidates(population);
    for (const id of STORIES) {
      const plan = planStory(id, ranked[id][0]!, 'cust-id-1', AS_OF);
      expect(plan.attempts.length).toBeGreaterThan(0);
      for (const a of plan.attempts) {
        expect(() => OfferRequest.parse(a.body)).not.toThrow();
        expect(a.body.customerId).toBe('cust-id-1');
        expect(a.action).toContain(ranked[id][0]!.profile.customer.firstName);
      }
    }
  });

  it('registers one price from the shop, then a different price for the same product from the online team', () => {
    const candidate = rankCandidates(population)['two-prices'][0]!;
    const [shop, online] = planStory('two-prices', candidate, 'c1', AS_OF).attempts;
    expect([shop!.endpoint, online!.endpoint]).toEqual(['POST /offers', 'POST /offers']);
    expect(shop!.body).toMatchObject({
      productId: COFFEE_SUBSCRIPTION.productId,
      channel: 'branch',
      terms: { amount: 44.9 },
      validUntil: '2026-12-01',
    });
    expect(online!.body).toMatchObject({
      productId: COFFEE_SUBSCRIPTION.productId,
      channel: 'email',
      team: 'online',
      terms: { amount: 39.9 },
    });
  });

  it('checks the fee twice, the second time with a named person overriding', () => {
    const candidate = rankCandidates(population)['top-customer-fee'][0]!;
    const [plain, overridden] = planStory('top-customer-fee', candidate, 'c1', AS_OF).attempts;
    expect(plain!.body).toMatchObject({ kind: 'fee', channel: 'mail' });
    expect(plain!.body.override).toBeUndefined();
    expect(overridden!.body.override).toEqual({ actor: expect.any(String), reason: expect.any(String) });
  });
});

describe('formatOfferChecks', () => {
  const report: OfferChecksReport = {
    stories: [
      {
        id: 'two-prices',
        title: 'Two teams, two prices',
        customer: {
          key: 'cust-00001',
          email: 'ann@example.com',
          name: 'Ann Example',
          customerId: 'c1',
          why: 'buys coffee',
          segment: 'Loyal',
        },
        attempts: [
          {
            action: 'The shop registers 44.90 EUR',
            endpoint: 'POST /offers',
            body: {},
            status: 201,
            decision: 'allow',
            findings: [],
            offerId: 'OFFER1',
          },
          {
            action: 'The online team emails 39.90 EUR',
            endpoint: 'POST /offers',
            body: {},
            status: 409,
            decision: 'block',
            findings: [
              {
                rule: 'conflicting-terms',
                severity: 'block',
                message: `Ann already has offer OFFER1 ${'and more words '.repeat(12)}end.`,
                evidence: { offerId: 'OFFER1' },
              },
            ],
          },
        ],
      },
      {
        id: 'upsell-after-complaint',
        title: 'An up-sell right after a complaint',
        customer: { key: 'cust-00002', email: 'bo@example.com', name: 'Bo Example', customerId: 'c2', why: 'complained' },
        attempts: [
          {
            action: 'Telesales calls Bo',
            endpoint: 'POST /offers/check',
            body: {},
            status: 200,
            decision: 'warn',
            findings: [{ rule: 'quiet-period', severity: 'warn', message: 'Bo complained 3 days ago.', evidence: {} }],
          },
        ],
      },
    ],
    skipped: [{ id: 'already-member', reason: 'no customer in this population fits this story' }],
    decisions: { allow: 1, warn: 1, block: 1 },
  };

  it('prints each story with the action, the decision and every finding with rule, severity and message', () => {
    const out = formatOfferChecks(report).join('\n');
    expect(out).toContain('Mistake prevention');
    expect(out).toContain('1. Two teams, two prices: Ann Example <ann@example.com>, buys coffee (segment Loyal)');
    expect(out).toContain('POST /offers -> 201 ALLOW (registered, offer OFFER1)');
    expect(out).toContain('POST /offers -> 409 BLOCK (refused, nothing stored)');
    expect(out).toContain('block conflicting-terms: Ann already has offer OFFER1');
    expect(out).toContain('POST /offers/check -> 200 WARN (checked)');
    expect(out).toContain('warn  quiet-period: Bo complained 3 days ago.');
    expect(out).toContain('(already-member: no customer in this population fits this story)');
    expect(out).toContain('Decisions: 1 allow, 1 warn, 1 block');
  });

  it('keeps lines within the width, continuing long messages indented', () => {
    const lines = formatOfferChecks(report, 100);
    expect(lines.every((l) => l.length <= 100)).toBe(true);
    const start = lines.findIndex((l) => l.includes('conflicting-terms'));
    expect(lines[start + 1]).toMatch(/^ {15}\S/);
  });
});

describe('wrap and productLabel', () => {
  it('wraps words with a first-line prefix and an indent for the rest', () => {
    expect(wrap('one two three four', 12, '> ', '  ')).toEqual(['> one two', '  three four']);
    expect(wrap('', 12, '> ', '  ')).toEqual([]);
  });

  it('names products the way a sentence needs them', () => {
    expect(productLabel(COFFEE_SUBSCRIPTION)).toBe('coffee subscription (1 kg every two months)');
    expect(productLabel(MEMBERSHIP.premium)).toBe('Patron membership premium (yearly)');
  });
});
