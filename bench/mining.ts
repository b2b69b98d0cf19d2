/**
 * Mining benchmark on seeded synthetic customer bases (100k and 1M customers by default).
 *
 * Per size, the sharded path the AWS job runs:
 *   fitModels on a bounded sample (the first --sample customers, default the job's
 *   MINING_DEFAULTS.sampleSize; customers are i.i.d., so that is a random sample) →
 *   scoreCustomers shard by shard (--shard customers each), each shard's histories generated
 *   just before it is scored and dropped after, keeping only aggregates.
 * Prints time per phase, peak memory (RSS and heap, sampled at every phase and shard), then
 * segmentation on the full scaled matrix: our fitKMeans against plain ml-kmeans
 * (`kmeans(rows, k, {})`, default options) on the same matrix in the same run, with the
 * inertia ratio. Ratios last.
 *
 *   npm run bench:mining -- [--sizes 100000,1000000] [--shard 50000] [--sample 50000]
 *                          [--compare-k 8] [--repeats 3] [--heap-mb 1536] [--baseline-limit-s 300]
 *
 * Segmentation is compared at the k the pipeline chose and at each --compare-k.
 *
 * Each size runs in its own child process (so peak memory is that size's alone) with a V8 heap
 * cap of --heap-mb (default 1536 MB, as a 2 GB Lambda would have): the process must fit, and
 * the garbage collector works against the cap instead of letting the heap grow into free RAM.
 * Segmentation times are the median of --repeats runs (default 3) of each implementation.
 * The ml-kmeans baseline runs on a size when its time, extrapolated from the largest size it
 * already ran on, stays under --baseline-limit-s; otherwise the output says it was skipped.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kmeans as mlKmeans } from 'ml-kmeans';
import {
  fitKMeans,
  fitModelsTimed,
  inertiaOf,
  matrixToRows,
  MINING_DEFAULTS,
  scoreCustomers,
  type Flag,
  type PipelineOptions,
} from '../layers/core/src/mining/index.js';
import { SYNTHETIC_TIERS, syntheticHistories } from '../test/fixtures/synthetic.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    shard: { type: 'string', default: '50000' },
    sample: { type: 'string', default: String(MINING_DEFAULTS.sampleSize) },
    'baseline-limit-s': { type: 'string', default: '300' },
    'heap-mb': { type: 'string', default: '1536' },
    repeats: { type: 'string', default: '3' },
    'compare-k': { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    child: { type: 'boolean', default: false },
    'baseline-ref': { type: 'string' },
  },
});
const SIZES = values.sizes!.split(',').map(Number);
const SHARD = Number(values.shard);
const SAMPLE = Number(values.sample);
const BASELINE_LIMIT_S = Number(values['baseline-limit-s']);
const SEED = Number(values.seed);
const REPEATS = Number(values.repeats);
const COMPARE_K = values['compare-k']!.split(',').filter(Boolean).map(Number);
const asOf = new Date(Date.UTC(2026, 0, 1));

const MB = 1024 * 1024;
const peak = { rss: 0, heap: 0 };
function sampleMemory(): void {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heap = Math.max(peak.heap, m.heapUsed);
}
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtMB = (b: number) => `${(b / MB).toFixed(0)} MB`;

interface SegmentationRun {
  n: number;
  k: number;
  oursMs: number;
  oursInertia: number;
  oursIterations: number;
  baselineMs?: number;
  baselineInertia?: number;
  baselineBestInertia?: number;
  baselineIterations?: number;
  skipped?: string;
}

/** Per k, the largest size the baseline ran on, for extrapolating the next one. */
const baselineRef = new Map<number, { n: number; ms: number }>();

function runSize(n: number): { endToEndMs: number; peakRss: number; peakHeap: number; segs: SegmentationRun[] } {
  peak.rss = 0;
  peak.heap = 0;
  global.gc?.();
  sampleMemory();
  const options: PipelineOptions = { asOf, seed: SEED, productTiers: SYNTHETIC_TIERS, sampleSize: SAMPLE };
  console.log(
    `\n=== ${n.toLocaleString('en')} customers (shards of ${SHARD.toLocaleString('en')}, fit sample ${Math.min(n, SAMPLE).toLocaleString('en')}) ===`,
  );

  // Fit on the sample (the sample is unreachable once the model exists).
  let genMs = 0;
  const fitted = (() => {
    const t0 = performance.now();
    const sample = syntheticHistories(Math.min(n, SAMPLE), { seed: SEED, asOf });
    genMs += performance.now() - t0;
    sampleMemory();
    const t1 = performance.now();
    const out = fitModelsTimed(sample, options);
    sampleMemory();
    return { ...out, fitMs: performance.now() - t1 };
  })();
  const { model, timingsMs: fitTimings, fitMs } = fitted;
  let t: number;

  // Score shard by shard, keeping aggregates only.
  const d = model.featureNames.length;
  const matrix = { data: new Float64Array(n * d), rows: n, cols: d };
  const scoreTimings: Record<string, number> = {};
  const segmentSizes: Record<string, number> = {};
  const flagCounts: Record<string, number> = {};
  const topChurn: Flag[] = [];
  let inertia = 0;
  let scoreMs = 0;
  let events = 0;
  for (let offset = 0; offset < n; offset += SHARD) {
    const size = Math.min(SHARD, n - offset);
    t = performance.now();
    const histories = syntheticHistories(size, { seed: SEED, asOf, offset });
    genMs += performance.now() - t;
    for (const h of histories) events += h.purchases.length;
    t = performance.now();
    const shard = scoreCustomers(histories, model, options);
    scoreMs += performance.now() - t;
    for (const [k, v] of Object.entries(shard.timingsMs)) scoreTimings[k] = (scoreTimings[k] ?? 0) + v;
    for (const [k, v] of Object.entries(shard.segmentSizes)) segmentSizes[k] = (segmentSizes[k] ?? 0) + v;
    for (const f of shard.flags) flagCounts[f.type] = (flagCounts[f.type] ?? 0) + 1;
    topChurn.push(...shard.flags.filter((f) => f.type === 'churn-risk').slice(0, 3));
    topChurn.sort((a, b) => b.expectedValueMinor - a.expectedValueMinor).splice(3);
    shard.scaledFeatures.forEach((z, i) => {
      matrix.data.set(z, (offset + i) * d);
    });
    inertia += shard.inertia;
    sampleMemory();
  }
  const endToEndMs = fitMs + scoreMs;

  console.log(`generated ${events.toLocaleString('en')} purchase days in ${fmtS(genMs)} (not counted below)`);
  console.log(`fit on the sample: ${fmtS(fitMs)}`);
  for (const [k, v] of Object.entries(fitTimings)) console.log(`  fit.${k.padEnd(18)} ${fmtS(v)}`);
  console.log(`score ${n.toLocaleString('en')} customers: ${fmtS(scoreMs)}`);
  for (const [k, v] of Object.entries(scoreTimings)) console.log(`  ${k.padEnd(22)} ${fmtS(v)}`);
  console.log(`end to end (fit + score): ${fmtS(endToEndMs)}; peak RSS ${fmtMB(peak.rss)}, peak heap ${fmtMB(peak.heap)}`);
  console.log(
    `k = ${model.k} (${model.kSelection?.map((s) => `${s.k}:${s.silhouette.toFixed(3)}`).join(' ') ?? 'fixed'}); inertia over all rows ${inertia.toFixed(0)}`,
  );
  console.log(
    `segments: ${Object.entries(segmentSizes)
      .map(([name, size]) => `${name} ${size}`)
      .join(', ')}`,
  );
  console.log(
    `flags: ${Object.entries(flagCounts)
      .map(([type, c]) => `${type} ${c}`)
      .join(', ')}`,
  );
  for (const f of topChurn) console.log(`  top churn ${f.customerId} risk ${f.score.toFixed(2)}: ${f.reasons.join('; ')}`);
  if (model.notes.length > 0) console.log(`notes: ${model.notes.join(' | ')}`);
  const memory = { peakRss: peak.rss, peakHeap: peak.heap }; // of the scoring path

  // Segmentation on the full matrix: ours vs plain ml-kmeans, same k, same rows; the
  // pipeline's k and the --compare-k values.
  const segs = [model.k, ...COMPARE_K.filter((k) => k !== model.k)].map((k) => compareSegmentation(matrix, k));
  console.log(`peak RSS including segmentation: ${fmtMB(peak.rss)}`);
  return { endToEndMs, ...memory, segs };
}

function compareSegmentation(matrix: { data: Float64Array; rows: number; cols: number }, k: number): SegmentationRun {
  const n = matrix.rows;
  const d = matrix.cols;
  let t: number;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const oursRuns: number[] = [];
  let ours = fitKMeans(matrix, k, { seed: SEED });
  for (let r = 0; r < REPEATS; r++) {
    t = performance.now();
    ours = fitKMeans(matrix, k, { seed: SEED + r });
    oursRuns.push(performance.now() - t);
  }
  const oursMs = median(oursRuns);
  const seg: SegmentationRun = { n, k, oursMs, oursInertia: ours.inertia, oursIterations: ours.iterations };
  console.log(
    `segmentation, ${n.toLocaleString('en')} x ${d}, k = ${k}: fitKMeans median ${fmtS(oursMs)} of ${oursRuns.map(fmtS).join(', ')} ` +
      `(after one warm-up run; ${ours.iterations} full passes), inertia ${ours.inertia.toFixed(1)}`,
  );
  const ref = baselineRef.get(k);
  const estimate = ref ? (ref.ms * n) / ref.n : 0;
  if (estimate / 1000 > BASELINE_LIMIT_S) {
    seg.skipped = `estimated ${fmtS(estimate)} from ${ref!.n.toLocaleString('en')} rows exceeds --baseline-limit-s ${BASELINE_LIMIT_S}`;
    console.log(`ml-kmeans baseline skipped: ${seg.skipped}`);
  } else {
    const rows = matrixToRows(matrix);
    const runs: number[] = [];
    const inertias: number[] = [];
    let iterations = 0;
    for (let r = 0; r < REPEATS; r++) {
      t = performance.now();
      const base = mlKmeans(rows, k, {});
      runs.push(performance.now() - t);
      inertias.push(inertiaOf(matrix, base.centroids, base.clusters));
      iterations = base.iterations;
    }
    seg.baselineMs = median(runs);
    // Each default run is seeded differently: compare with its median quality, report the best.
    seg.baselineInertia = median(inertias);
    seg.baselineBestInertia = Math.min(...inertias);
    seg.baselineIterations = iterations;
    baselineRef.set(k, { n, ms: seg.baselineMs });
    console.log(
      `ml-kmeans kmeans(rows, ${k}, {}): median ${fmtS(seg.baselineMs)} of ${runs.map(fmtS).join(', ')}; ` +
        `inertia ${inertias.map((v) => v.toFixed(1)).join(', ')} (median ${seg.baselineInertia.toFixed(1)})`,
    );
  }
  sampleMemory();
  return seg;
}

type SizeResult = ReturnType<typeof runSize> & { n: number };

/** Run one size in a child process (own heap, own peak RSS); its last stdout line is the result. */
function runChild(n: number): SizeResult {
  const script = fileURLToPath(import.meta.url);
  const args = [
    ...process.execArgv,
    `--max-old-space-size=${values['heap-mb']}`,
    script,
    '--child',
    '--sizes',
    String(n),
    '--shard',
    String(SHARD),
    '--sample',
    String(SAMPLE),
    '--baseline-limit-s',
    String(BASELINE_LIMIT_S),
    '--repeats',
    String(REPEATS),
    '--seed',
    String(SEED),
    '--compare-k',
    COMPARE_K.join(','),
    ...(baselineRef.size > 0 ? ['--baseline-ref', [...baselineRef].map(([k, r]) => `${k}:${r.n}:${r.ms}`).join(',')] : []),
  ];
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * MB });
  const lines = (child.stdout ?? '').trimEnd().split('\n');
  const last = lines.pop() ?? '';
  process.stdout.write(`${lines.join('\n')}\n`);
  if (child.status !== 0 || !last.startsWith('RESULT '))
    throw new Error(`size ${n} failed (exit ${child.status}, signal ${child.signal}): ${last}`);
  const result = JSON.parse(last.slice('RESULT '.length)) as SizeResult;
  for (const seg of result.segs) if (seg.baselineMs !== undefined) baselineRef.set(seg.k, { n, ms: seg.baselineMs });
  return result;
}

function main(): void {
  if (values.child) {
    for (const entry of values['baseline-ref']?.split(',') ?? []) {
      const [k, n, ms] = entry.split(':').map(Number);
      baselineRef.set(k!, { n: n!, ms: ms! });
    }
    const n = SIZES[0]!;
    console.log(`RESULT ${JSON.stringify({ n, ...runSize(n) })}`);
    return;
  }
  console.log(`sizes ${SIZES.join(', ')}; V8 heap cap ${values['heap-mb']} MB per size (child process each)`);
  const results = SIZES.map((n) => runChild(n));
  console.log('\n=== ratios ===');
  for (const r of results) {
    console.log(
      `${r.n.toLocaleString('en')} customers end to end: ${fmtS(r.endToEndMs)} (target < 120 s for 1M), peak RSS ${fmtMB(r.peakRss)} (target < 2048 MB), peak heap ${fmtMB(r.peakHeap)}`,
    );
  }
  for (const seg of results.flatMap((r) => r.segs)) {
    if (seg.baselineMs === undefined) {
      console.log(`segmentation ${seg.n.toLocaleString('en')} rows, k = ${seg.k}: baseline not run (${seg.skipped})`);
      continue;
    }
    console.log(
      `segmentation ${seg.n.toLocaleString('en')} rows, k = ${seg.k}: speed-up vs ml-kmeans ${(seg.baselineMs / seg.oursMs).toFixed(1)}x (target >= 5x); ` +
        `inertia ratio ours/ml-kmeans ${(seg.oursInertia / seg.baselineInertia!).toFixed(4)} vs its median run, ` +
        `${(seg.oursInertia / seg.baselineBestInertia!).toFixed(4)} vs its best (target <= 1.005)`,
    );
  }
}

main();
