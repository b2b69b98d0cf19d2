import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SHOPIFY_TOPICS } from '../../helpers/samples.js';
import { PatronError } from '../../../layers/core/src/errors.js';
import { ADAPTERS } from '../../../layers/core/src/ingest/sources/index.js';
import type { Headers } from '../../../layers/core/src/ingest/sources/types.js';
import { BOUNDS, SOURCES, type SourceName, Touchpoint } from '../../../layers/core/src/touchpoint.js';

/*
 * Property: whatever a signed delivery holds, an adapter either maps it to a touchpoint that
 * passes the canonical schema with finite, bounded numbers, ignores it, or throws a domain error
 * (ValidationError, SignatureError, ...): never a TypeError, a RangeError or a stack overflow.
 * Inputs are the valid samples of events/<source>/ with 1 to 3 random mutations, signed with the
 * adapter's own `sign`. On failure fast-check prints the seed and the shrunk counterexample;
 * replay with FC_SEED=<seed> (and FC_PATH=<path>).
 */

const SECRETS: Record<SourceName, string> = {
  generic: `whsec_${Buffer.from('patron-fuzz-generic-signing-key!').toString('base64')}`,
  shopify: 'shpss_fuzz_secret',
  stripe: 'whsec_fuzz_stripe',
  zendesk: 'fuzz_zendesk_secret',
};
const RUNS_PER_SOURCE = Number(process.env.FC_RUNS ?? 200);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

const samplesOf = (source: SourceName) =>
  readdirSync(join(process.cwd(), 'events', source))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, body: JSON.parse(readFileSync(join(process.cwd(), 'events', source, file), 'utf8')) as Json }));

/** Every node below the root, with its path (iteratively: mutated inputs can be deep). */
function nodes(root: Json): { path: Path; value: Json }[] {
  const out: { path: Path; value: Json }[] = [];
  const stack: { path: Path; value: Json }[] = [{ path: [], value: root }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.path.length > 0) out.push(node);
    if (node.path.length > 12) continue;
    const v = node.value;
    if (Array.isArray(v)) {
      for (const [i, c] of v.entries()) stack.push({ path: [...node.path, i], value: c });
    } else if (v !== null && typeof v === 'object')
      for (const [k, c] of Object.entries(v)) stack.push({ path: [...node.path, k], value: c });
  }
  return out;
}

function setAt(root: Json, path: Path, value: Json | undefined): void {
  let parent: any = root;
  for (const p of path.slice(0, -1)) parent = parent[p];
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  }
}

/** Deep nesting is spliced into the raw text: JSON.stringify itself overflows at 10,000 levels. */
const DEEP = 'DEEP-NESTING-PLACEHOLDER-';
const nestedText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const HOSTILE_NUMBERS = [Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 1e12 + 1, 1e15, 1e21, 1e300, -1, -0, 0.5, 99999999999999, 0, 1e6 + 1];

type Mutation =
  | { kind: 'replace'; pick: number; value: Json }
  | { kind: 'delete'; pick: number }
  | { kind: 'blowString'; pick: number; times: number }
  | { kind: 'blowNumber'; pick: number; value: number }
  | { kind: 'deepen'; pick: number; depth: number }
  | { kind: 'hostileKey'; pick: number; key: string; value: Json };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('blowString' as const), pick: fc.nat(), times: fc.integer({ min: 2, max: 3000 }) }),
  fc.record({ kind: fc.constant('blowNumber' as const), pick: fc.nat(), value: fc.constantFrom(...HOSTILE_NUMBERS) }),
  fc.record({ kind: fc.constant('deepen' as const), pick: fc.nat(), depth: fc.constantFrom(9, 100, 10_000) }),
  fc.record({
    kind: fc.constant('hostileKey' as const),
    pick: fc.nat(),
    key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'k'.repeat(300)),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
);

/** The mutated body as raw text, deep nesting spliced in where `deepen` left a placeholder. */
function mutatedText(body: Json, mutations: Mutation[]): string {
  return JSON.stringify(mutate(body, mutations)).replace(new RegExp(`"${DEEP}(\\d+)"`, 'g'), (_m, depth: string) =>
    nestedText(Number(depth)),
  );
}

function mutate(body: Json, mutations: Mutation[]): Json {
  const root = structuredClone(body);
  for (const m of mutations) {
    const all = nodes(root);
    if (all.length === 0) continue;
    const pool =
      m.kind === 'blowString'
        ? all.filter((n) => typeof n.value === 'string')
        : m.kind === 'blowNumber'
          ? all.filter((n) => typeof n.value === 'number')
          : m.kind === 'hostileKey'
            ? all.filter((n) => n.value !== null && typeof n.value === 'object' && !Array.isArray(n.value))
            : all;
    const node = pool[m.pick % Math.max(pool.length, 1)];
    if (!node) continue;
    switch (m.kind) {
      case 'replace':
        setAt(root, node.path, m.value);
        break;
      case 'delete':
        setAt(root, node.path, undefined);
        break;
      case 'blowString':
        setAt(root, node.path, (node.value as string).repeat(m.times).slice(0, 100_000) || 'x'.repeat(m.times));
        break;
      case 'blowNumber':
        setAt(root, node.path, m.value);
        break;
      case 'deepen':
        setAt(root, node.path, `${DEEP}${m.depth}`);
        break;
      case 'hostileKey':
        Object.defineProperty(node.value as object, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        break;
    }
  }
  return root;
}

/** Every number in the touchpoint is finite and within the amount bound (iterative walk). */
function boundedNumbers(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'number' && (!Number.isFinite(v) || Math.abs(v) > BOUNDS.maxMinorUnits)) return false;
    if (typeof v === 'bigint') return false;
    if (v !== null && typeof v === 'object') stack.push(...Object.values(v));
  }
  return true;
}

function headersFor(source: SourceName, file: string, raw: string, now: Date): Headers {
  const headers = ADAPTERS[source].sign(raw, SECRETS[source], now, `evt-fuzz-${file}`);
  return source === 'shopify' && SHOPIFY_TOPICS[file] ? { ...headers, 'x-shopify-topic': SHOPIFY_TOPICS[file] } : headers;
}

describe.each(SOURCES)('%s adapter under random mutations of its valid samples', (source) => {
  const samples = samplesOf(source);

  it(`maps, ignores or refuses with a domain error, never crashes (${RUNS_PER_SOURCE} runs)`, () => {
    const adapter = ADAPTERS[source];
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), ({ file, body }, mutations) => {
        const raw = mutatedText(body, mutations);
        const now = new Date();
        const headers = headersFor(source, file, raw, now);
        try {
          adapter.verify(raw, headers, [SECRETS[source]], now);
          const result = adapter.adapt(JSON.parse(raw), headers);
          if (result.kind === 'ignored') return true;
          const candidate =
            result.kind === 'order-touchpoint' ? { ...result.touchpoint, customer: { externalId: 'order-owner' } } : result.touchpoint;
          const parsed = Touchpoint.safeParse(candidate);
          if (!parsed.success)
            throw new Error(`adapter emitted an invalid touchpoint: ${JSON.stringify(parsed.error.issues).slice(0, 500)}`);
          if (!boundedNumbers(result.touchpoint)) throw new Error('adapter emitted an unbounded number');
          if (result.dedupeKey.length === 0 || result.dedupeKey.length > BOUNDS.maxIdLength + 64)
            throw new Error('dedupe key out of bounds');
          return true;
        } catch (error) {
          if (error instanceof PatronError) return true;
          throw error;
        }
      }),
      {
        numRuns: RUNS_PER_SOURCE,
        ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}),
      },
    );
  });
});
