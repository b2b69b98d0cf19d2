import fc from 'fast-check';
import { outboundEvent, payloadOf, type OutboundEvent } from '../../../layers/core/src/outbound/events.js';
import type { OutboundMessage } from '../../../layers/core/src/outbound/schema.js';
import type { DeliveryOutcome, OutboundRequest } from '../../../layers/core/src/outbound/sender.js';
import {
  ENDPOINT_CONCURRENCY,
  handleOutboundMessage,
  MAX_ATTEMPTS,
  MAX_QUEUE_DELAY_S,
  RETRY_SCHEDULE_MS,
  retryDelayMs,
  type OutboundWorkerDeps,
} from '../../../layers/core/src/outbound/worker.js';
import type { StoredSubscription } from '../../../layers/core/src/store/outbound-store.js';
import { FakeOutboundStore } from './fake-outbound-store.js';

const S = 1000;
const H = 3_600_000;
const START = Date.parse('2025-03-01T10:00:00.000Z');

/** mulberry32: a seeded random in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const delivered: DeliveryOutcome = { outcome: 'delivered', status: 200, ms: 5 };
const unavailable: DeliveryOutcome = { outcome: 'retry', status: 503, reason: 'HTTP 503', ms: 5 };
const gone: DeliveryOutcome = { outcome: 'gone', status: 410, ms: 5 };
const refused: DeliveryOutcome = { outcome: 'refused', reason: 'resolves to a private address (10.0.0.7)' };

interface Sent {
  request: OutboundRequest;
  at: number;
  /** The delivery as stored when the request went out. */
  nextAttemptAt?: string;
  status?: string;
  attempts?: number;
}

interface Queued {
  message: OutboundMessage;
  visibleAt: number;
  seq: number;
}

/** The worker's world: a fake clock, store, queue (SQS-like), receiver, bus and DLQ. */
function world(options: { outcomes?: DeliveryOutcome[] | ((n: number) => DeliveryOutcome); random?: () => number } = {}) {
  let clock = START;
  const store = new FakeOutboundStore();
  const queueLog: { messages: OutboundMessage[]; delaySeconds?: number; at: number }[] = [];
  const pending: Queued[] = [];
  let seq = 0;
  let queueFailures = 0;
  const sends: Sent[] = [];
  const deadLetters: unknown[] = [];
  const busPuts: OutboundEvent[][] = [];
  const outcomes = options.outcomes ?? [delivered];
  let beforeSend: ((request: OutboundRequest) => Promise<void>) | undefined;

  const deps: OutboundWorkerDeps = {
    outbound: store.asStore(),
    queue: {
      async send(messages, opts) {
        if (queueFailures > 0) {
          queueFailures--;
          throw new Error('SQS unavailable');
        }
        queueLog.push({ messages: structuredClone(messages), delaySeconds: opts?.delaySeconds, at: clock });
        const delay = opts?.delaySeconds ?? 0;
        for (const message of messages) pending.push({ message: structuredClone(message), visibleAt: clock + delay * S, seq: seq++ });
      },
    },
    deadLetters: {
      async send(messages) {
        deadLetters.push(...structuredClone(messages));
      },
    },
    bus: {
      async put(events) {
        busPuts.push(structuredClone([...events]));
      },
    },
    async send(request, _guard) {
      await beforeSend?.(request);
      const stored = store.delivery(request.url.split('/').pop() ?? '', request.eventId);
      sends.push({
        request: structuredClone(request),
        at: clock,
        nextAttemptAt: stored?.nextAttemptAt,
        status: stored?.status,
        attempts: stored?.attempts,
      });
      return typeof outcomes === 'function'
        ? outcomes(sends.length)
        : (outcomes[Math.min(sends.length, outcomes.length) - 1] as DeliveryOutcome);
    },
    urlGuard: {},
    now: () => new Date(clock),
    random: options.random ?? seeded(42),
  };

  /** Like SQS: the earliest visible message next (ties in send order), the clock moved to when it shows. */
  async function drain(maxSteps = 10_000): Promise<number> {
    let steps = 0;
    while (pending.length > 0) {
      if (++steps > maxSteps) throw new Error('the queue never drained');
      pending.sort((a, b) => a.visibleAt - b.visibleAt || a.seq - b.seq);
      const next = pending.shift() as Queued;
      clock = Math.max(clock, next.visibleAt);
      await handleOutboundMessage(deps, next.message);
    }
    return steps;
  }

  function subscribe(id: string, events: string[], extra: Partial<StoredSubscription> = {}): StoredSubscription {
    const s: StoredSubscription = {
      id,
      // The fake receiver finds the subscription from the URL's last segment.
      url: `https://hooks.example.com/${id}`,
      events,
      status: 'active',
      secrets: [{ secret: `whsec_${id}` }],
      createdAt: new Date(clock).toISOString(),
      updatedAt: new Date(clock).toISOString(),
      ...extra,
    };
    store.subscriptions.set(id, structuredClone(s));
    return s;
  }

  return {
    store,
    deps,
    queueLog,
    pending,
    sends,
    deadLetters,
    busPuts,
    drain,
    subscribe,
    now: () => clock,
    advance: (ms: number) => {
      clock += ms;
    },
    failQueueSends: (n: number) => {
      queueFailures = n;
    },
    beforeSend: (f: (request: OutboundRequest) => Promise<void>) => {
      beforeSend = f;
    },
    event: (identity: string, type: OutboundEvent['type'] = 'flag.raised'): OutboundEvent =>
      outboundEvent(type, [identity], { customerId: `cus_${identity}` }, new Date(clock)),
  };
}

const eventMessage = (event: OutboundEvent): OutboundMessage => ({ kind: 'event', event });
const deliverMessages = (log: { messages: OutboundMessage[] }[]) => log.flatMap((l) => l.messages).filter((m) => m.kind === 'deliver');

describe('constants', () => {
  it('follows the published schedule: 8 attempts, 4 per endpoint, SQS capped at 900 s', () => {
    expect(MAX_ATTEMPTS).toBe(RETRY_SCHEDULE_MS.length + 1);
    expect(MAX_ATTEMPTS).toBe(8);
    expect(ENDPOINT_CONCURRENCY).toBe(4);
    expect(MAX_QUEUE_DELAY_S).toBe(900);
    expect([...RETRY_SCHEDULE_MS].sort((a, b) => a - b)).toEqual(RETRY_SCHEDULE_MS);
  });
});

describe('retryDelayMs', () => {
  it('waits the schedule entry plus up to 20%, never less, for every attempt and random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (made, r) => {
          const base = RETRY_SCHEDULE_MS[made - 1] as number;
          const wait = retryDelayMs(made, () => r);
          expect(Number.isInteger(wait)).toBe(true);
          expect(wait).toBeGreaterThanOrEqual(base);
          expect(wait).toBeLessThanOrEqual(1.2 * base);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('spreads with random: 0 gives the entry, just under 1 gives nearly +20%', () => {
    expect(retryDelayMs(1, () => 0)).toBe(5000);
    expect(retryDelayMs(1, () => 0.5)).toBe(5500);
    expect(retryDelayMs(7, () => 0.999_999)).toBe(Math.round(10 * H * (1 + 0.2 * 0.999_999)));
  });

  it('has a schedule adding up to at least 24 hours', () => {
    const total = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(24 * H);
  });
});

describe('fan-out', () => {
  it('creates one delivery per active subscription wanting the type, puts the event on the bus, and queues attempt 0', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised', 'offer.registered']);
    w.subscribe('sub_b', ['offer.registered']);
    w.subscribe('sub_c', ['flag.raised'], { status: 'disabled', disabledReason: 'by request' });
    w.subscribe('sub_d', ['flag.raised']);
    const event = w.event('1');

    await handleOutboundMessage(w.deps, eventMessage(event));

    expect(w.busPuts).toEqual([[event]]);
    expect(deliverMessages(w.queueLog)).toEqual([
      { kind: 'deliver', subscriptionId: 'sub_a', eventId: event.id, attempt: 0 },
      { kind: 'deliver', subscriptionId: 'sub_d', eventId: event.id, attempt: 0 },
    ]);
    expect([...w.store.deliveries.values()].map((d) => d.subscriptionId).sort()).toEqual(['sub_a', 'sub_d']);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      type: 'flag.raised',
      payload: payloadOf(event),
    });

    await w.drain();
    expect(w.sends.map((s) => s.request.url).sort()).toEqual(['https://hooks.example.com/sub_a', 'https://hooks.example.com/sub_d']);
    expect(w.sends.every((s) => s.request.eventId === event.id && s.request.body === payloadOf(event))).toBe(true);
    expect(w.store.delivery('sub_a', event.id)?.status).toBe('delivered');
    expect(w.store.delivery('sub_d', event.id)?.status).toBe('delivered');
  });

  it('makes no second delivery and no second deliver message when the event comes again after it was delivered', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('2');
    await handleOutboundMessage(w.deps, eventMessage(event));
    await w.drain();
    expect(w.sends).toHaveLength(1);
    const createdAt = w.store.delivery('sub_a', event.id)?.createdAt;

    w.advance(60 * S);
    await handleOutboundMessage(w.deps, eventMessage(event));
    await w.drain();

    expect(w.store.deliveries.size).toBe(1);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1, createdAt });
    expect(deliverMessages(w.queueLog)).toHaveLength(1);
    expect(w.sends).toHaveLength(1);
  });

  it('re-queues a stranded delivery (created, but the queue send crashed): exactly one attempt reaches the receiver', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('3');
    w.failQueueSends(1);

    await expect(handleOutboundMessage(w.deps, eventMessage(event))).rejects.toThrow('SQS unavailable');
    expect(w.store.delivery('sub_a', event.id)?.status).toBe('pending');
    expect(w.pending).toHaveLength(0);

    // SQS redelivers the event message.
    w.advance(180 * S);
    await handleOutboundMessage(w.deps, eventMessage(event));
    expect(deliverMessages(w.queueLog)).toEqual([{ kind: 'deliver', subscriptionId: 'sub_a', eventId: event.id, attempt: 0 }]);
    await w.drain();

    expect(w.sends).toHaveLength(1);
    expect(w.store.deliveries.size).toBe(1);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('sends once when the event comes again while its first deliver message is still queued (the duplicate loses the claim)', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('4');
    await handleOutboundMessage(w.deps, eventMessage(event));
    await handleOutboundMessage(w.deps, eventMessage(event));
    // The worker cannot tell this from a stranded delivery: a second deliver message goes out...
    expect(deliverMessages(w.queueLog)).toHaveLength(2);
    await w.drain();
    // ...but only one attempt reaches the receiver.
    expect(w.sends).toHaveLength(1);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});

describe('retries', () => {
  async function exhaust(random: () => number) {
    const w = world({ outcomes: [unavailable], random });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('5');
    await handleOutboundMessage(w.deps, eventMessage(event));
    await w.drain();
    return { w, event };
  }

  it('a receiver always answering 503: MAX_ATTEMPTS attempts over the jittered schedule, then failed, dead-lettered, disabled', async () => {
    const { w, event } = await exhaust(seeded(7));

    expect(w.sends).toHaveLength(MAX_ATTEMPTS);
    expect(new Set(w.sends.map((s) => s.request.eventId))).toEqual(new Set([event.id]));
    expect(new Set(w.sends.map((s) => s.request.body))).toEqual(new Set([payloadOf(event)]));
    // Each attempt was claimed (attempts counted 1..8) before it went out.
    expect(w.sends.map((s) => s.attempts)).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => i + 1));
    expect(w.sends.every((s) => s.status === 'sending')).toBe(true);

    for (let i = 1; i < w.sends.length; i++) {
      const gap = (w.sends[i] as Sent).at - (w.sends[i - 1] as Sent).at;
      const base = RETRY_SCHEDULE_MS[i - 1] as number;
      expect(gap).toBeGreaterThanOrEqual(base);
      expect(gap).toBeLessThanOrEqual(1.2 * base);
      // Never before nextAttemptAt, though SQS delays stop at 900 s.
      const due = (w.sends[i] as Sent).nextAttemptAt;
      expect(due).toBeDefined();
      expect(w.sends[i]?.at).toBeGreaterThanOrEqual(Date.parse(due as string));
    }
    const span = (w.sends.at(-1) as Sent).at - (w.sends[0] as Sent).at;
    const nominal = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(span).toBeGreaterThanOrEqual(24 * H);
    expect(span).toBeGreaterThanOrEqual(nominal);
    expect(span).toBeLessThanOrEqual(1.2 * nominal + MAX_ATTEMPTS * S);

    // Every SQS delay was legal, and the long waits were taken in 900 s hops.
    const delays = w.queueLog.map((l) => l.delaySeconds).filter((d): d is number => d !== undefined);
    expect(delays.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_QUEUE_DELAY_S)).toBe(true);
    expect(delays.filter((d) => d === MAX_QUEUE_DELAY_S).length).toBeGreaterThan(90);

    const d = w.store.delivery('sub_a', event.id);
    expect(d).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, lastStatusCode: 503 });
    expect(d?.lastError).toMatch(new RegExp(`^${MAX_ATTEMPTS} attempts failed over \\d+ h \\(last: HTTP 503\\)$`));
    expect(d?.nextAttemptAt).toBeUndefined();
    expect(d?.sendingUntil).toBeUndefined();

    expect(w.deadLetters).toEqual([
      { subscriptionId: 'sub_a', eventId: event.id, type: 'flag.raised', reason: d?.lastError, failedAt: new Date(w.now()).toISOString() },
    ]);
    const s = w.store.subscriptions.get('sub_a');
    expect(s?.status).toBe('disabled');
    expect(s?.disabledReason).toBe(d?.lastError);
    expect(w.store.heldLeases('sub_a', new Date(w.now()))).toBe(0);
  });

  it.each([0.5, 0.999_999])('keeps to the schedule with random = %p', async (r) => {
    const { w } = await exhaust(() => r);
    expect(w.sends).toHaveLength(MAX_ATTEMPTS);
    for (let i = 1; i < w.sends.length; i++) {
      const gap = (w.sends[i] as Sent).at - (w.sends[i - 1] as Sent).at;
      const wait = retryDelayMs(i, () => r);
      // The wait rounded up to SQS's whole seconds.
      expect(gap).toBe(Math.ceil(wait / S) * S);
    }
    expect((w.sends.at(-1) as Sent).at - (w.sends[0] as Sent).at).toBeGreaterThanOrEqual(24 * H);
  });

  // The jitter only adds: with every draw at its lowest, the schedule still spans its 27.6 hours.
  it('spans at least 24 hours from first to last attempt even when every jitter comes out low', async () => {
    const { w } = await exhaust(() => 0);
    expect(w.sends).toHaveLength(MAX_ATTEMPTS);
    expect((w.sends.at(-1) as Sent).at - (w.sends[0] as Sent).at).toBeGreaterThanOrEqual(24 * H);
  });

  it('503 then 200: delivered on attempt 2, the subscription stays active, nothing dead-lettered', async () => {
    const w = world({ outcomes: [unavailable, delivered] });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('6');
    await handleOutboundMessage(w.deps, eventMessage(event));
    await w.drain();

    expect(w.sends).toHaveLength(2);
    const gap = (w.sends[1] as Sent).at - (w.sends[0] as Sent).at;
    expect(gap).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[0] as number);
    expect(gap).toBeLessThanOrEqual(1.2 * (RETRY_SCHEDULE_MS[0] as number));
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({
      status: 'delivered',
      attempts: 2,
      lastStatusCode: 200,
      deliveredAt: new Date((w.sends[1] as Sent).at).toISOString(),
    });
    expect(w.store.delivery('sub_a', event.id)?.nextAttemptAt).toBeUndefined();
    expect(w.store.subscriptions.get('sub_a')?.status).toBe('active');
    expect(w.deadLetters).toEqual([]);
  });

  it('records the retry between attempts: retrying, the 503, the reason, and when it comes back', async () => {
    const w = world({ outcomes: [unavailable, delivered] });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('7');
    await handleOutboundMessage(w.deps, eventMessage(event));
    const first = w.pending.shift() as Queued;
    await handleOutboundMessage(w.deps, first.message);

    const d = w.store.delivery('sub_a', event.id);
    expect(d).toMatchObject({ status: 'retrying', attempts: 1, lastStatusCode: 503, lastError: 'HTTP 503' });
    expect(d?.sendingUntil).toBeUndefined();
    const due = Date.parse(d?.nextAttemptAt as string) - w.now();
    expect(due).toBeGreaterThanOrEqual(4 * S);
    expect(due).toBeLessThanOrEqual(6 * S);
    expect(w.queueLog.at(-1)).toMatchObject({
      messages: [{ kind: 'deliver', subscriptionId: 'sub_a', eventId: event.id, attempt: 1 }],
      delaySeconds: Math.ceil(due / S),
    });

    // Arriving early (as after a 900 s hop), the message goes back with the rest of the wait.
    w.advance(2 * S);
    await handleOutboundMessage(w.deps, (w.pending.shift() as Queued).message);
    expect(w.sends).toHaveLength(1);
    expect(w.queueLog.at(-1)?.delaySeconds).toBe(Math.ceil((due - 2 * S) / S));
    expect(w.store.delivery('sub_a', event.id)?.attempts).toBe(1);
  });
});

describe('failing for good', () => {
  it('410 Gone: failed after one attempt, the subscription disabled, its other pending delivery cancelled unsent', async () => {
    const w = world({ outcomes: [gone] });
    w.subscribe('sub_a', ['flag.raised']);
    const first = w.event('8');
    const second = w.event('9');
    await handleOutboundMessage(w.deps, eventMessage(first));
    await handleOutboundMessage(w.deps, eventMessage(second));
    await w.drain();

    expect(w.sends).toHaveLength(1);
    expect(w.sends[0]?.request.eventId).toBe(first.id);
    expect(w.store.delivery('sub_a', first.id)).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    const s = w.store.subscriptions.get('sub_a');
    expect(s?.status).toBe('disabled');
    expect(s?.disabledReason).toMatch(/410/);
    expect(w.store.delivery('sub_a', second.id)).toMatchObject({
      status: 'cancelled',
      attempts: 0,
      lastError: `subscription disabled: ${s?.disabledReason}`,
    });
    expect(w.deadLetters).toHaveLength(1);

    // A later event reaches it no more.
    await handleOutboundMessage(w.deps, eventMessage(w.event('10')));
    expect(deliverMessages(w.queueLog)).toHaveLength(2);
  });

  it('refused by the URL guard at send time: failed and disabled', async () => {
    const w = world({ outcomes: [refused] });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('11');
    await handleOutboundMessage(w.deps, eventMessage(event));
    await w.drain();

    expect(w.sends).toHaveLength(1);
    const d = w.store.delivery('sub_a', event.id);
    expect(d).toMatchObject({ status: 'failed', attempts: 1 });
    expect(d?.lastStatusCode).toBeUndefined();
    expect(d?.lastError).toContain('10.0.0.7');
    expect(w.store.subscriptions.get('sub_a')).toMatchObject({ status: 'disabled', disabledReason: d?.lastError });
    expect(w.deadLetters).toHaveLength(1);
  });

  it('does not re-enable or overwrite a subscription an operator disabled meanwhile (conditional disable)', async () => {
    const w = world({ outcomes: [gone] });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('12');
    await handleOutboundMessage(w.deps, eventMessage(event));
    w.beforeSend(async () => {
      await w.store.updateSubscription('sub_a', { status: 'disabled', disabledReason: 'by operator' });
    });
    await w.drain();
    expect(w.store.subscriptions.get('sub_a')).toMatchObject({ status: 'disabled', disabledReason: 'by operator' });
    expect(w.store.delivery('sub_a', event.id)?.status).toBe('failed');
  });
});

describe('per-endpoint concurrency', () => {
  it('with every lease held: no send, back in 1-3 s without spending an attempt; proceeds once a lease lapses', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('13');
    await handleOutboundMessage(w.deps, eventMessage(event));
    const leaseEnd = w.now() + 20 * S;
    for (let slot = 0; slot < ENDPOINT_CONCURRENCY; slot++) w.store.holdLease('sub_a', slot, new Date(leaseEnd));

    const message = (w.pending.shift() as Queued).message;
    await handleOutboundMessage(w.deps, message);
    expect(w.sends).toHaveLength(0);
    const requeued = w.queueLog.at(-1);
    expect(requeued?.messages).toEqual([message]);
    expect(requeued?.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(requeued?.delaySeconds).toBeLessThanOrEqual(3);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'pending', attempts: 0 });

    const before = w.queueLog.length;
    await w.drain();
    expect(w.sends).toHaveLength(1);
    expect(w.sends[0]?.at).toBeGreaterThan(leaseEnd);
    expect(w.sends[0]?.at).toBeLessThanOrEqual(leaseEnd + 3 * S);
    // Every wait in between was a 1-3 s re-queue of attempt 0.
    const waits = w.queueLog.slice(before);
    expect(waits.length).toBeGreaterThan(5);
    for (const l of waits) {
      expect(l.messages).toEqual([message]);
      expect(l.delaySeconds).toBeGreaterThanOrEqual(1);
      expect(l.delaySeconds).toBeLessThanOrEqual(3);
    }
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    // The lease it took was given back.
    expect(w.store.heldLeases('sub_a', new Date(w.now()))).toBe(0);
  });

  it('a free slot is enough: with ENDPOINT_CONCURRENCY - 1 held, it sends at once', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    await handleOutboundMessage(w.deps, eventMessage(w.event('14')));
    for (let slot = 0; slot < ENDPOINT_CONCURRENCY - 1; slot++) w.store.holdLease('sub_a', slot, new Date(w.now() + H));
    const start = w.now();
    await w.drain();
    expect(w.sends).toHaveLength(1);
    expect(w.sends[0]?.at).toBe(start);
    expect(w.store.heldLeases('sub_a', new Date(w.now()))).toBe(ENDPOINT_CONCURRENCY - 1);
  });

  it('holds at most ENDPOINT_CONCURRENCY sends in flight to one endpoint', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    for (let i = 0; i < 10; i++) await handleOutboundMessage(w.deps, eventMessage(w.event(`c${i}`)));
    // Each send, while in flight, starts the next queued message (as parallel Lambda batches would).
    let inFlight = 0;
    let most = 0;
    w.beforeSend(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      const next = w.pending.shift();
      if (next) await handleOutboundMessage(w.deps, next.message);
      inFlight--;
    });
    await w.drain();
    expect(most).toBe(ENDPOINT_CONCURRENCY);
    expect(w.sends).toHaveLength(10);
    expect([...w.store.deliveries.values()].every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
  });
});

describe('duplicates and crashes', () => {
  it('a duplicate deliver message for an attempt already taken sends nothing (after, and while in flight)', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('15');
    await handleOutboundMessage(w.deps, eventMessage(event));
    const message = (w.pending.shift() as Queued).message;

    // A copy arrives while the first is sending.
    let nested = 0;
    w.beforeSend(async () => {
      if (nested++ === 0) await handleOutboundMessage(w.deps, message);
    });
    await handleOutboundMessage(w.deps, message);
    expect(w.sends).toHaveLength(1);
    // A copy arrives afterwards.
    await handleOutboundMessage(w.deps, message);
    expect(w.sends).toHaveLength(1);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(w.store.heldLeases('sub_a', new Date(w.now()))).toBe(0);
  });

  it('a duplicate of a retry message sends the retry once', async () => {
    const w = world({ outcomes: [unavailable, delivered] });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('16');
    await handleOutboundMessage(w.deps, eventMessage(event));
    await handleOutboundMessage(w.deps, (w.pending.shift() as Queued).message);
    const retry = w.pending[0] as Queued;
    w.pending.push({ ...retry, seq: retry.seq + 1000 });
    await w.drain();
    expect(w.sends).toHaveLength(2);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('an attempt whose worker died is taken over once sendingUntil has passed, not before', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('17');
    await handleOutboundMessage(w.deps, eventMessage(event));
    const message = (w.pending.shift() as Queued).message;
    // A worker claims attempt 0 and dies before recording anything.
    const claimed = await w.store.claimAttempt('sub_a', event.id, 0, new Date(w.now()), 30 * S);
    expect(claimed).toMatchObject({ status: 'sending', attempts: 1 });

    w.advance(10 * S);
    await handleOutboundMessage(w.deps, message);
    expect(w.sends).toHaveLength(0);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'sending', attempts: 1 });

    // SQS redelivers after the visibility timeout.
    w.advance(170 * S);
    await handleOutboundMessage(w.deps, message);
    expect(w.sends).toHaveLength(1);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(w.store.delivery('sub_a', event.id)?.sendingUntil).toBeUndefined();
  });

  it('a send that throws gives its lease back and leaves the attempt to be taken over', async () => {
    const w = world({
      outcomes: (n) => {
        if (n === 1) throw new Error('socket hang up');
        return delivered;
      },
    });
    w.subscribe('sub_a', ['flag.raised']);
    const event = w.event('18');
    await handleOutboundMessage(w.deps, eventMessage(event));
    const message = (w.pending.shift() as Queued).message;
    await expect(handleOutboundMessage(w.deps, message)).rejects.toThrow('socket hang up');
    expect(w.store.heldLeases('sub_a', new Date(w.now()))).toBe(0);
    w.advance(180 * S);
    await handleOutboundMessage(w.deps, message);
    expect(w.sends).toHaveLength(2);
    expect(w.store.delivery('sub_a', event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('ignores a deliver message for a delivery that does not exist', async () => {
    const w = world();
    w.subscribe('sub_a', ['flag.raised']);
    await handleOutboundMessage(w.deps, { kind: 'deliver', subscriptionId: 'sub_a', eventId: 'evt_nothing', attempt: 0 });
    expect(w.sends).toHaveLength(0);
    expect(w.store.deliveries.size).toBe(0);
    expect(w.queueLog).toHaveLength(0);
  });
});

describe('a deleted subscription', () => {
  it('cancels its pending and retrying deliveries without sending', async () => {
    const w = world({ outcomes: [unavailable] });
    w.subscribe('sub_a', ['flag.raised']);
    const retrying = w.event('19');
    await handleOutboundMessage(w.deps, eventMessage(retrying));
    await handleOutboundMessage(w.deps, (w.pending.shift() as Queued).message);
    expect(w.store.delivery('sub_a', retrying.id)?.status).toBe('retrying');
    const pending = w.event('20');
    await handleOutboundMessage(w.deps, eventMessage(pending));
    expect(w.sends).toHaveLength(1);

    await w.store.deleteSubscription('sub_a');
    await w.drain();

    expect(w.sends).toHaveLength(1);
    for (const id of [retrying.id, pending.id]) {
      expect(w.store.delivery('sub_a', id)).toMatchObject({ status: 'cancelled', lastError: 'subscription deleted' });
      expect(w.store.delivery('sub_a', id)?.nextAttemptAt).toBeUndefined();
    }
    expect(w.deadLetters).toEqual([]);
  });
});

describe('secret rotation', () => {
  it('signs with both secrets (newest first) during the overlap, then with the new one only', async () => {
    const w = world();
    const expiresAt = new Date(w.now() + 24 * H).toISOString();
    w.subscribe('sub_a', ['flag.raised'], {
      secrets: [{ secret: 'whsec_new' }, { secret: 'whsec_old', expiresAt }],
    });
    await handleOutboundMessage(w.deps, eventMessage(w.event('21')));
    await w.drain();
    expect(w.sends[0]?.request.secrets).toEqual(['whsec_new', 'whsec_old']);

    w.advance(24 * H);
    await handleOutboundMessage(w.deps, eventMessage(w.event('22')));
    await w.drain();
    // At expiresAt exactly it no longer signs.
    expect(w.sends[1]?.request.secrets).toEqual(['whsec_new']);

    w.advance(H);
    await handleOutboundMessage(w.deps, eventMessage(w.event('23')));
    await w.drain();
    expect(w.sends[2]?.request.secrets).toEqual(['whsec_new']);
  });

  it('drops the old secret between attempts of one delivery when it expires meanwhile', async () => {
    const w = world({ outcomes: [unavailable, unavailable, unavailable, delivered] });
    w.subscribe('sub_a', ['flag.raised'], {
      secrets: [{ secret: 'whsec_new' }, { secret: 'whsec_old', expiresAt: new Date(w.now() + 60 * S).toISOString() }],
    });
    await handleOutboundMessage(w.deps, eventMessage(w.event('24')));
    await w.drain();
    // Attempts at ~0 s, ~5 s, ~5 min 5 s, ~35 min: the old secret signs the first two only.
    expect(w.sends.map((s) => s.request.secrets)).toEqual([
      ['whsec_new', 'whsec_old'],
      ['whsec_new', 'whsec_old'],
      ['whsec_new'],
      ['whsec_new'],
    ]);
  });
});
