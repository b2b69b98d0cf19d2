/**
 * jest globalSetup of the `browser` project: checks that chromium is there (the suite fails with a
 * clear message when it is not, never skips), starts the embedded stack as the integration setup
 * does (global-setup.ts: a free port, in the jest parent process) and seeds it with the repository's
 * own demo (local/demo/): a small seeded population with the README's people (Ann, Cara...), sent
 * through the signed webhooks, then mined, offer-checked and campaigned, as `npm start` shows it.
 *
 * PATRON_BROWSER_CUSTOMERS sets the population (default 150: the suite stays within minutes on 2 cores).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

// A real import(): TypeScript's CommonJS output would turn a plain `import()` into require() (see global-setup.ts).
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export const BROWSER_DEMO_CUSTOMERS = 150;

export default async function browserSetup(globalConfig: unknown, projectConfig: { rootDir: string }): Promise<void> {
  const root = projectConfig?.rootDir ?? process.cwd();
  // Loaded through jest's CommonJS transform, where moduleNameMapper does not apply: every module
  // of ours is imported at run time, through tsx's ESM loader (which global-setup registers).
  register();
  const load = <T>(path: string) => importEsm(pathToFileURL(resolve(root, path)).href) as Promise<T>;
  const { chromiumMissing } = await load<typeof import('./chromium.js')>('test/helpers/chromium.ts');
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const { default: globalSetup } = await load<typeof import('./global-setup.js')>('test/helpers/global-setup.ts');
  await globalSetup(globalConfig, projectConfig);
  try {
    const { stackInfo } = await load<typeof import('./stack.js')>('test/helpers/stack.ts');
    const { runDemo } = await load<typeof import('../../local/demo/index.js')>('local/demo/index.ts');
    const customers = Number(process.env.PATRON_BROWSER_CUSTOMERS || BROWSER_DEMO_CUSTOMERS);
    const started = Date.now();
    const lines: string[] = [];
    const result = await runDemo({
      baseUrl: stackInfo().baseUrl,
      env: stackInfo().env,
      seed: 42,
      customers,
      progress: false,
      // Few in flight: 2 cores also run every function; more only times webhooks out and retries them.
      concurrency: 4,
      log: (line) => lines.push(line),
    });
    if (result.mining?.run.phase !== 'completed') {
      throw new Error(`the demo's mining run did not complete:\n${lines.join('\n')}`);
    }
    process.stderr.write(
      `\nbrowser tests: demo seeded (${result.customers} customers, ${result.touchpoints} touchpoints, mined) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } catch (error) {
    // jest runs no globalTeardown when globalSetup fails: stop the stack here, or its processes stay.
    const { default: globalTeardown } = await load<typeof import('./global-teardown.js')>('test/helpers/global-teardown.ts');
    await globalTeardown();
    throw error;
  }
}
