/**
 * The console (console/src) in a real browser, as a person uses it, against the embedded stack
 * that test/helpers/browser-setup.ts seeded with the demo (Ann, Cara and a small population, mined).
 */
import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { COFFEE_SUBSCRIPTION } from '../../local/demo/catalog.js';
import { stackInfo } from '../helpers/stack.js';
import {
  apiGet,
  consoleUrl,
  customerIdByEmail,
  describeViolations,
  seriousViolations,
  launchBrowser,
  newPage,
  READ_ONLY_KEY,
  settled,
  signIn,
} from '../helpers/browser.js';

jest.setTimeout(120_000);

const ANN = 'ann@example.com';

let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  ({ page, errors } = await newPage(browser));
});
afterEach(async () => {
  await page.context().close();
  // An uncaught error in the console's script is a bug whatever the test checked.
  expect(errors).toEqual([]);
});

/** The find form (by email, through the hashed lookup) -> the customer card. */
async function findByEmail(email: string): Promise<void> {
  const form = page.getByRole('region', { name: 'Find a customer' });
  await form.getByRole('combobox', { name: 'Find by' }).selectOption('email');
  await form.getByRole('textbox', { name: 'Email' }).fill(email);
  await form.getByRole('button', { name: 'Find', exact: true }).click();
  await page.waitForURL(/#\/customer\//);
  await page.getByRole('heading', { level: 2 }).and(page.locator('#customer-title')).waitFor();
}

describe('the console in a browser', () => {
  it('signs in with the prefilled dev key and shows the navigation and who is signed in', async () => {
    await page.goto(consoleUrl());
    const key = page.getByLabel('API key');
    await expect(key.inputValue()).resolves.toBe(stackInfo().apiKey);
    await page.getByRole('button', { name: 'Sign in with the key' }).click();
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor();
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Customers',
      'Segments and value',
      'Flags',
      'Mining runs',
      'Sources',
      'Campaigns',
    ]);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await expect(page.getByRole('heading', { name: 'Find a customer' }).isVisible()).resolves.toBe(true);
  });

  it('finds Ann by email and lands on her card: name, segment and CLV of the latest run', async () => {
    await signIn(page);
    await findByEmail(ANN);
    const id = await customerIdByEmail(ANN);
    expect(page.url()).toContain(`#/customer/${id}`);
    await expect(page.locator('#customer-title').textContent()).resolves.toBe('Ann Example');
    const customer = await apiGet(`/customers/${id}`);
    const value = page.getByRole('region', { name: 'Value and outlook' });
    const stat = (label: string) =>
      value
        .locator('.stat')
        .filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) })
        .locator('dd');
    await expect(stat('Segment').textContent()).resolves.toBe(customer.mining.segment);
    const clv = await stat('CLV').textContent();
    // Money in the interface's format, e.g. "€1,234.56": a currency sign and digits, never blank.
    expect(clv).toMatch(/\d/);
    expect(clv).toMatch(/€|EUR/);
  });

  it('reads Ann’s timeline: purchases, each with its date', async () => {
    const id = await customerIdByEmail(ANN);
    await signIn(page, { hash: `/customer/${id}` });
    const timeline = page.getByRole('region', { name: 'Timeline' });
    const purchases = timeline.locator('li.tl-touchpoint').filter({ has: page.locator('strong', { hasText: /^Purchase$/ }) });
    await purchases.first().waitFor();
    expect(await purchases.count()).toBeGreaterThan(0);
    const time = purchases.first().locator('time');
    const at = await time.getAttribute('datetime');
    expect(Date.parse(at ?? '')).not.toBeNaN();
    // The shown date is the year of the machine-readable one, in words a person reads.
    expect(await time.textContent()).toContain(String(new Date(at!).getUTCFullYear()));
  });

  it('“Check before you offer” blocks offering Ann the coffee subscription she holds, naming the rule', async () => {
    const id = await customerIdByEmail(ANN);
    await signIn(page, { hash: `/customer/${id}` });
    const check = page.getByRole('region', { name: 'Check before you offer' });
    await check.getByRole('combobox', { name: 'Kind' }).selectOption('upsell');
    await check.getByRole('combobox', { name: 'Channel' }).selectOption('email');
    await check.getByRole('combobox', { name: 'Product id' }).fill(COFFEE_SUBSCRIPTION.productId);
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    const decision = check.locator('.decision');
    await decision.waitFor();
    await expect(decision.locator('p strong').textContent()).resolves.toBe('Blocked');
    await expect(decision.locator('code').allTextContents()).resolves.toContain('already-owned');
    // already-owned is not a block a person may accept: no override form, and the console says so.
    await check.getByText('This block cannot be overridden', { exact: false }).waitFor();
    await expect(check.getByRole('button', { name: /^Register|Override/ }).count()).resolves.toBe(0);
    expect(describeViolations('customer card with a blocked check', await seriousViolations(page))).toBe('');
  });

  it('offers the override only for a block a person may accept, and never carries one override into the next', async () => {
    // A top customer whose fee only high-value-penalty blocks (overridable by default), found through the API.
    const fee = { kind: 'fee', channel: 'mail', terms: { amount: 7.5, currency: 'EUR' } };
    const top = (await apiGet('/customer-scores?valueTier=most-valuable&limit=20')).items as { customerId: string }[];
    let customerId: string | undefined;
    for (const { customerId: id } of top) {
      const res = await fetch(`${stackInfo().baseUrl}/offers/check`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stackInfo().apiKey },
        body: JSON.stringify({ customerId: id, ...fee }),
      });
      const { findings } = (await res.json()) as { findings: { severity: string; rule: string; overridable?: boolean }[] };
      const blocks = findings.filter((f) => f.severity === 'block');
      if (blocks.length > 0 && blocks.every((f) => f.overridable === true)) {
        customerId = id;
        break;
      }
    }
    expect(customerId).toBeDefined();
    await signIn(page, { hash: `/customer/${customerId}` });
    const check = page.getByRole('region', { name: 'Check before you offer' });
    const checkFee = async (kind: string) => {
      await check.getByRole('combobox', { name: 'Kind' }).selectOption(kind);
      await check.getByRole('combobox', { name: 'Channel' }).selectOption('mail');
      await check.getByRole('spinbutton', { name: 'Amount' }).fill('7.5');
      await check.getByRole('textbox', { name: 'Currency' }).fill('EUR');
      await check.getByRole('button', { name: 'Check', exact: true }).click();
      await check.getByRole('button', { name: 'Override and register' }).waitFor();
    };
    await checkFee('fee');
    await expect(check.locator('.decision code').allTextContents()).resolves.toContain('high-value-penalty');
    await check.getByRole('textbox', { name: 'Your name' }).fill('Head of customer care');
    await check.getByRole('textbox', { name: 'Reason' }).fill('Returned the item two weeks late; agreed on the phone');
    await check.getByRole('button', { name: 'Override and register' }).click();
    await check.getByText(/^Registered as offer /).waitFor();
    // The next blocked proposal starts with an empty override: a reason is written for one offer.
    await checkFee('penalty');
    await expect(check.getByRole('textbox', { name: 'Your name' }).inputValue()).resolves.toBe('');
    await expect(check.getByRole('textbox', { name: 'Reason' }).inputValue()).resolves.toBe('');
  });

  it('lists the flags of a type and exports exactly the listed rows as CSV', async () => {
    await signIn(page, { hash: '/flags' });
    const run = (await apiGet('/mining-runs?limit=1')).items[0];
    // The type the latest run raised most often, so the table has rows.
    const [type] = Object.entries(run.summary.flags as Record<string, number>).sort((a, b) => b[1] - a[1])[0]!;
    await page.getByRole('combobox', { name: 'Flag type' }).selectOption(type);
    await page.waitForURL(new RegExp(`type=${type}`));
    await settled(page);
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    const count = await rows.count();
    expect(count).toBeGreaterThan(0);
    const exportButton = page.getByRole('button', { name: /^Export \d+ as CSV$/ });
    await expect(exportButton.textContent()).resolves.toBe(`Export ${count} as CSV`);
    const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
    expect(download.suggestedFilename()).toBe(`patron-flags-${type}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('customerId,type,score,expectedValueMinor,segment,valueTier,lifecycle,reasons');
    expect(lines).toHaveLength(count + 1);
    const firstId = await rows.first().locator('td').first().locator('a').textContent();
    expect(lines[1]!.startsWith(`${firstId},${type},`)).toBe(true);
  });

  it('shows why a flagged customer is flagged: from the flag list to the card, with the API’s reasons', async () => {
    await signIn(page, { hash: '/flags' });
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    const link = rows.first().locator('td').first().locator('a');
    const customerId = (await link.textContent())!;
    const type = (await rows.first().locator('td').nth(1).textContent())!;
    await link.click();
    await page.waitForURL(new RegExp(`#/customer/${customerId}$`));
    const why = page.getByRole('region', { name: 'Why this customer is flagged' });
    const { items } = await apiGet(`/customers/${customerId}/flags`);
    await why.locator('li.card').first().waitFor();
    // One card per flag of the latest run, the listed type among them, each with every reason the API gives.
    await expect(why.locator('li.card').count()).resolves.toBe(items.length);
    await expect(why.locator('li.card strong').allTextContents()).resolves.toContain(type);
    for (const flag of items) {
      for (const reason of flag.reasons) await expect(why.getByText(reason, { exact: true }).count()).resolves.toBeGreaterThan(0);
    }
  });

  it('starts a mining run and follows it to Completed', async () => {
    await signIn(page, { hash: '/runs' });
    await page.getByRole('button', { name: 'Start a mining run' }).click();
    await page.waitForURL(/#\/runs\/[^/?]+$/);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);
    const detail = page.locator('.panel').filter({ has: page.locator('h3', { hasText: runId }) });
    // The page polls the run; generous, since 2 cores also run the stack's workers.
    await detail.locator('h3 .chip', { hasText: 'Completed' }).waitFor({ timeout: 100_000 });
    // The list row of this run reads Completed too once the list reloads.
    await page.locator('table tbody tr', { hasText: runId }).locator('.chip', { hasText: 'Completed' }).waitFor();
  });

  it('refuses an id a URL would resolve to another route, and a key that cannot be one, without a request', async () => {
    await signIn(page, { hash: '/customer/..' });
    await page.getByRole('alert').filter({ hasText: "'..' is not an id" }).waitFor();
    // A key with letters a header cannot carry: said plainly, and the user stays on the sign-in form.
    const fresh = await newPage(browser);
    await fresh.page.goto(consoleUrl());
    await fresh.page.locator('input[name=apiKey]').fill('ключ');
    await fresh.page.locator('.sign-in form button[type=submit]').click();
    await fresh.page.getByRole('alert').filter({ hasText: 'That is not an API key' }).waitFor();
    await expect(fresh.page.locator('header nav').count()).resolves.toBe(0);
    await fresh.page.context().close();
    expect(fresh.errors).toEqual([]);
  });

  it('mirrors the layout in Persian and speaks Russian', async () => {
    await signIn(page);
    const language = page.getByRole('combobox', { name: 'Language' });
    await language.selectOption({ label: 'فارسی' });
    // Functions, not strings (the console's CSP forbids evaluating strings); serialized, so self-contained.
    await page.waitForFunction(() => (globalThis as any).document.documentElement.dir === 'rtl');
    expect(await page.evaluate('document.documentElement.lang')).toBe('fa');
    const width = (await page.viewportSize())!.width;
    const brand = await page.locator('header h1').boundingBox();
    const nav = await page.locator('header nav').boundingBox();
    // Right to left: the brand starts the header on the right, the navigation follows to its left.
    expect(brand!.x + brand!.width / 2).toBeGreaterThan(width / 2);
    expect(nav!.x).toBeLessThan(brand!.x);
    await page.getByRole('combobox').first().selectOption({ label: 'Русский' });
    await page.waitForFunction(() => {
      const root = (globalThis as any).document.documentElement;
      return root.dir === 'ltr' && root.lang === 'ru';
    });
    await page
      .getByRole('heading', { name: 'Найти клиента' })
      .or(page.getByRole('link', { name: 'Клиенты' }))
      .first()
      .waitFor();
    expect(await page.locator('header nav').textContent()).toMatch(/[А-Яа-яЁё]{3}/);
  });

  it('offers a read-only key no way to register, override or start a run', async () => {
    const id = await customerIdByEmail(ANN);
    await signIn(page, { apiKey: READ_ONLY_KEY, hash: `/customer/${id}` });
    await page.locator('header .who', { hasText: 'dev-reader' }).waitFor();
    const check = page.getByRole('region', { name: 'Check before you offer' });
    await check.getByRole('combobox', { name: 'Kind' }).selectOption('upsell');
    await check.getByRole('combobox', { name: 'Product id' }).fill(COFFEE_SUBSCRIPTION.productId);
    await check.getByRole('button', { name: 'Check', exact: true }).click();
    // Checking is reading: the decision shows, and the console says why nothing more is offered.
    await check.locator('.decision').waitFor();
    await check.getByText('Your access can check offers but not register them.').waitFor();
    await expect(check.getByRole('button', { name: /Register|Override/ }).count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Mining runs' }).click();
    await page.getByText('Starting a run needs the mining:run scope.').waitFor();
    await expect(page.getByRole('button', { name: 'Start a mining run' }).count()).resolves.toBe(0);
  });

  it('shows the API’s own message when a lookup fails (no customer with id “nope”)', async () => {
    await signIn(page);
    const form = page.getByRole('region', { name: 'Find a customer' });
    await form.getByRole('combobox', { name: 'Find by' }).selectOption('id');
    await form.getByRole('textbox', { name: 'Customer id' }).fill('nope');
    await form.getByRole('button', { name: 'Find', exact: true }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/^Not found\.\s+Customer 'nope' not found$/);
    expect(page.url()).not.toContain('#/customer/');
    expect(describeViolations('find form with an error', await seriousViolations(page))).toBe('');
  });

  it('browses the customers of the latest run, highest value first (GET /customers)', async () => {
    await signIn(page, { hash: '/customers' });
    const browse = page.getByRole('region', { name: 'Browse customers' });
    await settled(page);
    expect(await browse.getByRole('alert').allTextContents()).toEqual([]);
    const rows = browse.locator('table tbody tr');
    await rows.first().waitFor();
    const count = await rows.count();
    expect(count).toBeGreaterThan(1);
    await browse.getByText(`${count} customers listed`).waitFor();
    // CLV is the fifth column; "Highest value first" (the default order) lists it non-increasing.
    const clvs = (await rows.locator('td:nth-child(5)').allTextContents()).map((text) => Number(text.replace(/[^\d.]/g, '')));
    expect(clvs.every((v) => Number.isFinite(v))).toBe(true);
    expect(clvs).toEqual([...clvs].sort((a, b) => b - a));
    // The lowest-value-first order reverses it.
    await browse.getByRole('combobox', { name: 'Order' }).selectOption('asc');
    await page.waitForURL(/order=asc/);
    await settled(page);
    // The list empties and refills on a new order: read it once it has rows again.
    const values = async () => (await rows.locator('td:nth-child(5)').allTextContents()).map((text) => Number(text.replace(/[^\d.]/g, '')));
    let ascending = await values();
    for (let tries = 0; ascending.length === 0 && tries < 50; tries++) {
      await page.waitForTimeout(200);
      ascending = await values();
    }
    expect(ascending.length).toBeGreaterThan(1);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    expect(ascending[0]).toBeLessThanOrEqual(clvs.at(-1)!);
  });
});
