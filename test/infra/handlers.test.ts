import { existsSync } from 'node:fs';
import { FUNCTIONS } from '../../infra/definitions.js';
import { fromRoot } from '../../infra/constructs/paths.js';

/** Every FUNCTIONS entry must point at a module exporting `handler` (what index.handler runs). */
describe.each(FUNCTIONS.map((def) => [def.name, def.entry] as const))('%s entry', (_name, entry) => {
  beforeAll(() => {
    // Minimal configuration for modules that read it at import time; no AWS call is made.
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.TABLE_NAME ??= 'patron-test';
    process.env.POWERTOOLS_SERVICE_NAME ??= 'patron';
  });

  it('exists', () => {
    expect(existsSync(fromRoot(entry))).toBe(true);
  });

  it('exports handler as a function', async () => {
    const mod = (await import(fromRoot(entry))) as { handler?: unknown };
    expect(typeof mod.handler).toBe('function');
  }, 30_000);
});
