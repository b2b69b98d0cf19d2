import type { StoredPlaybook } from '../../../layers/core/src/playbooks/schema.js';
import { DATE_TRIGGER_WINDOW_DAYS, enrollFromDates, runTick, type TickDeps } from '../../../layers/core/src/playbooks/tick.js';
import type { DateScan, Enrollment, PlaybookItem, PlaybookStore } from '../../../layers/core/src/store/playbook-store.js';

/**
 * Date-triggered playbooks at the tick: enrollFromDates against an in-memory PlaybookStore whose
 * scanCustomers behaves like a DynamoDB Scan (Limit counts the items read, matching or not; the
 * position is the last item read) and whose enroll keeps the store's conditions (a live profile;
 * not enrolled already unless the earlier enrollment is done and came from another trigger).
 */

type TableItem =
  | { pk: string; sk: 'PROFILE'; customerId: string; mergedInto?: string; erasedAt?: string }
  | { pk: string; sk: 'MINING'; customerId: string; segment: string }
  | { pk: string; sk: string; customerId: string };

class FakePlaybookStore {
  readonly table: TableItem[] = [];
  readonly enrollments = new Map<string, Enrollment>();
  readonly playbooks = new Map<string, PlaybookItem>();
  scans = 0;

  addCustomer(id: string, opts: { segment?: string; mergedInto?: string; erasedAt?: string; touchpoints?: number } = {}): void {
    const pk = `CUST#${id}`;
    for (let i = 0; i < (opts.touchpoints ?? 0); i++) this.table.push({ pk, sk: `TP#${i}`, customerId: id });
    if (opts.segment) this.table.push({ pk, sk: 'MINING', customerId: id, segment: opts.segment });
    this.table.push({
      pk,
      sk: 'PROFILE',
      customerId: id,
      ...(opts.mergedInto ? { mergedInto: opts.mergedInto } : {}),
      ...(opts.erasedAt ? { erasedAt: opts.erasedAt } : {}),
    });
  }

  list(): PlaybookItem[] {
    return [...this.playbooks.values()].map((p) => structuredClone(p));
  }

  private isLive(customerId: string): boolean {
    const p = this.table.find((i) => i.pk === `CUST#${customerId}` && i.sk === 'PROFILE') as
      | { mergedInto?: string; erasedAt?: string }
      | undefined;
    return !!p && p.mergedInto === undefined && p.erasedAt === undefined;
  }

  async scanCustomers(opts: { segment?: string; startKey?: Record<string, unknown>; limit: number }) {
    this.scans++;
    const start = opts.startKey ? this.table.findIndex((i) => i.pk === opts.startKey!.pk && i.sk === opts.startKey!.sk) + 1 : 0;
    const read = this.table.slice(start, start + opts.limit);
    const matches = (i: TableItem) =>
      opts.segment !== undefined
        ? i.sk === 'MINING' && 'segment' in i && i.segment === opts.segment
        : i.sk === 'PROFILE' && !('mergedInto' in i && i.mergedInto) && !('erasedAt' in i && i.erasedAt);
    const last = read.at(-1);
    const more = start + opts.limit < this.table.length;
    return {
      customerIds: read.filter(matches).map((i) => i.customerId),
      ...(more && last ? { lastKey: { pk: last.pk, sk: last.sk } } : {}),
    };
  }

  async markDateScan(playbookId: string, scan: DateScan): Promise<void> {
    const p = this.playbooks.get(playbookId);
    if (p) p.dateScan = structuredClone(scan);
  }

  async enroll(e: Enrollment): Promise<boolean> {
    if (!this.isLive(e.customerId)) return false;
    const key = `${e.customerId}|${e.playbookId}`;
    const existing = this.enrollments.get(key);
    if (existing && !(existing.state === 'done' && existing.anchorKey !== e.anchorKey)) return false;
    this.enrollments.set(key, structuredClone(e));
    return true;
  }

  // For runTick: nothing is due and no mining run exists.
  async due(): Promise<{ customerId: string; playbookId: string }[]> {
    return [];
  }
}

const CREATED = '2026-01-01T00:00:00Z';
const datePlaybook = (id: string, trigger: { month: number; day: number; segment?: string }, extra: Partial<StoredPlaybook> = {}) =>
  ({
    playbookId: id,
    name: `date ${id}`,
    enabled: true,
    trigger: { type: 'date', ...trigger },
    steps: [
      { id: 'greet', delay: { days: 0 }, action: { kind: 'message', channel: 'email', template: 'holiday' } },
      { id: 'remind', delay: { days: 3 }, action: { kind: 'message', channel: 'email', template: 'holiday-2' } },
    ],
    version: 1,
    createdAt: CREATED,
    updatedAt: CREATED,
    ...extra,
  }) as StoredPlaybook;

function setup(...playbooks: StoredPlaybook[]) {
  const store = new FakePlaybookStore();
  for (const p of playbooks) store.playbooks.set(p.playbookId, structuredClone(p));
  const deps = { playbooks: store as unknown as Pick<PlaybookStore, 'scanCustomers' | 'markDateScan' | 'enroll'> };
  const tick = (at: string, opts?: { pagesPerTick?: number; pageSize?: number }) => enrollFromDates(deps, store.list(), new Date(at), opts);
  return { store, tick };
}

const enrolledIds = (store: FakePlaybookStore, playbookId: string) =>
  [...store.enrollments.values()]
    .filter((e) => e.playbookId === playbookId)
    .map((e) => e.customerId)
    .sort();

describe('date-triggered playbooks at the tick', () => {
  it('enrolls from the day before the date (window of one day)', () => {
    expect(DATE_TRIGGER_WINDOW_DAYS).toBe(1);
  });

  it('enrolls every live customer on the day before the date, anchored at 09:00 UTC on the date, and not on other days', async () => {
    const { store, tick } = setup(
      datePlaybook('xmas', { month: 12, day: 24 }),
      datePlaybook('off', { month: 12, day: 24 }, { enabled: false }),
    );
    store.addCustomer('c1', { touchpoints: 3 });
    store.addCustomer('c2');
    store.addCustomer('merged', { mergedInto: 'c1' });
    store.addCustomer('erased', { erasedAt: '2026-06-01T00:00:00Z' });
    store.addCustomer('c3', { segment: 'vip', touchpoints: 1 });

    expect(await tick('2026-12-22T23:59:00Z')).toBe(0); // two days before
    expect(store.scans).toBe(0);
    expect(await tick('2026-12-25T00:00:00Z')).toBe(0); // the day after (next year is out of the window)
    expect(store.scans).toBe(0);

    expect(await tick('2026-12-23T00:05:00Z')).toBe(3);
    expect(enrolledIds(store, 'xmas')).toEqual(['c1', 'c2', 'c3']);
    expect(enrolledIds(store, 'off')).toEqual([]);
    const e = store.enrollments.get('c1|xmas')!;
    expect(e).toMatchObject({
      anchorAt: '2026-12-24T09:00:00.000Z',
      anchorKey: 'date:2026-12-24',
      state: 'active',
      fired: {},
      nextDueAt: '2026-12-24T09:00:00.000Z',
      createdAt: '2026-12-23T00:05:00.000Z',
    });
    expect(e.segment).toBeUndefined();
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2026-12-24', done: true });
    expect(store.playbooks.get('off')!.dateScan).toBeUndefined();

    // Done for this occurrence: later ticks (the day before, the day itself) do not scan again.
    const scans = store.scans;
    expect(await tick('2026-12-23T12:00:00Z')).toBe(0);
    expect(await tick('2026-12-24T10:00:00Z')).toBe(0);
    expect(store.scans).toBe(scans);
  });

  it('with a segment, enrolls only the customers whose latest mining segment is it', async () => {
    const { store, tick } = setup(datePlaybook('vip-xmas', { month: 12, day: 24, segment: 'vip' }));
    store.addCustomer('v1', { segment: 'vip', touchpoints: 2 });
    store.addCustomer('v2', { segment: 'vip' });
    store.addCustomer('r1', { segment: 'regular' });
    store.addCustomer('none');
    store.addCustomer('v-merged', { segment: 'vip', mergedInto: 'v1' });
    store.addCustomer('v-erased', { segment: 'vip', erasedAt: '2026-06-01T00:00:00Z' });

    expect(await tick('2026-12-23T09:00:00Z')).toBe(2);
    expect(enrolledIds(store, 'vip-xmas')).toEqual(['v1', 'v2']);
    expect(store.enrollments.get('v1|vip-xmas')!.segment).toBe('vip');
  });

  it('resumes across ticks with a bounded number of pages (1,200 customers, pages of 500, one page per tick)', async () => {
    const { store, tick } = setup(datePlaybook('xmas', { month: 12, day: 24 }));
    for (let i = 0; i < 1200; i++) store.addCustomer(`c${String(i).padStart(4, '0')}`);
    const opts = { pagesPerTick: 1, pageSize: 500 };

    expect(await tick('2026-12-23T00:00:00Z', opts)).toBe(500);
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2026-12-24', lastKey: { pk: 'CUST#c0499', sk: 'PROFILE' } });
    expect(await tick('2026-12-23T00:15:00Z', opts)).toBe(500);
    expect(store.playbooks.get('xmas')!.dateScan?.done).toBeUndefined();
    expect(await tick('2026-12-23T00:30:00Z', opts)).toBe(200);
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2026-12-24', done: true });
    expect(store.scans).toBe(3);
    expect(enrolledIds(store, 'xmas')).toHaveLength(1200);

    expect(await tick('2026-12-23T00:45:00Z', opts)).toBe(0);
    expect(store.scans).toBe(3);
  });

  it('reads at most DATE_SCAN_PAGES_PER_TICK pages by default and finishes a small table in one tick', async () => {
    const { store, tick } = setup(datePlaybook('xmas', { month: 12, day: 24 }));
    for (let i = 0; i < 30; i++) store.addCustomer(`c${i}`, { touchpoints: 20 });
    // 630 items, pages of 500: two pages.
    expect(await tick('2026-12-23T00:00:00Z')).toBe(30);
    expect(store.scans).toBe(2);
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2026-12-24', done: true });
  });

  it('is idempotent: scanning the occurrence again (a crash before the position was kept) enrolls nobody twice', async () => {
    const { store, tick } = setup(datePlaybook('xmas', { month: 12, day: 24 }));
    for (let i = 0; i < 10; i++) store.addCustomer(`c${i}`);
    expect(await tick('2026-12-23T00:00:00Z')).toBe(10);
    const before = structuredClone([...store.enrollments.entries()]);

    delete store.playbooks.get('xmas')!.dateScan;
    expect(await tick('2026-12-23T00:15:00Z')).toBe(0);
    expect([...store.enrollments.entries()]).toEqual(before);
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2026-12-24', done: true });
  });

  it("starts a new scan for next year's occurrence, even over a scan left unfinished", async () => {
    const { store, tick } = setup(datePlaybook('xmas', { month: 12, day: 24 }));
    for (let i = 0; i < 4; i++) store.addCustomer(`c${i}`);
    expect(await tick('2026-12-23T00:00:00Z', { pagesPerTick: 1, pageSize: 2 })).toBe(2);
    expect(store.playbooks.get('xmas')!.dateScan).toMatchObject({ anchor: '2026-12-24', lastKey: { pk: 'CUST#c1' } });
    // The 2026 enrollments ran to the end; c2 and c3 were never reached in 2026.
    for (const e of store.enrollments.values()) e.state = 'done';

    expect(await tick('2027-12-23T08:00:00Z', { pagesPerTick: 5, pageSize: 2 })).toBe(4);
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2027-12-24', done: true });
    for (const e of store.enrollments.values()) {
      expect(e).toMatchObject({ anchorKey: 'date:2027-12-24', anchorAt: '2027-12-24T09:00:00.000Z', state: 'active' });
    }
  });

  it("leaves a customer still in last year's enrollment where it is", async () => {
    const { store, tick } = setup(datePlaybook('xmas', { month: 12, day: 24 }));
    store.addCustomer('c1');
    expect(await tick('2026-12-23T00:00:00Z')).toBe(1);
    const first = store.enrollments.get('c1|xmas')!;
    expect(await tick('2027-12-23T00:00:00Z')).toBe(0);
    expect(store.enrollments.get('c1|xmas')).toEqual(first);
    expect(store.playbooks.get('xmas')!.dateScan).toEqual({ anchor: '2027-12-24', done: true });
  });

  it('fires a 02-29 date on 02-28 in a non-leap year, and on 02-29 in a leap year', async () => {
    const { store, tick } = setup(datePlaybook('leap', { month: 2, day: 29 }));
    store.addCustomer('c1');
    expect(await tick('2027-02-26T12:00:00Z')).toBe(0);
    expect(await tick('2027-02-27T12:00:00Z')).toBe(1);
    expect(store.enrollments.get('c1|leap')).toMatchObject({ anchorKey: 'date:2027-02-28', anchorAt: '2027-02-28T09:00:00.000Z' });

    store.enrollments.get('c1|leap')!.state = 'done';
    expect(await tick('2028-02-27T12:00:00Z')).toBe(0);
    expect(await tick('2028-02-28T12:00:00Z')).toBe(1);
    expect(store.enrollments.get('c1|leap')).toMatchObject({ anchorKey: 'date:2028-02-29', anchorAt: '2028-02-29T09:00:00.000Z' });
  });

  it('runTick enrolls date playbooks and reports them as enrolled, skipping none', async () => {
    const { store } = setup(datePlaybook('xmas', { month: 12, day: 24 }));
    store.addCustomer('c1');
    store.addCustomer('c2');
    const deps = {
      playbooks: store,
      runs: { latestRunId: async () => undefined },
      now: () => new Date(0),
    } as unknown as TickDeps;
    const report = await runTick(deps, new Date('2026-12-23T00:00:00Z'));
    expect(report).toEqual({
      at: '2026-12-23T00:00:00.000Z',
      enrolled: 2,
      due: 0,
      blocked: 0,
      stopped: 0,
      skipped: 0,
      failed: 0,
      deferred: 0,
    });
    expect(report).not.toHaveProperty('skippedPlaybooks');
  });

  it('completes a tick when one enrollment fails: it is counted as failed and the others go on', async () => {
    const playbook = datePlaybook('p', { month: 1, day: 1 });
    const deps = {
      playbooks: {
        list: async () => [playbook],
        scanCustomers: async () => ({ customerIds: [] }),
        markDateScan: async () => {},
        // Two enrollments due in the first index partition, none in the others.
        due: async (shard: number) =>
          shard === 0
            ? [
                { customerId: 'broken', playbookId: 'p' },
                { customerId: 'busy', playbookId: 'p' },
              ]
            : [],
        lease: async (customerId: string) => {
          if (customerId === 'broken') throw new Error('DynamoDB throttled this one');
          return false; // another tick holds it
        },
      },
      runs: { latestRunId: async () => undefined },
      now: () => new Date(0),
    } as unknown as TickDeps;
    const report = await runTick(deps, new Date('2026-06-01T00:00:00Z'));
    expect(report).toMatchObject({ failed: 1, deferred: 1, due: 0 });
  });
});
