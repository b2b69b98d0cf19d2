/**
 * Outbound events on the embedded stack, verified by a receiver that uses the `standardwebhooks`
 * library (not Patron's code): subscriptions, signed deliveries of offer, flag and action events,
 * retries with backoff, 410 and the SSRF guard (flag events: mining.test.ts); playbook steps fired once per customer by
 * concurrent ticks of the synthesized playbook-tick function.
 */
import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { ulid } from 'ulid';
import { scheduledEvent, type DeployedRuntime } from '../../local/deployed/runtime.js';
import { runtimeOnTestStack } from '../helpers/deployed.js';
import { synthesize } from '../../local/deployed/synth.js';
import { api } from '../helpers/stack.js';
import { Receiver, type Received, subscribe } from '../helpers/receiver.js';
import { postJson } from '../helpers/offers.js';
import { deliver, genericTouchpoint, purchase, uniqueEmail } from '../helpers/webhooks.js';

jest.setTimeout(180_000);

const subscriptions: string[] = [];
afterAll(async () => {
  for (const id of subscriptions) await api(`/subscriptions/${id}`, { method: 'DELETE' });
});

async function deliveriesOf(id: string): Promise<any[]> {
  return (await (await api(`/subscriptions/${id}/deliveries`)).json()).items;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('webhook subscriptions', () => {
  it('delivers a signed test event and an offer.registered that standardwebhooks verifies', async () => {
    const receiver = await new Receiver().start();
    try {
      const id = await subscribe(subscriptions, receiver, ['offer.registered']);
      const test = await api(`/subscriptions/${id}/test`, { method: 'POST' });
      expect(test.status).toBe(202);
      const [ping] = await receiver.waitFor('subscription.test');
      expect(ping!.verified).toBe(true);

      const email = uniqueEmail('out');
      expect((await deliver('generic', purchase({ email }, 1200))).status).toBe(201);
      const offer = await postJson('/offers', { email, kind: 'message', channel: 'mail', team: 'it' });
      expect(offer.status).toBe(201);
      const offerId = (await offer.json()).offer.id;
      const [event] = await receiver.waitFor('offer.registered', (r) => r.data.offerId === offerId);
      expect(event!.verified).toBe(true);
      expect(event!.data).toMatchObject({ offerId, kind: 'message', channel: 'mail', decision: expect.any(String) });
      // No personal data in an event: the customer is named by id only.
      expect(JSON.stringify(event!.data)).not.toContain(email);
      const deliveries = await until(
        () => deliveriesOf(id),
        (items) => items.some((d) => d.eventId === event!.id && d.status === 'delivered'),
      );
      expect(deliveries.find((d) => d.eventId === event!.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204 });
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing receiver with backoff, and a 410 disables the subscription', async () => {
    const receiver = await new Receiver().start();
    try {
      receiver.answer = () => 503;
      const id = await subscribe(subscriptions, receiver, ['offer.registered']);
      await api(`/subscriptions/${id}/test`, { method: 'POST' });
      const [first] = await receiver.waitFor('subscription.test');
      // The retry keeps the webhook-id (receivers deduplicate on it), and comes back after ~5 s.
      const retried = await until(
        () => deliveriesOf(id),
        (items) => items[0]?.status === 'retrying',
      );
      expect(retried[0]).toMatchObject({ status: 'retrying', attempts: 1, lastStatusCode: 503 });
      const wait = Date.parse(retried[0].nextAttemptAt) - Date.parse(retried[0].lastAttemptAt);
      expect(wait).toBeGreaterThanOrEqual(4000);
      expect(wait).toBeLessThanOrEqual(6000);
      receiver.answer = () => 410;
      const both = await receiver.waitFor('subscription.test', () => true, 2, 20_000);
      expect(both.map((r) => r.id)).toEqual([first!.id, first!.id]);
      const sub = await until(
        async () => (await api(`/subscriptions/${id}`)).json(),
        (s: any) => s.status === 'disabled',
      );
      expect(sub).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('410') });
      expect((await deliveriesOf(id))[0]).toMatchObject({ status: 'failed', attempts: 2 });
    } finally {
      await receiver.close();
    }
  });

  it('refuses URLs the SSRF guard refuses, naming body.url', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'https://10.0.0.1/hook',
      'ftp://example.com/x',
      'https://user:pw@example.com/',
    ]) {
      const res = await postJson('/subscriptions', { url, events: ['flag.raised'] });
      expect(res.status).toBe(422);
      const body = await res.json();
      expect(body.issues[0].path).toBe('body.url');
    }
    const unknownEvent = await postJson('/subscriptions', { url: 'https://example.com/x', events: ['flag.rased'] });
    expect(unknownEvent.status).toBe(422);
    expect((await unknownEvent.json()).issues[0].path).toContain('events');
  });

  it('holds exactly 100 subscriptions, however many are created at once', async () => {
    const existing = (await (await api('/subscriptions')).json()).items.length as number;
    const room = 100 - existing;
    const answers = await Promise.all(
      Array.from({ length: room + 12 }, () =>
        postJson('/subscriptions', { url: 'http://127.0.0.1:9/never', events: ['customer.erased'], description: 'limit test' }),
      ),
    );
    const created = await Promise.all(answers.filter((r) => r.status === 201).map(async (r) => (await r.json()).subscription.id as string));
    subscriptions.push(...created);
    expect(created).toHaveLength(room);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(12);
    expect((await (await api('/subscriptions')).json()).items).toHaveLength(100);
    // Deleting makes room again: the count follows deletions.
    for (const id of created.splice(0)) expect((await api(`/subscriptions/${id}`, { method: 'DELETE' })).status).toBe(204);
    subscriptions.splice(subscriptions.length - room, room);
    const again = await postJson('/subscriptions', { url: 'http://127.0.0.1:9/never', events: ['customer.erased'] });
    expect(again.status).toBe(201);
    subscriptions.push((await again.json()).subscription.id);
  });

  it('pages deliveries newest first with a cursor, and refuses a forged one', async () => {
    const receiver = await new Receiver().start();
    try {
      const id = await subscribe(subscriptions, receiver, ['offer.registered']);
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) sent.push((await (await api(`/subscriptions/${id}/test`, { method: 'POST' })).json()).eventId);
      await receiver.waitFor('subscription.test', () => true, 5);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await (await api(`/subscriptions/${id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((d: { eventId: string }) => d.eventId));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(sent));
      expect(pages).toBe(3);
      const forged = await api(`/subscriptions/${id}/deliveries?cursor=${Buffer.from('{"createdAt":"x"}').toString('base64url')}`);
      expect(forged.status).toBe(400);
    } finally {
      await receiver.close();
    }
  });

  it('rotates the secret: the old and the new one both verify during the overlap', async () => {
    const receiver = await new Receiver().start();
    try {
      const id = await subscribe(subscriptions, receiver, ['offer.registered']);
      const old = receiver.secret;
      const rotated = await (await api(`/subscriptions/${id}/rotate-secret`, { method: 'POST' })).json();
      expect(rotated.secret).not.toBe(old);
      expect(rotated.subscription.previousSecretExpiresAt).toEqual(expect.any(String));
      receiver.secret = old;
      await api(`/subscriptions/${id}/test`, { method: 'POST' });
      expect((await receiver.waitFor('subscription.test'))[0]!.verified).toBe(true);
      receiver.secret = rotated.secret;
      await api(`/subscriptions/${id}/test`, { method: 'POST' });
      expect((await receiver.waitFor('subscription.test', () => true, 2))[1]!.verified).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('playbooks', () => {
  let runtime: DeployedRuntime;
  beforeAll(async () => {
    // The synthesized functions (the cached assembly), run on the test stack's emulators: the
    // tick is invoked directly, with a simulated time, as EventBridge's scheduled event carries one.
    runtime = await runtimeOnTestStack(await synthesize({ context: {}, log: () => {} }));
  });
  afterAll(() => runtime?.close());

  const tick = (at: Date) => runtime.invoke('playbook-tick', scheduledEvent(at));

  it('rejects a malformed playbook listing every field error', async () => {
    const res = await postJson('/playbooks', {
      name: '',
      trigger: { type: 'flag', flagType: 'nope' },
      steps: [{ id: 'Bad Id', delay: { days: 9999 }, action: { kind: 'offer', channel: 'pigeon' } }],
      extra: 1,
    });
    expect(res.status).toBe(422);
    const paths = (await res.json()).issues.map((i: { path: string }) => i.path);
    for (const p of ['body.name', 'body.trigger.flagType', 'body.steps.0.id', 'body.steps.0.delay.days', 'body.steps.0.action.channel']) {
      expect(paths).toContain(p);
    }
  });

  it('applies a campaign’s holdout to its steps, assigning customers as their steps come due; an ended campaign is refused', async () => {
    const receiver = await new Receiver().start();
    try {
      await subscribe(subscriptions, receiver, ['action.due', 'action.blocked']);
      const campaign = await postJson('/campaigns', {
        name: `playbook holdout ${ulid()}`,
        channel: 'mail',
        holdoutPercent: 50,
        startsAt: new Date(Date.now() - 3_600_000).toISOString(),
      });
      expect(campaign.status).toBe(201);
      const campaignId = (await campaign.json()).campaign.id;
      const family = `holdout-${ulid()}`;
      const created = await postJson('/playbooks', {
        name: `holdout ${ulid()}`,
        campaignId,
        trigger: { type: 'purchase', productFamily: family },
        steps: [{ id: 'note', delay: { days: 1 }, action: { kind: 'message', channel: 'mail', template: 'note' } }],
      });
      expect(created.status).toBe(201);
      const playbook = await created.json();
      await new Promise((r) => setTimeout(r, 5500));
      const bought = new Date();
      for (let i = 0; i < 12; i++)
        expect((await deliver('generic', purchase({ email: uniqueEmail('ho') }, 700, bought.toISOString(), family))).status).toBe(201);
      const report = (await tick(new Date(bought.getTime() + 86_400_000 + 60_000))) as { due: number; blocked: number };
      expect(report.due + report.blocked).toBe(12);
      const mine = (r: Received) => r.data.playbookId === playbook.playbookId;
      const due = await receiver.waitFor('action.due', mine, report.due);
      const held = await receiver.waitFor('action.blocked', mine, report.blocked);
      await receiver.settle(1_000, 5_000);
      expect(receiver.of('action.due', mine).length + receiver.of('action.blocked', mine).length).toBe(12);
      expect([...due, ...held].every((r) => r.verified)).toBe(true);
      expect(held.length).toBeGreaterThan(0);
      for (const r of held) expect(r.data.findings).toContainEqual({ rule: 'holdout', severity: 'block' });
      const results = await (await api(`/campaigns/${campaignId}/results`)).json();
      expect(results.control.customers).toBe(held.length);

      await api(`/campaigns/${campaignId}`, {
        method: 'PATCH',
        body: JSON.stringify({ status: 'ended' }),
        headers: { 'content-type': 'application/json' },
      });
      const refused = await postJson('/playbooks', {
        ...playbook,
        playbookId: undefined,
        version: undefined,
        createdAt: undefined,
        updatedAt: undefined,
        enabled: undefined,
      });
      expect(refused.status).toBe(422);
      expect((await refused.json()).issues.map((i: { path: string }) => i.path)).toContain('body.campaignId');
    } finally {
      await receiver.close();
    }
  });

  it('fires the shipped after-sale playbook: one checked action per step and customer, under concurrent ticks', async () => {
    const receiver = await new Receiver().start();
    try {
      await subscribe(subscriptions, receiver, ['action.due', 'action.blocked']);
      const body = JSON.parse(readFileSync('events/playbooks/after-sale.json', 'utf8'));
      const created = await postJson('/playbooks', {
        ...body,
        name: `after sale ${ulid()}`,
        trigger: { type: 'purchase', productFamily: `tea-${ulid()}` },
      });
      expect(created.status).toBe(201);
      const playbook = await created.json();
      // Ingest reads the purchase playbooks every 5 s (PURCHASE_PLAYBOOKS_CACHE_MS).
      await new Promise((r) => setTimeout(r, 5500));

      const bought = new Date();
      // One customer opted in to email and phone; the other never did, so the check blocks their email.
      const [optedIn, unknown] = [uniqueEmail('pb-in'), uniqueEmail('pb-none')];
      for (const channel of ['email', 'phone']) {
        const at = new Date(bought.getTime() - 60_000).toISOString();
        expect(
          (await deliver('generic', genericTouchpoint('consent_changed', { email: optedIn }, { channel, granted: true }, at))).status,
        ).toBe(201);
      }
      const ids: Record<string, string> = {};
      for (const email of [optedIn, unknown]) {
        const order = purchase({ email }, 2500, bought.toISOString(), playbook.trigger.productFamily);
        const stored = await deliver('generic', order);
        expect(stored.status).toBe(201);
        ids[email] = stored.body.customerId;
        // A redelivery of the same order does not enroll twice.
        expect((await deliver('generic', order)).status).toBe(200);
      }
      const day = 86_400_000;
      // A purchase from a month ago (a backfill) starts nothing: its thank-you would be three weeks late.
      const backfilled = await deliver(
        'generic',
        purchase(
          { email: uniqueEmail('pb-old') },
          900,
          new Date(bought.getTime() - 30 * day).toISOString(),
          playbook.trigger.productFamily,
        ),
      );
      expect(backfilled.status).toBe(201);
      // Nothing is due before a week; then three ticks at once fire the thank-you once per customer.
      await tick(new Date(bought.getTime() + 6 * day));
      await Promise.all([0, 1, 2].map(() => tick(new Date(bought.getTime() + 8 * day))));
      const mine = (r: Received) => r.data.playbookId === playbook.playbookId;
      const thanks = await receiver.waitFor('action.due', (r) => mine(r) && r.data.stepId === 'thank-you', 1);
      const blocked = await receiver.waitFor('action.blocked', (r) => mine(r) && r.data.stepId === 'thank-you', 1);
      await new Promise((r) => setTimeout(r, 1500));
      const fired = (step: string) =>
        [...receiver.of('action.due', mine), ...receiver.of('action.blocked', mine)].filter((r) => r.data.stepId === step);
      expect(fired('thank-you')).toHaveLength(2);
      expect(thanks[0]!.data.customerId).toBe(ids[optedIn]);
      expect(blocked[0]!.data.customerId).toBe(ids[unknown]);
      expect(blocked[0]!.data.findings).toContainEqual({ rule: 'no-consent', severity: 'block' });
      expect([...thanks, ...blocked].every((r) => r.verified && r.data.template === 'thank-you')).toBe(true);
      // Each action is a registered offer, checked like any other.
      const offer = await (await api(`/offers/${thanks[0]!.data.offerId}`)).json();
      expect(offer.offer).toMatchObject({ kind: 'message', channel: 'email', team: 'playbooks' });

      // Week 5 and week 10 fire once each, again under concurrent ticks (or are stopped/blocked, and say so).
      await Promise.all([0, 1].map(() => tick(new Date(bought.getTime() + 36 * day))));
      await Promise.all([0, 1].map(() => tick(new Date(bought.getTime() + 71 * day))));
      await new Promise((r) => setTimeout(r, 3000));
      for (const step of ['new-offer', 'discount-call']) {
        expect(fired(step)).toHaveLength(2);
        expect(new Set(fired(step).map((r) => r.data.customerId)).size).toBe(2);
        for (const r of fired(step).filter((x) => x.type === 'action.blocked')) expect(r.data.findings.length).toBeGreaterThan(0);
      }
      // A later tick fires nothing more.
      const before = receiver.received.length;
      await tick(new Date(bought.getTime() + 200 * day));
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.received.filter(mine).length).toBe(receiver.received.slice(0, before).filter(mine).length);
      expect(receiver.received.filter((r) => mine(r) && r.data.customerId === backfilled.body.customerId)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
