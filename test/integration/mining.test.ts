import { jest } from '@jest/globals';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { runDemo } from '../../local/demo/index.js';
import { startRun, waitForRun } from '../helpers/mining.js';
import { api, sqsClient, stackInfo } from '../helpers/stack.js';
import { Receiver, subscribe } from '../helpers/receiver.js';

jest.setTimeout(240_000);

describe('mining runs on the embedded stack (queue-driven, sharded)', () => {
  let run: any;
  const summary = () => run.summary;
  const demoLog: string[] = [];
  let demo: Awaited<ReturnType<typeof runDemo>>;
  const receiver = new Receiver();
  const subscriptions: string[] = [];

  beforeAll(async () => {
    // Told of every flag change, as a subscriber would be (verified with standardwebhooks).
    await receiver.start();
    await subscribe(subscriptions, receiver, ['flag.raised', 'flag.cleared']);
    demo = await runDemo({
      baseUrl: stackInfo().baseUrl,
      env: stackInfo().env,
      seed: 7,
      customers: 300,
      progress: false,
      // This stack also receives the samples in events/, whose Ann is the README's Ann (sources.test.ts).
      readmePeople: false,
      log: (line) => demoLog.push(line),
    });
    run = await waitForRun(await startRun());
  });
  afterAll(async () => {
    for (const id of subscriptions) await api(`/subscriptions/${id}`, { method: 'DELETE' });
    await receiver.close();
  });

  it('announces each run’s new flags as flag.raised and dropped ones as flag.cleared, signed, once each', async () => {
    const raised = await receiver.waitFor('flag.raised', () => true, 1);
    expect(raised.every((r) => r.verified)).toBe(true);
    expect(raised[0]!.data).toMatchObject({ customerId: expect.any(String), flagType: expect.any(String), runId: expect.any(String) });
    // The first run of this stack's data raises every flag it sets; one event per (run, customer, type).
    const keys = receiver.of('flag.raised').map((r) => `${r.data.runId}|${r.data.customerId}|${r.data.flagType}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(receiver.of('flag.raised').map((r) => r.id)).size).toBe(keys.length);
    // A flag raised again by the next run is not announced again: what a run raises is new to it.
    const byRun = new Map<string, Set<string>>();
    for (const r of receiver.of('flag.raised')) {
      const set = byRun.get(r.data.runId) ?? new Set<string>();
      set.add(`${r.data.customerId}|${r.data.flagType}`);
      byRun.set(r.data.runId, set);
    }
    const current = await (await api(`/mining-runs/${run.runId}`)).json();
    const flagged = Object.values(current.summary.flags as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(byRun.get(run.runId)?.size ?? 0).toBeLessThan(flagged);
    for (const r of receiver.of('flag.cleared')) expect(r.data.previousRunId).not.toBe(r.data.runId);
  });

  it('closes the loop in the demo: a campaign on the churn-risk flags, calls checked, answers attributed, results counted', () => {
    const c = demo.campaign!;
    expect(c).toBeDefined();
    const r = c.results;
    expect(r.treatment.customers + r.control.customers).toBe(c.assigned);
    expect(c.contacted + c.blocked).toBe(r.treatment.customers);
    expect(r.treatment.contacted).toBe(c.contacted);
    // Every simulated buyer bought within the window: each purchase is one conversion, in one group.
    expect(r.treatment.converted + r.control.converted).toBe(c.purchasesSent);
    expect(c.expectedUplift).toBeGreaterThan(0);
    // The demo's second run learnt from the calls: its top churn-risk flags carry an incremental value.
    expect(demo.learnt).toBeGreaterThan(0);
    expect(demoLog.join('\n')).toContain(`GET /campaigns/${c.campaignId}/results`);
  });

  it('ranks the next run’s churn-risk flags by expected incremental value, learnt from the campaign’s offers', async () => {
    const page = await (await api('/flags?type=churn-risk&limit=50')).json();
    expect(page.items.length).toBeGreaterThan(0);
    for (const f of page.items) {
      expect(f.expectedIncrementalValueMinor).toBeLessThanOrEqual(f.expectedValueMinor);
      expect(f.reasons.at(-1)).toMatch(/expected incremental value/);
    }
    const rates = await (await api('/response-rates?by=flagType,channel')).json();
    const phone = rates.items.find((i: any) => i.flagType === 'churn-risk' && i.channel === 'phone');
    expect(phone.offers).toBeGreaterThanOrEqual(demo.campaign!.contacted);
    expect(phone.responded).toBeGreaterThan(0);
  });

  it('completes every phase over every shard and reports counts, timings and segments', () => {
    expect(run.phase).toBe('completed');
    expect(run.shards).toEqual({ total: 3, extracted: 3, scored: 3 });
    expect(run.errors).toEqual([]);
    expect(run.summary.customers).toBeGreaterThanOrEqual(300);
    expect(run.summary.segments.length).toBeGreaterThanOrEqual(run.summary.k);
    const sizes = run.summary.segments.reduce((n: number, s: any) => n + s.size, 0);
    expect(sizes).toBe(run.summary.customers);
    expect(run.timingsMs).toEqual(
      expect.objectContaining({
        fit: expect.any(Number),
        extract: expect.any(Number),
        score: expect.any(Number),
        total: expect.any(Number),
      }),
    );
  });

  it('serves flags of the latest run ordered by score, with reasons', async () => {
    const page = await (await api('/flags?type=churn-risk&limit=20')).json();
    expect(page.runId).toBe(run.runId);
    expect(page.items.length).toBeGreaterThan(0);
    const scores = page.items.map((f: any) => f.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(page.items.every((f: any) => f.type === 'churn-risk' && f.reasons.length > 0)).toBe(true);
  });

  it('pages through all types merged by score without repeating a flag', async () => {
    const first = await (await api('/flags?limit=7')).json();
    const second = await (await api(`/flags?limit=7&cursor=${first.nextCursor}`)).json();
    const ids = [...first.items, ...second.items].map((f: any) => `${f.type}:${f.customerId}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(second.items[0].score).toBeLessThanOrEqual(first.items.at(-1).score);
  });

  it('filters by minScore and segment', async () => {
    const high = await (await api('/flags?minScore=0.8&limit=200')).json();
    expect(high.items.every((f: any) => f.score >= 0.8)).toBe(true);
    const segment = run.summary.segments[0].name;
    const inSegment = await (await api(`/flags?segment=${encodeURIComponent(segment)}&limit=50`)).json();
    expect(inSegment.items.every((f: any) => f.segment === segment)).toBe(true);
    // Any case finds the run's own spelling; an unknown name is a 422 listing the segments.
    const lower = await (await api(`/flags?segment=${encodeURIComponent(segment.toLowerCase())}&limit=50`)).json();
    expect(lower.items.map((f: any) => f.customerId)).toEqual(inSegment.items.map((f: any) => f.customerId));
    const unknown = await api('/flags?segment=no-such-segment');
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).issues[0]).toMatchObject({ path: 'query.segment', message: expect.stringContaining(segment) });
  });

  it("shows segment, CLV and P(alive) in the customer 360 and the customer's own flags", async () => {
    const [flag] = (await (await api('/flags?type=churn-risk&limit=1')).json()).items;
    const customer = await (await api(`/customers/${flag.customerId}`)).json();
    const own = await (await api(`/customers/${flag.customerId}/flags`)).json();
    expect(customer.mining).toMatchObject({ runId: run.runId, segment: flag.segment });
    expect(customer.mining.pAlive).toBeGreaterThanOrEqual(0);
    expect(own.items.map((f: any) => f.type)).toContain('churn-risk');
    expect(own.items.every((f: any) => f.runId === run.runId)).toBe(true);
  });

  it("serves the latest completed run's segment table", async () => {
    const segments = await (await api('/segments')).json();
    expect(segments.runId).toBe(run.runId);
    expect(segments.segments.map((s: any) => s.name)).toEqual(run.summary.segments.map((s: any) => s.name));
  });

  it('ends the demo with a mining report a marketer can read: candidates by name, the model, tiers and the funnel', () => {
    expect(demo.mining?.run.phase).toBe('completed');
    const names = demo.mining!.names!;
    expect(Object.keys(names).length).toBeGreaterThan(250);
    const report = demoLog.join('\n');
    expect(report).toMatch(/Purchase model: (bgnbd|paretoNbd|mbgNbd) \(by /);
    expect(report).toMatch(/most-valuable +\d+/);
    expect(report).toMatch(/Funnel now: prospect \d+/);
    // Top candidates are shown by the generated name, with a short id to look them up.
    const candidates = demoLog.filter((l) => /^ {4}\d\.\d\d {2}/.test(l));
    expect(candidates.length).toBeGreaterThan(3);
    expect(candidates.every((l) => Object.values(names).some((name) => l.includes(String(name))))).toBe(true);
  });

  it('reports the model choice, churn calibration, warnings, value tiers and funnel, and serves them', async () => {
    const { summary } = run;
    expect(summary.modelChoice.candidates.map((c: any) => c.name)).toEqual(['bgnbd', 'paretoNbd', 'mbgNbd']);
    expect(Array.isArray(summary.warnings)).toBe(true);
    expect(summary.churn.horizonDays).toBe(90);
    const tierTotal = summary.tiers.reduce((n: number, t: any) => n + t.customers, 0);
    expect(tierTotal).toBe(summary.customers);
    const stages = Object.values(summary.funnel.stages).reduce((n: number, v: any) => n + v, 0);
    expect(stages).toBe(summary.customers);
    expect(summary.funnel.conversion.firstToRepeat).toBeCloseTo(summary.funnel.reached.repeated / summary.funnel.reached.bought, 12);
    const funnel = await (await api('/funnel')).json();
    expect(funnel).toMatchObject({ runId: run.runId, funnel: summary.funnel, tiers: summary.tiers });
    expect((await (await api('/segments')).json()).tiers).toEqual(summary.tiers);
  });

  it('gives every customer a lifecycle, value tier and churn probability, and each flag type at most 20% of its base', async () => {
    const [flag] = (await (await api('/flags?type=churn-risk&limit=1')).json()).items;
    const customer = await (await api(`/customers/${flag.customerId}`)).json();
    expect(customer.mining).toMatchObject({
      lifecycle: flag.lifecycle,
      valueTier: flag.valueTier,
      model: expect.any(String),
      churnProbability: expect.any(Number),
    });
    expect(customer.mining.lifecycle).not.toBe('lapsed');
    const buyers = summary().funnel.reached.bought;
    const prospects = summary().customers - buyers;
    // The budget's cut is fixed on the fit sample; flags tied with the cut pass too (hence + 3).
    for (const [type, n] of Object.entries(summary().flags) as [string, number][])
      expect(n).toBeLessThanOrEqual(Math.floor(0.2 * (type === 'prospect' ? prospects : buyers)) + 3);
  });

  it('treats a redelivered score message as a no-op on a completed run', async () => {
    const before = await (await api('/flags?limit=200')).json();
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: stackInfo().miningQueueUrl,
        MessageBody: JSON.stringify({ kind: 'score', runId: run.runId, shard: 0 }),
      }),
    );
    await new Promise((r) => setTimeout(r, 1500));
    const after = await (await api(`/mining-runs/${run.runId}`)).json();
    const flags = await (await api('/flags?limit=200')).json();
    expect(after.summary).toEqual(run.summary);
    expect(flags.items).toEqual(before.items);
  });

  it("a newer run replaces the older one's flags and is not blocked by a poison message", async () => {
    await sqsClient().send(
      new SendMessageCommand({ QueueUrl: stackInfo().miningQueueUrl, MessageBody: '{"kind":"score","runId":"no-such-run","shard":0}' }),
    );
    await sqsClient().send(new SendMessageCommand({ QueueUrl: stackInfo().miningQueueUrl, MessageBody: 'not json' }));
    const second = await waitForRun(await startRun(2));
    expect(second.phase).toBe('completed');
    const page = await (await api('/flags?limit=50')).json();
    expect(page.runId).toBe(second.runId);
    expect(page.items.every((f: any) => f.runId === second.runId)).toBe(true);
  });

  it('ends the demo with live offer checks: an allow, a warn and a block, and a second price refused with the first offer as evidence', () => {
    const checks = demo.offerChecks!;
    expect(checks.warning).toBeUndefined();
    const attempts = checks.stories.flatMap((s) => s.attempts);
    expect(new Set(attempts.map((a) => a.decision))).toEqual(new Set(['allow', 'warn', 'block']));
    const [shop, online] = checks.stories.find((s) => s.id === 'two-prices')!.attempts;
    expect(shop).toMatchObject({ status: 201, decision: 'allow', offerId: expect.any(String) });
    expect(online).toMatchObject({ status: 409, decision: 'block' });
    expect(online!.findings.find((f) => f.rule === 'conflicting-terms')!.evidence.offerId).toBe(shop!.offerId);
    const upsell = checks.stories.find((s) => s.id === 'upsell-after-complaint')!.attempts[0]!;
    expect(upsell.decision).toBe('warn');
    expect(upsell.findings.map((f) => f.rule)).toContain('sell-after-complaint');
  });

  it('422 for a bad run request and 404 for an unknown run', async () => {
    const bad = await api('/mining-runs', { method: 'POST', body: JSON.stringify({ shards: 0 }) });
    expect(bad.status).toBe(422);
    expect((await api('/mining-runs/01NOPE')).status).toBe(404);
  });
});
