/**
 * Builds the console: one ES module (Preact, bundled and minified by esbuild), one stylesheet and
 * an index.html naming them by content hash, so the HTML can be revalidated on every load and the
 * assets cached for good. CDK runs this while bundling the `console` function (infra/constructs/
 * patron-function.ts), so the console deployed is the one the local stack serves.
 *
 *   tsx console/build.ts --out DIR
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CONSOLE_PATH } from '../layers/core/src/vocabulary.js';

const CONSOLE_ROOT = dirname(fileURLToPath(import.meta.url));

/** Where the console is served; every asset URL is absolute under it. */
export const CONSOLE_BASE = `${CONSOLE_PATH}/`;

export interface BuiltConsole {
  outDir: string;
  files: string[];
}

export async function buildConsole(outDir: string): Promise<BuiltConsole> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(CONSOLE_ROOT, 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    tsconfig: join(CONSOLE_ROOT, 'tsconfig.json'),
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`console build produced ${outputs.join(', ')}: expected one .js and one .css`);
  // No inline script or style: the Content-Security-Policy allows 'self' only.
  const html = `<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Patron Console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE_BASE}${style}">
<script type="module" src="${CONSOLE_BASE}${script}"></script>
</head>
<body>
<div id="app"><noscript>The Patron console needs JavaScript.</noscript></div>
</body>
</html>
`;
  await writeFile(join(outDir, 'index.html'), html);
  return { outDir, files: (await readdir(outDir)).sort() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (!values.out) {
    console.error('usage: tsx console/build.ts --out DIR');
    process.exit(2);
  }
  const built = await buildConsole(values.out);
  console.log(`console built in ${built.outDir}: ${built.files.join(', ')}`);
}
