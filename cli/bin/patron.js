#!/usr/bin/env node
// Launcher for `npx patron` (package.json "bin"): runs cli/patron.ts through tsx's loader,
// on the repository's Node 24 (node_modules/.bin/node, from the `node` devDependency) when
// the node that started us is older.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
const repoNode = here('../../node_modules/node/bin/node');

if (major < 24 && !process.env.PATRON_REEXEC && existsSync(repoNode)) {
  const r = spawnSync(repoNode, [here('./patron.js'), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATRON_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import(pathToFileURL(here('../patron.ts')).href);
const { processIo } = await import(pathToFileURL(here('../io.ts')).href);
process.exitCode = await main(process.argv.slice(2), processIo());
