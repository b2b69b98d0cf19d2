/**
 * Every page of the console, as the demo's data fills it: no serious or critical axe-core violation
 * (WCAG 2.0 A and AA, 2.1 AA, 2.2 AA) in English and on the customer card in Persian; no horizontal
 * scrolling on a 360 px phone; and a screenshot of each (.cache/console-screenshots/, and with
 * PATRON_UPDATE_SCREENSHOTS=1 the README's docs/screenshots/).
 */
import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import {
  apiGet,
  consoleUrl,
  customerIdByEmail,
  describeViolations,
  launchBrowser,
  newPage,
  PHONE,
  screenshot,
  seriousViolations,
  settled,
  signIn,
} from '../helpers/browser.js';

jest.setTimeout(120_000);

interface ConsolePage {
  /** Its screenshot's file name. */
  name: string;
  /** The hash route, or undefined for the sign-in page (signed out). */
  hash?: () => Promise<string>;
  /** What shows the page has its data (beyond no "Loading…"). */
  ready: string;
}

const ann = () => customerIdByEmail('ann@example.com');

const PAGES: ConsolePage[] = [
  { name: 'sign-in', ready: 'form input[name=apiKey]' },
  { name: 'customers', hash: async () => '/customers', ready: '#find-title' },
  { name: 'customer-card', hash: async () => `/customer/${await ann()}`, ready: 'ol.timeline li' },
  { name: 'segments', hash: async () => '/segments', ready: 'table' },
  { name: 'flags', hash: async () => '/flags', ready: 'table tbody tr' },
  { name: 'runs', hash: async () => '/runs', ready: 'table tbody tr' },
  { name: 'run', hash: async () => `/runs/${(await apiGet('/mining-runs?limit=1')).items[0].runId}`, ready: '.panel dl.stats' },
  { name: 'sources', hash: async () => '/sources', ready: 'table tbody tr' },
  { name: 'campaigns', hash: async () => '/campaigns', ready: 'ul li.card' },
  { name: 'campaign', hash: async () => `/campaigns/${(await apiGet('/campaigns')).items[0].id}`, ready: 'table' },
];

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function open(target: ConsolePage, options: Parameters<typeof newPage>[1] = {}) {
  const opened = await newPage(browser, options);
  const { page } = opened;
  if (target.hash) await signIn(page, { hash: await target.hash() });
  else await page.goto(consoleUrl());
  await page.locator(target.ready).first().waitFor();
  await settled(page);
  return opened;
}

/** The document's scroll width against its client width, and what sticks out past its edges. */
async function overflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; wide: string[] }> {
  return (await page.evaluate(`(() => {
    const root = document.documentElement;
    // What sticks out past an edge (the left one too, right to left), to name in the failure.
    const out = (e) => { const r = e.getBoundingClientRect(); return r.right > root.clientWidth + 1 || r.left < -1; };
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => out(e) && !e.closest('.table-wrap *'))
      .slice(0, 5)
      .map((e) => {
        const name = (n) => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (typeof n.className === 'string' && n.className.trim() ? '.' + n.className.trim().split(/\\s+/).join('.') : '');
        const path = [];
        for (let n = e; n && n !== document.body && path.length < 4; n = n.parentElement) path.unshift(name(n));
        const r = e.getBoundingClientRect();
        return path.join(' > ') + ' (from ' + Math.round(r.left) + ' to ' + Math.round(r.right) + ' px)';
      });
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
  })()`)) as { scrollWidth: number; clientWidth: number; wide: string[] };
}

describe.each(PAGES)('the $name page', (target) => {
  it('has no serious or critical accessibility violation (English), and is saved as a screenshot', async () => {
    const { page, context, errors } = await open(target);
    try {
      const problems = await seriousViolations(page);
      await screenshot(page, target.name);
      expect(describeViolations(`${target.name} (en)`, problems)).toBe('');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('fits a 360 px wide phone without horizontal scrolling', async () => {
    const { page, context } = await open(target, { viewport: PHONE });
    try {
      const { scrollWidth, clientWidth, wide } = await overflow(page);
      expect({ page: target.name, scrollWidth, overflowing: scrollWidth > clientWidth ? wide : [] }).toEqual({
        page: target.name,
        scrollWidth: clientWidth,
        overflowing: [],
      });
    } finally {
      await context.close();
    }
  });
});

it('the customer card in Persian (right to left) has no serious or critical accessibility violation, and fits a phone', async () => {
  const card = PAGES.find((p) => p.name === 'customer-card')!;
  const { page, context, errors } = await open(card, { language: 'fa' });
  try {
    expect(await page.evaluate('document.documentElement.dir')).toBe('rtl');
    const problems = await seriousViolations(page);
    await screenshot(page, 'customer-card-fa');
    expect(describeViolations('customer-card (fa)', problems)).toBe('');
    expect(errors).toEqual([]);
    await page.setViewportSize(PHONE);
    const { scrollWidth, clientWidth, wide } = await overflow(page);
    expect({ scrollWidth, overflowing: scrollWidth > clientWidth ? wide : [] }).toEqual({ scrollWidth: clientWidth, overflowing: [] });
  } finally {
    await context.close();
  }
});
