import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (where package.json, package-lock.json and tsconfig.json live). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of a repository-relative path. */
export const fromRoot = (...segments: string[]): string => join(PROJECT_ROOT, ...segments);

/**
 * Defines `require` inside ESM bundles, so CommonJS dependencies that esbuild inlines can still
 * call `require('node:...')` at run time. The import is aliased so it cannot clash with a
 * `createRequire` import of the bundled code.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __patronCreateRequire } from 'node:module';" + 'const require = __patronCreateRequire(import.meta.url);';
