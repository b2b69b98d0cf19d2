/**
 * The named people of the demo (README_PEOPLE): the README's examples and the `npm start` banner
 * name them, so every population must hold them with the history their description promises.
 * The checks read the generated events directly, independently of how the generator picks them.
 */
import type { Touchpoint } from '../../../layers/core/src/touchpoint.js';
import { COFFEE_SUBSCRIPTION } from '../../../local/demo/catalog.js';
import { DAY_MS as DAY } from '../../../layers/core/src/time.js';
import {
  LATENT_TYPES,
  PROFILES,
  README_PEOPLE,
  generatePopulation,
  type DemoCustomer,
  type Population,
} from '../../../local/demo/population.js';

const AS_OF = new Date('2026-11-01T00:00:00Z');

const touchpoints = (c: DemoCustomer): Touchpoint[] => c.events.map((e) => e.touchpoint);
const daysAgo = (p: Population, tp: Touchpoint) => (p.asOf.getTime() - Date.parse(tp.occurredAt)) / DAY;
const purchaseDays = (p: Population, c: DemoCustomer) =>
  touchpoints(c)
    .filter((tp) => tp.type === 'purchase')
    .map((tp) => daysAgo(p, tp));
const complaintDays = (p: Population, c: DemoCustomer) =>
  touchpoints(c).flatMap((tp) => (tp.type === 'ticket_opened' && tp.data.complaint ? [daysAgo(p, tp)] : []));
/** The customer's email consent after their last consent change (none: not granted). */
function emailConsent(c: DemoCustomer): boolean {
  let granted = false;
  for (const tp of touchpoints(c)) if (tp.type === 'consent_changed' && tp.data.channel === 'email') granted = tp.data.granted;
  return granted;
}

function person(p: Population, email: string): DemoCustomer {
  const found = p.customers.filter((c) => c.email === email);
  expect(found).toHaveLength(1);
  return found[0]!;
}

// The demo's own seed (42) at two dates, and another seed: none of them may lose a person.
const CASES: Array<[seed: number, customers: number, asOf: Date]> = [
  [42, 300, AS_OF],
  [42, 2000, AS_OF],
  [42, 300, new Date('2027-02-14T12:00:00Z')],
  [7, 2000, new Date('2026-06-30T08:00:00Z')],
];

describe.each(CASES)('README people (seed %i, %i customers, as of %s)', (seed, customers, asOf) => {
  let p: Population;
  beforeAll(() => {
    p = generatePopulation({ seed, customers, asOf });
  });

  it('are all there, named, with their type, in place of generated customers', () => {
    expect(p.customers).toHaveLength(customers);
    for (const r of README_PEOPLE) {
      const c = person(p, r.email);
      expect([c.firstName, c.lastName, c.latentType]).toEqual([r.firstName, r.lastName, r.latentType]);
    }
    // Replacing a customer of the same type keeps the configured count of every type.
    for (const t of LATENT_TYPES.slice(0, -1)) {
      expect(p.customers.filter((c) => c.latentType === t)).toHaveLength(Math.round(PROFILES[t].share * customers));
    }
  });

  it('Ann is a loyal big spender: buying through both years, email consent granted, no complaint in 30 days', () => {
    const ann = person(p, 'ann@example.com');
    const bought = purchaseDays(p, ann);
    expect(bought.length).toBeGreaterThanOrEqual(8);
    expect(bought.filter((d) => d > 365).length).toBeGreaterThanOrEqual(2);
    expect(bought.filter((d) => d <= 365).length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...bought)).toBeLessThanOrEqual(60);
    expect(emailConsent(ann)).toBe(true);
    expect(complaintDays(p, ann).filter((d) => d <= 30)).toEqual([]);
    // She holds the coffee subscription (the README offers it to her again and is stopped).
    const open = new Map<string, string>();
    for (const { touchpoint: tp } of ann.events) {
      if (tp.type === 'subscription_started') open.set(tp.data.subscriptionId, tp.data.productId);
      if (tp.type === 'subscription_cancelled') open.delete(tp.data.subscriptionId);
    }
    expect([...open.values()]).toContain(COFFEE_SUBSCRIPTION.productId);
  });

  it('Ben is lapsing: bought regularly, then nothing for months', () => {
    const bought = purchaseDays(p, person(p, 'ben@example.com'));
    expect(bought.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...bought)).toBeGreaterThanOrEqual(120);
    // "Regularly": a year or more between the first purchase and the last.
    expect(Math.max(...bought) - Math.min(...bought)).toBeGreaterThan(200);
  });

  it('Cara is a complainer with a complaint ticket opened in the last few days', () => {
    const complaints = complaintDays(p, person(p, 'cara@example.com'));
    expect(complaints.filter((d) => d >= 0 && d <= 5).length).toBeGreaterThanOrEqual(1);
  });

  it('Dan is new: one purchase, a couple of weeks ago', () => {
    const dan = person(p, 'dan@example.com');
    const bought = purchaseDays(p, dan);
    expect(bought).toHaveLength(1);
    expect(bought[0]).toBeGreaterThanOrEqual(10);
    expect(bought[0]).toBeLessThanOrEqual(21);
    // New: nothing about him before the last three months.
    expect(Math.max(...touchpoints(dan).map((tp) => daysAgo(p, tp)))).toBeLessThan(100);
  });

  it('are the same for the same seed and date', () => {
    const again = generatePopulation({ seed, customers, asOf });
    for (const r of README_PEOPLE) expect(person(again, r.email)).toEqual(person(p, r.email));
  });
});

it('keeps as many named people as a tiny population has room for', () => {
  const tiny = generatePopulation({ seed: 42, customers: 2, asOf: AS_OF });
  expect(tiny.customers.map((c) => c.email)).toEqual(expect.arrayContaining(README_PEOPLE.slice(0, 2).map((r) => r.email)));
  const five = generatePopulation({ seed: 42, customers: 5, asOf: AS_OF });
  expect(five.customers.map((c) => c.email)).toEqual(expect.arrayContaining(README_PEOPLE.map((r) => r.email)));
});
