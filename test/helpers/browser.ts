/**
 * What the browser tests (test/browser/, `npm run test:browser`) share: Debian's chromium driven by
 * playwright-core (never a downloaded browser), the embedded stack that browser-setup.ts started and
 * seeded with the demo, signing in to the console, axe-core checks and screenshots.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DEV_READ_ONLY_API_KEY } from '../../local/dev-config.js';
import { REPO_ROOT } from '../../local/util.js';
import { CHROMIUM_PATH, chromiumMissing } from './chromium.js';
import { stackInfo } from './stack.js';

export async function launchBrowser(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const consoleUrl = (hash = '') => `${stackInfo().baseUrl}/console${hash ? `#${hash}` : ''}`;

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 740 };

/**
 * A fresh context (its own sessionStorage and localStorage) in English, and a page on it that
 * collects the page's uncaught errors (tests assert there are none).
 */
export async function newPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; language?: 'en' | 'fa' | 'ru' } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, locale: 'en-US', acceptDownloads: true });
  // The console keeps the language choice in localStorage; set it before its script runs.
  const language = options.language ?? 'en';
  await context.addInitScript(`localStorage.setItem('patron.language', ${JSON.stringify(language)})`);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  return { context, page, errors };
}

/**
 * Opens the console and signs in with the key the sign-in form offers (the dev key, prefilled on
 * the local stack) or with `apiKey` typed in, then waits for the main navigation.
 */
export async function signIn(page: Page, options: { apiKey?: string; hash?: string } = {}): Promise<void> {
  await page.goto(consoleUrl(options.hash));
  // By name, not by label: the page may be in Persian or Russian.
  const key = page.locator('input[name=apiKey]');
  await key.waitFor();
  if (options.apiKey !== undefined) await key.fill(options.apiKey);
  await page.locator('.sign-in form button[type=submit]').click();
  await page.locator('header nav').waitFor();
}

export const READ_ONLY_KEY = DEV_READ_ONLY_API_KEY;

/** Ann's customer id (the demo always plants her), through the same hashed lookup the console uses. */
export async function customerIdByEmail(email: string): Promise<string> {
  const res = await fetch(`${stackInfo().baseUrl}/customers/lookup`, {
    method: 'POST',
    headers: { 'x-api-key': stackInfo().apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
  });
  const body = (await res.json()) as { customers?: { id: string }[] };
  const id = body.customers?.[0]?.id;
  if (!res.ok || !id) throw new Error(`POST /customers/lookup found nobody with ${email} (${res.status}): is the demo seeded?`);
  return id;
}

/** GET against the stack with the dev key; the JSON body. */
export async function apiGet(path: string): Promise<any> {
  const res = await fetch(`${stackInfo().baseUrl}${path}`, { headers: { 'x-api-key': stackInfo().apiKey } });
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.json();
}

/** No "Loading…" left on the page (every section's request answered). */
export async function settled(page: Page): Promise<void> {
  await page.locator('main').waitFor();
  // A function, not a string: the console's CSP (script-src 'self') forbids evaluating strings.
  await page.waitForFunction(() => !(globalThis as any).document.querySelector('.loading'), undefined, { timeout: 30_000 });
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];

export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeProblem[]> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: `${v.help} (${v.helpUrl})`,
      targets: v.nodes.map((n) => `${n.target.join(' ')}${n.failureSummary ? ` -- ${n.failureSummary.replace(/\s+/g, ' ')}` : ''}`),
    }));
}

/** Readable lines for a failing expectation. */
export const describeViolations = (where: string, problems: AxeProblem[]) =>
  problems.map((p) => `${where}: [${p.impact}] ${p.id}: ${p.help}\n${p.targets.map((t) => `    ${t}`).join('\n')}`).join('\n');

const MAX_SCREENSHOT_HEIGHT = 2400;
export const SCREENSHOT_DIR = join(REPO_ROOT, '.cache', 'console-screenshots');
export const README_SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');

/**
 * Saves the page to .cache/console-screenshots/<name>.png (git-ignored), and with
 * PATRON_UPDATE_SCREENSHOTS=1 to docs/screenshots/<name>.png too (the README's pictures).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dirs = [SCREENSHOT_DIR, ...(process.env.PATRON_UPDATE_SCREENSHOTS === '1' ? [README_SCREENSHOT_DIR] : [])];
  // The whole page, but no taller than a README can show (the flags list runs to thousands of pixels).
  const height = Math.min(MAX_SCREENSHOT_HEIGHT, (await page.evaluate('document.documentElement.scrollHeight')) as number);
  const width = page.viewportSize()?.width ?? DESKTOP.width;
  const image = await page.screenshot({ fullPage: true, animations: 'disabled', clip: { x: 0, y: 0, width, height } });
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), image);
  }
}
