/**
 * The cloud assembly the embedded runtime runs: `cdk synth` (the real CLI, so the same app,
 * context and feature flags as a deploy), cached in `.cache/synth/<hash>/` by a hash of every
 * input (infra/, functions/, the core's source, the lockfile, cdk.json, tsconfig.json, the
 * context given), so only the first start after a change pays for synthesis.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CfnTemplate } from './template.js';
import { REPO_ROOT, type Log } from '../util.js';

export const STACK_NAME = 'Patron';
const INPUT_DIRS = ['infra', 'functions', join('layers', 'core', 'src'), join('console', 'src')];
// The console's build and the CLI chart it draws are bundled into the console function.
const INPUT_FILES = [
  'package-lock.json',
  'cdk.json',
  'tsconfig.json',
  join('console', 'build.ts'),
  join('console', 'tsconfig.json'),
  join('cli', 'svg.ts'),
];
const KEEP = 3;

export interface Assembly {
  /** The cloud assembly folder (what `cdk synth -o` wrote). */
  dir: string;
  template: CfnTemplate;
  /** False when this call ran `cdk synth`. */
  cached: boolean;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A hash of everything synthesis reads, and of the context. */
export async function assemblyHash(context: Record<string, string>, root = REPO_ROOT): Promise<string> {
  const hash = createHash('sha256');
  const files = [
    ...(await Promise.all(INPUT_DIRS.map((d) => listFiles(join(root, d))))).flat(),
    ...INPUT_FILES.map((f) => join(root, f)),
  ].sort();
  for (const file of files) {
    hash
      .update(relative(root, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  hash.update(JSON.stringify(Object.entries(context).sort()));
  return hash.digest('hex').slice(0, 20);
}

function runCdkSynth(outDir: string, context: Record<string, string>, log: Log): Promise<void> {
  const args = ['synth', '--quiet', '--no-notices', '--output', outDir];
  for (const [key, value] of Object.entries(context)) args.push('--context', `${key}=${value}`);
  return new Promise((resolve, reject) => {
    const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'cdk'), args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        log(output.trim());
        reject(new Error(`cdk synth failed (exit ${code}); its output is above`));
      }
    });
  });
}

export async function synthesize(options: { context?: Record<string, string>; log: Log; cacheRoot?: string }): Promise<Assembly> {
  const context = options.context ?? {};
  const cacheRoot = options.cacheRoot ?? join(REPO_ROOT, '.cache', 'synth');
  const dir = join(cacheRoot, await assemblyHash(context));
  const templateFile = join(dir, `${STACK_NAME}.template.json`);
  const cached = existsSync(templateFile);
  if (!cached) {
    const started = Date.now();
    options.log('synthesizing the CDK app (cached until infra/, functions/ or the core change)...');
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await runCdkSynth(tmp, context, options.log);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    options.log(`cdk synth done in ${Date.now() - started} ms`);
    await prune(cacheRoot);
  }
  const template = JSON.parse(await readFile(templateFile, 'utf8')) as CfnTemplate;
  return { dir, template, cached };
}

/** Keeps the newest few assemblies. */
async function prune(cacheRoot: string): Promise<void> {
  const entries = await readdir(cacheRoot).catch(() => [] as string[]);
  const dated = await Promise.all(
    entries.filter((e) => !e.includes('.tmp-')).map(async (e) => ({ e, t: (await stat(join(cacheRoot, e))).mtimeMs })),
  );
  for (const { e } of dated.sort((a, b) => b.t - a.t).slice(KEEP)) await rm(join(cacheRoot, e), { recursive: true, force: true });
}

export async function ensureDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return path;
}
