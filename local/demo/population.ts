/**
 * A seeded synthetic customer base for the demo: a few latent customer types, each with its own
 * rhythm of purchases, support contacts, subscriptions and marketing engagement, over about two
 * years ending at `asOf`. The same seed always gives the same population.
 *
 * Everything is a canonical `Touchpoint` plus the source it will be delivered from (a purchase
 * paid through Stripe gets a `ch_` order id, one from the Shopify store a numeric one), so the
 * deliveries module only has to render each event in its provider's shape.
 *
 * Size: the default 2,000 customers make about 23,000 touchpoints, which the local stack takes a
 * few minutes to ingest. The informative kinds (purchases with their items, refunds, tickets,
 * ratings, subscriptions, payment failures, consent changes, inquiries) follow the type
 * profiles and do not depend on `volume`; the low-signal ones (web visits, campaign emails,
 * coupon requests outside a purchase, generic profile updates) are thinned by it (see
 * PopulationOptions).
 *
 * Prospects (the `prospect` type, about 12%) show up without buying: web visits, inquiries,
 * coupon requests, campaign emails, consent. A hidden intent drives both their activity and
 * whether (and when) they make a first purchase in the last months (see PROSPECTING); most never
 * do. For them visits, coupon requests and campaign emails are the informative kinds, so they are
 * NOT thinned by `volume` (they follow PROSPECTING at every volume); only their generic profile
 * updates and the visit before a purchase are.
 */
import { Faker, base, en } from '@faker-js/faker';
import { DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE, SECOND_MS as SECOND } from '../../layers/core/src/time.js';
import type { CustomerRef, SourceName, Touchpoint, TouchpointType } from '../../layers/core/src/touchpoint.js';
import {
  CATALOG,
  CATEGORIES,
  COFFEE_SUBSCRIPTION,
  CURRENCY,
  MEMBERSHIP,
  SHOP_PRODUCTS,
  productBySku,
  type Category,
  type Product,
} from './catalog.js';
import { Rng } from './random.js';

export const LATENT_TYPES = ['loyal_big_spender', 'bargain_hunter', 'lapsing', 'new', 'complainer', 'prospect'] as const;
export type LatentType = (typeof LATENT_TYPES)[number];

export interface ProviderIds {
  /** Shopify customer id (numeric string). */
  shopify: string;
  /** Stripe customer id, `cus_...`. */
  stripe: string;
  /** Zendesk requester (end user) id (numeric string). */
  zendesk: string;
}

export interface DemoCustomer {
  /** Stable within a population: `cust-00042`. */
  key: string;
  /** The type the customer was generated from. For tests and the summary; never sent anywhere. */
  latentType: LatentType;
  firstName: string;
  lastName: string;
  email: string;
  /** E.164, from the fictional 555-01xx range; about half of the customers have one. */
  phone?: string;
  address1: string;
  zip: string;
  city: string;
  country: string;
  ids: ProviderIds;
  /** Chronological. */
  events: DemoEvent[];
}

/** What a provider payload needs beyond the canonical touchpoint (shipping, the discount, ...). */
export interface EventMeta {
  shippingMinor?: number;
  discountMinor?: number;
  discountCode?: string;
  /** Stripe subscription and invoice behind a recurring charge or a payment failure. */
  subscriptionId?: string;
  invoiceId?: string;
  priceId?: string;
  interval?: 'month' | 'year';
  intervalCount?: number;
  /** For a refund: the refunded purchase's line items and whether it returns the whole order. */
  refundItems?: Array<{ sku: string; quantity: number; amountMinor: number }>;
  refundOf?: { occurredAt: string; totalMinor: number };
  subscriptionStartedAt?: string;
  cancellation?: { reason: string; feedback?: string };
  declineCode?: string;
  attempt?: number;
  ticket?: { description: string; tags: string[]; status: 'open' | 'solved'; openedAt: string };
}

export interface DemoEvent {
  customerKey: string;
  /** Position in the customer's timeline (before sorting), for stable ids. */
  seq: number;
  source: SourceName;
  touchpoint: Touchpoint;
  meta: EventMeta;
}

export interface Campaign {
  id: string;
  kind: 'newsletter' | 'promo' | 'launch';
  sentAt: number;
  url: string;
}

export interface Population {
  seed: number;
  asOf: Date;
  catalog: readonly Product[];
  campaigns: Campaign[];
  customers: DemoCustomer[];
}

export interface PopulationOptions {
  seed: number;
  /**
   * Plant the README's people (README_PEOPLE; default true). Off for a test that shares its stack
   * with the samples in events/, whose Ann is the same person.
   */
  readmePeople?: boolean;
  /** Default DEFAULT_CUSTOMERS. */
  customers?: number;
  asOf: Date;
  /**
   * How much low-signal activity to keep: web visits, campaign emails (opens and the clicks
   * that follow), coupon requests outside a purchase and profile updates. Each is kept with
   * probability min(1, LOW_SIGNAL_SHARE * volume): the default 1 keeps a tenth of what the type
   * profiles describe (every kind still shows, and so do the types' differences); 10 or more
   * keeps all of it. The other kinds do not depend on it.
   */
  volume?: number;
}

export const DEFAULT_CUSTOMERS = 2000;
/** The share of the profiles' low-signal activity kept at volume 1. */
export const LOW_SIGNAL_SHARE = 0.1;

const HISTORY_DAYS = 730;

type ShopCategory = Exclude<Category, 'subscriptions'>;
type Weights5 = [number, number, number, number, number];

interface TypeProfile {
  share: number;
  /** First appearance, in days before asOf. */
  startDays: [number, number];
  /** Median over customers of their mean inter-purchase gap, in days. */
  gapDays: number;
  gapShape: number;
  extraItems: number;
  /** >0 prefers expensive products, <0 cheap ones. */
  priceTilt: number;
  extraQuantity: number;
  categories: Record<ShopCategory, number>;
  membership: number;
  tiers: [basic: number, plus: number, premium: number];
  coffeeSubscription: number;
  cancelSubscription: number;
  /** Share of shop purchases paid through a Stripe payment link (single items only). */
  stripeShare: number;
  emailOptIn: number;
  smsOptIn: number;
  emailOptOut: number;
  smsOptOut: number;
  open: Record<Campaign['kind'], number>;
  click: Record<Campaign['kind'], number>;
  visitsPerMonth: number;
  visitBeforePurchase: number;
  inquiriesPerYear: number;
  couponPerPurchase: number;
  couponsPerYear: number;
  discount: [number, number];
  ticketPerPurchase: number;
  ticketsPerYear: number;
  complaintShare: number;
  rateProbability: number;
  /** Weights of the scores 1..5. */
  scores: Weights5;
  refundPerPurchase: number;
  paymentFailurePerCharge: number;
  profileUpdatesPerYear: number;
}

const EVEN: Record<ShopCategory, number> = {
  coffee: 1,
  tea: 1,
  kitchen: 1,
  books: 1,
  outdoor: 1,
  electronics: 1,
  home: 1,
};

export const PROFILES: Record<LatentType, TypeProfile> = {
  loyal_big_spender: {
    share: 0.1408,
    startDays: [560, 730],
    gapDays: 90,
    gapShape: 2.5,
    extraItems: 1.6,
    priceTilt: 0.8,
    extraQuantity: 0.25,
    categories: { ...EVEN, coffee: 3.5, kitchen: 2.5, tea: 1.5, books: 1.2, home: 1.5 },
    membership: 0.75,
    tiers: [0.2, 0.45, 0.35],
    coffeeSubscription: 0.22,
    cancelSubscription: 0.05,
    stripeShare: 0.35,
    emailOptIn: 0.95,
    smsOptIn: 0.6,
    emailOptOut: 0.02,
    smsOptOut: 0.03,
    open: { newsletter: 0.45, promo: 0.4, launch: 0.55 },
    click: { newsletter: 0.3, promo: 0.15, launch: 0.45 },
    visitsPerMonth: 0.08,
    visitBeforePurchase: 0.12,
    inquiriesPerYear: 0.1,
    couponPerPurchase: 0.03,
    couponsPerYear: 0.1,
    discount: [0.1, 0.1],
    ticketPerPurchase: 0.03,
    ticketsPerYear: 0.2,
    complaintShare: 0.1,
    rateProbability: 0.6,
    scores: [0.01, 0.02, 0.07, 0.3, 0.6],
    refundPerPurchase: 0.02,
    paymentFailurePerCharge: 0.02,
    profileUpdatesPerYear: 0.3,
  },
  bargain_hunter: {
    share: 0.264,
    startDays: [150, 730],
    gapDays: 160,
    gapShape: 2,
    extraItems: 0.3,
    priceTilt: -1.1,
    extraQuantity: 0.35,
    categories: { ...EVEN, coffee: 2, tea: 2, electronics: 1.6, outdoor: 0.8, books: 0.6 },
    membership: 0.08,
    tiers: [1, 0, 0],
    coffeeSubscription: 0,
    cancelSubscription: 0.25,
    stripeShare: 0.3,
    emailOptIn: 0.97,
    smsOptIn: 0.55,
    emailOptOut: 0.04,
    smsOptOut: 0.05,
    open: { newsletter: 0.15, promo: 0.7, launch: 0.15 },
    click: { newsletter: 0.08, promo: 0.8, launch: 0.1 },
    visitsPerMonth: 0.12,
    visitBeforePurchase: 0.15,
    inquiriesPerYear: 0.15,
    couponPerPurchase: 0.5,
    couponsPerYear: 0.4,
    discount: [0.1, 0.25],
    ticketPerPurchase: 0.03,
    ticketsPerYear: 0.2,
    complaintShare: 0.15,
    rateProbability: 0.45,
    scores: [0.04, 0.06, 0.2, 0.35, 0.35],
    refundPerPurchase: 0.04,
    paymentFailurePerCharge: 0.04,
    profileUpdatesPerYear: 0.2,
  },
  lapsing: {
    share: 0.1936,
    startDays: [420, 730],
    gapDays: 130,
    gapShape: 2,
    extraItems: 0.9,
    priceTilt: 0.1,
    extraQuantity: 0.15,
    categories: { ...EVEN, coffee: 2.2, kitchen: 1.5, outdoor: 1.3 },
    membership: 0.35,
    tiers: [0.5, 0.4, 0.1],
    coffeeSubscription: 0.13,
    cancelSubscription: 1,
    stripeShare: 0.35,
    emailOptIn: 0.9,
    smsOptIn: 0.45,
    emailOptOut: 0.3,
    smsOptOut: 0.2,
    open: { newsletter: 0.3, promo: 0.25, launch: 0.3 },
    click: { newsletter: 0.15, promo: 0.15, launch: 0.2 },
    visitsPerMonth: 0.06,
    visitBeforePurchase: 0.12,
    inquiriesPerYear: 0.1,
    couponPerPurchase: 0.08,
    couponsPerYear: 0.3,
    discount: [0.1, 0.15],
    ticketPerPurchase: 0.04,
    ticketsPerYear: 0.25,
    complaintShare: 0.3,
    rateProbability: 0.5,
    scores: [0.1, 0.15, 0.3, 0.3, 0.15],
    refundPerPurchase: 0.05,
    paymentFailurePerCharge: 0.04,
    profileUpdatesPerYear: 0.15,
  },
  new: {
    share: 0.1584,
    startDays: [20, 92],
    gapDays: 50,
    gapShape: 2,
    extraItems: 0.8,
    priceTilt: 0,
    extraQuantity: 0.1,
    categories: { ...EVEN, coffee: 2, tea: 1.4, kitchen: 1.4 },
    membership: 0.12,
    tiers: [0.7, 0.25, 0.05],
    coffeeSubscription: 0.05,
    cancelSubscription: 0.02,
    stripeShare: 0.35,
    emailOptIn: 0.9,
    smsOptIn: 0.5,
    emailOptOut: 0.03,
    smsOptOut: 0.03,
    open: { newsletter: 0.5, promo: 0.4, launch: 0.5 },
    click: { newsletter: 0.25, promo: 0.25, launch: 0.3 },
    visitsPerMonth: 1,
    visitBeforePurchase: 0.5,
    inquiriesPerYear: 0.8,
    couponPerPurchase: 0.25,
    couponsPerYear: 0.5,
    discount: [0.1, 0.1],
    ticketPerPurchase: 0.12,
    ticketsPerYear: 0.2,
    complaintShare: 0.1,
    rateProbability: 0.55,
    scores: [0.02, 0.03, 0.1, 0.35, 0.5],
    refundPerPurchase: 0.03,
    paymentFailurePerCharge: 0.03,
    profileUpdatesPerYear: 0.5,
  },
  complainer: {
    share: 0.1232,
    startDays: [240, 730],
    gapDays: 160,
    gapShape: 2,
    extraItems: 0.8,
    priceTilt: 0.2,
    extraQuantity: 0.15,
    categories: { ...EVEN, electronics: 2, kitchen: 1.8, outdoor: 1.3 },
    membership: 0.2,
    tiers: [0.5, 0.4, 0.1],
    coffeeSubscription: 0.07,
    cancelSubscription: 0.4,
    stripeShare: 0.3,
    emailOptIn: 0.8,
    smsOptIn: 0.4,
    emailOptOut: 0.2,
    smsOptOut: 0.15,
    open: { newsletter: 0.15, promo: 0.15, launch: 0.15 },
    click: { newsletter: 0.05, promo: 0.08, launch: 0.08 },
    visitsPerMonth: 0.06,
    visitBeforePurchase: 0.12,
    inquiriesPerYear: 0.6,
    couponPerPurchase: 0.1,
    couponsPerYear: 0.5,
    discount: [0.1, 0.15],
    ticketPerPurchase: 0.35,
    ticketsPerYear: 0.9,
    complaintShare: 0.75,
    rateProbability: 0.75,
    scores: [0.55, 0.25, 0.14, 0.04, 0.02],
    refundPerPurchase: 0.25,
    paymentFailurePerCharge: 0.055,
    profileUpdatesPerYear: 0.2,
  },
  // Prospects: the purchase fields are those of `new` (a converted prospect buys like a new
  // customer); their engagement (visits, inquiries, coupon requests, campaign emails) follows
  // PROSPECTING rather than the rate fields below, which only apply after a first purchase.
  prospect: {
    share: 0.12,
    startDays: [5, 540],
    gapDays: 50,
    gapShape: 2,
    extraItems: 0.6,
    priceTilt: -0.2,
    extraQuantity: 0.1,
    categories: { ...EVEN, coffee: 2, tea: 1.6, kitchen: 1.3 },
    membership: 0,
    tiers: [1, 0, 0],
    coffeeSubscription: 0,
    cancelSubscription: 0,
    stripeShare: 0.35,
    emailOptIn: 0.8,
    smsOptIn: 0.3,
    emailOptOut: 0.08,
    smsOptOut: 0.05,
    open: { newsletter: 0.5, promo: 0.35, launch: 0.5 },
    click: { newsletter: 0.35, promo: 0.08, launch: 0.4 },
    visitsPerMonth: 0,
    visitBeforePurchase: 0.5,
    inquiriesPerYear: 0,
    couponPerPurchase: 0.3,
    couponsPerYear: 0,
    discount: [0.1, 0.1],
    ticketPerPurchase: 0.1,
    ticketsPerYear: 0.35,
    complaintShare: 0.05,
    rateProbability: 0.5,
    scores: [0.02, 0.03, 0.15, 0.4, 0.4],
    refundPerPurchase: 0.03,
    paymentFailurePerCharge: 0.03,
    profileUpdatesPerYear: 0.3,
  },
};

/**
 * How prospects (people who show up without buying) behave. Each has a hidden intent z ~ N(0, 1)
 * and an interest that starts at their first appearance and fades:
 *
 *   interest(t) = exp(intentScale·z + intentShift) · exp(−(t − start) / fadeDays)
 *
 * with fadeDays drawn per prospect (log-normal around `fadeDays`). Their web visits, inquiries and
 * coupon requests are Poisson processes with rate `perDay · interest(t)`, and each campaign email
 * is opened (clicked) with probability open (click) · interest(t)^0.5, capped. A first purchase
 * can only happen in the last `convertWindowDays` (earlier converters are the other types), with
 * a daily hazard `hazard · interest(t) · exp(hazardNoise·ε)`, ε ~ N(0, 1) per prospect: the
 * signals are informative (they and the purchase share the interest) but noisy (counts are
 * Poisson, ε is never observed). Most prospects never buy; a converter then buys like `new`.
 */
export const PROSPECTING = {
  intentScale: 0.9,
  intentShift: -0.3,
  fadeDays: 110,
  fadeSigma: 0.5,
  perDay: { visits: 0.05, inquiries: 0.01, coupons: 0.006 },
  convertWindowDays: 120,
  hazard: 0.016,
  hazardNoise: 0.5,
} as const;

const CITIES: Array<[city: string, country: string]> = [
  ['Berlin', 'DE'],
  ['Hamburg', 'DE'],
  ['Munich', 'DE'],
  ['Cologne', 'DE'],
  ['Leipzig', 'DE'],
  ['Amsterdam', 'NL'],
  ['Utrecht', 'NL'],
  ['Rotterdam', 'NL'],
  ['Vienna', 'AT'],
  ['Graz', 'AT'],
  ['Brussels', 'BE'],
  ['Ghent', 'BE'],
  ['Paris', 'FR'],
  ['Lyon', 'FR'],
  ['Dublin', 'IE'],
  ['Copenhagen', 'DK'],
  ['Milan', 'IT'],
  ['Barcelona', 'ES'],
  ['Lisbon', 'PT'],
  ['Zurich', 'CH'],
];

/**
 * US area codes. 555-0100 to 555-0199 is reserved for fiction in every one of them, so phones
 * are valid E.164 numbers that belong to nobody.
 */
const AREA_CODES = [
  201, 202, 203, 205, 206, 207, 208, 212, 213, 214, 215, 216, 217, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316,
  317, 318, 319, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 501, 502, 503, 504, 505, 507, 508, 509, 510,
  512, 513, 515, 516, 517, 518, 520, 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 701, 702, 703, 704,
  706, 707, 708, 712, 713, 714, 715, 716, 717, 718, 719,
];

const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'] as const;

const COUPONS: Array<[code: string, pct: number]> = [
  ['WELCOME10', 0.1],
  ['SPRING15', 0.15],
  ['FLASH20', 0.2],
  ['BREW10', 0.1],
  ['CYBER25', 0.25],
  ['SUMMER15', 0.15],
  ['TEATIME10', 0.1],
  ['BUNDLE20', 0.2],
];

const COMPLAINT_SUBJECTS = [
  'Grinder arrived damaged',
  'Order arrived two weeks late',
  'Wrong item in my parcel',
  'Charged twice for one order',
  'Beans tasted stale',
  'Power bank stopped charging',
  'Kettle leaks from the lid',
  'Still waiting for my refund',
  'Courier left parcel in the rain',
];
const QUESTION_SUBJECTS = [
  'Where is my order?',
  'How do I pause my subscription?',
  'Grind size for a French press?',
  'Can I change my delivery address?',
  'Do you offer gift wrapping?',
  'Invoice for my company',
  'Which filters fit the 02 dripper?',
];
const INQUIRY_TOPICS = ['wholesale', 'gift cards', 'corporate gifts', 'shipping times', 'product question', 'events'];
const REFUND_NOTES = [
  'Arrived damaged',
  'Not as described',
  'Arrived too late',
  'Changed their mind',
  'Duplicate order',
  'Wrong item sent',
];
/** Stripe's cancellation feedback values, as a customer picks them in the billing portal. */
const CANCEL_FEEDBACK = ['too_expensive', 'unused', 'customer_service', 'switched_service', 'low_quality'] as const;
const BLOG_POSTS = ['how-to-dial-in-espresso', 'a-guide-to-green-tea', 'five-weekend-hikes', 'slow-mornings'];

/** Time-of-day weights (UTC hours 0..23): people shop in the evening and at lunch. */
const HOUR_WEIGHTS = [0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 1.5, 2, 2.2, 2.4, 3, 2.8, 2.4, 2.2, 2.4, 2.8, 3.4, 4, 4.2, 3.6, 2.4, 1];

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/** A fixed, named person of the demo, whom the README, the banner and the tests refer to. */
export interface ReadmePerson {
  email: string;
  firstName: string;
  lastName: string;
  latentType: LatentType;
  description: string;
}

/**
 * The people the README's examples name. Every population has them, whatever its size: each
 * takes the place of a generated customer of the same type (so counts per type stay as they
 * are), keeps that customer's key, phone, address and provider ids, and gets a history from the
 * same Timeline code as everyone else. Only the random stream differs: the first stream
 * `readme:<email>:<n>` whose history fits the description (NAMED_FITS) is used, so they are as
 * deterministic as the rest for a seed and asOf.
 */
export const README_PEOPLE: readonly ReadmePerson[] = [
  {
    email: 'ann@example.com',
    firstName: 'Ann',
    lastName: 'Example',
    latentType: 'loyal_big_spender',
    description:
      'a loyal big spender: buys all through the last two years, holds the coffee subscription, email consent granted, no recent complaint',
  },
  {
    email: 'ben@example.com',
    firstName: 'Ben',
    lastName: 'Example',
    latentType: 'lapsing',
    description: 'a lapsing customer: used to buy regularly, silent for months (a churn risk)',
  },
  {
    email: 'cara@example.com',
    firstName: 'Cara',
    lastName: 'Example',
    latentType: 'complainer',
    description: 'a complainer, with a complaint ticket opened in the last few days',
  },
  {
    email: 'dan@example.com',
    firstName: 'Dan',
    lastName: 'Example',
    latentType: 'new',
    description: 'a new customer, with one purchase a couple of weeks ago',
  },
];

/**
 * What a named person's history must show, read from the informative events only (never the
 * low-signal ones), so that `volume` cannot change which stream is picked.
 */
const NAMED_FITS: Record<string, (events: DemoEvent[], end: number) => boolean> = {
  'ann@example.com': (events, end) => {
    const bought = purchaseDays(events, end);
    return (
      bought.length >= 8 &&
      Math.max(...bought) > 540 &&
      bought.some((d) => d > 365 && d <= 540) &&
      Math.min(...bought) <= 45 &&
      emailConsentAtEnd(events) &&
      !complaintDays(events, end).some((d) => d <= 30) &&
      activeSubscriptions(events).has(COFFEE_SUBSCRIPTION.productId)
    );
  },
  'ben@example.com': (events, end) => {
    const bought = purchaseDays(events, end);
    // Regular: five purchases or more over more than 200 days; lapsed: none in the last 120 days.
    const [first, last] = [Math.max(...bought), Math.min(...bought)];
    return bought.length >= 5 && first - last > 200 && last >= 120 && last <= 300;
  },
  'cara@example.com': (events, end) => complaintDays(events, end).some((d) => d <= 5),
  'dan@example.com': (events, end) => {
    const bought = purchaseDays(events, end);
    return bought.length === 1 && bought[0]! >= 10 && bought[0]! <= 21;
  },
};
/** Enough for every description: the rarest (Cara's recent complaint) fits about one stream in 50. */
const MAX_NAMED_ATTEMPTS = 5000;

/** Days before `end` of each purchase, oldest first. */
function purchaseDays(events: DemoEvent[], end: number): number[] {
  return events.filter((e) => e.touchpoint.type === 'purchase').map((e) => (end - Date.parse(e.touchpoint.occurredAt)) / DAY);
}
function complaintDays(events: DemoEvent[], end: number): number[] {
  return events.flatMap(({ touchpoint: tp }) =>
    tp.type === 'ticket_opened' && tp.data.complaint ? [(end - Date.parse(tp.occurredAt)) / DAY] : [],
  );
}
/** Product ids of the subscriptions started and not cancelled. */
function activeSubscriptions(events: DemoEvent[]): Set<string> {
  const active = new Map<string, string>();
  for (const { touchpoint: tp } of events) {
    if (tp.type === 'subscription_started') active.set(tp.data.subscriptionId, tp.data.productId);
    else if (tp.type === 'subscription_cancelled') active.delete(tp.data.subscriptionId);
  }
  return new Set(active.values());
}
function emailConsentAtEnd(events: DemoEvent[]): boolean {
  let granted = false;
  for (const { touchpoint: tp } of events) if (tp.type === 'consent_changed' && tp.data.channel === 'email') granted = tp.data.granted;
  return granted;
}

/**
 * Which customer slot each named person takes: the first one of their type. A population too
 * small to hold every type (under 5 customers) gives the remaining people the first free slots,
 * and as many people as it has customers.
 */
function namedSlots(types: LatentType[]): Map<number, ReadmePerson> {
  const slots = new Map<number, ReadmePerson>();
  const left: ReadmePerson[] = [];
  for (const person of README_PEOPLE) {
    const i = types.findIndex((t, k) => t === person.latentType && !slots.has(k));
    if (i >= 0) slots.set(i, person);
    else left.push(person);
  }
  for (const person of left) {
    const i = types.findIndex((_, k) => !slots.has(k));
    if (i >= 0) slots.set(i, person);
  }
  return slots;
}

export function generatePopulation(options: PopulationOptions): Population {
  const { seed, asOf } = options;
  const count = options.customers ?? DEFAULT_CUSTOMERS;
  if (!Number.isInteger(count) || count < 1) throw new Error('customers must be a positive integer');
  const volume = options.volume ?? 1;
  if (!Number.isFinite(volume) || volume <= 0) throw new Error('volume must be a positive number');
  const keep = Math.min(1, LOW_SIGNAL_SHARE * volume);
  const end = Math.floor(asOf.getTime() / 1000) * 1000;
  const rng = new Rng(seed, 'population');
  const faker = new Faker({ locale: [en, base] });
  faker.seed(seed);

  const campaigns = makeCampaigns(new Rng(seed, 'campaigns'), end);
  const types = assignTypes(rng, count);
  const phones = rng.shuffle(AREA_CODES.flatMap((a) => Array.from({ length: 100 }, (_, i) => `+1${a}5550${100 + i}`)));
  // Customer ids depend on the seed alone (the same people every run); activity ids (orders,
  // tickets, subscriptions) on asOf too, since the history is regenerated for each asOf.
  const customerIds = new UniqueIds(new Rng(seed, 'customer-ids'));
  const ids = new UniqueIds(new Rng(seed, `activity-ids:${end}`));
  // Reserved, so that no generated customer can get a named person's email.
  const usedEmails = new Set<string>(README_PEOPLE.map((p) => p.email));
  const named = options.readmePeople === false ? new Map<number, ReadmePerson>() : namedSlots(types);

  const customers: DemoCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const type = types[i]!;
    const firstName = faker.person.firstName();
    const lastName = faker.person.lastName();
    const address1 = faker.location.streetAddress();
    const zip = faker.location.zipCode('#####');
    const email = uniqueEmail(rng, firstName, lastName, usedEmails);
    const [city, country] = rng.pick(CITIES);
    const phone = rng.chance(0.5) ? phones.pop() : undefined;
    const customer: DemoCustomer = {
      key: `cust-${String(i + 1).padStart(5, '0')}`,
      latentType: type,
      firstName,
      lastName,
      email,
      ...(phone ? { phone } : {}),
      address1,
      zip,
      city,
      country,
      ids: { shopify: customerIds.shopifyCustomer(), stripe: customerIds.stripe('cus_', 14), zendesk: customerIds.zendeskUser() },
      events: [],
    };
    const person = named.get(i);
    if (person) {
      // The draws above are kept (they feed the next customers' names, emails and phones).
      Object.assign(customer, {
        latentType: person.latentType,
        firstName: person.firstName,
        lastName: person.lastName,
        email: person.email,
      });
      buildNamed(customer);
    } else {
      const lowSignal = { rng: new Rng(seed, `customer:${i}:low-signal`), keep };
      new Timeline(new Rng(seed, `customer:${i}`), customer, PROFILES[type], end, campaigns, ids, lowSignal).build();
    }
    customers.push(customer);
  }
  return { seed, asOf: new Date(end), catalog: CATALOG, campaigns, customers };

  /** A named person's history: the first of their streams whose history fits their description. */
  function buildNamed(customer: DemoCustomer): void {
    const fits = NAMED_FITS[customer.email]!;
    for (let attempt = 0; attempt < MAX_NAMED_ATTEMPTS; attempt++) {
      // Named after the person, not the slot: the search does not move when the slot does.
      const stream = `readme:${customer.email}:${attempt}`;
      const lowSignal = { rng: new Rng(seed, `${stream}:low-signal`), keep };
      new Timeline(new Rng(seed, stream), customer, PROFILES[customer.latentType], end, campaigns, ids, lowSignal).build();
      if (fits(customer.events, end)) return;
    }
    throw new Error(`no history in ${MAX_NAMED_ATTEMPTS} tries fits ${customer.email}: the type profiles and NAMED_FITS disagree`);
  }
}

/** Every event of the population, oldest first (ties keep customer order). */
export function allEvents(population: Population): DemoEvent[] {
  const events = population.customers.flatMap((c) => c.events);
  return events
    .map((e, i) => ({ e, i, t: Date.parse(e.touchpoint.occurredAt) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
}

/**
 * The identity a delivery of this kind carries for the customer, which is what its adapter
 * reads back: Shopify orders hold the whole customer, Stripe charges and invoices an email and
 * the `cus_` id, Stripe subscriptions and Zendesk ticket events nothing but the provider's id
 * (identity resolution links those through the deliveries that carry both: for Zendesk, the
 * user.created event, profile_updated here, and the satisfaction trigger body).
 */
export function customerRef(c: DemoCustomer, source: SourceName, type: TouchpointType): CustomerRef {
  const phone = c.phone ? { phone: c.phone } : {};
  switch (source) {
    case 'generic':
      return { email: c.email, ...phone, firstName: c.firstName, lastName: c.lastName };
    case 'shopify':
      return { email: c.email, ...phone, externalId: c.ids.shopify, firstName: c.firstName, lastName: c.lastName };
    case 'stripe':
      return type === 'subscription_started' || type === 'subscription_cancelled'
        ? { externalId: c.ids.stripe }
        : { email: c.email, ...phone, externalId: c.ids.stripe };
    case 'zendesk':
      return type === 'satisfaction_rated' || type === 'profile_updated'
        ? { email: c.email, externalId: c.ids.zendesk }
        : { externalId: c.ids.zendesk };
  }
}

function assignTypes(rng: Rng, count: number): LatentType[] {
  const types: LatentType[] = [];
  let assigned = 0;
  LATENT_TYPES.forEach((type, i) => {
    const n = i === LATENT_TYPES.length - 1 ? count - assigned : Math.round(PROFILES[type].share * count);
    for (let k = 0; k < n && assigned < count; k++, assigned++) types.push(type);
  });
  return rng.shuffle(types);
}

function uniqueEmail(rng: Rng, first: string, last: string, used: Set<string>): string {
  const clean = (s: string) =>
    s
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  const local = [clean(first) || 'customer', clean(last)].filter(Boolean).join(rng.pick(['.', '_', '']));
  const domain = rng.pick(EMAIL_DOMAINS);
  for (let n = 0; ; n++) {
    const email = `${local}${n === 0 ? '' : n + 1}@${domain}`;
    if (!used.has(email)) {
      used.add(email);
      return email;
    }
  }
}

function makeCampaigns(rng: Rng, end: number): Campaign[] {
  const campaigns: Campaign[] = [];
  let t = end - HISTORY_DAYS * DAY + rng.uniform(3, 10) * DAY;
  while (t < end - 2 * DAY) {
    const sentAt = utcDay(t) + 9 * HOUR + rng.int(0, 59) * MINUTE;
    const kind = rng.weighted(['newsletter', 'promo', 'launch'] as const, (k) => ({ newsletter: 4, promo: 4, launch: 1.5 })[k]);
    const date = new Date(sentAt).toISOString().slice(0, 10);
    const url =
      kind === 'promo'
        ? `https://shop.example.com/collections/sale?utm_campaign=${date}`
        : kind === 'launch'
          ? `https://shop.example.com/products/${rng.pick(SHOP_PRODUCTS).handle}?utm_campaign=${date}`
          : `https://shop.example.com/blogs/journal/${rng.pick(BLOG_POSTS)}?utm_campaign=${date}`;
    campaigns.push({ id: `cmp_${date.replaceAll('-', '')}_${kind}`, kind, sentAt, url });
    t += rng.uniform(30, 44) * DAY;
  }
  return campaigns;
}

const utcDay = (ms: number) => Math.floor(ms / DAY) * DAY;

/** Provider ids, unique across the population. */
class UniqueIds {
  private readonly used = new Set<string>();
  constructor(private readonly rng: Rng) {}

  private unique(make: () => string): string {
    for (;;) {
      const id = make();
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }
  shopifyCustomer = () => this.unique(() => `72${this.rng.digits(11)}`);
  shopifyOrder = () => this.unique(() => `58${this.rng.digits(11)}`);
  zendeskUser = () => this.unique(() => `39${this.rng.digits(10)}`);
  ticket = () => this.unique(() => this.rng.digits(6));
  /** 62^14 and more: a collision is out of reach, so these skip the bookkeeping. */
  stripe = (prefix: string, length: number) => `${prefix}${this.rng.chars(length)}`;
}

const SHOP_CATEGORIES = CATEGORIES.filter((c): c is ShopCategory => c !== 'subscriptions');
const PRODUCTS_BY_CATEGORY = new Map(SHOP_CATEGORIES.map((cat) => [cat, SHOP_PRODUCTS.filter((p) => p.category === cat)]));
/** Per type profile and category: product weights tilted towards expensive or cheap products. */
const PRICE_WEIGHTS = new Map(
  Object.values(PROFILES).map((p) => [
    p,
    new Map(SHOP_CATEGORIES.map((cat) => [cat, PRODUCTS_BY_CATEGORY.get(cat)!.map((x) => (x.priceMinor / 2500) ** p.priceTilt)])),
  ]),
);

interface Basket {
  items: Array<{ product: Product; quantity: number }>;
}

/** Builds one customer's timeline. */
class Timeline {
  private readonly events: Array<{ at: number; event: DemoEvent }> = [];
  private readonly start: number;
  /** Last day the customer is a buyer (lapsing customers stop months before asOf). */
  private readonly activeUntil: number;
  private readonly categoryWeightList: number[];
  private readonly priceWeights: Map<ShopCategory, number[]>;
  private readonly gapDays: number;
  /** One object per (source, type), shared by the customer's touchpoints: treat as read-only. */
  private readonly refs = new Map<string, CustomerRef>();
  private emailConsent: Array<[from: number, to: number]> = [];
  /** Prospects: interest at the first appearance, its fading time (days), and the first purchase (Infinity: none). */
  private interestLevel = 0;
  private fadeDays = 1;
  private convertAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly rng: Rng,
    private readonly c: DemoCustomer,
    private readonly p: TypeProfile,
    private readonly end: number,
    private readonly campaigns: Campaign[],
    private readonly ids: UniqueIds,
    /**
     * The low-signal kinds draw from their own stream, so `volume` (which sets `keep`, the
     * probability of keeping each) leaves every other event of the customer as it is.
     */
    private readonly lowSignal: { rng: Rng; keep: number },
  ) {
    this.start = end - rng.uniform(p.startDays[0], p.startDays[1]) * DAY;
    if (c.latentType === 'prospect') {
      const P = PROSPECTING;
      this.interestLevel = Math.exp(P.intentScale * rng.normal() + P.intentShift);
      this.fadeDays = rng.logNormal(P.fadeDays, P.fadeSigma);
      this.convertAt = this.conversion(rng.normal());
    }
    if (c.latentType === 'lapsing') {
      const churnDaysAgo = rng.uniform(95, 330);
      this.activeUntil = Math.max(end - churnDaysAgo * DAY, this.start + 150 * DAY);
    } else {
      this.activeUntil = end;
    }
    // Per-customer taste: the type's category weights times a personal gamma factor, so every
    // customer has favourites but the type's profile still shows through.
    const w = { ...p.categories };
    for (const cat of Object.keys(w) as ShopCategory[]) w[cat] *= rng.gamma(1.5, 1);
    this.categoryWeightList = SHOP_CATEGORIES.map((cat) => w[cat]);
    this.priceWeights = PRICE_WEIGHTS.get(p)!;
    this.gapDays = rng.logNormal(p.gapDays, 0.3);
  }

  build(): void {
    this.signup();
    this.purchases();
    this.subscriptions();
    this.supportTickets();
    this.consentChanges();
    this.emails();
    this.browsing();
    this.profileUpdates();
    this.zendeskUser();
    this.c.events = this.events
      .filter((e) => e.at <= this.end)
      .sort((a, b) => a.at - b.at || a.event.seq - b.event.seq)
      .map((e) => e.event);
  }

  private emit(
    source: SourceName,
    at: number,
    tp: DistributiveOmit<Touchpoint, 'occurredAt' | 'customer'>,
    meta: EventMeta = {},
  ): Touchpoint {
    const seconds = Math.floor(at / 1000) * 1000;
    const refKey = `${source}:${tp.type}`;
    let customer = this.refs.get(refKey);
    if (!customer) {
      customer = customerRef(this.c, source, tp.type);
      this.refs.set(refKey, customer);
    }
    const touchpoint = { ...tp, occurredAt: iso(seconds), customer } as Touchpoint;
    this.events.push({ at: seconds, event: { customerKey: this.c.key, seq: this.events.length, source, touchpoint, meta } });
    return touchpoint;
  }

  /** A moment on the given day, following the daily shopping rhythm. */
  private onDay(ms: number, rng = this.rng): number {
    const hour = rng.weightedIndex(HOUR_WEIGHTS);
    return utcDay(ms) + hour * HOUR + rng.int(0, 3599) * 1000;
  }

  private years(from: number, to: number) {
    return Math.max(0, to - from) / (365 * DAY);
  }

  private signup(): void {
    const at = this.start - this.rng.uniform(1, 60) * MINUTE;
    // A low-signal profile update (the consent events below carry the name too).
    if (this.lowSignal.rng.chance(this.lowSignal.keep)) {
      this.emit('generic', at, {
        type: 'profile_updated',
        data: { firstName: this.c.firstName, lastName: this.c.lastName, city: this.c.city, country: this.c.country, signup: true },
      });
    }
    if (this.rng.chance(this.p.emailOptIn)) {
      this.emit('generic', at + 30_000, { type: 'consent_changed', data: { channel: 'email', granted: true } });
      this.emailConsent.push([at + 30_000, Number.POSITIVE_INFINITY]);
    }
    if (this.c.phone && this.rng.chance(this.p.smsOptIn)) {
      this.emit('generic', at + 45_000, { type: 'consent_changed', data: { channel: 'sms', granted: true } });
    }
  }

  // ---- purchases -------------------------------------------------------------------------

  private purchases(): void {
    const isNew = this.c.latentType === 'new';
    let t = this.start + (isNew ? this.rng.uniform(0, 4) : this.rng.uniform(0, 10)) * DAY;
    if (this.c.latentType === 'prospect') t = this.convertAt;
    const span = this.activeUntil - this.start;
    while (t <= this.activeUntil) {
      this.purchase(this.onDay(t));
      let gap = this.rng.gamma(this.p.gapShape, this.gapDays);
      if (this.c.latentType === 'lapsing') {
        // Purchases thin out over the second half of a lapsing customer's life.
        const progress = (t - this.start) / span;
        gap *= 1 + 5 * Math.max(0, progress - 0.45) ** 1.5;
      }
      t += Math.max(1, gap) * DAY;
    }
    if (this.c.latentType === 'lapsing') this.lapse();
  }

  private basket(): Basket {
    const n = Math.min(6, 1 + this.rng.poisson(this.p.extraItems));
    const items = new Map<string, { product: Product; quantity: number }>();
    const add = (product: Product) => {
      const existing = items.get(product.sku);
      if (existing) existing.quantity += 1;
      else items.set(product.sku, { product, quantity: 1 + (this.rng.chance(this.p.extraQuantity) ? this.rng.int(1, 2) : 0) });
    };
    const primary = this.pickProduct();
    add(primary);
    let last = primary;
    while (items.size < n) {
      const companions = last.companions.length ? last.companions : primary.companions;
      const next = companions.length && this.rng.chance(0.65) ? productBySku(this.rng.pick(companions)) : this.pickProduct();
      if (items.has(next.sku) && items.size >= 2) break;
      add(next);
      last = next;
    }
    return { items: [...items.values()] };
  }

  private pickProduct(rng = this.rng): Product {
    const cat = SHOP_CATEGORIES[rng.weightedIndex(this.categoryWeightList)]!;
    const candidates = PRODUCTS_BY_CATEGORY.get(cat)!;
    return candidates[rng.weightedIndex(this.priceWeights.get(cat)!)]!;
  }

  private purchase(at: number): void {
    const basket = this.basket();
    const subtotal = basket.items.reduce((s, i) => s + i.product.priceMinor * i.quantity, 0);
    let discountMinor = 0;
    let discountCode: string | undefined;
    if (this.rng.chance(this.p.couponPerPurchase)) {
      const [code, pct] = this.pickCoupon();
      discountCode = code;
      discountMinor = Math.round(subtotal * pct);
      this.emit('generic', at - this.rng.uniform(0.2, 48) * HOUR, {
        type: 'coupon_requested',
        data: { code, ...this.campaignRef(at) },
      });
    }
    const single = basket.items.length === 1 && basket.items[0]!.quantity === 1;
    const source: SourceName = !discountCode && single && this.rng.chance(this.p.stripeShare) ? 'stripe' : 'shopify';
    const noise = this.lowSignal.rng;
    if (source === 'shopify' && noise.chance(this.p.visitBeforePurchase * this.lowSignal.keep)) {
      this.emit('generic', at - noise.uniform(3, 90) * MINUTE, {
        type: 'web_visit',
        data: { url: `https://shop.example.com/products/${basket.items[0]!.product.handle}` },
      });
    }
    const shippingMinor = source === 'shopify' && subtotal - discountMinor < 4000 ? 490 : 0;
    const totalMinor = subtotal - discountMinor + shippingMinor;
    const orderId = source === 'shopify' ? this.ids.shopifyOrder() : this.ids.stripe('ch_3', 24);
    const purchase = this.emit(
      source,
      at,
      {
        type: 'purchase',
        data: {
          orderId,
          currency: CURRENCY,
          totalMinor,
          ...(discountMinor > 0 ? { discountMinor } : {}),
          items: basket.items.map(({ product, quantity }) => ({
            sku: product.sku,
            productId: product.productId,
            name: product.name,
            category: product.category,
            quantity,
            unitPriceMinor: product.priceMinor,
          })),
        },
      },
      { shippingMinor, discountMinor, ...(discountCode ? { discountCode } : {}) },
    );

    if (this.rng.chance(this.p.refundPerPurchase)) {
      this.refund(source, at + this.rng.uniform(2, 25) * DAY, purchase, basket, discountMinor, subtotal);
    }
    if (this.rng.chance(this.p.ticketPerPurchase)) {
      this.ticket(this.onDay(at + this.rng.uniform(1, 12) * DAY), this.rng.chance(this.p.complaintShare));
    }
  }

  private refund(source: SourceName, at: number, purchase: Touchpoint, basket: Basket, discount: number, subtotal: number): void {
    if (purchase.type !== 'purchase') return;
    const full = basket.items.length === 1 || this.rng.chance(0.5);
    const refunded = full ? basket.items : [this.rng.pick(basket.items)];
    // A partial refund returns the item's share of the discounted price.
    const scale = subtotal > 0 ? (subtotal - discount) / subtotal : 1;
    const refundItems = refunded.map(({ product, quantity }) => ({
      sku: product.sku,
      quantity,
      amountMinor: Math.round(product.priceMinor * quantity * scale),
    }));
    const amountMinor = full ? purchase.data.totalMinor : refundItems.reduce((s, i) => s + i.amountMinor, 0);
    if (amountMinor <= 0) return;
    this.emit(
      source,
      at,
      {
        type: 'refund',
        // Shopify keeps the merchant's note; Stripe's charge.refunded event carries no reason.
        data: {
          orderId: purchase.data.orderId,
          currency: CURRENCY,
          amountMinor,
          ...(source === 'shopify' ? { reason: this.rng.pick(REFUND_NOTES) } : {}),
        },
      },
      { refundItems, refundOf: { occurredAt: purchase.occurredAt, totalMinor: purchase.data.totalMinor } },
    );
  }

  private pickCoupon(rng = this.rng): [string, number] {
    const [lo, hi] = this.p.discount;
    const fitting = COUPONS.filter(([, pct]) => pct >= lo && pct <= hi);
    return rng.pick(fitting.length ? fitting : COUPONS);
  }

  private campaignRef(at: number): { campaignId?: string } {
    const campaign = this.campaignBefore(at);
    return campaign ? { campaignId: campaign.id } : {};
  }

  private campaignBefore(at: number): Campaign | undefined {
    let found: Campaign | undefined;
    for (const c of this.campaigns) if (c.sentAt <= at && c.kind === 'promo') found = c;
    return found && at - found.sentAt < 21 * DAY ? found : undefined;
  }

  /** The end of a lapsing customer: a complaint or a bad rating near the last purchase. */
  private lapse(): void {
    const at = this.onDay(this.activeUntil - this.rng.uniform(0, 40) * DAY);
    if (this.rng.chance(0.75)) this.ticket(at, true, [1, 2]);
    else this.ticket(at, false, [1, 2], 1);
    if (this.rng.chance(0.1)) {
      // Some leave after a refund they had to ask for.
      this.ticket(this.onDay(at + this.rng.uniform(3, 20) * DAY), true, [1, 1]);
    }
  }

  // ---- subscriptions ---------------------------------------------------------------------

  private subscriptions(): void {
    const lifeEnd = this.activeUntil;
    if (this.rng.chance(this.p.membership)) {
      const tier = (['basic', 'plus', 'premium'] as const)[this.rng.weightedIndex(this.p.tiers)]!;
      const from = this.start + this.rng.uniform(0, Math.min(150, (lifeEnd - this.start) / DAY / 2)) * DAY;
      this.subscription(MEMBERSHIP[tier], from);
    }
    if (this.rng.chance(this.p.coffeeSubscription)) {
      const from = this.start + this.rng.uniform(10, Math.max(20, Math.min(300, (lifeEnd - this.start) / DAY - 60))) * DAY;
      this.subscription(COFFEE_SUBSCRIPTION, from);
    }
  }

  private subscription(product: Product, from: number): void {
    const sub = product.subscription!;
    const every = sub.intervalCount ?? 1;
    const subscriptionId = this.ids.stripe('sub_1', 23);
    const startedAt = this.onDay(from);
    this.emit(
      'stripe',
      startedAt,
      {
        type: 'subscription_started',
        data: { subscriptionId, productId: product.productId, plan: sub.plan, currency: CURRENCY, amountMinor: product.priceMinor },
      },
      { subscriptionId, priceId: sub.priceId, interval: sub.interval, intervalCount: every },
    );
    let cancelAt = Number.POSITIVE_INFINITY;
    let cancelReason = 'cancellation_requested';
    let feedback: string | undefined;
    let failBeforeCancel = false;
    if (this.c.latentType === 'lapsing' && this.rng.chance(this.p.cancelSubscription)) {
      cancelAt = this.activeUntil + this.rng.uniform(-30, 20) * DAY;
      failBeforeCancel = this.rng.chance(0.5);
      if (failBeforeCancel) cancelReason = 'payment_failed';
    } else if (this.rng.chance(this.p.cancelSubscription)) {
      cancelAt = startedAt + this.rng.uniform(60, 500) * DAY;
    }
    cancelAt = Math.max(cancelAt, startedAt + DAY);
    if (cancelReason === 'cancellation_requested' && this.rng.chance(0.6)) {
      feedback =
        this.c.latentType === 'complainer' || this.c.latentType === 'lapsing'
          ? this.rng.pick(['customer_service', 'low_quality', 'too_expensive', 'switched_service'])
          : this.rng.pick(CANCEL_FEEDBACK);
    }

    const period = (n: number) => {
      const d = new Date(startedAt);
      if (sub.interval === 'month') d.setUTCMonth(d.getUTCMonth() + n * every);
      else d.setUTCFullYear(d.getUTCFullYear() + n * every);
      return d.getTime();
    };
    let lastCharge = startedAt;
    for (let n = 0; ; n++) {
      const due = n === 0 ? startedAt + this.rng.int(2, 20) * 1000 : period(n);
      if (due > this.end || due >= cancelAt) break;
      const invoiceId = this.ids.stripe('in_1', 23);
      const meta = { subscriptionId, invoiceId, priceId: sub.priceId, interval: sub.interval, intervalCount: every };
      const finalFailure = failBeforeCancel && n > 0 && period(n + 1) >= cancelAt;
      if (finalFailure || (n > 0 && this.rng.chance(this.p.paymentFailurePerCharge))) {
        this.emit(
          'stripe',
          due,
          {
            type: 'payment_failed',
            // The invoice event carries no decline reason (that lives on the payment intent).
            data: { invoiceId, currency: CURRENCY, amountMinor: product.priceMinor },
          },
          { ...meta, declineCode: this.rng.pick(['card_declined', 'insufficient_funds', 'expired_card']), attempt: 1 },
        );
        if (finalFailure) {
          cancelAt = due + this.rng.uniform(3, 14) * DAY;
          break;
        }
        // Smart retries succeed a few days later.
        this.subscriptionCharge(product, due + this.rng.uniform(2, 5) * DAY, meta);
      } else {
        this.subscriptionCharge(product, due, meta);
      }
      lastCharge = due;
    }
    if (cancelAt <= this.end && Number.isFinite(cancelAt)) {
      this.emit(
        'stripe',
        Math.max(cancelAt, lastCharge + MINUTE),
        {
          type: 'subscription_cancelled',
          // Stripe's customer feedback when given, else why the subscription ended.
          data: { subscriptionId, productId: product.productId, reason: feedback ?? cancelReason },
        },
        {
          subscriptionId,
          priceId: sub.priceId,
          interval: sub.interval,
          intervalCount: every,
          subscriptionStartedAt: iso(startedAt),
          cancellation: { reason: cancelReason, ...(feedback ? { feedback } : {}) },
        },
      );
    }
  }

  private subscriptionCharge(product: Product, at: number, meta: EventMeta): void {
    this.emit(
      'stripe',
      at,
      {
        type: 'purchase',
        data: {
          orderId: this.ids.stripe('ch_3', 24),
          currency: CURRENCY,
          totalMinor: product.priceMinor,
          items: [
            {
              sku: product.sku,
              productId: product.productId,
              name: product.name,
              category: product.category,
              quantity: 1,
              unitPriceMinor: product.priceMinor,
            },
          ],
        },
      },
      { ...meta, shippingMinor: 0, discountMinor: 0 },
    );
  }

  // ---- support ---------------------------------------------------------------------------

  private supportTickets(): void {
    const until = Math.min(this.end, this.activeUntil + 30 * DAY);
    const n = this.rng.poisson(this.p.ticketsPerYear * this.years(this.start, until));
    for (let i = 0; i < n; i++) {
      this.ticket(this.onDay(this.rng.uniform(this.start, until)), this.rng.chance(this.p.complaintShare));
    }
  }

  /** A Zendesk ticket: opened, usually solved, sometimes rated. */
  private ticket(at: number, complaint: boolean, scoreRange?: [number, number], rateProbability = this.p.rateProbability): void {
    const ticketId = this.ids.ticket();
    const subject = this.rng.pick(complaint ? COMPLAINT_SUBJECTS : QUESTION_SUBJECTS);
    const priority = complaint ? this.rng.pick(['normal', 'high', 'high', 'urgent']) : this.rng.pick(['low', 'normal', 'normal']);
    const tags = complaint ? ['complaint', subject.split(' ')[0]!.toLowerCase()] : ['question'];
    const description = complaint
      ? `${subject}. I expected better from you and would like this sorted out.`
      : `${subject} Thanks in advance!`;
    const openedAt = iso(at);
    const ticket = { description, tags, openedAt };
    this.emit(
      'zendesk',
      at,
      { type: 'ticket_opened', data: { ticketId, subject, priority, complaint } },
      { ticket: { ...ticket, status: 'open' } },
    );
    const resolutionHours = this.rng.gamma(1.5, complaint ? 60 : 20);
    const solvedAt = at + Math.max(0.2, resolutionHours) * HOUR;
    if (this.rng.chance(complaint ? 0.9 : 0.97)) {
      this.emit('zendesk', solvedAt, { type: 'ticket_solved', data: { ticketId } }, { ticket: { ...ticket, status: 'solved' } });
      if (this.rng.chance(rateProbability)) {
        let score = this.rng.weightedIndex(this.p.scores) + 1;
        if (scoreRange) score = this.rng.int(scoreRange[0], scoreRange[1]);
        else if (complaint) score = Math.max(1, score - 1);
        this.emit(
          'zendesk',
          solvedAt + this.rng.uniform(1, 36) * HOUR,
          {
            type: 'satisfaction_rated',
            data: {
              score,
              ticketId,
              ...(score <= 2 && this.rng.chance(0.5)
                ? { comment: 'Took far too long.' }
                : score >= 4 && this.rng.chance(0.3)
                  ? { comment: 'Quick and friendly, thanks!' }
                  : {}),
            },
          },
          { ticket: { ...ticket, status: 'solved' } },
        );
      }
    }
  }

  /**
   * Zendesk's user.created for a customer who will have tickets, so that the requester id of
   * their ticket events resolves to the customer their email belongs to. The end user appears in
   * Zendesk (help centre sign-in, a chat) up to a month before the first ticket, not before the
   * customer's first appearance, and in any case one to ten minutes before that ticket.
   */
  private zendeskUser(): void {
    let firstTicket = Number.POSITIVE_INFINITY;
    for (const { at, event } of this.events) if (event.source === 'zendesk' && at <= this.end) firstTicket = Math.min(firstTicket, at);
    if (!Number.isFinite(firstTicket)) return;
    const early = Math.max(this.start, firstTicket - this.rng.uniform(1, 30) * DAY);
    const at = Math.min(early, firstTicket - this.rng.int(60, 600) * SECOND);
    this.emit('zendesk', at, { type: 'profile_updated', data: { role: 'end-user' } });
  }

  // ---- marketing -------------------------------------------------------------------------

  private consentChanges(): void {
    const type = this.c.latentType;
    if (this.emailConsent.length && this.rng.chance(this.p.emailOptOut)) {
      const at = type === 'lapsing' ? this.activeUntil + this.rng.uniform(0, 90) * DAY : this.rng.uniform(this.start + 7 * DAY, this.end);
      if (at <= this.end) {
        this.emit('generic', at, { type: 'consent_changed', data: { channel: 'email', granted: false } });
        this.emailConsent[0]![1] = at;
      }
    }
    const smsGranted = this.events.some(({ event: { touchpoint: tp } }) => tp.type === 'consent_changed' && tp.data.channel === 'sms');
    if (smsGranted && this.rng.chance(this.p.smsOptOut)) {
      this.emit('generic', this.rng.uniform(this.start + 7 * DAY, this.end), {
        type: 'consent_changed',
        data: { channel: 'sms', granted: false },
      });
    }
  }

  /** Low-signal: campaign emails opened and clicked. */
  private emails(): void {
    if (this.c.latentType === 'prospect') {
      this.prospectEmails();
      return;
    }
    const { rng, keep } = this.lowSignal;
    const consented = (t: number) => this.emailConsent.some(([from, to]) => t >= from && t < to);
    for (const campaign of this.campaigns) {
      if (!consented(campaign.sentAt)) continue;
      // Campaigns go to a segment of the list: the low-signal share decides who got this one.
      if (!rng.chance(keep)) continue;
      let open = this.p.open[campaign.kind];
      if (campaign.sentAt > this.activeUntil) open *= 0.12;
      if (this.c.latentType === 'new' && campaign.sentAt - this.start < 30 * DAY) open = Math.min(0.9, open * 1.4);
      if (!rng.chance(open)) continue;
      const openedAt = campaign.sentAt + rng.exponential(5) * HOUR;
      const messageId = `<${rng.chars(20, '0123456789abcdef')}@mail.example.com>`;
      this.emit('generic', openedAt, { type: 'email_opened', data: { campaignId: campaign.id, messageId } });
      if (rng.chance(this.p.click[campaign.kind])) {
        this.emit('generic', openedAt + rng.uniform(0.2, 15) * MINUTE, {
          type: 'email_clicked',
          data: { campaignId: campaign.id, messageId, url: campaign.url },
        });
      }
    }
  }

  /** Web visits and coupon requests (low-signal), and contact-form inquiries. */
  private browsing(): void {
    if (this.c.latentType === 'prospect') {
      this.prospectBrowsing();
      return;
    }
    const { rng, keep } = this.lowSignal;
    const until = Math.min(this.end, this.activeUntil + 45 * DAY);
    const months = this.years(this.start, until) * 12;
    const visits = rng.poisson(this.p.visitsPerMonth * months * keep);
    for (let i = 0; i < visits; i++) {
      const at = this.onDay(rng.uniform(this.start, until), rng);
      const r = rng.next();
      const url =
        this.c.latentType === 'bargain_hunter' && r < 0.5
          ? 'https://shop.example.com/collections/sale'
          : r < 0.75
            ? `https://shop.example.com/products/${this.pickProduct(rng).handle}`
            : `https://shop.example.com/collections/${this.pickProduct(rng).category}`;
      this.emit('generic', at, { type: 'web_visit', data: { url } });
    }
    const inquiries =
      this.rng.poisson(this.p.inquiriesPerYear * this.years(this.start, until)) +
      (this.c.latentType === 'new' && this.rng.chance(0.3) ? 1 : 0);
    for (let i = 0; i < inquiries; i++) {
      const at = this.onDay(this.rng.uniform(this.start - 2 * DAY, until));
      this.emit('generic', at, {
        type: 'inquiry',
        data: { url: 'https://shop.example.com/pages/contact', topic: this.rng.pick(INQUIRY_TOPICS) },
      });
    }
    // Coupons asked for outside a purchase (those redeemed with one come with the purchase).
    const coupons = rng.poisson(this.p.couponsPerYear * this.years(this.start, until) * keep);
    for (let i = 0; i < coupons; i++) {
      const at = this.onDay(rng.uniform(this.start, until), rng);
      this.emit('generic', at, { type: 'coupon_requested', data: { code: this.pickCoupon(rng)[0], ...this.campaignRef(at) } });
    }
  }

  // ---- prospects (see PROSPECTING) -------------------------------------------------------

  private interest(at: number): number {
    return at < this.start ? 0 : this.interestLevel * Math.exp(-(at - this.start) / DAY / this.fadeDays);
  }

  /** The first purchase of a prospect, day by day through the conversion window; Infinity when none. */
  private conversion(noise: number): number {
    const P = PROSPECTING;
    const factor = P.hazard * Math.exp(P.hazardNoise * noise);
    for (let day = Math.max(this.start + DAY, this.end - P.convertWindowDays * DAY); day <= this.end; day += DAY) {
      if (this.rng.chance(1 - Math.exp(-factor * this.interest(day)))) return this.onDay(day);
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Times of a Poisson process with rate perDay · interest(t) from start to end (thinning). */
  private interestEvents(perDay: number): number[] {
    const peak = perDay * this.interestLevel;
    const times: number[] = [];
    if (peak <= 0) return times;
    for (let t = this.start + this.rng.exponential(1 / peak) * DAY; t <= this.end; t += this.rng.exponential(1 / peak) * DAY) {
      if (this.rng.chance(this.interest(t) / this.interestLevel)) times.push(t);
    }
    return times;
  }

  /**
   * A prospect's web visits, inquiries and coupon requests. They are the informative kinds for
   * this type, so they come from the customer's main stream and do not depend on `volume`.
   */
  private prospectBrowsing(): void {
    const { visits, inquiries, coupons } = PROSPECTING.perDay;
    // Every prospect shows up with a first visit.
    for (const t of [this.start, ...this.interestEvents(visits)]) {
      const product = this.pickProduct();
      const url = this.rng.chance(0.7)
        ? `https://shop.example.com/products/${product.handle}`
        : `https://shop.example.com/collections/${product.category}`;
      this.emit('generic', t, { type: 'web_visit', data: { url } });
    }
    for (const t of this.interestEvents(inquiries)) {
      this.emit('generic', this.onDay(t), {
        type: 'inquiry',
        data: { url: 'https://shop.example.com/pages/contact', topic: this.rng.pick(INQUIRY_TOPICS) },
      });
    }
    for (const t of this.interestEvents(coupons)) {
      const at = this.onDay(t);
      this.emit('generic', at, { type: 'coupon_requested', data: { code: this.pickCoupon()[0], ...this.campaignRef(at) } });
    }
  }

  /** Every campaign a consenting prospect gets, opened and clicked as their interest at the time has it. */
  private prospectEmails(): void {
    const rng = this.rng;
    const consented = (t: number) => this.emailConsent.some(([from, to]) => t >= from && t < to);
    for (const campaign of this.campaigns) {
      if (!consented(campaign.sentAt)) continue;
      const lift = Math.sqrt(this.interest(campaign.sentAt));
      if (!rng.chance(Math.min(0.9, this.p.open[campaign.kind] * lift))) continue;
      const openedAt = campaign.sentAt + rng.exponential(5) * HOUR;
      const messageId = `<${rng.chars(20, '0123456789abcdef')}@mail.example.com>`;
      this.emit('generic', openedAt, { type: 'email_opened', data: { campaignId: campaign.id, messageId } });
      if (rng.chance(Math.min(0.9, this.p.click[campaign.kind] * lift))) {
        this.emit('generic', openedAt + rng.uniform(0.2, 15) * MINUTE, {
          type: 'email_clicked',
          data: { campaignId: campaign.id, messageId, url: campaign.url },
        });
      }
    }
  }

  /** Low-signal: later profile updates (city, preferences). */
  private profileUpdates(): void {
    const { rng, keep } = this.lowSignal;
    const n = rng.poisson(this.p.profileUpdatesPerYear * this.years(this.start, this.end) * keep);
    for (let i = 0; i < n; i++) {
      const at = rng.uniform(this.start + DAY, this.end);
      const [city, country] = rng.pick(CITIES);
      const data = rng.chance(0.6)
        ? { city, country }
        : { preferences: { roast: rng.pick(['light', 'medium', 'dark']), newsletter: rng.pick(['weekly', 'monthly']) } };
      this.emit('generic', at, { type: 'profile_updated', data });
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
