import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { Touchpoint } from '../../../layers/core/src/touchpoint.js';
import { DAY_MS as DAY } from '../../../layers/core/src/time.js';
import { CATALOG, CATEGORIES } from '../../../local/demo/catalog.js';
import {
  DEFAULT_CUSTOMERS,
  LATENT_TYPES,
  PROFILES,
  allEvents,
  generatePopulation,
  type DemoCustomer,
  type LatentType,
  type Population,
} from '../../../local/demo/population.js';

const AS_OF = new Date('2026-11-01T00:00:00Z');

let population: Population;
/** CPU time rather than wall time, so that a busy machine (parallel test workers) cannot fail it. */
let generationCpuMs: number;

beforeAll(() => {
  const started = process.cpuUsage();
  population = generatePopulation({ seed: 42, asOf: AS_OF });
  const used = process.cpuUsage(started);
  generationCpuMs = (used.user + used.system) / 1000;
});

const touchpoints = (c: DemoCustomer) => c.events.map((e) => e.touchpoint);
const ofType = (t: LatentType) => population.customers.filter((c) => c.latentType === t);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/**
 * Kinds `volume` thins: web visits, campaign emails and generic profile updates. (Coupon requests
 * outside a purchase are thinned too, but look like those made for one: tests leave coupons out.)
 */
function isLowSignal(source: string, tp: Touchpoint): boolean {
  if (tp.type === 'web_visit' || tp.type === 'email_opened' || tp.type === 'email_clicked') return true;
  return tp.type === 'profile_updated' && source === 'generic';
}

function revenue(c: DemoCustomer): number {
  let sum = 0;
  for (const tp of touchpoints(c)) {
    if (tp.type === 'purchase') sum += tp.data.totalMinor;
    if (tp.type === 'refund') sum -= tp.data.amountMinor;
  }
  return sum;
}
const purchases = (c: DemoCustomer) => touchpoints(c).filter((tp) => tp.type === 'purchase').length;
const count = (c: DemoCustomer, type: Touchpoint['type']) => touchpoints(c).filter((tp) => tp.type === type).length;

function daysSinceLastPurchase(c: DemoCustomer): number | undefined {
  const last = touchpoints(c)
    .filter((tp) => tp.type === 'purchase')
    .at(-1);
  return last ? (AS_OF.getTime() - Date.parse(last.occurredAt)) / DAY : undefined;
}

function meanSatisfaction(cs: DemoCustomer[]): number {
  return mean(cs.flatMap((c) => touchpoints(c).flatMap((tp) => (tp.type === 'satisfaction_rated' ? [tp.data.score] : []))));
}

describe('generatePopulation', () => {
  it('gives the identical population for the same seed and asOf', () => {
    const a = generatePopulation({ seed: 7, customers: 300, asOf: AS_OF });
    const b = generatePopulation({ seed: 7, customers: 300, asOf: AS_OF });
    expect(b).toEqual(a);
  });

  it('gives a different population for a different seed', () => {
    const a = generatePopulation({ seed: 7, customers: 300, asOf: AS_OF });
    const b = generatePopulation({ seed: 8, customers: 300, asOf: AS_OF });
    expect(b.customers.map((c) => c.email)).not.toEqual(a.customers.map((c) => c.email));
    expect(allEvents(b).length).not.toBe(allEvents(a).length);
  });

  it('generates the default population in a few seconds', () => {
    expect(generationCpuMs).toBeLessThan(5000);
  });

  it('has at least 2,000 customers and 20,000 touchpoints by default, and not much more than that', () => {
    expect(population.customers.length).toBe(DEFAULT_CUSTOMERS);
    expect(population.customers.length).toBeGreaterThanOrEqual(2000);
    const n = allEvents(population).length;
    expect(n).toBeGreaterThanOrEqual(20_000);
    // Every touchpoint is a webhook the local stack ingests at some 80/s: this keeps npm start in minutes.
    expect(n).toBeLessThanOrEqual(25_000);
  });

  it('is made mostly of the informative kinds (purchases, tickets, ratings, subscriptions, consent)', () => {
    const events = allEvents(population);
    const low = events.filter((e) => isLowSignal(e.source, e.touchpoint)).length;
    expect(low / events.length).toBeLessThan(0.2);
    expect(events.filter((e) => e.touchpoint.type === 'purchase').length).toBeGreaterThan(8000);
  });

  it('produces only touchpoints the canonical schema accepts', () => {
    const invalid: unknown[] = [];
    for (const e of allEvents(population)) {
      const result = Touchpoint.safeParse(e.touchpoint);
      if (!result.success && invalid.length < 3) invalid.push([e.touchpoint, result.error.issues]);
    }
    expect(invalid).toEqual([]);
  });

  it('uses every touchpoint type', () => {
    const types = new Set(allEvents(population).map((e) => e.touchpoint.type));
    expect([...types].sort()).toEqual([
      'consent_changed',
      'coupon_requested',
      'email_clicked',
      'email_opened',
      'inquiry',
      'payment_failed',
      'profile_updated',
      'purchase',
      'refund',
      'satisfaction_rated',
      'subscription_cancelled',
      'subscription_started',
      'ticket_opened',
      'ticket_solved',
      'web_visit',
    ]);
  });

  it('keeps every event within the two years before asOf, oldest first per customer', () => {
    const earliest = AS_OF.getTime() - 735 * DAY;
    const wrong: string[] = [];
    for (const c of population.customers) {
      const times = c.events.map((e) => Date.parse(e.touchpoint.occurredAt));
      const sorted = times.every((t, i) => i === 0 || t >= times[i - 1]!);
      if (!sorted || times[0]! < earliest || times.at(-1)! > AS_OF.getTime()) wrong.push(c.key);
    }
    expect(wrong).toEqual([]);
  });

  it('sells from a catalog of about 40 products in 8 categories', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(38);
    expect(new Set(CATALOG.map((p) => p.category)).size).toBe(CATEGORIES.length);
    expect(CATEGORIES).toHaveLength(8);
    expect(new Set(CATALOG.map((p) => p.sku)).size).toBe(CATALOG.length);
    expect(new Set(CATALOG.map((p) => p.productId)).size).toBe(CATALOG.length);
  });
});

describe('volume', () => {
  const small = (volume?: number) =>
    generatePopulation({ seed: 3, customers: 300, asOf: AS_OF, ...(volume === undefined ? {} : { volume }) });
  const informative = (p: Population) =>
    p.customers.map((c) =>
      c.events
        .filter((e) => !isLowSignal(e.source, e.touchpoint) && e.touchpoint.type !== 'coupon_requested')
        .map((e) => [e.source, e.touchpoint, e.meta]),
    );
  // Prospects' visits and campaign emails are their informative kinds and do not depend on
  // volume (see PROSPECTING): the ratio is over the other types.
  const lowSignalCount = (p: Population) =>
    p.customers
      .filter((c) => c.latentType !== 'prospect')
      .flatMap((c) => c.events)
      .filter((e) => isLowSignal(e.source, e.touchpoint)).length;

  it('scales the low-signal kinds and leaves every other event as it is', () => {
    const lean = small();
    const rich = small(4);
    expect(informative(rich)).toEqual(informative(lean));
    expect(rich.customers.map((c) => c.email)).toEqual(lean.customers.map((c) => c.email));
    const ratio = lowSignalCount(rich) / lowSignalCount(lean);
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(5);
  });

  it('rejects a volume that is not a positive number', () => {
    for (const volume of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => generatePopulation({ seed: 3, customers: 5, asOf: AS_OF, volume })).toThrow(/volume/);
    }
  });
});

describe('identities', () => {
  it('gives every customer a unique email on an example domain only', () => {
    const emails = population.customers.map((c) => c.email);
    expect(new Set(emails).size).toBe(emails.length);
    expect(emails.filter((e) => !/^[a-z0-9._]+@example\.(com|org|net)$/.test(e))).toEqual([]);
  });

  it('gives some customers a unique, valid E.164 phone from the fictional 555-01xx range', () => {
    const phones = population.customers.flatMap((c) => (c.phone ? [c.phone] : []));
    expect(phones.length).toBeGreaterThan(population.customers.length * 0.3);
    expect(phones.length).toBeLessThan(population.customers.length * 0.7);
    expect(new Set(phones).size).toBe(phones.length);
    expect(phones.filter((p) => !/^\+1\d{3}55501\d{2}$/.test(p) || !parsePhoneNumberFromString(p)?.isValid())).toEqual([]);
  });

  it('uses the same provider ids and email for a customer wherever the source carries them', () => {
    const wrong: unknown[] = [];
    for (const c of population.customers) {
      for (const e of c.events) {
        const ref = e.touchpoint.customer;
        const externalId = e.source === 'generic' ? undefined : c.ids[e.source];
        if ((ref.email && ref.email !== c.email) || ref.externalId !== externalId) wrong.push([c.key, e.source, ref]);
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('creates the Zendesk user of every customer with tickets, with their email, before the first ticket', () => {
    const wrong: unknown[] = [];
    let withTickets = 0;
    for (const c of population.customers) {
      const zendesk = c.events.filter((e) => e.source === 'zendesk');
      const users = zendesk.filter((e) => e.touchpoint.type === 'profile_updated');
      const tickets = zendesk.filter((e) => e.touchpoint.type !== 'profile_updated');
      if (tickets.length === 0) {
        if (users.length) wrong.push([c.key, 'user without tickets']);
        continue;
      }
      withTickets++;
      const [user] = users;
      if (users.length !== 1 || !user) {
        wrong.push([c.key, `${users.length} users`]);
        continue;
      }
      if (JSON.stringify(user.touchpoint.customer) !== JSON.stringify({ email: c.email, externalId: c.ids.zendesk }))
        wrong.push([c.key, user.touchpoint.customer]);
      const firstTicket = Math.min(...tickets.map((e) => Date.parse(e.touchpoint.occurredAt)));
      const createdAt = Date.parse(user.touchpoint.occurredAt);
      if (!(createdAt < firstTicket && createdAt >= firstTicket - 31 * DAY)) wrong.push([c.key, user.touchpoint.occurredAt]);
      if (c.events.indexOf(user) > c.events.indexOf(tickets[0]!)) wrong.push([c.key, 'user after ticket']);
    }
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(withTickets).toBeGreaterThan(population.customers.length * 0.4);
  });

  it('gives every customer distinct provider ids', () => {
    for (const source of ['shopify', 'stripe', 'zendesk'] as const) {
      const ids = population.customers.map((c) => c.ids[source]);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(population.customers.every((c) => /^cus_[A-Za-z0-9]{14}$/.test(c.ids.stripe))).toBe(true);
    expect(population.customers.every((c) => /^\d{13}$/.test(c.ids.shopify))).toBe(true);
  });
});

describe('latent customer types', () => {
  it('are all present in the configured proportions', () => {
    for (const t of LATENT_TYPES) {
      const share = ofType(t).length / population.customers.length;
      expect(Math.abs(share - PROFILES[t].share)).toBeLessThan(0.01);
      expect(share).toBeGreaterThan(0.1);
    }
  });

  it('make loyal big spenders out-spend and out-buy bargain hunters', () => {
    const loyal = ofType('loyal_big_spender');
    const bargain = ofType('bargain_hunter');
    expect(mean(loyal.map(revenue))).toBeGreaterThan(2.5 * mean(bargain.map(revenue)));
    expect(mean(loyal.map(purchases))).toBeGreaterThan(1.5 * mean(bargain.map(purchases)));
    const basket = (cs: DemoCustomer[]) =>
      mean(cs.flatMap((c) => touchpoints(c).flatMap((tp) => (tp.type === 'purchase' ? [tp.data.totalMinor] : []))));
    expect(basket(loyal)).toBeGreaterThan(1.5 * basket(bargain));
  });

  it('make loyal big spenders the subscribers', () => {
    const subscribed = (cs: DemoCustomer[]) => cs.filter((c) => count(c, 'subscription_started') > 0).length / cs.length;
    for (const t of LATENT_TYPES.filter((t) => t !== 'loyal_big_spender')) {
      expect(subscribed(ofType('loyal_big_spender'))).toBeGreaterThan(subscribed(ofType(t)));
    }
  });

  it('make bargain hunters the ones asking for coupons and clicking promotions', () => {
    const coupons = (cs: DemoCustomer[]) => mean(cs.map((c) => count(c, 'coupon_requested')));
    const promoClicks = (cs: DemoCustomer[]) =>
      mean(cs.map((c) => touchpoints(c).filter((tp) => tp.type === 'email_clicked' && tp.data.url?.includes('/collections/sale')).length));
    for (const t of LATENT_TYPES.filter((t) => t !== 'bargain_hunter')) {
      expect(coupons(ofType('bargain_hunter'))).toBeGreaterThan(2 * coupons(ofType(t)));
      expect(promoClicks(ofType('bargain_hunter'))).toBeGreaterThan(promoClicks(ofType(t)));
    }
  });

  it('make lapsing customers stop buying months ago, while new ones bought recently', () => {
    const lapsing = ofType('lapsing')
      .map(daysSinceLastPurchase)
      .filter((d): d is number => d !== undefined);
    const fresh = ofType('new')
      .map(daysSinceLastPurchase)
      .filter((d): d is number => d !== undefined);
    expect(mean(lapsing)).toBeGreaterThan(4 * mean(fresh));
    expect(Math.min(...lapsing)).toBeGreaterThan(60);
    // Lapsing customers end with a complaint or a bad rating.
    const unhappy = ofType('lapsing').filter((c) =>
      touchpoints(c).some(
        (tp) => (tp.type === 'ticket_opened' && tp.data.complaint) || (tp.type === 'satisfaction_rated' && tp.data.score <= 2),
      ),
    );
    expect(unhappy.length / ofType('lapsing').length).toBeGreaterThan(0.7);
  });

  it('make new customers first buy within the last one to three months', () => {
    const firstPurchaseDaysAgo = ofType('new').map((c) => {
      const first = touchpoints(c).find((tp) => tp.type === 'purchase');
      return first ? (AS_OF.getTime() - Date.parse(first.occurredAt)) / DAY : Number.NaN;
    });
    expect(firstPurchaseDaysAgo.filter((d) => !(d > 10 && d < 100))).toEqual([]);
  });

  it('make complainers the least satisfied, with the most complaints and refunds', () => {
    const complainers = ofType('complainer');
    const complaints = (cs: DemoCustomer[]) =>
      mean(cs.map((c) => touchpoints(c).filter((tp) => tp.type === 'ticket_opened' && tp.data.complaint).length));
    const refunds = (cs: DemoCustomer[]) => mean(cs.map((c) => count(c, 'refund')));
    for (const t of LATENT_TYPES.filter((t) => t !== 'complainer')) {
      expect(meanSatisfaction(complainers)).toBeLessThan(meanSatisfaction(ofType(t)));
      expect(complaints(complainers)).toBeGreaterThan(complaints(ofType(t)));
      expect(refunds(complainers)).toBeGreaterThan(refunds(ofType(t)));
    }
    expect(meanSatisfaction(ofType('loyal_big_spender'))).toBeGreaterThan(4);
    expect(meanSatisfaction(complainers)).toBeLessThan(2);
  });

  it('lets some customers opt out of email while most opted in', () => {
    const consents = allEvents(population).flatMap((e) => (e.touchpoint.type === 'consent_changed' ? [e.touchpoint.data] : []));
    const emailIn = consents.filter((c) => c.channel === 'email' && c.granted).length;
    const emailOut = consents.filter((c) => c.channel === 'email' && !c.granted).length;
    expect(emailIn / population.customers.length).toBeGreaterThan(0.8);
    expect(emailOut).toBeGreaterThan(50);
    expect(consents.some((c) => c.channel === 'sms' && c.granted)).toBe(true);
    expect(consents.some((c) => c.channel === 'sms' && !c.granted)).toBe(true);
  });

  it('buys things together, so association rules exist (coffee -> kitchen, matcha -> whisk)', () => {
    const baskets = allEvents(population).flatMap((e) =>
      e.touchpoint.type === 'purchase' ? [new Set(e.touchpoint.data.items.flatMap((i) => [i.category, i.sku]))] : [],
    );
    const lift = (a: string, b: string) => {
      const withA = baskets.filter((x) => x.has(a));
      const confidence = withA.filter((x) => x.has(b)).length / withA.length;
      return confidence / (baskets.filter((x) => x.has(b)).length / baskets.length);
    };
    expect(lift('coffee', 'kitchen')).toBeGreaterThan(1.3);
    expect(lift('TEA-MAT-30', 'KIT-WSK-01')).toBeGreaterThan(3);
    expect(lift('ELE-PWB-10', 'ELE-CBL-2M')).toBeGreaterThan(3);
    expect(lift('KIT-V60-02', 'KIT-FLT-100')).toBeGreaterThan(2);
  });
});

describe('prospects', () => {
  const prospects = () => ofType('prospect');
  const firstPurchase = (c: DemoCustomer) => touchpoints(c).find((tp) => tp.type === 'purchase');
  const engagement = (c: DemoCustomer, until: number) =>
    touchpoints(c).filter(
      (tp) =>
        Date.parse(tp.occurredAt) <= until &&
        (tp.type === 'web_visit' || tp.type === 'inquiry' || tp.type === 'coupon_requested' || tp.type === 'email_clicked'),
    ).length;

  it('are about 12% of the population, and most of them never buy', () => {
    expect(prospects().length / population.customers.length).toBeCloseTo(PROFILES.prospect.share, 2);
    const converted = prospects().filter((c) => firstPurchase(c));
    expect(converted.length / prospects().length).toBeGreaterThan(0.1);
    expect(converted.length / prospects().length).toBeLessThan(0.5);
  });

  it('make a first purchase, if any, within the last 120 days', () => {
    const late = prospects().filter((c) => {
      const first = firstPurchase(c);
      return first && AS_OF.getTime() - Date.parse(first.occurredAt) > 121 * DAY;
    });
    expect(late.map((c) => c.key)).toEqual([]);
  });

  it('engage more before converting than those who never buy (informative but noisy)', () => {
    const cut = AS_OF.getTime() - 120 * DAY;
    const seen = prospects().filter((c) => Date.parse(c.events[0]!.touchpoint.occurredAt) <= cut);
    const converters = seen.filter((c) => firstPurchase(c));
    const others = seen.filter((c) => !firstPurchase(c));
    expect(mean(converters.map((c) => engagement(c, cut)))).toBeGreaterThan(1.5 * mean(others.map((c) => engagement(c, cut))));
    // Noisy: some converters showed little, some heavy engagers never bought.
    expect(converters.some((c) => engagement(c, cut) <= 1)).toBe(true);
    expect(others.some((c) => engagement(c, cut) >= 8)).toBe(true);
  });

  it('keep their visits, coupon requests and emails at every volume', () => {
    const lean = generatePopulation({ seed: 3, customers: 300, asOf: AS_OF });
    const rich = generatePopulation({ seed: 3, customers: 300, asOf: AS_OF, volume: 4 });
    // Everything but generic profile updates and the visit just before a purchase (thinned like
    // everyone's) is the same at both volumes.
    const signals = (p: Population) =>
      p.customers
        .filter((c) => c.latentType === 'prospect')
        .map((c) =>
          c.events
            .filter((e, i) => {
              if (e.source === 'generic' && e.touchpoint.type === 'profile_updated') return false;
              const next = c.events[i + 1]?.touchpoint;
              return !(e.touchpoint.type === 'web_visit' && next?.type === 'purchase');
            })
            .map((e) => e.touchpoint),
        );
    expect(signals(rich)).toEqual(signals(lean));
    expect(
      signals(lean)
        .flat()
        .filter((tp) => tp.type === 'web_visit').length,
    ).toBeGreaterThan(100);
  });
});
