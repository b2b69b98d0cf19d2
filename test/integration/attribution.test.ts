import { jest } from '@jest/globals';
import { daysAgo, postJson as post } from '../helpers/offers.js';
import { startRun, waitForRun } from '../helpers/mining.js';
import { api } from '../helpers/stack.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';

/**
 * Responses attributed at ingest, through the real webhook endpoint: a purchase converts the offer
 * it answers and is credited to the customer's campaign assignment (control included), once per
 * order whatever is redelivered or concurrent; a refund takes back its share and a full refund
 * reverses the conversion; results count both groups by the same rule and survive an erasure.
 */
jest.setTimeout(240_000);

async function newCustomer(tag: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(tag);
  const res = await deliver('generic', purchase({ email }, 1_000, daysAgo(60), 'books'));
  expect(res.status).toBe(201);
  return { id: res.body.customerId, email };
}

async function newCampaign(over: Record<string, unknown> = {}) {
  const res = await post('/campaigns', {
    name: 'Coffee push',
    channel: 'branch',
    productFamily: 'coffee',
    startsAt: '2026-01-01',
    ...over,
  });
  expect(res.status).toBe(201);
  return (await res.json()).campaign as { id: string };
}

const coffeeOffer = (customerId: string, extra: Record<string, unknown> = {}) => ({
  customerId,
  kind: 'offer',
  productId: 'prod-coffee',
  // Branch: no opt-in needed, so the no-consent rule stays out of these stories.
  channel: 'branch',
  ...extra,
});

/** A purchase of `category` now (after the offer), with a fixed order id so it can be redelivered. */
const purchaseNow = (email: string, orderId: string, totalMinor: number, category = 'coffee') => {
  const body = purchase({ email }, totalMinor, new Date().toISOString(), category);
  (body.data as { orderId: string }).orderId = orderId;
  return body;
};

const refundOf = (email: string, orderId: string, amountMinor: number) =>
  genericTouchpoint('refund', { email }, { orderId, currency: 'EUR', amountMinor }, new Date().toISOString());

const offerOf = async (id: string) => (await (await api(`/offers/${id}`)).json()) as { offer: Record<string, any>; audit: any[] };
const results = async (campaignId: string) => {
  const res = await api(`/campaigns/${campaignId}/results`);
  expect(res.status).toBe(200);
  return res.json() as Promise<Record<string, any>>;
};

describe('attribution of purchases to offers', () => {
  it('converts the offer a matching purchase answers, once, with revenue and the touchpoint in its audit trail', async () => {
    const { id, email } = await newCustomer('attr-convert');
    const registered = await post('/offers', coffeeOffer(id));
    expect(registered.status).toBe(201);
    const offerId = (await registered.json()).offer.id as string;

    // A purchase of something else does not answer it.
    expect((await deliver('generic', purchaseNow(email, `tea-${offerId}`, 900, 'tea'))).status).toBe(201);
    expect((await offerOf(offerId)).offer.status).toBe('active');

    const order = `coffee-${offerId}`;
    const body = purchaseNow(email, order, 2_500);
    const first = await deliver('generic', body);
    expect(first.status).toBe(201);
    const { offer, audit } = await offerOf(offerId);
    expect(offer.status).toBe('converted');
    expect(offer.conversion).toMatchObject({
      touchpointId: first.body.touchpointId,
      revenueMinor: 2_500,
      currency: 'EUR',
      refundedMinor: 0,
    });
    expect(audit.at(-1)).toMatchObject({ action: 'status-changed', actor: 'attribution', from: 'active', to: 'converted' });

    // A redelivery, and the same order under a new event id, change nothing.
    expect((await deliver('generic', body)).status).toBe(200);
    const again = purchaseNow(email, order, 2_500);
    expect((await deliver('generic', again)).status).toBe(200);
    const after = await offerOf(offerId);
    expect(after.audit.filter((a) => a.to === 'converted')).toHaveLength(1);
    // A converted offer cannot be declined afterwards.
    const patched = await api(`/offers/${offerId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'declined', actor: 'agent' }),
    });
    expect(patched.status).toBe(409);
  });

  it('takes a refund back by its share, and a full refund reverses the conversion (once each)', async () => {
    const { id, email } = await newCustomer('attr-refund');
    const offerId = (await (await post('/offers', coffeeOffer(id))).json()).offer.id as string;
    const order = `refund-${offerId}`;
    expect((await deliver('generic', purchaseNow(email, order, 4_000))).status).toBe(201);

    const partial = refundOf(email, order, 1_000);
    const eventId = `evt-refund-${offerId}`;
    expect((await deliver('generic', partial, { eventId })).status).toBe(201);
    expect((await deliver('generic', partial, { eventId })).status).toBe(200); // redelivered: applied once
    let { offer } = await offerOf(offerId);
    expect(offer).toMatchObject({ status: 'converted', conversion: { revenueMinor: 3_000, refundedMinor: 1_000 } });

    expect((await deliver('generic', refundOf(email, order, 3_000))).status).toBe(201);
    ({ offer } = await offerOf(offerId));
    expect(offer.status).toBe('active');
    expect(offer.conversion).toBeUndefined();
    const { audit } = await offerOf(offerId);
    expect(audit.at(-1)).toMatchObject({ actor: 'attribution', from: 'converted', to: 'active' });

    // The offer is open again: a later purchase converts it.
    expect((await deliver('generic', purchaseNow(email, `${order}-2`, 1_500))).status).toBe(201);
    expect((await offerOf(offerId)).offer).toMatchObject({ status: 'converted', conversion: { revenueMinor: 1_500 } });
  });

  it('lets one of two concurrent purchases convert the offer', async () => {
    const { id, email } = await newCustomer('attr-race');
    const offerId = (await (await post('/offers', coffeeOffer(id))).json()).offer.id as string;
    const sent = await Promise.all([1, 2, 3, 4].map((i) => deliver('generic', purchaseNow(email, `race-${offerId}-${i}`, 1_000 * i))));
    expect(sent.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const { offer, audit } = await offerOf(offerId);
    expect(offer.status).toBe('converted');
    expect(audit.filter((a) => a.to === 'converted')).toHaveLength(1);
  });
});

describe('campaign results', () => {
  it('counts both groups by one rule from the assignment date, once per order, and keeps an erased customer as an anonymous count', async () => {
    const campaign = await newCampaign({ holdoutPercent: 50 });
    const customers = await Promise.all(Array.from({ length: 16 }, (_, i) => newCustomer(`attr-res-${i}`)));
    const batch = await post(`/campaigns/${campaign.id}/assignments/batch`, { customerIds: customers.map((c) => c.id) });
    expect(batch.status).toBe(200);
    const groupOf = new Map<string, string>(
      (await batch.json()).assignments.map((a: { customerId: string; group: string }) => [a.customerId, a.group]),
    );
    const treated = customers.filter((c) => groupOf.get(c.id) === 'treatment');
    const held = customers.filter((c) => groupOf.get(c.id) === 'control');
    expect(treated.length).toBeGreaterThan(1);
    expect(held.length).toBeGreaterThan(1);

    // Offers reach the treatment group (the control group cannot be offered: holdout).
    for (const c of treated) expect((await post('/offers', coffeeOffer(c.id, { campaignId: campaign.id }))).status).toBe(201);
    expect((await post('/offers', coffeeOffer(held[0]!.id, { campaignId: campaign.id }))).status).toBe(409);

    // Two treated and one held-out customer buy coffee; one treated customer buys twice; a tea purchase is no response.
    const [t1, t2] = treated;
    const [c1] = held;
    const bodies = [
      purchaseNow(t1!.email, `res-${campaign.id}-t1a`, 2_000),
      purchaseNow(t1!.email, `res-${campaign.id}-t1b`, 500),
      purchaseNow(t2!.email, `res-${campaign.id}-t2`, 3_000),
      purchaseNow(c1!.email, `res-${campaign.id}-c1`, 1_200),
      purchaseNow(held[1]!.email, `res-${campaign.id}-tea`, 800, 'tea'),
    ];
    for (const b of bodies) expect((await deliver('generic', b)).status).toBe(201);
    for (const b of bodies) expect((await deliver('generic', b)).status).toBe(200); // redeliveries count nothing

    const r = await results(campaign.id);
    expect(r.treatment).toMatchObject({ customers: treated.length, contacted: treated.length, converted: 2, revenueMinor: 5_500 });
    expect(r.control).toMatchObject({ customers: held.length, converted: 1, revenueMinor: 1_200 });
    expect(r.uplift.absolute).toBeCloseTo(2 / treated.length - 1 / held.length, 10);
    expect(r.uplift.ci95[0]).toBeLessThan(r.uplift.absolute);
    expect(r.conclusive).toBe(false);
    expect(r.note).toMatch(/Too few customers/);
    expect(r.currency).toBe('EUR');
    expect(r.byChannel).toEqual([
      expect.objectContaining({ channel: 'branch', treatment: expect.objectContaining({ contacted: treated.length }) }),
    ]);
    expect(r.measurement).toMatch(/Intention to treat/);

    // Erasing the converted control customer keeps the counts, without the customer.
    expect((await api(`/customers/${c1!.id}`, { method: 'DELETE' })).status).toBe(200);
    const after = await results(campaign.id);
    expect(after.control).toEqual(r.control);
    expect(after.treatment).toEqual(r.treatment);
    // And a refund in full takes a treated customer's conversion back.
    expect((await deliver('generic', refundOf(t2!.email, `res-${campaign.id}-t2`, 3_000))).status).toBe(201);
    expect((await results(campaign.id)).treatment).toMatchObject({ converted: 1, revenueMinor: 2_500 });
  });

  it('answers 404 for an unknown campaign and 422 for fromFlags on a campaign without a flag type', async () => {
    expect((await api('/campaigns/01UNKNOWNCAMPAIGN/results')).status).toBe(404);
    const campaign = await newCampaign();
    const res = await post(`/campaigns/${campaign.id}/assignments/batch`, { fromFlags: { limit: 10 } });
    expect(res.status).toBe(422);
    expect((await res.json()).issues[0].path).toBe('body.fromFlags');
    const both = await post(`/campaigns/${campaign.id}/assignments/batch`, { fromFlags: {}, customerIds: ['x'] });
    expect(both.status).toBe(422);
  });
});

describe('response rates', () => {
  it('counts offers to date after a mining run (pending ones among them), smoothed, by the dimensions asked', async () => {
    const { id, email } = await newCustomer('attr-rates');
    const converted = (await (await post('/offers', coffeeOffer(id))).json()).offer.id as string;
    const declined = (await (await post('/offers', { ...coffeeOffer(id), productId: 'prod-tea' })).json()).offer.id as string;
    expect((await deliver('generic', purchaseNow(email, `rates-${converted}`, 1_000))).status).toBe(201);
    const patched = await api(`/offers/${declined}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'declined', actor: 'agent' }),
    });
    expect(patched.status).toBe(200);
    const run = await waitForRun(await startRun(2));
    expect(run.phase).toBe('completed');

    const res = await api('/response-rates?by=channel,flagType');
    expect(res.status).toBe(200);
    const rates = await res.json();
    expect(rates.by).toEqual(['channel', 'flagType']);
    const branch = rates.items.filter((i: { channel: string }) => i.channel === 'branch');
    const sum = (k: string) => branch.reduce((n: number, i: Record<string, number>) => n + i[k]!, 0);
    expect(sum('offers')).toBeGreaterThanOrEqual(2);
    expect(sum('responded')).toBeGreaterThanOrEqual(1);
    expect(rates.overall.offers).toBe(rates.items.reduce((n: number, i: { offers: number }) => n + i.offers, 0));
    for (const item of rates.items) {
      expect(item.smoothed.lower).toBeLessThanOrEqual(item.smoothed.rate);
      expect(item.smoothed.rate).toBeLessThanOrEqual(item.smoothed.upper);
    }
    expect(rates.method).toMatch(/control group/);
    const bad = await api('/response-rates?by=channel,colour');
    expect(bad.status).toBe(422);
    expect((await bad.json()).issues[0].path).toMatch(/^query\.by/);
  });
});

describe('what the outside probe found', () => {
  it('refuses an offer under a campaign id that names no campaign (422), and reads O/I/L spellings as the real id (holdout applies)', async () => {
    const campaign = await newCampaign({ holdoutPercent: 50 });
    let held: string | undefined;
    for (let i = 0; i < 40 && !held; i++) {
      const { id } = await newCustomer(`attr-typo-${i}`);
      const a = await (await post(`/campaigns/${campaign.id}/assignments`, { customerId: id })).json();
      if (a.group === 'control') held = id;
    }
    expect(held).toBeDefined();
    const typo = `O${campaign.id.slice(1)}`.replace(/1/g, 'l');
    const viaAlias = await post('/offers', coffeeOffer(held!, { campaignId: typo }));
    expect(viaAlias.status).toBe(409);
    expect((await viaAlias.json()).findings.map((f: { rule: string }) => f.rule)).toContain('holdout');
    const unknown = await post('/offers', coffeeOffer(held!, { campaignId: '01M8NYJ0RAREYMSRZRVTCZ0EP9' }));
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).issues[0].path).toBe('body.campaignId');
    expect((await post('/offers/check', coffeeOffer(held!, { campaignId: '01M8NYJ0RAREYMSRZRVTCZ0EP9' }))).status).toBe(422);
  });

  it('takes no assignment or offer under a campaign before its start or after its end (409), and bounds its dates', async () => {
    const { id } = await newCustomer('attr-window');
    const future = await newCampaign({ startsAt: '2099-01-01', holdoutPercent: 0 });
    expect((await post(`/campaigns/${future.id}/assignments`, { customerId: id })).status).toBe(409);
    expect((await post('/offers', coffeeOffer(id, { campaignId: future.id }))).status).toBe(409);
    const ending = await newCampaign({ holdoutPercent: 0 });
    const ended = await api(`/campaigns/${ending.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'ended' }),
    });
    expect(ended.status).toBe(200);
    expect((await post('/offers', coffeeOffer(id, { campaignId: ending.id }))).status).toBe(409);
    const ancient = await post('/campaigns', { name: 'x', channel: 'branch', startsAt: '0001-01-01' });
    expect(ancient.status).toBe(422);
    expect((await ancient.json()).issues[0].path).toBe('body.startsAt');
  });

  it('keeps both merged customers’ conversions in the surviving assignment', async () => {
    const campaign = await newCampaign({ holdoutPercent: 0 });
    const email = uniqueEmail('attr-merge');
    const phone = `+4917${Math.floor(1e7 + Math.random() * 8e7)}`;
    const older = (await deliver('generic', purchase({ email }, 1_000, daysAgo(60)))).body.customerId as string;
    const newer = (await deliver('generic', purchase({ phone }, 500, daysAgo(50)))).body.customerId as string;
    expect((await post(`/campaigns/${campaign.id}/assignments/batch`, { customerIds: [older, newer] })).status).toBe(200);
    const body = purchase({ phone }, 700, new Date().toISOString());
    expect((await deliver('generic', body)).status).toBe(201);
    expect((await results(campaign.id)).treatment).toMatchObject({ customers: 2, converted: 1, revenueMinor: 700 });
    const linking = await deliver('generic', genericTouchpoint('profile_updated', { email, phone }, {}));
    expect(linking.body.merged).toHaveLength(1);
    expect((await results(campaign.id)).treatment).toMatchObject({ customers: 1, converted: 1, revenueMinor: 700 });
  });

  it('counts every acknowledged purchase of customers erased while it was being attributed', async () => {
    const campaign = await newCampaign({ holdoutPercent: 0 });
    const customers = await Promise.all(Array.from({ length: 12 }, (_, i) => newCustomer(`attr-erase-race-${i}`)));
    expect((await post(`/campaigns/${campaign.id}/assignments/batch`, { customerIds: customers.map((c) => c.id) })).status).toBe(200);
    const sent = await Promise.all([
      ...customers.map((c) => deliver('generic', purchaseNow(c.email, `race-erase-${campaign.id}-${c.id}`, 1_000))),
      ...customers.slice(0, 6).map((c) => api(`/customers/${c.id}`, { method: 'DELETE' })),
    ]);
    const purchases = sent.slice(0, 12) as Array<{ status: number; body: { status?: string } }>;
    const stored = purchases.filter((p) => p.status === 201 && p.body.status === 'stored').length;
    expect((await results(campaign.id)).treatment).toMatchObject({ customers: 12, converted: stored, revenueMinor: 1_000 * stored });
  });

  it('applies no refund in another currency, and applies a refund that arrived before its order', async () => {
    const { id, email } = await newCustomer('attr-refund-edge');
    const offerId = (await (await post('/offers', coffeeOffer(id))).json()).offer.id as string;
    const order = `edge-${offerId}`;
    expect((await deliver('generic', purchaseNow(email, order, 1_000))).status).toBe(201);
    const usd = genericTouchpoint('refund', { email }, { orderId: order, currency: 'USD', amountMinor: 1_000 }, new Date().toISOString());
    expect((await deliver('generic', usd)).status).toBe(201);
    expect((await offerOf(offerId)).offer).toMatchObject({ status: 'converted', conversion: { revenueMinor: 1_000, refundedMinor: 0 } });

    const second = (await (await post('/offers', { ...coffeeOffer(id), productId: 'prod-tea' })).json()).offer.id as string;
    const early = `early-${second}`;
    expect((await deliver('generic', refundOf(email, early, 400))).status).toBe(201);
    expect((await deliver('generic', purchaseNow(email, early, 1_000, 'tea'))).status).toBe(201);
    expect((await offerOf(second)).offer).toMatchObject({ status: 'converted', conversion: { revenueMinor: 600, refundedMinor: 400 } });
  });
});

describe('what the second probe found', () => {
  it('takes only a real campaign as campaignId (free text is campaignLabel), and refuses an email that names someone else', async () => {
    const { id } = await newCustomer('attr-label');
    const other = await newCustomer('attr-label-other');
    for (const campaignId of ['tea-winter', '01M8N-ZGQPV78K1RJTK9F8A63MW', '01М8NZGQPV78K1RJTK9F8A63МW']) {
      const res = await post('/offers', coffeeOffer(id, { campaignId }));
      expect(res.status).toBe(422);
      expect((await res.json()).issues[0].path).toBe('body.campaignId');
    }
    expect((await post('/offers', coffeeOffer(id, { campaignLabel: 'tea-winter' }))).status).toBe(201);
    const mismatch = await post('/offers/check', coffeeOffer(id, { email: other.email }));
    expect(mismatch.status).toBe(422);
    expect((await mismatch.json()).issues[0].path).toBe('body.email');
    expect((await post('/offers/check', coffeeOffer(id, { email: (await newCustomerEmail(id))! }))).status).toBe(200);
    const campaign = await newCampaign();
    const assign = await post(`/campaigns/${campaign.id}/assignments`, { customerId: id, email: other.email });
    expect(assign.status).toBe(422);
  });

  it('bounds offer dates and refuses an offer that expired before it is proposed', async () => {
    const { id } = await newCustomer('attr-dates');
    for (const [field, value] of [
      ['validFrom', '9999-12-31'],
      ['validFrom', '0001-01-01'],
      ['validUntil', '2020-01-01'],
    ] as const) {
      const res = await post('/offers', coffeeOffer(id, { [field]: value }));
      expect(res.status).toBe(422);
      expect((await res.json()).issues[0].path).toBe(`body.${field}`);
    }
  });

  it('credits the survivor’s campaign with a merged-away customer’s purchase after the assignment, so a later erasure changes nothing', async () => {
    const campaign = await newCampaign({ holdoutPercent: 0 });
    const email = uniqueEmail('attr-merge-late');
    const phone = `+4917${Math.floor(1e7 + Math.random() * 8e7)}`;
    const survivor = (await deliver('generic', purchase({ email }, 1_000, daysAgo(60)))).body.customerId as string;
    expect((await deliver('generic', purchase({ phone }, 500, daysAgo(50)))).status).toBe(201);
    expect((await post(`/campaigns/${campaign.id}/assignments`, { customerId: survivor })).status).toBe(200);
    expect((await deliver('generic', purchase({ phone }, 3_000, new Date().toISOString()))).status).toBe(201);
    expect((await results(campaign.id)).treatment).toMatchObject({ customers: 1, converted: 0 });
    const linking = await deliver('generic', genericTouchpoint('profile_updated', { email, phone }, {}));
    expect(linking.body.merged).toHaveLength(1);
    const merged = (await results(campaign.id)).treatment;
    expect(merged).toMatchObject({ customers: 1, converted: 1, revenueMinor: 3_000 });
    expect((await api(`/customers/${survivor}`, { method: 'DELETE' })).status).toBe(200);
    expect((await results(campaign.id)).treatment).toEqual(merged);
  });
});

/** An email the customer holds (read back from its 360). */
async function newCustomerEmail(customerId: string): Promise<string | undefined> {
  return ((await (await api(`/customers/${customerId}`)).json()) as { identifiers: { emails: string[] } }).identifiers.emails[0];
}

describe('what the third probe found', () => {
  it('keeps what a merged-away customer did in their own group when the survivor is in the other one', async () => {
    const campaign = await newCampaign({ holdoutPercent: 50 });
    // One customer of each group: the email one survives the merge, the phone one is merged away.
    // The older customer survives a merge (ULIDs sort by creation), so the held one is found first.
    let held: { id: string; email: string } | undefined;
    let treated: { id: string; phone: string } | undefined;
    for (let i = 0; i < 60 && !held; i++) {
      const c = await newCustomer(`attr-xgroup-${i}`);
      const a = await (await post(`/campaigns/${campaign.id}/assignments`, { customerId: c.id })).json();
      if (a.group === 'control') held = c;
    }
    for (let i = 0; i < 60 && !treated; i++) {
      const phone = `+4917${Math.floor(1e7 + Math.random() * 8e7)}`;
      const id = (await deliver('generic', purchase({ phone }, 500, daysAgo(50)))).body.customerId as string;
      const a = await (await post(`/campaigns/${campaign.id}/assignments`, { customerId: id })).json();
      if (a.group === 'treatment') treated = { id, phone };
    }
    expect(held && treated).toBeTruthy();
    expect((await deliver('generic', purchase({ phone: treated!.phone }, 3_333, new Date().toISOString()))).status).toBe(201);
    const before = await results(campaign.id);
    expect(before.treatment).toMatchObject({ converted: 1, revenueMinor: 3_333 });
    const linking = await deliver('generic', genericTouchpoint('profile_updated', { email: held!.email, phone: treated!.phone }, {}));
    expect(linking.body.merged).toEqual([treated!.id]);
    const after = await results(campaign.id);
    // The treated customer's answer stays in the treatment group; nobody moves between groups.
    expect(after.treatment).toEqual(before.treatment);
    expect(after.control).toEqual(before.control);
    // From the merge on, the survivor counts in its own group.
    expect((await deliver('generic', purchase({ email: held!.email }, 1_000, new Date().toISOString()))).status).toBe(201);
    expect((await results(campaign.id)).control).toMatchObject({ converted: before.control.converted + 1 });
  });

  it('refuses control characters and unpaired surrogates in labels, and answers 404 for a run id that is no run', async () => {
    const { id } = await newCustomer('attr-controls');
    for (const campaignLabel of ['abc\u0000', 'red\u001b[31m', 'abc\ud800']) {
      const res = await post('/offers/check', coffeeOffer(id, { campaignLabel }));
      expect(res.status).toBe(422);
      expect((await res.json()).issues[0].path).toBe('body.campaignLabel');
    }
    expect((await api('/mining-runs/LATEST')).status).toBe(404);
  });
});
