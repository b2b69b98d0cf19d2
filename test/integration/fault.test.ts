/**
 * Fault injection: DynamoDB Local is paused (SIGSTOP) for longer than the webhook function's
 * timeout while signed deliveries are in flight. Some deliveries time out (5xx) while their write may
 * still land once DynamoDB resumes; the test then acts like a provider and redelivers every
 * delivery that did not get a 2xx (same webhook-id and body, fresh signature timestamp) until all
 * are 2xx. Every customer's purchase count and revenue must then equal exactly the sum of the
 * distinct deliveries: nothing lost, nothing counted twice.
 *
 * Pausing DynamoDB would break every other suite that shares the stack, so this file runs only in
 * the `fault` jest project, which jest.config.js defines only when PATRON_FAULT_TESTS=1 (and the
 * `integration` project ignores this file): `npm run test:fault`, on its own stack, alone.
 */
import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { FUNCTIONS } from '../../infra/definitions.js';
import { api, stackInfo } from '../helpers/stack.js';
import { type DeliveryResponse, deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';

const WEBHOOK_TIMEOUT_S = FUNCTIONS.find((f) => f.name === 'webhook')?.timeoutSeconds ?? 3;
/** As short as still exceeds the function's timeout. */
const PAUSE_MS = (WEBHOOK_TIMEOUT_S + 2) * 1000;
const CUSTOMERS = 3;
const DELIVERIES = 30;
const MAX_TRIES = 10;
const RETRY_BUDGET_MS = 60_000;

jest.setTimeout(180_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Delivery {
  eventId: string;
  email: string;
  body: ReturnType<typeof purchase>;
  totalMinor: number;
  attempts: DeliveryResponse[];
}

/** One POST; a network-level failure counts as a non-2xx attempt (status 0) so the provider retries it. */
async function attempt(d: Delivery): Promise<DeliveryResponse> {
  let res: DeliveryResponse;
  try {
    res = await deliver('generic', d.body, { eventId: d.eventId, now: new Date() });
  } catch (error) {
    res = { status: 0, body: { error: 'network', message: error instanceof Error ? error.message : String(error) } };
  }
  d.attempts.push(res);
  return res;
}

const ok = (d: Delivery) => {
  const last = d.attempts.at(-1);
  return last !== undefined && last.status >= 200 && last.status < 300;
};

let paused = false;
function resume(): void {
  if (!paused) return;
  try {
    process.kill(stackInfo().dynamodbPid, 'SIGCONT');
  } finally {
    paused = false;
  }
}

// Belt and braces: whatever happens, DynamoDB Local is not left stopped.
afterAll(resume);
process.once('exit', resume);

describe('DynamoDB Local paused longer than the webhook timeout during ingest', () => {
  it('redelivery with the same webhook-id converges: every delivery 2xx, each purchase counted exactly once', async () => {
    const pid = stackInfo().dynamodbPid;
    expect(pid).toBeGreaterThan(0);
    expect(PAUSE_MS).toBeGreaterThan(WEBHOOK_TIMEOUT_S * 1000);

    // The customers exist before the fault, so the test is about the pause, not concurrent creation.
    const emails = Array.from({ length: CUSTOMERS }, (_, i) => uniqueEmail(`fault${i}`));
    const seed = new Map<string, { id: string; totalMinor: number }>();
    for (const [i, email] of emails.entries()) {
      const totalMinor = 1000 + i;
      const res = await deliver('generic', purchase({ email }, totalMinor));
      expect(res.status).toBe(201);
      seed.set(email, { id: res.body.customerId as string, totalMinor });
    }

    const deliveries: Delivery[] = Array.from({ length: DELIVERIES }, (_, i) => {
      const email = emails[i % CUSTOMERS]!;
      const totalMinor = 100 * (i + 1) + 7; // distinct, so a lost or doubled one shows in the sum
      return { eventId: `evt_fault_${randomUUID()}`, email, body: purchase({ email }, totalMinor), totalMinor, attempts: [] };
    });

    // First third in flight just before the pause, the rest sent while DynamoDB is stopped.
    const inFlight: Promise<DeliveryResponse>[] = [];
    const early = Math.floor(DELIVERIES / 3);
    const pausedAt = Date.now();
    try {
      for (const d of deliveries.slice(0, early)) inFlight.push(attempt(d));
      await sleep(20);
      process.kill(pid, 'SIGSTOP');
      paused = true;
      for (const d of deliveries.slice(early)) {
        inFlight.push(attempt(d));
        await sleep(50);
      }
      await sleep(Math.max(0, PAUSE_MS - (Date.now() - pausedAt)));
    } finally {
      resume();
    }
    await Promise.all(inFlight);
    const firstRound = deliveries.map((d) => d.attempts[0]!.status);
    const failedFirst = firstRound.filter((s) => s < 200 || s >= 300).length;
    // The fault must actually have bitten, or this test proves nothing.
    expect(failedFirst).toBeGreaterThan(0);

    // The provider: redeliver every non-2xx with the same id and body, fresh timestamp, backoff.
    const retryStart = Date.now();
    for (let round = 1; round < MAX_TRIES && deliveries.some((d) => !ok(d)); round++) {
      if (Date.now() - retryStart > RETRY_BUDGET_MS) break;
      await sleep(Math.min(500 * 2 ** (round - 1), 8000));
      await Promise.all(deliveries.filter((d) => !ok(d)).map((d) => attempt(d)));
    }

    const summary = deliveries.map((d) => ({ eventId: d.eventId, statuses: d.attempts.map((a) => a.status) }));
    const stuck = summary.filter((_, i) => !ok(deliveries[i]!));
    expect({ stuck, lastBodies: deliveries.filter((d) => !ok(d)).map((d) => d.attempts.at(-1)?.body) }).toEqual({
      stuck: [],
      lastBodies: [],
    });

    // Every delivery resolved to the customer seeded for its email (no split customers).
    for (const d of deliveries) {
      const final = d.attempts.at(-1)!.body;
      expect({ eventId: d.eventId, customerId: final.customerId }).toEqual({ eventId: d.eventId, customerId: seed.get(d.email)!.id });
    }

    // Timed-out invocations keep running after their 5xx; give any straggler write a moment to land
    // (a late double count must show up here, not after the test).
    await sleep(1500);
    for (const email of emails) {
      const { id, totalMinor: seedMinor } = seed.get(email)!;
      const mine = deliveries.filter((d) => d.email === email);
      const res = await api(`/customers/${encodeURIComponent(id)}`);
      expect(res.status).toBe(200);
      const c = await res.json();
      expect({ email, purchaseCount: c.purchaseCount, revenue: c.revenue, touchpointCount: c.touchpointCount }).toEqual({
        email,
        purchaseCount: mine.length + 1,
        revenue: [{ currency: 'EUR', amountMinor: seedMinor + mine.reduce((sum, d) => sum + d.totalMinor, 0) }],
        touchpointCount: mine.length + 1,
      });
    }
    // Visible in the test output for the report.
    console.log(
      `fault: paused ${PAUSE_MS} ms (timeout ${WEBHOOK_TIMEOUT_S} s); first round ${failedFirst}/${DELIVERIES} non-2xx ` +
        `(${JSON.stringify(countBy(firstRound))}); attempts per delivery ${JSON.stringify(countBy(deliveries.map((d) => d.attempts.length)))}; ` +
        `final ${JSON.stringify(countBy(deliveries.map((d) => d.attempts.at(-1)!.status)))}`,
    );
  });
});

function countBy(values: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
