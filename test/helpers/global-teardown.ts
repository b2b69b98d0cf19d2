/** Stops the stack started by global-setup.ts (same jest parent process) and removes its info and log files. */
import { rmSync } from 'node:fs';
import type { Stack } from '../../local/stack.js';

const STACK_HANDLE = '__PATRON_LOCAL_STACK__'; // as in global-setup.ts (no runtime import: see there)

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as Record<string, unknown>;
  const stack = holder[STACK_HANDLE] as Stack | undefined;
  delete holder[STACK_HANDLE];
  try {
    await stack?.stop();
  } finally {
    const infoFile = process.env.PATRON_STACK_INFO;
    if (infoFile) rmSync(infoFile, { force: true });
    const logFile = process.env.PATRON_STACK_LOG;
    if (logFile) rmSync(logFile, { force: true });
    delete process.env.PATRON_STACK_INFO;
    delete process.env.PATRON_STACK_LOG;
  }
}
