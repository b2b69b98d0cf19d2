/**
 * The console as the stack serves it: the synthesized `console` function's own build, its page
 * and assets with the Content-Security-Policy, within the size budget, with no secret inside.
 */
import { gzipSync } from 'node:zlib';
import { DEV_API_KEY, DEV_SECRETS } from '../../local/dev-config.js';
import { stackInfo } from '../helpers/stack.js';

/** The budget for what a browser downloads on first load, gzipped. */
const BUNDLE_BUDGET_BYTES = 200 * 1024;

const get = (path: string) => fetch(`${stackInfo().baseUrl}${path}`);

describe('console (served by the console function)', () => {
  let html: string;
  let assets: { path: string; body: string; type: string | null }[];

  beforeAll(async () => {
    const page = await get('/console');
    expect(page.status).toBe(200);
    html = await page.text();
    const paths = [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1]!);
    assets = await Promise.all(
      paths.map(async (path) => {
        const res = await get(path);
        expect(res.status).toBe(200);
        return { path, body: await res.text(), type: res.headers.get('content-type') };
      }),
    );
  });

  it('serves a page that loads one script and one stylesheet of its own, under a strict CSP', async () => {
    const page = await get('/console');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(assets.map((a) => a.type)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^text\/css/), expect.stringMatching(/^text\/javascript/)]),
    );
    expect(html).not.toMatch(/<script>(?!<\/script>)|style="/);
  });

  it(`stays within ${BUNDLE_BUDGET_BYTES / 1024} KB gzipped`, () => {
    const gzipped = [html, ...assets.map((a) => a.body)].reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
    expect(gzipped).toBeGreaterThan(5_000); // a real build, not an empty file
    expect(gzipped).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  });

  it('carries no secret: none of the stack’s secret values is in the page or its assets', () => {
    const served = [html, ...assets.map((a) => a.body)].join('\n');
    const secrets = Object.values(DEV_SECRETS)
      .flatMap((v) => v.split(','))
      .flatMap((v) => v.split(':'));
    expect(secrets.filter((s) => s.length >= 12 && served.includes(s))).toEqual([]);
  });

  it('tells the page the local dev key (a published value) and no sign-in, since the local stack has no Cognito', async () => {
    const res = await get('/console/config.json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ devApiKey: DEV_API_KEY });
  });

  it('answers 404 for anything it did not build, a path out of its folder included', async () => {
    for (const path of ['/console/nope.js', '/console/..%2Fhandler.mjs', '/console/index.mjs']) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toMatch(/No console file/);
    }
  });
});
