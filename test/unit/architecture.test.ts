/**
 * The import direction of ARCHITECTURE.md, checked over the source text: data flows handler ->
 * core service -> store adapter, the core knows nothing of its callers, and the mining models
 * stay pure. A violation names the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|tsx|mts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function importsOf(text: string): string[] {
  const found = new Set<string>();
  for (const re of [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm]) {
    for (const m of text.matchAll(re)) found.add(m[1]!);
  }
  return [...found];
}

/** Repository-relative target of a relative specifier; the package name otherwise. */
const target = (file: string, spec: string): string => (spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec);

interface Rule {
  /** Files the rule applies to (repository-relative prefix). */
  from: string;
  /** Why, in the words of the violation message. */
  why: string;
  forbidden: (to: string) => boolean;
  /** `import type` is erased by the compiler, so it ships nothing: allowed where only the bundle matters. */
  typeImportsAllowed?: boolean;
}

/** The text without its `import type ... from '...'` statements. */
const withoutTypeImports = (text: string) => text.replace(/\bimport\s+type\s+[^;]*?from\s+['"][^'"]+['"]/g, '');

const under =
  (...prefixes: string[]) =>
  (to: string) =>
    prefixes.some((p) => to === p || to.startsWith(`${p}/`));

const RULES: Rule[] = [
  {
    from: 'layers/core/src',
    why: 'the core never imports its callers',
    forbidden: under('functions', 'infra', 'local', 'cli', 'bench', 'test'),
  },
  {
    from: 'layers/core/src/mining',
    why: 'the mining models are pure: only mining/ itself and the shared random, time and vocabulary modules',
    forbidden: (to) =>
      to.startsWith('layers/core/src/') &&
      !to.startsWith('layers/core/src/mining') &&
      !['layers/core/src/random.js', 'layers/core/src/time.js', 'layers/core/src/vocabulary.js'].includes(to),
  },
  {
    from: 'console/src',
    why: "the console runs in a browser: of the repository it takes only the core's plain vocabulary and the CLI's SVG chart (and types, which compile away), never node or AWS",
    typeImportsAllowed: true,
    forbidden: (to) =>
      (to.startsWith('layers/') && to !== 'layers/core/src/vocabulary.js') ||
      (to.startsWith('cli/') && !['cli/svg.js', 'cli/writers.js'].includes(to)) ||
      under('functions', 'infra', 'local', 'bench', 'test')(to) ||
      to.startsWith('node:') ||
      to.startsWith('@aws-sdk/'),
  },
  {
    from: 'functions',
    why: 'handlers reach the core only through @patron/core and never talk to AWS themselves',
    forbidden: (to) => under('layers', 'infra', 'local', 'cli', 'bench', 'test')(to) || to.startsWith('@aws-sdk/'),
  },
  {
    from: 'infra',
    why: 'infra describes the stack; it does not run handlers or local code',
    forbidden: under('functions', 'local', 'cli', 'bench', 'test'),
  },
  { from: 'local', why: 'the embedded runtime does not depend on tests or benchmarks', forbidden: under('test', 'bench') },
  {
    from: 'cli',
    why: 'the CLI does not depend on tests, benchmarks or the local runtime (only on its published dev secrets, for send-webhook)',
    forbidden: (to) => to !== 'local/dev-config.js' && under('test', 'bench', 'local')(to),
  },
];

describe('import direction (ARCHITECTURE.md)', () => {
  it('gives each handler its own deps slice (functionDeps), never the whole container', () => {
    const offenders = sources('functions').filter((file) => /\bappDeps\b/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('finds the imports of a file, static, dynamic and side-effect only', () => {
    expect(
      importsOf("import a from './a.js';\nexport * from '../b.js';\nimport 'zod-openapi';\nconst c = await import('./c.js');"),
    ).toEqual(expect.arrayContaining(['./a.js', '../b.js', 'zod-openapi', './c.js']));
  });

  it('drops type-only imports where a rule allows them, and keeps value imports', () => {
    expect(importsOf(withoutTypeImports("import type { A } from '../x/a.js';\nimport { b } from '../x/b.js';"))).toEqual(['../x/b.js']);
  });

  it('flags what each rule forbids (so the checks below can fail)', () => {
    const rule = (from: string) => RULES.find((r) => r.from === from)!;
    expect(rule('functions').forbidden('layers/core/src/store/dynamo.js')).toBe(true);
    expect(rule('functions').forbidden('@aws-sdk/client-dynamodb')).toBe(true);
    expect(rule('functions').forbidden('@patron/core')).toBe(false);
    expect(rule('layers/core/src').forbidden('infra/definitions.js')).toBe(true);
    expect(rule('layers/core/src/mining').forbidden('layers/core/src/store/keys.js')).toBe(true);
    expect(rule('layers/core/src/mining').forbidden('layers/core/src/random.js')).toBe(false);
    expect(rule('console/src').forbidden('layers/core/src/offers/schema.js')).toBe(true);
    expect(rule('console/src').forbidden('node:fs')).toBe(true);
    expect(rule('console/src').forbidden('layers/core/src/vocabulary.js')).toBe(false);
  });

  it.each(RULES.map((r) => [r.from, r] as const))('%s keeps its imports in the allowed direction', (_from, rule) => {
    const violations = sources(rule.from).flatMap((file) =>
      importsOf((rule.typeImportsAllowed ? withoutTypeImports : (text: string) => text)(readFileSync(join(ROOT, file), 'utf8')))
        .map((spec) => target(file, spec))
        .filter(rule.forbidden)
        .map((to) => `${file} imports ${to}: ${rule.why}`),
    );
    expect(violations).toEqual([]);
  });
});
