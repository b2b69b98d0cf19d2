/**
 * The console's read API on the embedded stack: browsing the latest run's customers by value,
 * the runs list and the sources' health. The stack is shared with the other suites (their
 * customers, runs and webhooks), so assertions hold whatever else is in the table.
 */
import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { startRun, waitForRun } from '../helpers/mining.js';
import { api } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';

jest.setTimeout(240_000);

const cursorOf = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

/** Every item of a browse query, page by page (again from the top if a newer run completed meanwhile). */
async function browseAll(query: string): Promise<{ runId: string; items: any[]; pages: number }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const items: any[] = [];
    let cursor: string | null = null;
    let runId = '';
    let pages = 0;
    let restarted = false;
    do {
      const res = await api(`/customer-scores?${query}${cursor ? `&cursor=${cursor}` : ''}`);
      if (res.status === 409) {
        restarted = true;
        break;
      }
      expect(res.status).toBe(200);
      const page = await res.json();
      runId = page.runId;
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 200);
    if (!restarted) return { runId, items, pages };
  }
  throw new Error('runs kept completing while browsing');
}

describe('the console API on the embedded stack', () => {
  const tag = randomUUID().slice(0, 6);
  const mine = new Map<string, { firstName: string; lastName: string }>();
  let runId: string;

  beforeAll(async () => {
    // Customers with names and different spend, so the run gives them different values.
    for (let c = 0; c < 8; c++) {
      const customer = { email: uniqueEmail(`console${c}`), firstName: `Ann${tag}`, lastName: `Value${c}` };
      let id = '';
      for (let p = 0; p <= c % 4; p++) {
        const at = new Date(Date.UTC(2026, 0, 2 + c * 5 + p * 25)).toISOString();
        const res = await deliver('generic', purchase(customer, 1000 + c * 700 + p * 50, at, p % 2 ? 'tea' : 'coffee'));
        expect(res.status).toBe(201);
        id = res.body.customerId;
      }
      mine.set(id, { firstName: customer.firstName, lastName: customer.lastName });
    }
    const run = await waitForRun(await startRun(2));
    expect(run.phase).toBe('completed');
    runId = run.runId;
  });

  describe('GET /customer-scores', () => {
    it('lists every customer of the latest run once, by CLV descending, with names and no contact data', async () => {
      const { runId: latest, items, pages } = await browseAll('limit=37');
      expect(latest >= runId).toBe(true); // this run, or a newer one another suite started
      expect(pages).toBeGreaterThan(0);
      const ids = items.map((i) => i.customerId);
      expect(new Set(ids).size).toBe(ids.length);
      for (let i = 1; i < items.length; i++) expect(items[i].clvMinor).toBeLessThanOrEqual(items[i - 1].clvMinor);
      for (const [id, name] of mine) {
        const item = items.find((i) => i.customerId === id);
        expect(item).toMatchObject({ ...name, segment: expect.any(String), clvMinor: expect.any(Number), pAlive: expect.any(Number) });
        expect(Object.keys(item).sort()).toEqual(
          [
            'churnProbability',
            'clvMinor',
            'customerId',
            'firstName',
            'flagTypes',
            'lastName',
            'lifecycle',
            'pAlive',
            'segment',
            'valueTier',
          ].sort(),
        );
      }
      expect(JSON.stringify(items)).not.toContain('@example.com');
    });

    it('answers ascending on request', async () => {
      const page = await (await api('/customer-scores?order=asc&limit=100')).json();
      expect(page.order).toBe('asc');
      for (let i = 1; i < page.items.length; i++) expect(page.items[i].clvMinor).toBeGreaterThanOrEqual(page.items[i - 1].clvMinor);
    });

    it('filters by segment, value tier, lifecycle stage and flag type (each item matches; the filtered set is the full set’s)', async () => {
      const all = await browseAll('limit=100');
      const sample = all.items.find((i) => mine.has(i.customerId))!;
      const withFlag = all.items.find((i) => i.flagTypes.length > 0);
      const filters: [string, (i: any) => boolean][] = [
        [`segment=${encodeURIComponent(sample.segment.toUpperCase())}`, (i) => i.segment === sample.segment],
        ...(sample.valueTier
          ? [[`valueTier=${sample.valueTier}`, (i: any) => i.valueTier === sample.valueTier] as [string, (i: any) => boolean]]
          : []),
        ...(sample.lifecycle
          ? [[`lifecycle=${sample.lifecycle}`, (i: any) => i.lifecycle === sample.lifecycle] as [string, (i: any) => boolean]]
          : []),
        ...(withFlag
          ? [
              [`flagType=${withFlag.flagTypes[0]}`, (i: any) => i.flagTypes.includes(withFlag.flagTypes[0])] as [
                string,
                (i: any) => boolean,
              ],
            ]
          : []),
      ];
      expect(filters.length).toBeGreaterThanOrEqual(2);
      for (const [query, matches] of filters) {
        const filtered = await browseAll(`${query}&limit=5`);
        if (filtered.runId !== all.runId) continue; // a newer run completed in between: nothing to compare
        expect(filtered.items.length).toBeGreaterThan(0);
        expect(filtered.items.every(matches)).toBe(true);
        // The same customers in the same order (other suites may erase or merge customers meanwhile: those drop out).
        const expected = all.items.filter(matches).map((i) => i.customerId);
        const got = filtered.items.map((i) => i.customerId);
        expect(got).toEqual(expected.filter((id) => got.includes(id)));
        expect(got).toEqual(expect.arrayContaining(expected.filter((id) => mine.has(id))));
      }
    });

    it('refuses bad input with the field named (422) and a malformed cursor (400)', async () => {
      for (const [query, field] of [
        ['limit=0', 'query.limit'],
        ['limit=101', 'query.limit'],
        ['valueTier=gold-ish', 'query.valueTier'],
        ['lifecycle=zombie', 'query.lifecycle'],
        ['flagType=nope', 'query.flagType'],
        ['order=sideways', 'query.order'],
        ['segment=no-such-segment', 'query.segment'],
        ['email=a%40example.com', 'query'],
      ]) {
        const res = await api(`/customer-scores?${query}`);
        expect(res.status).toBe(422);
        const body = await res.json();
        expect(body.error).toBe('validation_failed');
        expect(body.issues.map((i: any) => i.path).join(' ')).toContain(field);
      }
      for (const cursor of ['garbage!', cursorOf({ r: 'x', c: 1, id: 'a' }), cursorOf({ r: runId, c: -1, id: 'a' }), 'a'.repeat(600)]) {
        const res = await api(`/customer-scores?cursor=${encodeURIComponent(cursor)}`);
        expect([400, 422]).toContain(res.status);
        if (cursor.length <= 512) expect(res.status).toBe(400);
      }
      // A well-formed cursor of an older run: the run changed under it.
      // (the cursor names the list it belongs to: no filters, value descending)
      const stale = await api(
        `/customer-scores?cursor=${cursorOf({ r: '01AAAAAAAAAAAAAAAAAAAAAAAA', c: 10, id: 'c1', q: JSON.stringify([null, null, null, null, 'desc']) })}`,
      );
      expect(stale.status).toBe(409);
    });
  });

  describe('GET /mining-runs', () => {
    it('lists runs newest first, paged, with the run this suite started', async () => {
      const seen: any[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const res = await api(`/mining-runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        const page = await res.json();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      const ours = seen.find((r) => r.runId === runId);
      expect(ours).toMatchObject({
        phase: 'completed',
        trigger: 'api',
        shards: { total: 2, extracted: 2, scored: 2 },
        completedAt: expect.any(String),
        durationMs: expect.any(Number),
        errorCount: 0,
        summary: { customers: expect.any(Number), flags: expect.any(Object) },
      });
      // (fetch's JSON arrays come from another realm: expect.any(Array) would not match them)
      expect(Array.isArray(ours.summary.segments) && ours.summary.segments.length > 0).toBe(true);
      for (let i = 1; i < seen.length; i++) expect(seen[i].createdAt <= seen[i - 1].createdAt).toBe(true);
      expect(new Set(seen.map((r) => r.runId)).size).toBe(seen.length);
    });

    it('refuses a limit over 50 (422) and a malformed cursor (400)', async () => {
      expect((await api('/mining-runs?limit=51')).status).toBe(422);
      expect((await api('/mining-runs?cursor=bm90LWpzb24')).status).toBe(400);
      expect((await api(`/mining-runs?cursor=${cursorOf({ createdAt: 'yesterday', runId })}`)).status).toBe(400);
    });
  });

  describe('GET /sources', () => {
    const generic = async () => {
      const res = await api('/sources');
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.sources.map((s: any) => s.source)).toEqual(['generic', 'shopify', 'stripe', 'zendesk']);
      return body.sources.find((s: any) => s.source === 'generic');
    };

    it('counts accepted and rejected deliveries and the last delivery, coalesced per container', async () => {
      const before = await generic();
      const startedAt = new Date(Date.now() - 1000).toISOString();
      // A bad signature: rejected (401), counted for the path's source.
      const bad = await deliver('generic', purchase({ email: uniqueEmail('src') }, 500), { secret: 'not-the-secret' });
      expect(bad.status).toBe(401);
      // Each container flushes a source at most every FLUSH_INTERVAL_MS (its first delivery after a quiet
      // period at once): keep delivering until a flush has carried this test's deliveries.
      let now = before;
      let accepted = 0;
      for (let i = 0; i < 40; i++) {
        const ok = await deliver('generic', purchase({ email: uniqueEmail('src') }, 700));
        expect(ok.status).toBe(201);
        accepted++;
        now = await generic();
        if (now.lastDeliveryAt >= startedAt && now.last24h.rejected > before.last24h.rejected) break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      expect(now.lastDeliveryAt >= startedAt).toBe(true);
      expect(now.last24h.rejected).toBeGreaterThan(before.last24h.rejected);
      expect(now.last24h.accepted).toBeGreaterThan(before.last24h.accepted);
      expect(now.last24h.accepted - before.last24h.accepted).toBeGreaterThanOrEqual(1);
      expect(now.last7d.accepted).toBeGreaterThanOrEqual(now.last24h.accepted);
      expect(now.lastRejectedAt >= startedAt).toBe(true);
      expect(now).toMatchObject({ stale: false, silentForSeconds: expect.any(Number) });
      expect(now.silentForSeconds).toBeLessThan(120);
      expect(accepted).toBeGreaterThan(0);
    });

    it('bounds staleAfterHours (1-720) and refuses unknown parameters', async () => {
      for (const q of ['staleAfterHours=0', 'staleAfterHours=721', 'staleAfterHours=1.5', 'stale=1']) {
        const res = await api(`/sources?${q}`);
        expect(res.status).toBe(422);
        expect((await res.json()).issues[0].path).toMatch(/^query/);
      }
      const ok = await (await api('/sources?staleAfterHours=720')).json();
      expect(ok.staleAfterHours).toBe(720);
    });
  });
});
