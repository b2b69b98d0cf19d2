/**
 * flag.raised and flag.cleared: what a run announces is its difference from the previous run,
 * read from the flag items before the run overwrites them.
 */
import type { OutboundEvent } from '../../../layers/core/src/outbound/events.js';
import { customerItems, fakeJob } from './fake-job-deps.js';

const weekly = (n: number, amountMinor = 2_000) => Array.from({ length: n }, () => ({ amountMinor }));

function world() {
  // Regulars whose last purchase lies from days to months before the run (NOW is 2026-11-28, day
  // 696 after 2025-01-01): some on their rhythm, some overdue, some gone quiet.
  return Array.from({ length: 80 }, (_, i) =>
    customerItems(`C${String(i).padStart(3, '0')}`, weekly(3 + (i % 6), 1_000 + 150 * i), 380 + ((i * 37) % 290)),
  ).flat();
}

describe('flag events of a mining run', () => {
  it('raises every flag of a first run, and nothing again when the next run flags the same customers', async () => {
    const job = fakeJob(world());
    const published: OutboundEvent[] = [];
    job.deps.events = { publish: async (events) => void published.push(...events) };

    const first = await job.runToEnd();
    expect(first.phase).toBe('completed');
    const firstFlags = job.flags.filter((f) => f.runId === first.runId);
    expect(firstFlags.length).toBeGreaterThan(0);
    const raised = published.filter((e) => e.type === 'flag.raised');
    expect(raised).toHaveLength(firstFlags.length);
    expect(new Set(raised.map((e) => e.id)).size).toBe(raised.length);
    expect(raised.every((e) => e.data.runId === first.runId)).toBe(true);
    expect(published.filter((e) => e.type === 'flag.cleared')).toEqual([]);

    published.length = 0;
    const second = await job.runToEnd();
    expect(second.previousRunId).toBe(first.runId);
    // Same data, same asOf: the same flags, none new, none dropped.
    expect(published).toEqual([]);
  });

  it('clears the flags the next run does not raise again, naming the run that had them', async () => {
    const items = world();
    const job = fakeJob(items);
    const published: OutboundEvent[] = [];
    job.deps.events = { publish: async (events) => void published.push(...events) };
    const first = await job.runToEnd();
    const flagged = [...new Set(job.flags.filter((f) => f.runId === first.runId).map((f) => f.customerId))];
    expect(flagged.length).toBeGreaterThan(3);
    // The flagged customers leave the data (e.g. erased): the next run cannot flag them again.
    const gone = new Set(flagged.slice(0, 3));
    items.splice(0, items.length, ...items.filter((i) => !gone.has(String(i.pk).slice(5))));
    published.length = 0;
    const second = await job.runToEnd();
    const cleared = published.filter((e) => e.type === 'flag.cleared');
    expect(new Set(cleared.map((e) => e.data.customerId))).toEqual(gone);
    expect(cleared.every((e) => e.data.previousRunId === first.runId && e.data.runId === second.runId)).toBe(true);
  });
});
