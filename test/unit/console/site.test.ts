/** Serving the console: the page, its hashed assets, config.json, the security headers, and nothing else. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '../../../layers/core/src/errors.js';
import { ROUTES } from '../../../layers/core/src/http/routes.js';
import {
  CONSOLE_PATH,
  consoleConfigOf,
  consoleResponse,
  contentSecurityPolicy,
  loadConsoleFiles,
} from '../../../layers/core/src/console/site.js';

function builtConsole() {
  const dir = mkdtempSync(join(tmpdir(), 'console-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/console/main-ABC.js"></script>');
  writeFileSync(join(dir, 'main-ABC.js'), 'console.log(1)');
  writeFileSync(join(dir, 'main-DEF.css'), 'body{}');
  writeFileSync(join(dir, 'notes.txt'), 'not served');
  return loadConsoleFiles(dir);
}

describe('console site', () => {
  const files = builtConsole();

  it('serves the page for /console, revalidated on every load, with a strict CSP', () => {
    const res = consoleResponse(files, undefined, {});
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers?.['cache-control']).toBe('no-cache');
    const csp = String(res.headers?.['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers?.['x-content-type-options']).toBe('nosniff');
  });

  it('caches hashed assets for good, with their media types', () => {
    const js = consoleResponse(files, 'main-ABC.js', {});
    expect(js.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers?.['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(consoleResponse(files, 'main-DEF.css', {}).headers?.['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves only the built files: anything else is a 404, a path outside the folder included', () => {
    for (const name of ['notes.txt', '../site.ts', 'index.htm', '']) expect(() => consoleResponse(files, name, {})).toThrow(NotFoundError);
    expect(() => consoleResponse(files, 'x'.repeat(5000), {})).toThrow(/^No console file of that name$/);
  });

  it('allows the hosted UI as the only other origin, for the token exchange', () => {
    const config = consoleConfigOf({ signIn: { clientId: 'abc123', domain: 'patron-1.auth.eu-west-1.amazoncognito.com' } });
    expect(config).toEqual({ signIn: { domain: 'https://patron-1.auth.eu-west-1.amazoncognito.com', clientId: 'abc123' } });
    expect(contentSecurityPolicy(config)).toContain("connect-src 'self' https://patron-1.auth.eu-west-1.amazoncognito.com");
  });

  it('tells the page only public settings: no sign-in without a domain, the dev key only where it is set', () => {
    expect(consoleConfigOf({ signIn: { clientId: 'abc123' } })).toEqual({});
    expect(consoleConfigOf({ consoleDevApiKey: 'patron-dev-key' })).toEqual({ devApiKey: 'patron-dev-key' });
    const res = consoleResponse(files, 'config.json', { devApiKey: 'patron-dev-key' });
    expect(JSON.parse(String(res.body))).toEqual({ devApiKey: 'patron-dev-key' });
    expect(res.headers?.['cache-control']).toBe('no-store');
  });

  it('is served where the route table and the build say', () => {
    expect(ROUTES.filter((r) => r.fn === 'console').map((r) => r.path)).toEqual([CONSOLE_PATH, `${CONSOLE_PATH}/{file}`]);
  });

  it('refuses a folder without a build', () => {
    expect(() => loadConsoleFiles(mkdtempSync(join(tmpdir(), 'empty-')))).toThrow(/index.html is missing/);
  });
});
