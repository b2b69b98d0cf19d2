/** Where the browser tests find chromium, and the message when it is missing (no dependencies: global setup loads it first). */
import { existsSync } from 'node:fs';

/** The browser: $PATRON_CHROMIUM, else Debian's chromium package (.ci/run installs it). */
export const CHROMIUM_PATH = process.env.PATRON_CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run, or undefined when chromium is there. Never a silent skip. */
export function chromiumMissing(path = CHROMIUM_PATH): string | undefined {
  if (existsSync(path)) return undefined;
  return (
    `The browser tests need chromium at ${path}, and there is none. Install Debian's package ` +
    '(`sudo apt-get install -y --no-install-recommends chromium`, as .ci/run does) or point ' +
    '$PATRON_CHROMIUM at a Chromium binary. (`npx playwright install` is not used: the suite drives the system browser.)'
  );
}
