import { identityOf } from '../../../layers/core/src/identity/normalize.js';
import { ADAPTERS } from '../../../layers/core/src/ingest/sources/index.js';
import { Touchpoint, type SourceName } from '../../../layers/core/src/touchpoint.js';
import {
  buildDeliveries,
  decimal,
  renderDeliveries,
  shopTime,
  signDelivery,
  webhookSecretsFrom,
  type PendingDelivery,
  type WebhookSecrets,
} from '../../../local/demo/deliveries.js';
import { generatePopulation, type Population } from '../../../local/demo/population.js';

const AS_OF = new Date('2026-11-01T00:00:00Z');
const SECRETS: WebhookSecrets = {
  generic: `whsec_${Buffer.from('demo-test-generic-key-0123456789').toString('base64')}`,
  shopify: 'demo-test-shopify-secret',
  stripe: 'whsec_demoTestStripeSecret',
  zendesk: 'demo-test-zendesk-secret',
};
const ENV = {
  WEBHOOK_SECRET_GENERIC: `${SECRETS.generic},whsec_b2xk`,
  WEBHOOK_SECRET_SHOPIFY: ` ${SECRETS.shopify} , old-shopify`,
  WEBHOOK_SECRET_STRIPE: SECRETS.stripe,
  WEBHOOK_SECRET_ZENDESK: SECRETS.zendesk,
};

/** Every kind of delivery the demo sends: source, provider event type, touchpoint type. */
const KINDS = [
  'generic consent_changed consent_changed',
  'generic coupon_requested coupon_requested',
  'generic email_clicked email_clicked',
  'generic email_opened email_opened',
  'generic inquiry inquiry',
  'generic profile_updated profile_updated',
  'generic web_visit web_visit',
  'shopify orders/paid purchase',
  'shopify refunds/create refund',
  'stripe charge.refunded refund',
  'stripe charge.succeeded purchase',
  'stripe customer.subscription.created subscription_started',
  'stripe customer.subscription.deleted subscription_cancelled',
  'stripe invoice.payment_failed payment_failed',
  'zendesk patron:ticket.satisfaction_rated satisfaction_rated',
  'zendesk zen:event-type:ticket.created ticket_opened',
  'zendesk zen:event-type:ticket.status_changed ticket_solved',
  'zendesk zen:event-type:user.created profile_updated',
];

const kind = (d: PendingDelivery) => `${d.source} ${d.eventType} ${d.touchpoint.type}`;

let population: Population;
let deliveries: PendingDelivery[];

beforeAll(() => {
  population = generatePopulation({ seed: 11, customers: 400, asOf: AS_OF });
  deliveries = buildDeliveries(population);
});

describe('buildDeliveries', () => {
  it('renders one delivery per event, covering every kind', () => {
    const events = population.customers.reduce((n, c) => n + c.events.length, 0);
    expect(deliveries).toHaveLength(events);
    expect([...new Set(deliveries.map(kind))].sort()).toEqual(KINDS);
  });

  it('gives identical deliveries for the same seed and different ones for another seed', () => {
    const small = (seed: number) => buildDeliveries(generatePopulation({ seed, customers: 120, asOf: AS_OF }));
    const first = small(11);
    expect(small(11).map((d) => [d.eventId, d.body])).toEqual(first.map((d) => [d.eventId, d.body]));
    expect(
      small(12)
        .slice(0, 50)
        .map((d) => d.body),
    ).not.toEqual(first.slice(0, 50).map((d) => d.body));
  });

  it("never sends the latent type or the demo's own customer keys", () => {
    const leaks = deliveries.filter((d) => /loyal_big_spender|bargain_hunter|lapsing|complainer|latentType|cust-\d{5}/.test(d.body));
    expect(leaks.map((d) => d.body.slice(0, 200))).toEqual([]);
  });

  it('gives unique event ids across the whole default population', () => {
    const big = generatePopulation({ seed: 42, asOf: AS_OF });
    const ids = new Set<string>();
    let n = 0;
    for (const d of renderDeliveries(big)) {
      ids.add(d.eventId);
      n++;
    }
    expect(n).toBeGreaterThan(20_000);
    expect(ids.size).toBe(n);
  });

  it('uses a new set of event ids for another asOf, so a persisted store takes a rerun on another day', () => {
    const small = (asOf: Date) => buildDeliveries(generatePopulation({ seed: 11, customers: 120, asOf }));
    const later = small(new Date('2026-11-02T00:00:00Z'));
    const before = new Set(small(AS_OF).map((d) => d.eventId));
    expect(later.filter((d) => before.has(d.eventId))).toEqual([]);
  });

  it('sends in chronological order to /webhooks/<source>', () => {
    const times = deliveries.map((d) => Date.parse(d.touchpoint.occurredAt));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(deliveries.every((d) => d.path === `/webhooks/${d.source}`)).toBe(true);
  });

  it('splits purchases between Shopify orders and Stripe charges, and refunds where the purchase was paid', () => {
    const purchases = deliveries.filter((d) => d.touchpoint.type === 'purchase');
    const shopify = purchases.filter((d) => d.source === 'shopify').length / purchases.length;
    expect(shopify).toBeGreaterThan(0.4);
    expect(shopify).toBeLessThan(0.9);
    const paidThrough = new Map(purchases.map((d) => [d.touchpoint.type === 'purchase' ? d.touchpoint.data.orderId : '', d.source]));
    const refunds = deliveries.filter((d) => d.touchpoint.type === 'refund');
    expect(refunds.length).toBeGreaterThan(20);
    for (const r of refunds) {
      if (r.touchpoint.type !== 'refund') continue;
      expect(paidThrough.get(r.touchpoint.data.orderId ?? '')).toBe(r.source);
    }
  });

  it('shows a customer with one email and one provider id per source in every body', () => {
    const seen = new Map<string, { emails: Set<string>; ids: Record<SourceName, Set<string>> }>();
    for (const d of deliveries) {
      const entry = seen.get(d.expect.customerKey) ?? {
        emails: new Set<string>(),
        ids: { generic: new Set<string>(), shopify: new Set<string>(), stripe: new Set<string>(), zendesk: new Set<string>() },
      };
      seen.set(d.expect.customerKey, entry);
      const body = JSON.parse(d.body) as Record<string, any>;
      const emails: Array<string | undefined> = [];
      const ids: Array<string | undefined> = [];
      if (d.source === 'generic') emails.push(body.customer?.email);
      if (d.source === 'shopify') {
        emails.push(body.email ?? undefined, body.customer?.email);
        ids.push(body.customer?.id === undefined ? undefined : String(body.customer.id));
      }
      if (d.source === 'stripe') {
        const o = body.data.object;
        emails.push(o.billing_details?.email, o.receipt_email, o.customer_email);
        ids.push(o.customer);
      }
      if (d.source === 'zendesk' && String(body.subject).startsWith('zen:user:')) {
        emails.push(body.detail.email);
        ids.push(body.detail.id);
      } else if (d.source === 'zendesk') {
        emails.push(body.detail.requester_email);
        ids.push(body.detail.requester_id);
      }
      for (const e of emails) if (e) entry.emails.add(e);
      for (const id of ids) if (id) entry.ids[d.source].add(id);
    }
    const byKey = new Map(population.customers.map((c) => [c.key, c]));
    for (const [key, entry] of seen) {
      const c = byKey.get(key)!;
      expect([...entry.emails]).toEqual([c.email]);
      for (const source of ['shopify', 'stripe', 'zendesk'] as const) {
        expect([...entry.ids[source]].every((id) => id === c.ids[source])).toBe(true);
      }
    }
  });

  it('renders money as Shopify decimal strings and times in the shop time zone', () => {
    expect(decimal(1290)).toBe('12.90');
    expect(decimal(5)).toBe('0.05');
    expect(shopTime(Date.parse('2026-01-15T12:00:00Z'))).toBe('2026-01-15T13:00:00+01:00');
    expect(shopTime(Date.parse('2026-07-15T12:00:00Z'))).toBe('2026-07-15T14:00:00+02:00');
    expect(shopTime(Date.parse('2026-03-29T00:59:59Z'))).toBe('2026-03-29T01:59:59+01:00');
    expect(shopTime(Date.parse('2026-03-29T01:00:00Z'))).toBe('2026-03-29T03:00:00+02:00');
  });
});

describe('round trip through the real adapters', () => {
  const now = new Date();
  const sample = () => {
    const perKind = new Map<string, PendingDelivery[]>();
    for (const d of deliveries) {
      const list = perKind.get(kind(d)) ?? [];
      if (list.length < 150) list.push(d);
      perKind.set(kind(d), list);
    }
    return [...perKind.values()].flat();
  };

  it('verifies and maps every kind back to the generated touchpoint', () => {
    const mismatches: unknown[] = [];
    for (const pending of sample()) {
      const d = signDelivery(pending, SECRETS, now);
      const adapter = ADAPTERS[d.source];
      adapter.verify(d.body, d.headers, [SECRETS[d.source]], now);
      const adapted = adapter.adapt(JSON.parse(d.body), d.headers);
      const parsed = Touchpoint.parse(pending.touchpoint);
      // A Shopify refund names only its order: the customer is found at ingest, not in the payload.
      const expected = adapted.kind === 'order-touchpoint' ? { ...parsed, customer: {} } : parsed;
      const got = adapted.kind === 'ignored' ? adapted : adapted.touchpoint;
      // Through JSON: absent and undefined fields count the same.
      if (JSON.stringify(got) !== JSON.stringify(expected) && !equalJson(got, expected)) {
        mismatches.push({ kind: kind(pending), got, expected });
      }
      expect(adapted.kind === 'ignored' ? 'ignored' : adapted.touchpoint.type).toBe(pending.expect.type);
    }
    expect(mismatches.slice(0, 2)).toEqual([]);
  });

  it("resolves each customer's deliveries to one person: Zendesk requester ids link through user.created", () => {
    // The identifiers each delivery carries once adapted, keyed as identity resolution keys them.
    const keyed = deliveries.map((pending) => {
      const d = signDelivery(pending, SECRETS, now);
      const adapted = ADAPTERS[d.source].adapt(JSON.parse(d.body), d.headers);
      const keys = adapted.kind === 'touchpoint' ? identityOf(adapted.touchpoint.customer, d.source).keys : [];
      return { pending, keys: keys.map((k) => `${k.kind}:${k.value}`) };
    });
    /** Union-find over identifiers that share a delivery: customer key -> the people they resolve to. */
    const resolve = (list: typeof keyed) => {
      const parent = new Map<string, string>();
      const find = (k: string): string => {
        let root = k;
        for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
        return root;
      };
      for (const { keys } of list) {
        for (const k of keys) if (!parent.has(k)) parent.set(k, k);
        for (const k of keys.slice(1)) parent.set(find(k), find(keys[0]!));
      }
      const people = new Map<string, Set<string>>();
      for (const { pending, keys } of list) {
        for (const k of keys) {
          const set = people.get(pending.expect.customerKey) ?? new Set<string>();
          set.add(find(k));
          people.set(pending.expect.customerKey, set);
        }
      }
      return people;
    };

    const people = resolve(keyed);
    const split = [...people].filter(([, roots]) => roots.size !== 1).map(([key]) => key);
    expect(split).toEqual([]);
    const roots = [...people.values()].map((r) => [...r][0]);
    expect(new Set(roots).size).toBe(people.size); // and no two customers resolve to one person

    // Without the user.created deliveries, customers whose tickets were never rated stay split.
    const withoutUsers = resolve(keyed.filter(({ pending }) => pending.eventType !== 'zen:event-type:user.created'));
    expect([...withoutUsers.values()].filter((r) => r.size > 1).length).toBeGreaterThan(20);
  });

  it("sends a customer's Zendesk user.created before their first ticket", () => {
    const firstZendesk = new Map<string, PendingDelivery>();
    for (const d of deliveries)
      if (d.source === 'zendesk' && !firstZendesk.has(d.expect.customerKey)) firstZendesk.set(d.expect.customerKey, d);
    expect(firstZendesk.size).toBeGreaterThan(100);
    expect(
      [...firstZendesk.values()].filter((d) => d.eventType !== 'zen:event-type:user.created').map((d) => d.expect.customerKey),
    ).toEqual([]);
    const users = deliveries.filter((d) => d.eventType === 'zen:event-type:user.created');
    expect(users).toHaveLength(firstZendesk.size);
    const body = JSON.parse(users[0]!.body) as Record<string, any>;
    expect(body).toMatchObject({ type: 'zen:event-type:user.created', subject: `zen:user:${body.detail.id}`, event: {} });
    expect(Object.keys(body.detail).sort()).toEqual([
      'created_at',
      'default_group_id',
      'email',
      'external_id',
      'id',
      'organization_id',
      'role',
      'updated_at',
    ]);
  });

  it("renders a coupon purchase's discount as the Shopify order's total_discounts, which maps back to discountMinor", () => {
    const discounted = sample().filter((d) => d.touchpoint.type === 'purchase' && d.touchpoint.data.discountMinor !== undefined);
    expect(discounted.length).toBeGreaterThan(0);
    for (const pending of discounted.slice(0, 50)) {
      if (pending.touchpoint.type !== 'purchase') continue;
      expect(pending.source).toBe('shopify');
      const body = JSON.parse(pending.body) as { total_discounts: string; discount_codes: { amount: string }[] };
      const discount = pending.touchpoint.data.discountMinor!;
      expect(discount).toBeGreaterThan(0);
      expect(body.total_discounts).toBe((discount / 100).toFixed(2));
      expect(body.discount_codes[0]!.amount).toBe(body.total_discounts);
    }
  });

  it('keeps type, time, amounts and identity equal for purchases and refunds', () => {
    for (const pending of sample()
      .filter((d) => d.touchpoint.type === 'purchase' || d.touchpoint.type === 'refund')
      .slice(0, 200)) {
      const d = signDelivery(pending, SECRETS, now);
      const adapted = ADAPTERS[d.source].adapt(JSON.parse(d.body), d.headers);
      if (adapted.kind === 'ignored') throw new Error(`${kind(pending)} was not a touchpoint: ${JSON.stringify(adapted)}`);
      const tp = adapted.touchpoint;
      expect(tp.type).toBe(pending.touchpoint.type);
      expect(Date.parse(tp.occurredAt)).toBe(Date.parse(pending.touchpoint.occurredAt));
      if (adapted.kind === 'touchpoint') {
        expect(tp.customer.email).toBe(pending.touchpoint.customer.email);
        expect(tp.customer.externalId).toBe(pending.touchpoint.customer.externalId);
      } else {
        expect(adapted.orderId).toBe(pending.touchpoint.type === 'refund' ? pending.touchpoint.data.orderId : undefined);
      }
      if (tp.type === 'purchase' && pending.touchpoint.type === 'purchase') {
        expect(tp.data.totalMinor).toBe(pending.touchpoint.data.totalMinor);
        expect(tp.data.discountMinor).toBe(pending.touchpoint.data.discountMinor);
        expect(tp.data.items.map((i) => [i.sku, i.quantity, i.unitPriceMinor, i.category])).toEqual(
          pending.touchpoint.data.items.map((i) => [i.sku, i.quantity, i.unitPriceMinor, i.category]),
        );
      }
      if (tp.type === 'refund' && pending.touchpoint.type === 'refund') {
        expect(tp.data.amountMinor).toBe(pending.touchpoint.data.amountMinor);
        expect(tp.data.orderId).toBe(pending.touchpoint.data.orderId);
      }
    }
  });

  it("sends Shopify refunds in their exact shape by default, which the adapter hands to the order's customer", () => {
    const plain = buildDeliveries(population).filter((d) => d.eventType === 'refunds/create');
    expect(plain.length).toBeGreaterThan(0);
    for (const pending of plain) {
      expect(pending.expect.type).toBe('refund');
      const body = JSON.parse(pending.body) as Record<string, unknown>;
      expect(body).not.toHaveProperty('email');
      expect(body).not.toHaveProperty('customer');
      const d = signDelivery(pending, SECRETS, now);
      expect(ADAPTERS.shopify.adapt(body, d.headers)).toMatchObject({ kind: 'order-touchpoint', orderId: String(body.order_id) });
    }
  });

  it('signs at send time: a signature made more than five minutes earlier no longer verifies', () => {
    const late = new Date(now.getTime() + 6 * 60_000);
    for (const source of ['generic', 'stripe', 'zendesk'] as const) {
      const pending = deliveries.find((d) => d.source === source)!;
      const d = signDelivery(pending, SECRETS, now);
      expect(() => ADAPTERS[source].verify(d.body, d.headers, [SECRETS[source]], late)).toThrow(/too old/);
      const fresh = signDelivery(pending, SECRETS, late);
      expect(() => ADAPTERS[source].verify(fresh.body, fresh.headers, [SECRETS[source]], late)).not.toThrow();
    }
  });
});

describe('webhookSecretsFrom', () => {
  it('signs with the first of each comma-separated secret list', () => {
    expect(webhookSecretsFrom(ENV)).toEqual(SECRETS);
  });

  it('names the variable that is missing', () => {
    expect(() => webhookSecretsFrom({ ...ENV, WEBHOOK_SECRET_ZENDESK: ' , ' })).toThrow(/WEBHOOK_SECRET_ZENDESK/);
  });
});

function equalJson(a: unknown, b: unknown): boolean {
  const norm = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(norm)
      : x && typeof x === 'object'
        ? Object.fromEntries(
            Object.entries(x)
              .filter(([, v]) => v !== undefined)
              .sort(([k1], [k2]) => k1.localeCompare(k2))
              .map(([k, v]) => [k, norm(v)]),
          )
        : x;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}
