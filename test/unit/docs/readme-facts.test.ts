/**
 * Facts the manuals restate from code, checked against it: the dev secrets and the dev API key
 * (local/dev-config.ts) as the README and docs/webhook-signing.md list them, and the people the
 * README's examples name (README_PEOPLE, which the demo always creates).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV } from '../../../layers/core/src/config.js';
import { SOURCES } from '../../../layers/core/src/touchpoint.js';
import { README_PEOPLE } from '../../../local/demo/population.js';
import { DEV_API_KEY, DEV_SECRETS } from '../../../local/dev-config.js';

const read = (file: string) => readFileSync(join(process.cwd(), file), 'utf8');

describe.each(['README.md', 'docs/webhook-signing.md'])('%s', (file) => {
  const text = read(file);
  it.each(SOURCES)('lists the %s dev secret with its variable, as local/dev-config.ts has it', (source) => {
    const name = ENV.webhookSecret[source];
    const row = text.split('\n').find((line) => line.startsWith(`| \`${source}\``) && line.includes('WEBHOOK_SECRET_'));
    expect(row).toContain(`\`${name}\``);
    expect(row).toContain(`\`${DEV_SECRETS[name]}\``);
  });
});

describe('README.md', () => {
  const text = read('README.md');
  it('uses the dev API key the local stack accepts', () => {
    expect(text).toContain(`KEY=${DEV_API_KEY}`);
  });

  it('names only the demo’s people in its examples (the ones every demo base holds)', () => {
    const named = new Set([...text.matchAll(/\b([a-z]+)@example\.com\b/g)].map((m) => `${m[1]}@example.com`));
    // Not customers: the employee of the override example, the operator's alarm address.
    named.delete('carol@example.com');
    named.delete('ops@example.com');
    expect([...named].sort()).toEqual(README_PEOPLE.map((p) => p.email).sort());
  });
});
