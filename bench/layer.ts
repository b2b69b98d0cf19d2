/**
 * Core-layer benchmark: should the `@patron/core` layer bundle the AWS SDK clients it imports
 * (versions pinned by package-lock.json) or leave them to the copy the Lambda Node.js runtime
 * ships in /var/runtime/node_modules (a minor version AWS picks per runtime and Region)?
 *
 * Builds the layer both ways with bundleCoreLayer (the current way, SDK external, is the baseline)
 * and, as a third variant, `health` and `openapi` bundled on their own with the core inlined and
 * no layer. Synthesizes the app once (`cdk synth -q`, offline) for the real function bundles and
 * environments. Prints, per variant, the layer's size (bytes and zipped as CDK zips assets) and,
 * per function, the cold import: in a fresh `node` per sample, the time to import the handler
 * module from a Lambda-like layout. Each non-baseline row prints its ratio last, and the report
 * ends with the ratios bundled / runtime.
 *
 *   npm run bench:layer -- [--samples 15] [--keep]
 *
 * Layout of one variant, under os.tmpdir() so Node's upward node_modules search cannot reach the
 * repository (checked at start):
 *   <variant>/tasks/<function>/index.mjs(.map)  the function bundle (/var/task in Lambda)
 *   <variant>/node_modules/@patron/core          the layer's nodejs/node_modules (/opt/nodejs/...)
 *   <variant>/node_modules/@aws-sdk              runtime-SDK variants only: a symlink standing for
 *                                                /var/runtime/node_modules/@aws-sdk (the repo's
 *                                                copy; its own dependencies resolve from there)
 * Lambda finds the layer and the runtime's SDK through NODE_PATH (searched for ES modules since
 * nodejs18.x); one node_modules next to the task resolves the same packages without it. The
 * bundled-SDK layout has no @aws-sdk at all, so its import succeeding shows the layer is
 * self-contained.
 *
 * Samples run one at a time (no other load from this script), interleaved across functions and
 * variants with a rotating order so drift on a shared machine hits all alike, after one discarded
 * warm-up per function and variant (so every variant reads its files from the page cache). Each
 * child gets the function's environment from the template (NODE_OPTIONS=--enable-source-maps
 * included, as deployed; references replaced by placeholders) and nothing of this process's.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { bundleCoreLayer, ESM_BUNDLE_OPTIONS } from '../infra/constructs/core-layer.js';
import { fromRoot, PROJECT_ROOT } from '../infra/constructs/paths.js';
import { LAMBDA_RUNTIME } from '../infra/constructs/runtime.js';
import { percentile } from './pool.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
  },
});
const SAMPLES = Math.max(1, Number(values.samples));
/** Functions that need little of the core: also measured bundled on their own, without the layer. */
const STANDALONE = ['health', 'openapi'];

// ---------------------------------------------------------------- sizes

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** Uncompressed bytes, the JavaScript alone, and the zip size as CDK builds it (yazl, deflate level 6). */
function sizeOf(dir: string): { bytes: number; jsBytes: number; zipped: number } {
  let bytes = 0;
  let jsBytes = 0;
  let zipped = 22; // end-of-central-directory record
  for (const file of filesUnder(dir)) {
    const data = readFileSync(file);
    const name = Buffer.byteLength(relative(dir, file));
    bytes += data.length;
    if (file.endsWith('.mjs')) jsBytes += data.length;
    // local header + data + central directory entry, each header carrying the name
    zipped += 30 + name + deflateRawSync(data, { level: 6 }).length + 46 + name;
  }
  return { bytes, jsBytes, zipped };
}

// ---------------------------------------------------------------- measuring

interface Sample {
  /** performance.now() around `await import(handler)` in the child. */
  importMs: number;
  /** performance.now() once imported: from process start (its time origin) to handler ready. */
  readyMs: number;
  /** Parent side: spawn to exit. */
  wallMs: number;
  /** CommonJS modules in the child's require cache (the SDK packages load as CommonJS). */
  cjsModules: number;
}

/** The child: imports one handler module and reports its timings as one JSON line. */
const PROBE = `// Written by bench/layer.ts: one cold import of a handler module per process.
const before = performance.now();
const mod = await import(process.argv[2]);
const after = performance.now();
if (typeof mod.handler !== 'function') throw new Error('no handler export in ' + process.argv[2]);
const { createRequire } = await import('node:module');
const cjsModules = Object.keys(createRequire(import.meta.url).cache).length;
process.stdout.write(JSON.stringify({ importMs: after - before, readyMs: after, cjsModules }));
`;

function runProbe(probe: string, entry: string, env: Record<string, string>): Sample {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, [probe, pathToFileURL(entry).href], { env, encoding: 'utf8', cwd: dirname(entry) });
  const wallMs = performance.now() - t0;
  if (child.status !== 0) throw new Error(`import of ${entry} failed (exit ${child.status}):\n${child.stderr}`);
  const out = JSON.parse(child.stdout) as Omit<Sample, 'wallMs'>;
  return { ...out, wallMs };
}

// ---------------------------------------------------------------- main

interface FunctionAsset {
  name: string;
  /** The synthesized bundle directory (index.mjs, index.mjs.map). */
  dir: string;
  /** Its environment with CloudFormation references replaced by placeholders. */
  env: Record<string, string>;
}

interface Variant {
  key: 'runtime' | 'bundled' | 'standalone';
  label: string;
  /** The variant's root: node_modules/ and tasks/<function>/. */
  root: string;
  /** Function name → its index.mjs in this variant's layout. */
  entries: Map<string, string>;
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'patron-bench-layer-'));
  // Nothing from the repository may be reachable by Node's upward search from the layouts.
  if (!relative(PROJECT_ROOT, work).startsWith('..')) throw new Error(`${work} is inside the repository`);
  for (let d = dirname(work); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) throw new Error(`${join(d, 'node_modules')} is reachable from ${work}: set TMPDIR elsewhere`);
    if (dirname(d) === d) break;
  }
  const childBase: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_EXECUTION_ENV: `AWS_Lambda_${LAMBDA_RUNTIME.name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  };

  try {
    // ---- the two layers, built by the same function the stack uses
    const layerRuntime = join(work, 'layer-runtime-sdk');
    const layerBundled = join(work, 'layer-bundled-sdk');
    bundleCoreLayer(layerRuntime);
    bundleCoreLayer(layerBundled, { bundleSdk: true });

    // ---- the function bundles: one synth, found through the template
    const synthDir = join(work, 'cdk.out');
    const synth = spawnSync('npx', ['cdk', 'synth', '-q', '-o', synthDir], { cwd: PROJECT_ROOT, encoding: 'utf8', env: process.env });
    if (synth.status !== 0) throw new Error(`cdk synth failed (exit ${synth.status}):\n${synth.stdout}\n${synth.stderr}`);
    const template = JSON.parse(readFileSync(join(synthDir, 'Patron.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Metadata?: Record<string, string>; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
    };
    const functions: FunctionAsset[] = [];
    let synthLayer: string | undefined;
    for (const resource of Object.values(template.Resources)) {
      const path = resource.Metadata?.['aws:cdk:path'] ?? '';
      const asset = resource.Metadata?.['aws:asset:path'];
      if (!asset) continue;
      if (resource.Type === 'AWS::Lambda::LayerVersion' && path.startsWith('Patron/CoreLayer/')) synthLayer = join(synthDir, asset);
      const name = /^Patron\/Functions\/([^/]+)\/Handler\/Resource$/.exec(path)?.[1];
      if (resource.Type !== 'AWS::Lambda::Function' || !name) continue;
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(resource.Properties?.Environment?.Variables ?? {}))
        env[k] = typeof v === 'string' ? v : `bench-placeholder-${k.toLowerCase()}`;
      functions.push({ name, dir: join(synthDir, asset), env });
    }
    if (functions.length === 0) throw new Error('no Patron function found in the synthesized template');
    // The baseline layer must be the one the stack deploys.
    const coreJs = (layer: string) => readFileSync(join(layer, 'nodejs', 'node_modules', '@patron', 'core', 'index.mjs'));
    const sameAsDeployed = synthLayer !== undefined && coreJs(synthLayer).equals(coreJs(layerRuntime));

    // ---- third variant: functions that need little of the core, bundled alone (as PatronFunction
    // bundles, but with @patron/core resolved to its source through the tsconfig path; SDK external)
    const standaloneDir = join(work, 'standalone-bundles');
    const standalone = functions.filter((f) => STANDALONE.includes(f.name));
    for (const f of standalone) {
      const result = buildSync({
        ...ESM_BUNDLE_OPTIONS,
        entryPoints: [fromRoot('functions', f.name, 'handler.ts')],
        outfile: join(standaloneDir, f.name, 'index.mjs'),
        external: ['@aws-sdk/*'],
        logLevel: 'error',
        absWorkingDir: PROJECT_ROOT,
      });
      if (result.errors.length > 0) throw new Error(`esbuild failed for ${f.name}`);
    }

    // ---- the Lambda-like layouts
    const probe = join(work, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const layout = (
      key: Variant['key'],
      label: string,
      layer: string | undefined,
      runtimeSdk: boolean,
      bundles: Map<string, string>,
    ): Variant => {
      const root = join(work, `run-${key}`);
      const modules = join(root, 'node_modules');
      mkdirSync(modules, { recursive: true });
      if (layer) cpSync(join(layer, 'nodejs', 'node_modules'), modules, { recursive: true });
      if (runtimeSdk) symlinkSync(fromRoot('node_modules', '@aws-sdk'), join(modules, '@aws-sdk'), 'dir');
      const entries = new Map<string, string>();
      for (const [name, dir] of bundles) {
        const task = join(root, 'tasks', name);
        cpSync(dir, task, { recursive: true });
        entries.set(name, join(task, 'index.mjs'));
      }
      return { key, label, root, entries };
    };
    const layerBundles = new Map(functions.map((f) => [f.name, f.dir]));
    const variants: Variant[] = [
      layout('runtime', 'runtime SDK (current)', layerRuntime, true, layerBundles),
      layout('bundled', 'bundled SDK', layerBundled, false, layerBundles),
      layout('standalone', 'alone, no layer', undefined, true, new Map(standalone.map((f) => [f.name, join(standaloneDir, f.name)]))),
    ];

    // ---- samples: warm-up, then interleaved rounds
    const samples = new Map<string, Sample[]>(); // `${variant}/${function}`
    const runs = functions.flatMap((f) => variants.filter((v) => v.entries.has(f.name)).map((v) => ({ f, v })));
    const run = ({ f, v }: (typeof runs)[number]) =>
      runProbe(probe, v.entries.get(f.name)!, { ...childBase, ...f.env, AWS_LAMBDA_FUNCTION_NAME: `patron-${f.name}` });
    const loadAtStart = loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const started = performance.now();
    for (const r of runs) run(r);
    for (let s = 0; s < SAMPLES; s++) {
      for (let i = 0; i < runs.length; i++) {
        const r = runs[(i + s) % runs.length]!;
        const key = `${r.v.key}/${r.f.name}`;
        samples.set(key, [...(samples.get(key) ?? []), run(r)]);
      }
    }
    const seconds = (performance.now() - started) / 1000;

    // ---- report
    const kB = (b: number) => `${(b / 1024).toFixed(1)} kB`;
    const ms = (x: number) => `${x.toFixed(1)}`;
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const stat = (key: string, pick: (s: Sample) => number) => {
      const xs = sorted((samples.get(key) ?? []).map(pick));
      return { p50: percentile(xs, 50), p90: percentile(xs, 90) };
    };
    const lock = JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    const runtimeJs = coreJs(layerRuntime).toString('utf8');
    const sdkImports = [...new Set([...runtimeJs.matchAll(/from"(@aws-sdk\/[^"]+)"/g)].map((m) => m[1]!))].sort();

    console.log(
      `Node ${process.version} (Lambda ${LAMBDA_RUNTIME.name}), ${cpus().length} CPUs, load average at start ${loadAtStart}; ` +
        `${SAMPLES} samples per function and variant, ${runs.length * (SAMPLES + 1)} node processes in ${seconds.toFixed(0)} s`,
    );
    console.log(
      `SDK packages the layer imports, as package-lock.json pins them (what the bundled variant contains): ` +
        sdkImports.map((p) => `${p.replace('@aws-sdk/', '')} ${lock.packages[`node_modules/${p}`]?.version ?? '?'}`).join(', '),
    );
    console.log(
      `runtime-SDK variants load those same versions here (the repo's node_modules stands for /var/runtime); in Lambda they get the runtime's own.`,
    );
    console.log(`baseline layer built here ${sameAsDeployed ? 'is byte-identical to' : 'DIFFERS from'} the layer in the synthesized stack`);

    console.log('\nsizes (zipped = deflate level 6 per file plus zip headers, as CDK zips an asset):');
    const row = (label: string, dir: string, note = '') => {
      const s = sizeOf(dir);
      console.log(
        `  ${label.padEnd(34)} ${kB(s.bytes).padStart(10)}  (JS ${kB(s.jsBytes).padStart(9)})  zipped ${kB(s.zipped).padStart(9)}${note}`,
      );
      return s;
    };
    const runtimeSize = row('layer, runtime SDK (current)', layerRuntime);
    const bundledSize = sizeOf(layerBundled);
    row('layer, bundled SDK', layerBundled, `   ratio ${(bundledSize.zipped / runtimeSize.zipped).toFixed(2)}x zipped`);
    for (const f of functions) row(`function ${f.name}`, f.dir);
    for (const f of standalone) row(`${f.name} alone, no layer`, join(standaloneDir, f.name));

    console.log(`\ncold import of the handler module, fresh node per sample, ms (median / p90):`);
    console.log(
      `  ${'function'.padEnd(14)} ${'variant'.padEnd(22)} ${'import'.padStart(15)} ${'start to ready'.padStart(15)} ${'process wall'.padStart(15)} ${'CJS modules'.padStart(12)}`,
    );
    const ratios: { name: string; ratio: number }[] = [];
    for (const f of functions) {
      const base = stat(`runtime/${f.name}`, (s) => s.importMs).p50;
      for (const v of variants) {
        const key = `${v.key}/${f.name}`;
        if (!samples.has(key)) continue;
        const pair = (pick: (s: Sample) => number) => {
          const { p50, p90 } = stat(key, pick);
          return `${ms(p50)} / ${ms(p90)}`.padStart(15);
        };
        const imp = stat(key, (s) => s.importMs).p50;
        const ratio = imp / base;
        if (v.key === 'bundled') ratios.push({ name: f.name, ratio });
        console.log(
          `  ${f.name.padEnd(14)} ${v.label.padEnd(22)} ${pair((s) => s.importMs)} ${pair((s) => s.readyMs)} ${pair((s) => s.wallMs)} ${String(samples.get(key)![0]!.cjsModules).padStart(12)}` +
            (v.key === 'runtime' ? '   (baseline)' : `   ratio ${ratio.toFixed(2)}x`),
        );
      }
    }

    console.log(
      `load average at end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log('');
    for (const f of standalone) {
      const r = stat(`standalone/${f.name}`, (s) => s.importMs).p50 / stat(`runtime/${f.name}`, (s) => s.importMs).p50;
      console.log(`ratio ${f.name} alone / with the runtime-SDK layer, median import: ${r.toFixed(2)}x`);
    }
    const geomean = Math.exp(ratios.reduce((s, r) => s + Math.log(r.ratio), 0) / ratios.length);
    console.log(
      `ratio bundled / runtime SDK, median import: ${ratios.map((r) => `${r.name} ${r.ratio.toFixed(2)}x`).join(', ')}; geometric mean ${geomean.toFixed(2)}x`,
    );
    console.log(
      `ratio bundled / runtime SDK, zipped layer: ${(bundledSize.zipped / runtimeSize.zipped).toFixed(2)}x (${kB(bundledSize.zipped)} / ${kB(runtimeSize.zipped)})`,
    );
  } finally {
    if (values.keep) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
