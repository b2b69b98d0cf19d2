/**
 * The demo's outbound side: a receiver on loopback subscribed to every event before the first
 * mining run (so it hears flag.raised), then, at the end, the shipped playbooks of events/playbooks
 * fired on the demo's data with a simulated clock: the playbook-tick function is invoked as
 * EventBridge would, with the scheduled time set days and weeks ahead. Every step goes through the
 * offer check; the receiver prints what arrived as action.due and what the check blocked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from '../../layers/core/src/config.js';
import { EVENT_TYPES } from '../../layers/core/src/outbound/events.js';
import { firstApiKey } from '../dev-config.js';
import { REPO_ROOT } from '../util.js';
import { purchaseDelivery } from './campaign.js';
import type { DemoStep } from './index.js';
import { api } from './mining-report.js';
import { README_PEOPLE } from './population.js';
import { Rng } from './random.js';
import { EventReceiver, type ReceivedEvent } from './receiver.js';
import { sendDeliveries } from './send.js';

export const SHIPPED_PLAYBOOKS_DIR = join(REPO_ROOT, 'events', 'playbooks');
const DAY_MS = 86_400_000;
/** The simulated ticks, in days after today: the first steps, the after-sale week 1, 5 and 10, the win-back call. */
export const SIMULATED_DAYS = [0, 8, 15, 36, 71] as const;

export interface PlaybookDemoReport {
  subscriptionId: string;
  playbooks: { id: string; name: string }[];
  /** Per simulated day: actions due and blocked, and the blocking rules. */
  ticks: { day: number; due: number; blocked: number; rules: Record<string, number> }[];
  /** Events received, by type (all verified with standardwebhooks). */
  received: Record<string, number>;
  unverified: number;
  /** What the README's people got, one line each. */
  people: string[];
}

/** Shipped playbooks, as files (each a valid POST /playbooks body). */
export function shippedPlaybooks(): { file: string; body: { name: string } & Record<string, unknown> }[] {
  return readdirSync(SHIPPED_PLAYBOOKS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, body: JSON.parse(readFileSync(join(SHIPPED_PLAYBOOKS_DIR, file), 'utf8')) }));
}

/** Subscribes a receiver to every event, before the mining run, so its flag.raised arrive too. */
export const subscribeStep: DemoStep = {
  name: 'subscribe',
  async run(ctx) {
    const key = firstApiKey(ctx.env[ENV.apiKeys] ?? '');
    if (!key || !ctx.tick) return;
    const receiver = await new EventReceiver().start();
    const created = await api<{ subscription: { id: string }; secret: string }>(ctx, key, '/subscriptions', {
      method: 'POST',
      body: JSON.stringify({ url: receiver.url, events: EVENT_TYPES, description: 'the demo receiver (npm start)' }),
    });
    receiver.secret = created.secret;
    ctx.receiver = { receiver, subscriptionId: created.subscription.id };
    ctx.log('');
    ctx.log(`A webhook receiver listens on ${receiver.url}, subscribed to every event (POST /subscriptions ${created.subscription.id}).`);
  },
};

const actionLine = (e: ReceivedEvent) => {
  const rules = (e.data.findings as { rule: string; severity: string }[]).map((f) => `${f.rule} (${f.severity})`).join(', ');
  return `${e.data.playbookName} / ${e.data.stepId}: ${e.type === 'action.due' ? `due${e.data.decision === 'warn' ? ' with a warning' : ''}` : 'blocked'}${rules ? ` — ${rules}` : ''}`;
};

export const playbooksStep: DemoStep = {
  name: 'playbooks',
  async run(ctx) {
    const key = firstApiKey(ctx.env[ENV.apiKeys] ?? '');
    const sub = ctx.receiver;
    if (!key || !ctx.tick || !sub) {
      ctx.log('(no tick function or receiver: skipping the playbooks)');
      return;
    }
    const { receiver } = sub;
    try {
      ctx.log('');
      ctx.log('Acting on time: the shipped playbooks (events/playbooks/), fired with a simulated clock...');
      const existing = await api<{ items: { playbookId: string; name: string }[] }>(ctx, key, '/playbooks');
      const playbooks: { id: string; name: string }[] = [];
      for (const { body } of shippedPlaybooks()) {
        const found = existing.items.find((p) => p.name === body.name);
        const created =
          found ??
          (await api<{ playbookId: string; name: string }>(ctx, key, '/playbooks', { method: 'POST', body: JSON.stringify(body) }));
        playbooks.push({ id: created.playbookId, name: created.name });
      }
      ctx.log(`  ${playbooks.map((p) => p.name).join(', ')} (POST /playbooks)`);
      // Today's sales start the after-sale sequence (playbooks read at ingest within 5 s).
      await new Promise((r) => setTimeout(r, 5_500));
      const rng = new Rng(ctx.seed);
      const buyers = README_PEOPLE.filter((p) => p.firstName === 'Ann' || p.firstName === 'Cara').map((p) => p.email);
      if (ctx.readmePeople !== false) {
        await sendDeliveries(
          buyers.map((email, i) => purchaseDelivery(email, `demo-pb-${Date.now().toString(36)}-${i}`, rng)),
          { baseUrl: ctx.baseUrl, secrets: ctx.secrets!, concurrency: 2, fetch: ctx.fetch, progress: false },
        );
        ctx.log(
          `  today ${buyers.map((e) => e.split('@')[0]).join(' and ')} bought something (POST /webhooks/generic): the after-sale sequence starts`,
        );
      }
      const report: PlaybookDemoReport = {
        subscriptionId: sub.subscriptionId,
        playbooks,
        ticks: [],
        received: {},
        unverified: 0,
        people: [],
      };
      const today = Date.now();
      for (const day of SIMULATED_DAYS) {
        const before = receiver.received.length;
        await ctx.tick(new Date(today + day * DAY_MS + 60_000));
        await receiver.settle(1_000, 60_000);
        const fresh = receiver.received.slice(before).filter((e) => e.type === 'action.due' || e.type === 'action.blocked');
        const rules: Record<string, number> = {};
        for (const e of fresh.filter((x) => x.type === 'action.blocked'))
          for (const f of e.data.findings as { rule: string; severity: string }[])
            if (f.severity === 'block') rules[f.rule] = (rules[f.rule] ?? 0) + 1;
        const due = fresh.filter((e) => e.type === 'action.due').length;
        const blocked = fresh.length - due;
        report.ticks.push({ day, due, blocked, rules });
        const why = Object.entries(rules)
          .sort((a, b) => b[1] - a[1])
          .map(([rule, n]) => `${rule} ×${n}`)
          .join(', ');
        ctx.log(
          `  day +${String(day).padEnd(2)}  tick: ${String(due).padStart(4)} actions due, ${String(blocked).padStart(4)} blocked by the check${why ? ` (${why})` : ''}`,
        );
      }
      for (const e of receiver.received) report.received[e.type] = (report.received[e.type] ?? 0) + 1;
      report.unverified = receiver.received.filter((e) => !e.verified).length;
      if (ctx.readmePeople !== false) {
        for (const person of README_PEOPLE) {
          const found = await api<{ customers: { id: string }[] }>(ctx, key, `/customers?email=${encodeURIComponent(person.email)}`).catch(
            () => ({ customers: [] }),
          );
          const id = found.customers[0]?.id;
          const actions = receiver.received.filter(
            (e) => (e.type === 'action.due' || e.type === 'action.blocked') && e.data.customerId === id,
          );
          report.people.push(`${person.firstName}: ${actions.length ? actions.map(actionLine).join('; ') : 'no playbook step'}`);
        }
        for (const line of report.people) ctx.log(`  ${line}`);
      }
      ctx.log(
        `  the receiver got ${Object.entries(report.received)
          .sort()
          .map(([type, n]) => `${type} ×${n}`)
          .join(', ')}; ${report.unverified === 0 ? 'every one verified with standardwebhooks' : `${report.unverified} did NOT verify`}`,
      );
      ctx.playbooks = report;
    } finally {
      // The stack keeps serving after the demo: it must not keep retrying a receiver that is gone.
      await api(ctx, key, `/subscriptions/${sub.subscriptionId}`, { method: 'DELETE' }).catch(() => undefined);
      await receiver.close();
    }
  },
};
