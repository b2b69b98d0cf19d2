import { type DemoContext, sendStep } from '../../../local/demo/index.js';

const ctx = (lookupFinds: boolean, sent: string[]) =>
  ({
    baseUrl: 'http://demo.invalid',
    env: { API_KEYS: 'patron-dev-key' },
    seed: 42,
    population: { customers: [{ email: 'first@example.com' }, { email: 'last@example.com' }] },
    events: [],
    redeliveryPool: [],
    progress: false,
    concurrency: 1,
    log: (line: string) => sent.push(line),
    fetch: async (url: string) => {
      sent.push(String(url));
      return new Response(JSON.stringify({ customers: lookupFinds ? [{ id: 'c' }] : [] }), { status: 200 });
    },
  }) as unknown as DemoContext;

describe('the demo over persisted data (--persist)', () => {
  it('does not send the demo again when the API already knows its first and last customers', async () => {
    const seen: string[] = [];
    const c = ctx(true, seen);
    await sendStep.run(c);
    expect(c.send).toBeUndefined();
    expect(seen.filter((s) => s.endsWith('/customers/lookup'))).toHaveLength(2);
    expect(seen.some((s) => s.includes('not sending it again'))).toBe(true);
  });

  it('goes on to send it when the data does not hold it', async () => {
    const seen: string[] = [];
    // No webhook secrets in this context: reaching the signing step is what proves it sends.
    await expect(sendStep.run(ctx(false, seen))).rejects.toThrow(/cannot sign/);
    expect(seen.some((s) => s.includes('not sending it again'))).toBe(false);
  });
});
