/**
 * Doc tests: the fenced ```bash / ```sh blocks of a markdown file, run with bash against the
 * embedded test stack, so a documented command that stops working fails a test instead of a
 * reader. Each block runs on its own (a fresh bash, `set -eo pipefail`, cwd = the repository), so
 * a block must be pasteable by itself, as a reader would paste it.
 *
 * A block is skipped when the nearest non-blank line above its fence is
 * `<!-- doctest: skip why -->` (the reason is required, so a skip says why).
 *
 * `describeDoc('docs/x.md', substitutions)` is the whole test file for a document; the
 * substitutions turn what the reader's machine has (http://localhost:3000, the dev key) into what
 * the test stack has (see test/docs/).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';

export const SHELL_LANGUAGES = ['bash', 'sh'] as const;

export interface DocBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** Why it is skipped; undefined when it runs. */
  skip?: string;
  /** The documented output: the text of a plain or json fence right after the block (blank lines between). */
  documented?: string;
}

/**
 * What a block's documented output promises, checked against what it printed: the HTTP status
 * of a `HTTP/1.1 NNN` first line, and every `"decision"` and `"rule"` it names. Ids, dates and
 * amounts differ from run to run and are not compared; these do not.
 */
export function promisesOf(documented: string | undefined): string[] {
  if (!documented) return [];
  const promises: string[] = [];
  const status = /^HTTP\/1\.1 (\d{3})/.exec(documented.trimStart());
  if (status) promises.push(`HTTP/1.1 ${status[1]}`);
  for (const m of documented.matchAll(/"(decision|rule)":"([\w-]+)"/g)) promises.push(`"${m[1]}":"${m[2]}"`);
  return [...new Set(promises)];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const NO_REASON = '(no reason given)';
const SKIP = /^\s*<!--\s*doctest:\s*skip\b\s*(.*?)\s*-->\s*$/;

/** Every fenced block in the shell languages, with its line and skip mark. Other fences are stepped over whole. */
export function extractShellBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, fence, lang = ''] = open;
    // A fence closes on the same character, at least as long, and nothing else on the line.
    const closer = new RegExp(`^ {0,3}${fence![0] === '`' ? '`' : '~'}{${fence!.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !closer.test(lines[end]!)) end++;
    if ((SHELL_LANGUAGES as readonly string[]).includes(lang.toLowerCase())) {
      const documented = outputAfter(lines, end + 1);
      blocks.push({
        line: i + 1,
        lang,
        code: lines.slice(i + 1, end).join('\n'),
        skip: skipReason(lines, i),
        ...(documented !== undefined ? { documented } : {}),
      });
    }
    i = end;
  }
  return blocks;
}

/** The body of a plain, json or text fence starting at `from` (after blank lines), if there is one. */
function outputAfter(lines: readonly string[], from: number): string | undefined {
  let j = from;
  while (j < lines.length && lines[j]!.trim() === '') j++;
  const open = j < lines.length ? FENCE.exec(lines[j]!) : null;
  if (!open || !['', 'json', 'text'].includes((open[2] ?? '').toLowerCase())) return undefined;
  const closer = new RegExp(`^ {0,3}${open[1]![0] === '`' ? '`' : '~'}{${open[1]!.length},}\\s*$`);
  let end = j + 1;
  while (end < lines.length && !closer.test(lines[end]!)) end++;
  return lines.slice(j + 1, end).join('\n');
}

function skipReason(lines: readonly string[], fenceIndex: number): string | undefined {
  let j = fenceIndex - 1;
  while (j >= 0 && lines[j]!.trim() === '') j--;
  const m = j >= 0 ? SKIP.exec(lines[j]!) : null;
  return m ? m[1] || NO_REASON : undefined;
}

/** Replaces every occurrence of each key by its value (plain text, not patterns), longest key first. */
export function substitute(code: string, substitutions: Readonly<Record<string, string>>): string {
  const keys = Object.keys(substitutions)
    .filter((k) => k !== '')
    .sort((a, b) => b.length - a.length);
  return keys.reduce((text, key) => text.split(key).join(substitutions[key]!), code);
}

export interface BlockResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, as a terminal would show them. */
  output: string;
  timedOut: boolean;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs one block with bash, failing on the first command that fails (`-e`, also inside pipes). */
export function runShell(code: string, opts: RunOptions): Promise<BlockResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', code], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout ends everything the block started
    });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ code: exitCode, signal, output, timedOut });
    });
  });
}

/** The message a failing block raises: where it is, what ran, what it said. */
export function failureMessage(file: string, block: DocBlock, ran: string, result: BlockResult): string {
  const how = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited ${result.code}`;
  return [
    `${file}:${block.line}: the \`\`\`${block.lang} block ${how}`,
    '--- block (as run) ---',
    ran,
    '--- output ---',
    result.output.trimEnd() || '(none)',
  ].join('\n');
}

/** The first line that does something: not a comment, not a plain `NAME=value` assignment. */
export function blockTitle(code: string): string {
  const lines = code
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return lines.find((l) => !/^[A-Za-z_]\w*=/.test(l)) ?? lines[0] ?? '(empty)';
}

export interface DoctestOptions {
  /**
   * Text the reader's machine has -> what the test stack has (e.g. the base URL). A function:
   * the stack's details exist only once the tests run.
   */
  substitutions: () => Readonly<Record<string, string>>;
  /** Repository root; blocks run there and find its node_modules/.bin (npx patron, tsx). */
  root?: string;
  /** Per block (default 60 s). */
  timeoutMs?: number;
  /**
   * Blocks share their shell variables in order, as in the one terminal a reader pastes a manual's
   * blocks into (`ID=...` in one block, `$ID` in a later one). Default: each block on its own.
   */
  session?: boolean;
  /** Runs before the file's first block (e.g. loading the data the document's examples name). */
  before?: () => Promise<void>;
}

/**
 * A block wrapped so that it starts with the variables and functions earlier blocks defined and
 * leaves its own for the next: the names bash defines by itself are noted first, then the saved
 * state is read, the block runs, and every other variable and function is written back with
 * `declare -p` / `declare -f` (re-readable as is).
 */
export function inSession(code: string, stateFile: string): string {
  const q = `'${stateFile.replace(/'/g, `'\\''`)}'`;
  return [
    'declare -A __doc_seen; for __doc_v in $(compgen -v) $(compgen -A function); do __doc_seen[$__doc_v]=1; done',
    `if [ -f ${q} ]; then source ${q}; fi`,
    code,
    `: > ${q}.next`,
    `for __doc_v in $(compgen -v); do [[ -n "\${__doc_seen[$__doc_v]:-}" || $__doc_v == __doc_* ]] || declare -p "$__doc_v" >> ${q}.next; done`,
    `for __doc_v in $(compgen -A function); do [[ -n "\${__doc_seen[$__doc_v]:-}" ]] || declare -f "$__doc_v" >> ${q}.next; done`,
    `mv ${q}.next ${q}`,
  ].join('\n');
}

/**
 * Defines the tests of one markdown file: one per runnable block, named by its line and first
 * command, plus one that lists the skipped blocks (in its name) and insists each gives a reason.
 */
export function describeDoc(file: string, options: DoctestOptions): void {
  const root = options.root ?? process.cwd();
  const path = join(root, file);
  const blocks = extractShellBlocks(readFileSync(path, 'utf8'));
  const runnable = blocks.filter((b) => b.skip === undefined);
  const skipped = blocks.filter((b) => b.skip !== undefined);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const title = (b: DocBlock) => `line ${b.line}: ${blockTitle(b.code)}`;

  describe(`doc test: ${relative(root, path)}`, () => {
    it('has shell blocks to run', () => {
      expect(runnable.length).toBeGreaterThan(0);
    });

    const skipList = skipped.map((b) => `line ${b.line} (${b.skip})`).join('; ') || 'none';
    it(`skips only blocks marked <!-- doctest: skip why -->, each with its reason: ${skipList}`, () => {
      expect(skipped.filter((b) => b.skip === NO_REASON).map((b) => `line ${b.line}`)).toEqual([]);
    });

    const stateFile = join(mkdtempSync(join(tmpdir(), 'patron-doctest-')), 'session.sh');
    if (options.before) beforeAll(options.before, 15 * 60_000);

    it.each(runnable.map((b) => [title(b), b] as const))(
      '%s',
      async (_title, block) => {
        const ran = substitute(block.code, options.substitutions());
        const env = { ...process.env, PATH: [join(root, 'node_modules/.bin'), process.env.PATH].join(delimiter) };
        const result = await runShell(options.session ? inSession(ran, stateFile) : ran, { cwd: root, env, timeoutMs });
        if (result.code !== 0) throw new Error(failureMessage(file, block, ran, result));
        const printed = result.output.replace(/\s+/g, '');
        const broken = promisesOf(block.documented).filter((p) => !printed.includes(p.replace(/\s+/g, '')));
        if (broken.length) {
          throw new Error(
            `${failureMessage(file, block, ran, result)}\n--- the documented output promises, and the run did not print ---\n${broken.join('\n')}`,
          );
        }
      },
      timeoutMs + 5_000,
    );
  });
}
