import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OfferRequest } from '../../../layers/core/src/offers/schema.js';
import { offerRequestOf } from '../../../layers/core/src/playbooks/engine.js';
import { PlaybookCreate, type StoredPlaybook } from '../../../layers/core/src/playbooks/schema.js';

const DIR = join(process.cwd(), 'events', 'playbooks');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const NOW = new Date('2026-03-01T09:00:00Z');

// Product ids of the demo shop, read from its source so a renamed product fails here.
const catalog = readFileSync(join(process.cwd(), 'local', 'demo', 'catalog.ts'), 'utf8');

describe('shipped playbooks (events/playbooks)', () => {
  it('ships the four examples', () => {
    expect(FILES.sort()).toEqual(['after-sale.json', 'anniversary.json', 'reorder-reminder.json', 'win-back.json']);
  });

  it.each(FILES)('%s parses as PlaybookCreate, names demo products, and every step becomes a valid OfferRequest', (file) => {
    const parsed = PlaybookCreate.safeParse(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
    expect(parsed.error?.issues).toBeUndefined();
    const playbook: StoredPlaybook = {
      ...parsed.data!,
      playbookId: 'pb1',
      version: 1,
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    };
    for (const step of playbook.steps) {
      if (step.action.productId) expect(catalog).toContain(`'${step.action.productId}'`);
      const request = offerRequestOf(playbook, step, 'cust-1', NOW);
      const r = OfferRequest.safeParse(request);
      expect(r.error?.issues).toBeUndefined();
      expect(r.data).toEqual(request);
    }
  });

  it('after-sale has the agreed steps', () => {
    const p = PlaybookCreate.parse(JSON.parse(readFileSync(join(DIR, 'after-sale.json'), 'utf8')));
    expect(p.trigger).toEqual({ type: 'purchase' });
    expect(p.steps.map((s) => [s.id, s.delay.days, s.action.channel, s.stopIf ?? []])).toEqual([
      ['thank-you', 7, 'email', []],
      ['new-offer', 35, 'email', ['purchased']],
      ['discount-call', 70, 'phone', ['purchased', 'responded']],
    ]);
    expect(p.steps[2]!.action.terms).toEqual({ discountPercent: 15 });
  });
});
