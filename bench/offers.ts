/**
 * Offer-check benchmark: POST /offers/check through the real HTTP endpoint of the embedded stack,
 * for customers with long histories (1,000 touchpoints over ~3 years, 50 active offers), against
 * a baseline measured in the same run: a single GetItem of a profile item straight from the same
 * DynamoDB Local, at the same concurrency. Prints, per concurrency level, p50/p90/p99 and
 * throughput of both, plus two rows that locate the cost: the same check in-process (checkOffer,
 * no HTTP hop or handler) and as many GetItems in parallel as a check sends requests (the floor
 * for that request count on this DynamoDB Local). Also the DynamoDB requests, sequential waves,
 * items and read units of one check for long and for short histories, which must be equal
 * (bounded independently of history length), and each read's time. Ratios last: check p99 /
 * GetItem p99 against the target (< 5x), PASS or MISS.
 *
 *   npm run bench:offers -- [--customers 20] [--touchpoints 1000] [--offers 50] [--years 3]
 *                           [--short 5] [--short-touchpoints 10] [--checks 1000] [--concurrency 1,8]
 *                           [--rounds 4] [--warmup 300] [--target 5] [--by id|email]
 *
 * --checks is per concurrency level; checks and GetItems run interleaved in --rounds blocks so
 * drift (JIT, GC, the other tenant of a shared machine) hits both alike. DynamoDB Local's JVM
 * options are local/dynamodb-local.ts's (C1-only JIT, serial GC) unless DYNAMODB_LOCAL_JAVA_OPTS
 * is set ("" = the JVM's defaults); the options used are printed. On a 2-core machine the JVM's
 * defaults measured no faster in steady state: C2's compiler threads compete with the work.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import {
  ADAPTERS,
  applyTouchpoint,
  checkOffer,
  batchWrite,
  buildDeps,
  createDocumentClient,
  CustomerStore,
  customerPk,
  ingestWebhook,
  MiningStore,
  normalizeInstant,
  OfferStore,
  PROFILE_SK,
  Touchpoint,
  touchpointSk,
  UpdateBuilder,
  useDeps,
  type AppDeps,
  type StoredOffer,
  type StoredTouchpoint,
} from '@patron/core';
import { DAY_MS } from '../layers/core/src/time.js';
import { mulberry32 } from '../layers/core/src/random.js';
import { DEFAULT_JAVA_OPTIONS } from '../local/dynamodb-local.js';
import { startStack } from '../local/stack.js';
import { percentile, runPool } from './pool.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '20' },
    touchpoints: { type: 'string', default: '1000' },
    offers: { type: 'string', default: '50' },
    years: { type: 'string', default: '3' },
    short: { type: 'string', default: '5' },
    'short-touchpoints': { type: 'string', default: '10' },
    checks: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,8' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '300' },
    target: { type: 'string', default: '5' },
    by: { type: 'string', default: 'id' },
  },
});
const LONG_CUSTOMERS = Number(values.customers);
const LONG_TOUCHPOINTS = Number(values.touchpoints);
const OFFERS = Number(values.offers);
const YEARS = Number(values.years);
const SHORT_CUSTOMERS = Number(values.short);
const SHORT_TOUCHPOINTS = Number(values['short-touchpoints']);
const CHECKS = Number(values.checks);
const CONCURRENCIES = values.concurrency!.split(',').filter(Boolean).map(Number);
const ROUNDS = Math.max(1, Number(values.rounds));
const WARMUP = Number(values.warmup);
const TARGET = Number(values.target);
/** How checks name the customer: `id` (the direct path) or `email` (resolved through its alias first). */
const BY = values.by === 'email' ? 'email' : 'id';

const JAVA_OPTS = process.env.DYNAMODB_LOCAL_JAVA_OPTS?.trim() ?? DEFAULT_JAVA_OPTIONS.join(' ');

const READ_COMMANDS = new Set(['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand']);

// ---------------------------------------------------------------- measuring

/** One DynamoDB request as the SDK middleware saw it (retries included in `attempts`). */
interface RequestRecord {
  command: string;
  /** Which read of the check this is, told apart by its key and options. */
  label: string;
  start: number;
  end: number;
  items: number;
  scanned: number;
  units: number;
  attempts: number;
}

/** Names the reads of a check by what they fetch (see offer-store.ts, customer-store.ts, mining-store.ts). */
function labelOf(command: string, input: Record<string, any>): string {
  if (command === 'BatchGetItemCommand') return 'BatchGetItem profile (resolution)';
  if (command === 'GetItemCommand')
    return String(input.Key?.pk).startsWith('CUST#')
      ? 'GetItem profile'
      : input.Key?.pk === 'RUN#LATEST'
        ? 'GetItem latest mining run pointer'
        : `GetItem ${String(input.Key?.pk).split('#')[0]}`;
  if (command === 'QueryCommand') {
    if (input.Limit === 1) return 'Query history edge (Limit 1)';
    if (input.ConsistentRead) return 'Query snapshot (profile, offers, ledger, flags)';
    return 'Query touchpoints of the rules window';
  }
  return command.replace(/Command$/, '');
}

/** Deterministic pseudo-random numbers, so every run seeds the same histories. */
const rng = mulberry32;

/**
 * Requests that overlap in time form one wave (loadContext's Promise.all); a request that starts
 * after one of the current wave has ended waits on it. Waves = sequential round trips; their
 * summed span is the time the check spent waiting on DynamoDB (the SDK's own work, signing and
 * (un)marshalling on this process's thread, included).
 */
function waves(records: RequestRecord[]): { waves: number; dbMs: number } {
  const sorted = [...records].sort((a, b) => a.start - b.start);
  let count = 0;
  let dbMs = 0;
  let firstEnd = -Infinity;
  let waveStart = 0;
  let waveEnd = 0;
  for (const r of sorted) {
    if (r.start >= firstEnd) {
      if (count > 0) dbMs += waveEnd - waveStart;
      count++;
      firstEnd = r.end;
      waveStart = r.start;
      waveEnd = r.end;
    } else {
      firstEnd = Math.min(firstEnd, r.end);
      waveEnd = Math.max(waveEnd, r.end);
    }
  }
  if (count > 0) dbMs += waveEnd - waveStart;
  return { waves: count, dbMs };
}

// ---------------------------------------------------------------- seeding

type Group = 'long' | 'short-50' | 'short-0';
interface SeededCustomer {
  id: string;
  email: string;
  group: Group;
  touchpoints: number;
  offers: number;
}

const CATEGORIES = ['coffee', 'tea', 'kitchen', 'books', 'garden'];

/** A realistic mix: mostly purchases and email engagement, some tickets, ratings, refunds. */
function touchpointBody(c: string, k: number, n: number, spanMs: number, now: number, rand: () => number) {
  // Oldest first, evenly spread with jitter, the newest a few hours ago.
  const at = new Date(now - spanMs + ((k + 0.2 + 0.6 * rand()) / n) * (spanMs - 3 * 3600_000));
  const customer = { email: `${c}@example.com`, externalId: c, firstName: 'Bench', lastName: c };
  const base = { occurredAt: at.toISOString(), customer };
  if (k === 0) return { ...base, type: 'consent_changed', data: { channel: 'email', granted: true } };
  const r = rand();
  const ticketId = `t-${c}-${Math.floor(k / 3)}`;
  if (r < 0.4) {
    const product = Math.floor(rand() * 30);
    const quantity = 1 + Math.floor(rand() * 3);
    const unitPriceMinor = 500 + Math.floor(rand() * 40) * 100;
    return {
      ...base,
      type: 'purchase',
      data: {
        orderId: `o-${c}-${k}`,
        currency: 'EUR',
        totalMinor: quantity * unitPriceMinor,
        items: [
          {
            sku: `SKU-${product}`,
            productId: `prod-${product}`,
            category: CATEGORIES[product % CATEGORIES.length]!,
            quantity,
            unitPriceMinor,
          },
        ],
      },
    };
  }
  if (r < 0.55) return { ...base, type: 'email_opened', data: { campaignLabel: `camp-${k % 12}`, messageId: `m-${c}-${k}` } };
  if (r < 0.62)
    return {
      ...base,
      type: 'email_clicked',
      data: { campaignLabel: `camp-${k % 12}`, messageId: `m-${c}-${k - 1}`, url: 'https://shop.example.com/new' },
    };
  if (r < 0.72) return { ...base, type: 'web_visit', data: { url: `https://shop.example.com/p/${k % 50}` } };
  if (r < 0.8) return { ...base, type: 'ticket_opened', data: { ticketId, subject: 'Order question', complaint: rand() < 0.25 } };
  if (r < 0.87) return { ...base, type: 'ticket_solved', data: { ticketId } };
  if (r < 0.94) return { ...base, type: 'satisfaction_rated', data: { score: 1 + Math.floor(rand() * 5), ticketId } };
  if (r < 0.97)
    return { ...base, type: 'refund', data: { orderId: `o-${c}-${k - 1}`, currency: 'EUR', amountMinor: 900, reason: 'damaged' } };
  return {
    ...base,
    type: 'payment_failed',
    data: { invoiceId: `inv-${c}-${k}`, currency: 'EUR', amountMinor: 1900, reason: 'card_declined' },
  };
}

const CHANNELS = ['email', 'sms', 'mail', 'in-app', 'phone'] as const;

/** Active offers on record, each for a different product so none conflicts with another. */
function seededOffer(customerId: string, j: number, now: number): StoredOffer {
  // Created 8 to 60 days ago: outside contact-fatigue's 7-day window, still valid for 90 days.
  const createdAt = new Date(now - (8 + (j % 53)) * DAY_MS - j * 60_000).toISOString();
  return {
    id: ulid(),
    customerId,
    kind: (['offer', 'upsell', 'cross-sell', 'retention'] as const)[j % 4]!,
    productId: `catalog-${j}`,
    productFamily: `family-${j}`,
    terms: { amount: 10 + j, currency: 'EUR', termMonths: 12, discountPercent: j % 30 },
    channel: CHANNELS[j % CHANNELS.length]!,
    campaignLabel: `bench-campaign-${j % 7}`,
    team: 'bench',
    validFrom: createdAt.slice(0, 10),
    validUntil: new Date(now + 90 * DAY_MS).toISOString().slice(0, 10),
    status: 'active',
    createdAt,
    updatedAt: createdAt,
    createdBy: 'bench',
  };
}

/**
 * The profile update of many touchpoints in one UpdateItem: applyTouchpoint's contributions are
 * sums and set unions (commutative, see ingest/aggregates.ts), so they are recorded per touchpoint,
 * added up, and replayed once; an UpdateExpression may not name the same path twice.
 */
function mergedAggregates(touchpoints: Touchpoint[]): UpdateBuilder {
  const sums = new Map<string, number>();
  const mapSums = new Map<string, Map<string, number>>();
  const sets = new Map<string, Set<string>>();
  const recorder = {
    add(attribute: string, n: number) {
      sums.set(attribute, (sums.get(attribute) ?? 0) + n);
      return recorder;
    },
    addToMap(attribute: string, key: string, n: number) {
      const m = mapSums.get(attribute) ?? new Map<string, number>();
      m.set(key, (m.get(key) ?? 0) + n);
      mapSums.set(attribute, m);
      return recorder;
    },
    addToSet(attribute: string, members: Iterable<string>) {
      const set = sets.get(attribute) ?? new Set<string>();
      for (const member of members) set.add(member);
      sets.set(attribute, set);
      return recorder;
    },
  };
  // Any other UpdateBuilder method would be a non-additive part: fail loudly rather than drop it.
  const proxy = new Proxy(recorder, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof typeof target];
      throw new Error(`applyTouchpoint called UpdateBuilder.${String(prop)}, which the bench cannot merge`);
    },
  });
  for (const tp of touchpoints) applyTouchpoint(proxy as unknown as UpdateBuilder, tp);
  const u = new UpdateBuilder();
  for (const [attribute, n] of sums) u.add(attribute, n);
  for (const [attribute, m] of mapSums) for (const [key, n] of m) u.addToMap(attribute, key, n);
  for (const [attribute, members] of sets) u.addToSet(attribute, members);
  return u;
}

/**
 * Seeds through the core, not HTTP. Each customer's first touchpoint goes through ingestWebhook
 * (signed, verified, identity resolved, profile and aliases created, exactly as the webhook
 * function does minus the HTTP hop). The rest of the history is written the way the store lays it
 * out, without the per-event transaction: the touchpoint items by BatchWriteItem (25 a request)
 * and their profile aggregates, computed by the same applyTouchpoint the ingest uses and summed,
 * in one UpdateItem (see mergedAggregates). 20k signed deliveries of one transaction each take
 * minutes on DynamoDB Local; the items and aggregates end up the same.
 * The offers go through OfferStore.register, because the API stamps `createdAt = now` and
 * contact-fatigue would rightly refuse the 5th offer within 7 days: 50 active offers on record
 * are only possible with older creation dates.
 */
async function seed(deps: AppDeps, doc: DynamoDBDocumentClient, secret: string, runId: string, now: number): Promise<SeededCustomer[]> {
  const table = deps.store.table;
  const plan: { group: Group; touchpoints: number; offers: number; spanMs: number }[] = [
    ...Array.from({ length: LONG_CUSTOMERS }, () => ({
      group: 'long' as const,
      touchpoints: LONG_TOUCHPOINTS,
      offers: OFFERS,
      spanMs: YEARS * 365 * DAY_MS,
    })),
    // Short histories are recent (the last 60 days), so their rule window holds touchpoints too.
    ...Array.from({ length: SHORT_CUSTOMERS }, () => ({
      group: 'short-50' as const,
      touchpoints: SHORT_TOUCHPOINTS,
      offers: OFFERS,
      spanMs: 60 * DAY_MS,
    })),
    ...Array.from({ length: SHORT_CUSTOMERS }, () => ({
      group: 'short-0' as const,
      touchpoints: SHORT_TOUCHPOINTS,
      offers: 0,
      spanMs: 60 * DAY_MS,
    })),
  ];
  const receivedAt = new Date(now).toISOString();
  return Promise.all(
    plan.map(async (p, c) => {
      const name = `offers-${runId}-${p.group}-${c}`;
      const rand = rng(c + 1);
      const bodies = Array.from({ length: p.touchpoints }, (_, k) => touchpointBody(name, k, p.touchpoints, p.spanMs, now, rand));
      const first = JSON.stringify(bodies[0]);
      const created = await ingestWebhook(deps, 'generic', first, ADAPTERS.generic.sign(first, secret, new Date(), `${name}-0`));
      if (created.status !== 'stored') throw new Error(`seeding ${name}: ${created.status}`);
      const id = created.customerId;

      const rest = bodies.slice(1).map((body, i) => {
        const tp = Touchpoint.parse(body);
        const dedupeKey = `${name}-${i + 1}`;
        const stored: StoredTouchpoint = {
          id: `generic:${dedupeKey}`,
          customerId: id,
          source: 'generic',
          dedupeKey,
          type: tp.type,
          occurredAt: normalizeInstant(tp.occurredAt),
          receivedAt,
          data: tp.data as Record<string, unknown>,
        };
        return { tp, item: { pk: customerPk(id), sk: touchpointSk(stored.occurredAt, 'generic', dedupeKey), ...stored } };
      });
      await batchWrite(
        doc,
        table,
        rest.map(({ item }) => ({ PutRequest: { Item: item } })),
      );
      if (rest.length > 0) {
        const update = mergedAggregates(rest.map(({ tp }) => tp));
        await doc.send(new UpdateCommand({ TableName: table, Key: { pk: customerPk(id), sk: PROFILE_SK }, ...update.params() }));
      }

      for (let j = 0; j < p.offers; j++) {
        const offer = seededOffer(id, j, now);
        const audit = [
          { offerId: offer.id, at: offer.createdAt, action: 'created' as const, actor: 'bench', decision: 'allow', findings: [] },
        ];
        const outcome = await deps.offers.register({ offer, expectedVersion: j, audit });
        if (outcome !== 'stored') throw new Error(`seeding offer ${j} of ${name}: ${outcome}`);
      }
      return { id, email: `${name}@example.com`, group: p.group, touchpoints: p.touchpoints, offers: p.offers };
    }),
  );
}

// ---------------------------------------------------------------- main

const ms = (x: number) => `${x.toFixed(2)} ms`;

async function main() {
  const loadAtStart = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  const stackStart = performance.now();
  const stack = await startStack({ port: 0, log: () => {}, inProcess: true });
  const startupMs = performance.now() - stackStart;
  const dynamoPort = new URL(stack.dynamodbEndpoint).port;
  const table = stack.env.TABLE_NAME!;
  const baselineDoc = createDocumentClient(stack.dynamodbEndpoint);
  const meteredDoc = createDocumentClient(stack.dynamodbEndpoint);
  try {
    const runId = ulid().slice(-6).toLowerCase();
    const now = Date.now();

    // Seeding.
    // No per-delivery log lines or metrics while seeding: they are not what is measured.
    const seedDeps: AppDeps = { ...(await buildDeps(stack.env)), observer: { delivery: () => {} } };
    const seedStart = performance.now();
    const customers = await seed(seedDeps, baselineDoc, stack.env.WEBHOOK_SECRET_GENERIC!.split(',')[0]!, runId, now);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const long = customers.filter((c) => c.group === 'long');

    // The handler's deps: the ones it would build itself (buildDeps on the stack's env), with the
    // stores on a DynamoDB client that records every request (ReturnConsumedCapacity is added
    // only in the accounting pass, not in the timed runs). The offers handler runs in this
    // process (local/lambda.ts imports it), so useDeps reaches it.
    let recording: RequestRecord[] | undefined;
    let withCapacity = false;
    let totalRequests = 0;
    meteredDoc.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        const command = String(context.commandName);
        const isRead = READ_COMMANDS.has(command);
        const input = withCapacity && isRead ? { ...args.input, ReturnConsumedCapacity: 'TOTAL' } : args.input;
        const start = performance.now();
        const result = await next({ ...args, input });
        const end = performance.now();
        totalRequests++;
        if (recording) {
          const out = result.output ?? {};
          const capacity = [out.ConsumedCapacity].flat().filter(Boolean) as { CapacityUnits?: number }[];
          const batchItems = out.Responses
            ? Object.values(out.Responses as Record<string, unknown[]>).reduce((s, r) => s + r.length, 0)
            : 0;
          const items = (out.Items?.length ?? 0) + (out.Item ? 1 : 0) + batchItems;
          recording.push({
            command: command.replace(/Command$/, ''),
            label: labelOf(command, args.input),
            start,
            end,
            items,
            scanned: out.ScannedCount ?? items,
            units: capacity.reduce((s, c) => s + (c.CapacityUnits ?? 0), 0),
            attempts: out.$metadata?.attempts ?? 1,
          });
        }
        return result;
      },
      { step: 'initialize', name: 'benchRequestMeter' },
    );
    const handlerDeps = await buildDeps(process.env);
    const metered: AppDeps = {
      ...handlerDeps,
      store: new CustomerStore(meteredDoc, table, new OfferStore(meteredDoc, table)),
      offers: new OfferStore(meteredDoc, table),
      runs: new MiningStore(meteredDoc, table),
    };
    useDeps(metered);

    const decisions = new Map<string, number>();
    const checkRequest = (customer: SeededCustomer) => ({
      ...(BY === 'email' ? { email: customer.email } : { customerId: customer.id }),
      kind: 'cross-sell' as const,
      productId: 'bench-new-product',
      productFamily: 'family-new',
      channel: 'email' as const,
      terms: { amount: 19.9, currency: 'EUR', termMonths: 12 },
      campaignLabel: 'bench-check',
    });
    const check = async (customer: SeededCustomer) => {
      const res = await fetch(`${stack.baseUrl}/offers/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
        // A product none of the customer's offers names: every rule runs against all 50 of them.
        body: JSON.stringify(checkRequest(customer)),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`check ${customer.id}: HTTP ${res.status} ${text}`);
      if (recording) {
        const decision = (JSON.parse(text) as { decision: string }).decision;
        decisions.set(decision, (decisions.get(decision) ?? 0) + 1);
      }
    };
    // The same check without the HTTP hop and the handler: checkOffer in-process, same deps.
    const coreCheck = async (customer: SeededCustomer) => {
      await checkOffer(metered, checkRequest(customer));
    };
    const getItem = async (customerId: string) => {
      const out = await baselineDoc.send(new GetCommand({ TableName: table, Key: { pk: customerPk(customerId), sk: PROFILE_SK } }));
      if (!out.Item) throw new Error(`profile of ${customerId} missing`);
    };

    // Warm-up: JIT on both sides, connection pools, DynamoDB Local's first-touch costs.
    await runPool(WARMUP, Math.max(...CONCURRENCIES), (i) => check(customers[i % customers.length]!));
    await runPool(WARMUP, Math.max(...CONCURRENCIES), (i) => getItem(long[i % long.length]!.id));

    // Reads per check: one check at a time, each request recorded. The groups take turns (one
    // customer of each, round-robin, several passes) so drift on a shared machine hits all alike.
    withCapacity = true;
    const perCheck = new Map<Group, { records: RequestRecord[]; latency: number }[]>();
    const byGroup = (['long', 'short-50', 'short-0'] as const).map((g) => customers.filter((c) => c.group === g));
    const passes = Math.max(...byGroup.map((g) => g.length));
    for (let rep = 0; rep < 3; rep++) {
      for (let i = 0; i < passes; i++) {
        for (const members of byGroup) {
          if (members.length === 0) continue;
          const c = members[(i + rep) % members.length]!;
          recording = [];
          const t0 = performance.now();
          await check(c);
          const latency = performance.now() - t0;
          perCheck.set(c.group, [...(perCheck.get(c.group) ?? []), { records: recording, latency }]);
        }
      }
    }
    recording = undefined;
    withCapacity = false;

    // Latency and throughput: checks of long-history customers and GetItems of their profiles,
    // interleaved in rounds, at each concurrency.
    // A floor for this request count: as many GetItems in parallel as a check sends in its wave.
    const wave = Math.max(...(perCheck.get('long') ?? []).map(({ records }) => records.length));
    const parallelGets = async (i: number) => {
      await Promise.all(Array.from({ length: wave }, (_, k) => getItem(long[(i + k) % long.length]!.id)));
    };
    type Run = { seconds: number; latencies: number[] };
    const timed: { concurrency: number; check: Run; core: Run; get: Run; gets: Run; requests: number }[] = [];
    for (const concurrency of CONCURRENCIES) {
      const checkRun = { seconds: 0, latencies: [] as number[] };
      const coreRun = { seconds: 0, latencies: [] as number[] };
      const getRun = { seconds: 0, latencies: [] as number[] };
      const getsRun = { seconds: 0, latencies: [] as number[] };
      const perRound = Math.ceil(CHECKS / ROUNDS);
      totalRequests = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const a = await runPool(perRound, concurrency, (i) => check(long[(i + r) % long.length]!));
        checkRun.seconds += a.seconds;
        checkRun.latencies.push(...a.latencies);
        const requests = totalRequests;
        const c = await runPool(Math.ceil(perRound / 2), concurrency, (i) => coreCheck(long[(i + r) % long.length]!));
        coreRun.seconds += c.seconds;
        coreRun.latencies.push(...c.latencies);
        const b = await runPool(perRound, concurrency, (i) => getItem(long[(i + r) % long.length]!.id));
        totalRequests = requests;
        getRun.seconds += b.seconds;
        getRun.latencies.push(...b.latencies);
        const d = await runPool(Math.ceil(perRound / 2), concurrency, (i) => parallelGets(i + r));
        getsRun.seconds += d.seconds;
        getsRun.latencies.push(...d.latencies);
      }
      for (const run of [checkRun, coreRun, getRun, getsRun]) run.latencies.sort((x, y) => x - y);
      timed.push({
        concurrency,
        check: checkRun,
        core: coreRun,
        get: getRun,
        gets: getsRun,
        requests: totalRequests / checkRun.latencies.length,
      });
    }

    // ---- report
    console.log(
      `customers: ${long.length} with ${LONG_TOUCHPOINTS} touchpoints over ${YEARS} years and ${OFFERS} active offers; ` +
        `${SHORT_CUSTOMERS} with ${SHORT_TOUCHPOINTS} touchpoints and ${OFFERS} offers; ${SHORT_CUSTOMERS} with ${SHORT_TOUCHPOINTS} touchpoints and 0 offers`,
    );
    console.log(
      `seeded ${customers.reduce((s, c) => s + c.touchpoints, 0)} touchpoints and ${customers.reduce((s, c) => s + c.offers, 0)} offers in ${seedSeconds.toFixed(1)} s (through the core, not HTTP); stack up in ${(startupMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `DynamoDB Local JVM options: ${JAVA_OPTS || '(none: JVM defaults, tiered C1+C2 JIT, default GC)'}; ${cpus().length} CPUs, load average at start ${loadAtStart}`,
    );
    console.log(
      `check: POST /offers/check by ${BY === 'email' ? 'email' : 'customerId'} (cross-sell, new product, email), decisions seen: ${[...decisions].map(([d, n]) => `${d} ${n}`).join(', ')}`,
    );

    console.log(
      `\nDynamoDB requests of one check (${3 * passes} checks per group, one at a time, groups in turn, after warm-up, ReturnConsumedCapacity=TOTAL):`,
    );
    const byLabel = new Map<string, Map<Group, { ms: number[]; items: number[] }>>();
    const summary = new Map<
      Group,
      {
        requests: Set<number>;
        waves: Set<number>;
        shape: Set<string>;
        items: number[];
        scanned: number[];
        units: number[];
        dbMs: number[];
        latency: number[];
        retries: number;
      }
    >();
    for (const [group, checks] of perCheck) {
      const s = {
        requests: new Set<number>(),
        waves: new Set<number>(),
        shape: new Set<string>(),
        items: [] as number[],
        scanned: [] as number[],
        units: [] as number[],
        dbMs: [] as number[],
        latency: [] as number[],
        retries: 0,
      };
      for (const { records, latency } of checks) {
        const w = waves(records);
        const byCommand = new Map<string, number>();
        for (const r of records) byCommand.set(r.command, (byCommand.get(r.command) ?? 0) + 1);
        s.requests.add(records.length);
        s.waves.add(w.waves);
        s.shape.add(
          [...byCommand]
            .sort()
            .map(([k, v]) => `${v} ${k}`)
            .join(' + '),
        );
        s.items.push(records.reduce((t, r) => t + r.items, 0));
        s.scanned.push(records.reduce((t, r) => t + r.scanned, 0));
        s.units.push(records.reduce((t, r) => t + r.units, 0));
        s.dbMs.push(w.dbMs);
        s.latency.push(latency);
        s.retries += records.reduce((t, r) => t + r.attempts - 1, 0);
      }
      summary.set(group, s);
      for (const { records } of checks) {
        for (const r of records) {
          const row = byLabel.get(r.label) ?? new Map<Group, { ms: number[]; items: number[] }>();
          const cell = row.get(group) ?? { ms: [], items: [] };
          cell.ms.push(r.end - r.start);
          cell.items.push(r.items);
          row.set(group, cell);
          byLabel.set(r.label, row);
        }
      }
      const range = (xs: number[], d = 0) => {
        const lo = Math.min(...xs);
        const hi = Math.max(...xs);
        return lo === hi ? lo.toFixed(d) : `${lo.toFixed(d)}-${hi.toFixed(d)}`;
      };
      const median = (xs: number[]) =>
        percentile(
          [...xs].sort((a, b) => a - b),
          50,
        );
      console.log(
        `  ${group.padEnd(8)} requests ${[...s.requests].join('/')} (${[...s.shape].join(' | ')}) in ${[...s.waves].join('/')} sequential waves; ` +
          `items read ${range(s.items)}, scanned ${range(s.scanned)}, read units ${range(s.units, 1)}, retries ${s.retries}; ` +
          `median check ${ms(median(s.latency))} of which waiting on DynamoDB ${ms(median(s.dbMs))}`,
      );
    }
    const groups = [...perCheck.keys()];
    console.log(`  each read, median time (while the others of its wave run alongside) and items, ${groups.join(' / ')}:`);
    for (const [label, row] of byLabel) {
      const med = (xs: number[] | undefined) =>
        xs?.length
          ? percentile(
              [...xs].sort((a, b) => a - b),
              50,
            )
          : NaN;
      console.log(
        `    ${label.padEnd(48)} ${groups.map((g) => ms(med(row.get(g)?.ms)).padStart(9)).join(' /')}   items ${groups.map((g) => med(row.get(g)?.items)).join(' / ')}`,
      );
    }
    const reqs = (g: Group) => [...(summary.get(g)?.requests ?? [])];
    const longReqs = reqs('long');
    const shortReqs = [...reqs('short-50'), ...reqs('short-0')];
    const bounded = new Set([...longReqs, ...shortReqs]).size === 1;

    console.log(
      '\nlatency and throughput (long-history customers; GetItem = one profile item, eventually consistent, same concurrency, interleaved):',
    );
    for (const t of timed) {
      const line = (name: string, run: Run, unit: string, note = '') =>
        console.log(
          `    ${name.padEnd(28)} ${(run.latencies.length / run.seconds).toFixed(0).padStart(5)} ${unit.padEnd(9)} ` +
            [50, 90, 99].map((p) => `p${p} ${ms(percentile(run.latencies, p)).padStart(9)}`).join('  ') +
            note,
        );
      console.log(`  concurrency ${t.concurrency}:`);
      line('check (HTTP)', t.check, 'checks/s', `   (${t.check.latencies.length} checks, ${t.requests.toFixed(2)} DynamoDB requests each)`);
      line('checkOffer in-process', t.core, 'checks/s', `   (${t.core.latencies.length}, no HTTP hop or handler)`);
      line('GetItem', t.get, 'items/s', `   (${t.get.latencies.length})`);
      line(`${wave} GetItems in parallel`, t.gets, 'waves/s', `   (${t.gets.latencies.length}, the check's request count as a floor)`);
    }

    console.log(
      `load average at end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log('');
    console.log(
      `reads per check: long history ${longReqs.join('/')}, short history ${[...new Set(shortReqs)].join('/')} -> ${bounded ? 'equal: bounded independently of history length' : 'NOT equal: reads grow with history'}`,
    );
    for (const t of timed) {
      const ratio = percentile(t.check.latencies, 99) / percentile(t.get.latencies, 99);
      const p50Ratio = percentile(t.check.latencies, 50) / percentile(t.get.latencies, 50);
      console.log(
        `ratio check p99 / GetItem p99 at concurrency ${t.concurrency}: ${ratio.toFixed(2)}x (target < ${TARGET}x: ${ratio < TARGET ? 'PASS' : `MISS by ${(ratio / TARGET).toFixed(2)}x`}); p50 ratio ${p50Ratio.toFixed(2)}x`,
      );
    }
  } finally {
    useDeps(undefined);
    baselineDoc.destroy();
    meteredDoc.destroy();
    await stack.stop();
    const left = (() => {
      try {
        return execFileSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${dynamoPort}( |$)`])
          .toString()
          .trim();
      } catch {
        return ''; // pgrep exits 1 when nothing matches
      }
    })();
    // stderr, so that the ratios stay the last lines of the report.
    console.error(`stack stopped; DynamoDB Local on port ${dynamoPort}: ${left ? `STILL RUNNING (pid ${left})` : 'exited'}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
